# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`-- COMMAND` from the first instruction: startup events before any user code, the
command's exit status and signal, the pyenv shim, and --probe usdt where there is none."""
import signal

import pytest

import audit_compare as ac
from harness import (PYENV, PYENV_SHIM, STARTUP, BASE_ENV, check_attach_line,
                     check_one_error_line, combo_params, parse_json_lines, python_params,
                     run_tool)

pytestmark = pytest.mark.usefixtures("tool")


def run_startup(workloads, argv_py, mode, probe=None, env=None):
    out = workloads.tmpfile("startup.jsonl")
    args = ["-j", "-o", out] + (["--probe", probe] if probe else []) + \
        ["--", argv_py, STARTUP] + ([mode] if mode else [])
    res = run_tool(args, env=env, timeout=60, cwd=workloads.base)
    events = parse_json_lines(out.read_bytes(), str(out)) if out.exists() else []
    return res, events


def the_pid(events):
    pids = {e["pid"] for e in events if e["event"] == ac.BEGIN}
    assert len(pids) == 1, "expected one process raising begin: %s" % pids
    return pids.pop()


def index(evs, pred, what, start=0):
    for i in range(start, len(evs)):
        if pred(evs[i]):
            return i
    names = [e["event"] for e in evs]
    pytest.fail("no %s among the %d events of the process: %s" % (what, len(evs), names[:200]))


@pytest.mark.parametrize("combo", combo_params())
def test_startup_events_before_user_code(workloads, combo):
    py, probe = combo
    res, events = run_startup(workloads, py.exe, "fds", probe)
    assert res.rc == 0, res.describe()
    pid = the_pid(events)
    evs = [e for e in events if e["pid"] == pid]
    script = str(STARTUP)
    i_enc = index(evs, lambda e: e["event"] == "import" and e["args"][:1] == ["encodings"],
                  "import('encodings') (interpreter startup)")
    i_run = index(evs, lambda e: e["event"] == "cpython.run_file" and e["args"] == [script],
                  "cpython.run_file(%r)" % script)
    i_exec = index(evs, lambda e: e["event"] == "exec" and e["args"] == [{"type": "code"}],
                   "exec(<code>) of the script", i_run)
    i_begin = index(evs, lambda e: e["event"] == ac.BEGIN, "begin")
    assert i_enc < i_run < i_exec < i_begin, (i_enc, i_run, i_exec, i_begin)
    assert all(e["route"] == probe and e["complete"] is True for e in evs)
    # raised before a thread state exists: no hook sees it, the tracer must not report it
    assert not [e for e in evs if e["event"] == "cpython.PyInterpreterState_New"]
    # the command starts with only 0, 1, 2 (+ the fd os.listdir opens): nothing leaked
    fds = [e["args"] for e in evs if e["event"] == "pyaudit_test.fds"]
    assert fds == [["0 1 2 3"]], "fds open in the traced command: %s" % fds
    check_attach_line(res.err_lines, pid, py, probe)


@pytest.mark.parametrize("py", python_params())
def test_exit_status_is_the_commands(workloads, py):
    res, events = run_startup(workloads, py.exe, "exit3")
    assert res.rc == 3, "tool must exit with the command's status 3\n" + res.describe()
    pid = the_pid(events)
    assert [e["event"] for e in events if e["pid"] == pid and e["event"].startswith(
        "pyaudit_test.")] == [ac.BEGIN, ac.END]


@pytest.mark.parametrize("py", python_params())
def test_killed_by_signal_is_reraised(workloads, py):
    res, events = run_startup(workloads, py.exe, "sigterm")
    assert res.rc == -signal.SIGTERM, \
        "tool must die by the command's SIGTERM (exit %r)\n%s" % (res.rc, res.describe())
    # and flush what it had before dying
    pid = the_pid(events)
    assert [e["event"] for e in events if e["pid"] == pid and e["event"].startswith(
        "pyaudit_test.")] == [ac.BEGIN, ac.END]


def test_pyenv_shim_bash_script_that_execs(workloads):
    """`python3` on PATH is a bash script that execs pyenv, which execs the interpreter:
    the tracer must follow the command through both execs."""
    assert open(PYENV_SHIM, "rb").read(2) == b"#!"
    res, events = run_startup(workloads, PYENV_SHIM, "")
    assert res.rc == 0, res.describe()
    pid = the_pid(events)
    evs = [e for e in events if e["pid"] == pid]
    assert [e["event"] for e in evs if e["event"].startswith("pyaudit_test.")] == [ac.BEGIN, ac.END]
    assert [e["args"] for e in evs if e["event"] == "cpython.run_file"] == [[str(STARTUP)]]
    assert {e["python"] for e in evs} == {PYENV.version}
    assert {e["route"] for e in evs} == {"uprobe"}


def test_pyenv_refuses_usdt_for_command(workloads):
    mark = workloads.tmpfile("mark")
    res, events = run_startup(workloads, PYENV.exe, "mark", "usdt",
                              env=dict(BASE_ENV, PYAUDIT_MARK=str(mark)))
    check_one_error_line(res, contains=["usdt"])
    assert not events
    assert not mark.exists(), "the command ran although the tracer refused to trace it"


def test_pyenv_refuses_usdt_for_pid(workloads):
    tgt = workloads.start(PYENV)
    try:
        tgt.wait_ready()
        res = run_tool(["-j", "--probe", "usdt", "-p", tgt.pid], timeout=60)
        check_one_error_line(res, contains=["usdt"])
        assert tgt.proc.poll() is None, "the target must survive a refused attach"
    finally:
        tgt.kill()
