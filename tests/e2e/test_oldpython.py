# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A CPython before 3.8 has no audit events (PEP 578 came in 3.8): given with -p or --,
the tool says which CPython it is instead of "not a Python process"; --list says the
same; system-wide such processes are common and harmless: said only with -v, once per
binary.  With the pyenv builds of 3.7, 3.6 and 2.7 of this machine (skipped where
they are not installed)."""
import json
import os
import re
import subprocess
import time

import pytest

from harness import BASE_ENV, Tool, check_one_error_line, run_tool

pytestmark = pytest.mark.usefixtures("tool")

PYENV = "/root/.pyenv/versions"
OLD = [("3.7.16", "bin/python3.7", "lib/libpython3.7m.so.1.0"),
       ("2.7.18", "bin/python2.7", "lib/libpython2.7.so.1.0"),
       ("3.6.15", "bin/python3.6", "lib/libpython3.6m.so.1.0")]
NEW = PYENV + "/3.11.7/bin/python3.11"


def old_params():
    return [pytest.param(v, "%s/%s/%s" % (PYENV, v, exe), "%s/%s/%s" % (PYENV, v, lib), id=v)
            for v, exe, lib in OLD]


def need(*paths):
    for p in paths:
        if not os.access(p, os.X_OK if "/bin/" in p else os.R_OK):
            pytest.skip("%s is not installed here" % p)


def said(version):
    return "CPython %s, which has no audit events (they came in 3.8" % version


def start_old(exe, lib, code):
    """An old Python running code, once ld.so has mapped its libpython."""
    p = subprocess.Popen([exe, "-c", code], env=BASE_ENV, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/%d/maps" % p.pid) as f:
            if os.path.basename(lib) in f.read():
                return p
        time.sleep(0.02)
    p.kill()
    p.wait()
    pytest.fail("%s never mapped %s" % (exe, lib))


@pytest.mark.parametrize("version,exe,lib", old_params())
def test_pid_of_old_python(version, exe, lib):
    """-p PID: one error line naming the version and the libpython, exit 1, at once."""
    need(exe, lib)
    p = start_old(exe, lib, "import time; time.sleep(30)")
    try:
        res = run_tool(["-j", "-p", str(p.pid)], timeout=30)
    finally:
        p.kill()
        p.wait()
    line = check_one_error_line(res)
    assert line == "pyaudit-trace: -p %d: CPython %s has no audit events (they came in 3.8, " \
        "PEP 578): nothing to trace in %s" % (p.pid, version, lib), res.describe()
    assert res.t1 - res.t0 < 10, res.describe()


def test_pid_wait_of_old_python():
    """-p PID --wait: an old Python will load no other libpython: the same error."""
    exe, lib = PYENV + "/3.7.16/bin/python3.7", PYENV + "/3.7.16/lib/libpython3.7m.so.1.0"
    need(exe, lib)
    p = start_old(exe, lib, "import time; time.sleep(30)")
    try:
        res = run_tool(["-j", "--wait", "-p", str(p.pid)], timeout=30)
    finally:
        p.kill()
        p.wait()
    check_one_error_line(res, contains=["-p %d: CPython 3.7.16 has no audit events (they came "
                                        "in 3.8" % p.pid])


def test_pid_follow_of_old_python(tmp_path):
    """-p PID -f of an old Python: said (not an error), and a Python it starts later is
    traced."""
    exe, lib = PYENV + "/3.7.16/bin/python3.7", PYENV + "/3.7.16/lib/libpython3.7m.so.1.0"
    need(exe, lib, NEW)
    go = tmp_path / "go"
    code = ("import os, subprocess, sys, time\n"
            "while not os.path.exists(%r): time.sleep(0.01)\n"
            "sys.exit(subprocess.call([%r, '-c', 'import sys; sys.audit(\"oldpy.pchild\", 8)']))"
            % (str(go), NEW))
    p = start_old(exe, lib, code)
    tool = None
    try:
        tool = Tool(["-j", "-f", "-e", "oldpy.*", "-p", str(p.pid)])
        tool.wait_ready()
        go.write_text("")
        assert p.wait(30) == 0
        rc = tool.wait(30)
    finally:
        p.kill()
        p.wait()
        if tool:
            tool.kill()
    assert rc == 0, tool.describe()
    assert [(e["event"], e["args"], e["python"]) for e in tool.events()] == \
        [("oldpy.pchild", [8], "3.11.7")], tool.describe()
    assert any(ln.endswith("CPython 3.7.16 has no audit events (they came in 3.8); the "
                           "processes it starts are followed") for ln in tool.err), \
        tool.describe()


@pytest.mark.parametrize("version,exe,lib", old_params())
@pytest.mark.parametrize("run", ["short", "long"])
def test_command_old_python(version, exe, lib, run):
    """-- OLD_PYTHON: the command runs (its exit status kept), and the tool says which
    CPython it ran, when its libpython is mapped and again at exit; never "not a Python
    program" nor "ran no Python"."""
    need(exe, lib)
    code = "import sys, time; time.sleep(%s); sys.exit(4)" % ("0" if run == "short" else "1.3")
    res = run_tool(["-j", "--", exe, "-c", code], timeout=60)
    assert res.rc == 4 and res.stdout == b"", res.describe()
    w = [ln for ln in res.err_lines if ln.startswith("pyaudit-trace: ")]
    assert w == [
        "pyaudit-trace: warning: %s: %s is %s, PEP 578): nothing to trace" % (exe, lib,
                                                                             said(version)),
        "pyaudit-trace: warning: %s ran CPython %s, which has no audit events: no audit "
        "event was traced" % (exe, version)], res.describe()


def test_follow_old_python_parent():
    """-f -- python3.7 starting a python3.11: said, and the child is traced (the parent
    is let go once its libpython is known to be no Python to probe)."""
    exe, lib = PYENV + "/3.7.16/bin/python3.7", PYENV + "/3.7.16/lib/libpython3.7m.so.1.0"
    need(exe, lib, NEW)
    code = ("import subprocess, sys; sys.exit(subprocess.call([%r, '-c', "
            "'import sys; sys.audit(\"oldpy.child\", 7)']))" % NEW)
    res = run_tool(["-j", "-f", "-e", "oldpy.*", "--", exe, "-c", code], timeout=60)
    assert res.rc == 0, res.describe()
    evs = [json.loads(ln) for ln in res.stdout.decode().splitlines()]
    assert [(e["event"], e["args"], e["python"]) for e in evs] == \
        [("oldpy.child", [7], "3.11.7")], res.describe()
    assert any(said("3.7.16") in ln and "the processes it starts are followed" in ln
               for ln in res.err_lines), res.describe()
    assert not [ln for ln in res.err_lines if "let run" in ln or "ran no Python" in ln], \
        res.describe()


def test_list_old_python():
    """--list: one line per old binary naming its version, exit 1; a usable one listed."""
    cases = [(v, "%s/%s/%s" % (PYENV, v, exe), "%s/%s/%s" % (PYENV, v, lib)) for v, exe, lib in OLD]
    for _, exe, lib in cases:
        need(exe, lib)
    res = run_tool(["--list"] + [lib for _, _, lib in cases] + [cases[0][1], NEW], timeout=60)
    assert res.rc == 1, res.describe()
    assert res.err_lines == ["pyaudit-trace: %s: %s, PEP 578)" % (lib, said(v))
                             for v, _, lib in cases] + [
        "pyaudit-trace: %s -> %s: %s, PEP 578)" % (cases[0][1], cases[0][2], said(cases[0][0]))], \
        res.describe()
    assert "3.11.7" in res.stdout.decode(), res.describe()


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "v"])
def test_systemwide_old_python(verbose):
    """System-wide: two python3.7 processes and a python2.7 started after the tool, then a
    Python with audit events: nothing said of the old ones without -v; with -v one line
    per binary."""
    runs = [(PYENV + "/3.7.16/bin/python3.7", "3.7.16"), (PYENV + "/3.7.16/bin/python3.7", "3.7.16"),
            (PYENV + "/2.7.18/bin/python2.7", "2.7.18")]
    need(NEW, *[r[0] for r in runs])
    tool = Tool(["-j", "-e", "oldpy.*"] + (["-v"] if verbose else []))
    try:
        tool.wait_ready()
        for exe, _ in runs:
            subprocess.run([exe, "-c", "import time; time.sleep(0.3)"], env=BASE_ENV, timeout=30,
                           check=True)
        subprocess.run([NEW, "-c", "import sys; sys.audit('oldpy.after', 1)"], env=BASE_ENV,
                       timeout=30, check=True)
        assert tool.wait_stdout(lambda e: e.get("event") == "oldpy.after", 30), tool.describe()
        rc = tool.stop()
    finally:
        tool.kill()
    assert rc == 0, tool.describe()
    old = [ln for ln in tool.err if re.search(r"3\.7\.16|2\.7\.18|python3\.7|python2\.7", ln)]
    if not verbose:
        assert not old, tool.describe()
        return
    for lib, version in ((PYENV + "/3.7.16/lib/libpython3.7m.so.1.0", "3.7.16"),
                         (PYENV + "/2.7.18/lib/libpython2.7.so.1.0", "2.7.18")):
        mine = [ln for ln in old if lib in ln]
        assert len(mine) == 1 and mine[0].endswith(
            "%s is CPython %s, which has no audit events (they came in 3.8): not traced" % (
                lib, version)), tool.describe()
    assert len(old) == 2, tool.describe()


# 3.8: PySys_Audit is the whole audit function, probed at its entry; a copy GCC made of
# it (PySys_Audit.part.N, .constprop.N) would be reached without that entry.  Coverage is
# complete only where .symtab shows there is none.
LIB38 = PYENV + "/3.8.18/lib/libpython3.8.so.1.0"


def list_uprobe(path):
    p = run_tool(["--list", "--probe", "uprobe", path])
    assert p.rc == 0, p.describe()
    return p.stdout.decode()


def test_38_complete_only_without_copies(tmp_path):
    need(LIB38)
    assert re.search(r"3\.8\.\d+\s+uprobe\s+complete", list_uprobe(LIB38))

    stripped = tmp_path / "libpython3.8-stripped.so"
    subprocess.run(["strip", "--strip-all", "-o", str(stripped), LIB38], check=True)
    out = list_uprobe(str(stripped))
    assert re.search(r"uprobe\s+partial", out), out
    assert "3.8 without .symtab: copies of PySys_Audit cannot be ruled out" in out

    copied = tmp_path / "libpython3.8-copy.so"
    subprocess.run(["objcopy", "--add-symbol", "PySys_Audit.part.0=.text:0x40,local,function",
                    LIB38, str(copied)], check=True)
    out = list_uprobe(str(copied))
    assert re.search(r"uprobe\s+partial", out), out
    assert re.search(r"a copy of PySys_Audit, PySys_Audit\.part\.0 at 0x[0-9a-f]+, is not probed",
                     out), out
