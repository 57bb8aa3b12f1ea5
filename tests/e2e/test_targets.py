# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What is traced is said: a command that is not Python, -p of a thread's id, and a
traced process that execs another Python binary (seen from its first event)."""
import os
import subprocess
import threading
import time

import pytest

from harness import Tool, parse_json_lines, run_tool

pytestmark = pytest.mark.usefixtures("tool")

DEBIAN = "/usr/bin/python3.11"
PYENV = "/root/.pyenv/versions/3.11.7/bin/python3.11"


def warnings(res):
    return [ln for ln in res.err_lines if ln.startswith("pyaudit-trace: warning: ")]


@pytest.mark.parametrize("secs,said_running,at_exit", [
    pytest.param("1.3", True, "ran no Python in its own process: no audit event was traced",
                 id="sleep"),
    pytest.param("0.1", False, "ran no Python in its own process (the processes it starts "
                 "are not followed: -f follows them): no audit event was traced", id="short"),
])
def test_command_not_python(secs, said_running, at_exit):
    """A program that runs a second with no Python is said not to be Python while it
    runs, and again at exit; one that ends sooner is said at exit, with the note on -f
    the first warning would have given."""
    res = run_tool(["-j", "--", "/bin/sleep", secs], timeout=60)
    assert res.rc == 0 and res.stdout == b"", res.describe()
    w = warnings(res)
    if said_running:
        assert any("/usr/bin/sleep is not a Python program" in ln and
                   "processes it starts are not followed (trace them with -f)" in ln
                   for ln in w), res.describe()
    assert any(at_exit in ln for ln in w), res.describe()


@pytest.mark.parametrize("wait", ["", "; sleep 1.2"], ids=["quick", "slow"])
def test_command_shell_starting_python(wait):
    """sh starts python3 as a child (not followed): said, never silent; exit status kept."""
    code = "%s -S -c 'import sys; sys.audit(\"sh.child\", 1)'%s; exit 5" % (DEBIAN, wait)
    res = run_tool(["-j", "-e", "sh.*", "--", "sh", "-c", code], timeout=60)
    assert res.rc == 5 and res.stdout == b"", res.describe()
    w = warnings(res)
    assert any("sh ran no Python in its own process" in ln for ln in w), res.describe()
    if wait:
        assert any("/usr/bin/dash is not a Python program" in ln for ln in w), res.describe()


def test_command_exec_chain_to_python_is_traced():
    """env execs python at once: nothing said of env, the Python is traced."""
    res = run_tool(["-j", "-e", "chain.*", "--", "env", DEBIAN, "-S", "-c",
                    "import sys; sys.audit('chain.x', 1)"], timeout=60)
    assert res.rc == 0, res.describe()
    events = parse_json_lines(res.stdout, "stdout")
    assert [e["args"] for e in events if e["event"] == "chain.x"] == [[1]], res.describe()
    assert not any("is not a Python program" in ln or "ran no Python" in ln
                   for ln in res.err_lines), res.describe()


def test_pid_of_a_thread_traces_its_process(tmp_path):
    """-p TID of a thread that is not the leader: its process is traced, all threads."""
    tidf, go = tmp_path / "tid", tmp_path / "go"
    code = ("import os, sys, threading, time\n"
            "def f():\n"
            "    open(%r, 'w').write(str(threading.get_native_id()))\n"
            "    while not os.path.exists(%r): time.sleep(0.01)\n"
            "    sys.audit('tid.thread', 1)\n"
            "t = threading.Thread(target=f); t.start(); t.join()\n"
            "sys.audit('tid.main', 2)\n" % (str(tidf), str(go)))
    p = subprocess.Popen([DEBIAN, "-S", "-c", code])
    tool = None
    try:
        deadline = time.monotonic() + 10
        while not (tidf.exists() and tidf.read_text()):
            assert time.monotonic() < deadline and p.poll() is None
            time.sleep(0.01)
        tid = int(tidf.read_text())
        assert tid != p.pid
        tool = Tool(["-j", "-e", "tid.*", "-p", str(tid)])
        tool.wait_ready()
        go.write_text("")
        assert p.wait(20) == 0
        assert tool.wait(20) == 0, tool.describe()  # the process's exit ends it
    finally:
        if p.poll() is None:
            p.kill()
        if tool:
            tool.kill()
    assert any("-p %d is a thread of process %d" % (tid, p.pid) in ln for ln in tool.err), \
        tool.describe()
    got = [(e["event"], e["tid"]) for e in tool.events() if e["pid"] == p.pid]
    assert got == [("tid.thread", tid), ("tid.main", p.pid)], tool.describe()


# ---- exec into another Python ------------------------------------------------------

def exec_code(target, go=None):
    wait = ("while not os.path.exists(%r): time.sleep(0.01)\n" % str(go)) if go else ""
    return ("import os, sys, time\n" + wait +
            "sys.audit('xp.before', 1)\n"
            "os.execv(%r, [%r, '-S', '-c', 'import sys; sys.audit(\"xp.after\", 2)'])\n"
            % (target, target))


def names_after(events, pid):
    """Event names of pid after its os.exec (the new image's)."""
    names = [e["event"] for e in events if e["pid"] == pid]
    assert "xp.before" in names and "os.exec" in names, names
    return names[names.index("os.exec") + 1:]


def reference(target):
    """What the tool sees of the target run directly (held from its first event)."""
    res = run_tool(["-j", "--", target, "-S", "-c", "import sys; sys.audit('xp.after', 2)"],
                   timeout=60)
    assert res.rc == 0, res.describe()
    return [e["event"] for e in parse_json_lines(res.stdout, "stdout")]


PAIRS = [pytest.param(DEBIAN, PYENV, id="debian-to-pyenv"),
         pytest.param(PYENV, DEBIAN, id="pyenv-to-debian")]


@pytest.mark.parametrize("first,second", PAIRS)
def test_command_execs_another_python(first, second):
    ref = reference(second)
    res = run_tool(["-j", "--", first, "-S", "-c", exec_code(second)], timeout=60)
    assert res.rc == 0, res.describe()
    events = parse_json_lines(res.stdout, "stdout")
    pid = events[0]["pid"]
    after = names_after(events, pid)
    assert after == ref, "after the exec: %s\nreference: %s\n%s" % (after, ref, res.describe())


def trace_pid_exec(first, second, tmp_path, *opts):
    """-p of a process of first that, once the tool is ready, execs second; returns its
    pid and the ended tool."""
    go = tmp_path / "go"
    p = subprocess.Popen([first, "-S", "-c", exec_code(second, go)])
    tool = None
    try:
        time.sleep(0.3)
        tool = Tool(["-j", *opts, "-p", str(p.pid)])
        tool.wait_ready()
        go.write_text("")
        assert p.wait(20) == 0
        assert tool.wait(20) == 0, tool.describe()
    finally:
        if p.poll() is None:
            p.kill()
        if tool:
            tool.kill()
    return p.pid, tool


@pytest.mark.parametrize("first,second", PAIRS)
def test_pid_execs_another_python(first, second, tmp_path):
    ref = reference(second)
    pid, tool = trace_pid_exec(first, second, tmp_path)
    after = names_after(tool.events(), pid)
    assert after == ref, "after the exec: %s\nreference: %s\n%s" % (after, ref, tool.describe())
    ver = "3.11.7" if second == PYENV else "3.11.2"
    assert sum("PID %d (python3.11): CPython %s" % (pid, ver) in ln for ln in tool.err) == 1, \
        tool.describe()


def test_pid_execs_another_python_without_hold_is_said(tmp_path):
    """--no-hold: the new image cannot be probed before it runs; a short one is gone
    before it is: the process is named in a warning, never silently lost."""
    pid, tool = trace_pid_exec(DEBIAN, PYENV, tmp_path, "--no-hold")
    names = [e["event"] for e in tool.events() if e["pid"] == pid]
    if "xp.after" not in names or names[names.index("os.exec") + 1] != "marshal.loads":
        assert any(ln.startswith("pyaudit-trace: warning: PID %d " % pid)
                   for ln in tool.err), tool.describe()
