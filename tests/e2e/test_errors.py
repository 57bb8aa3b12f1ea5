# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Bad input: every case exits non-zero with exactly one `pyaudit-trace: ` line on
stderr (usage errors may add the --help hint), never a crash, traceback or hang."""
import re
import subprocess
import time

import pytest

from harness import BASE_ENV, PYENV, check_one_error_line, run_tool

pytestmark = pytest.mark.usefixtures("tool")

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid  # reaped: no such process (pids are not reused this fast)


@pytest.mark.parametrize("args,contains", [
    (["-d", "12abc"], ["12abc"]),
    (["-d", "-1"], []),
    (["-s", "0"], []),
    (["-s", "1.5"], []),
    (["-p", "abc"], ["abc"]),
    (["-p", ""], []),
    (["--no-such-option"], ["no-such-option"]),
    (["--probe", "dtrace"], ["dtrace"]),
    (["-o", "/proc/nonexistent/x", "-d", "1"], ["/proc/nonexistent/x"]),
    (["-x", "[", "-d", "1"], ["bad glob"]),
], ids=["d-12abc", "d-negative", "s-0", "s-float", "p-abc", "p-empty", "unknown-option",
        "probe-bogus", "o-unwritable", "x-bad-glob"])
def test_usage_and_setup_errors(args, contains):
    check_one_error_line(run_tool(["-j"] + args, timeout=30), contains)


def test_pid_does_not_exist():
    pid = dead_pid()
    check_one_error_line(run_tool(["-j", "-p", pid], timeout=30), [str(pid), "no such process"])


def test_pid_1_is_not_python():
    # The reason depends on the host: "not a Python process" where init's executable
    # can be read, a permission error where it cannot (e.g. pid 1 of a sandbox).
    line = check_one_error_line(run_tool(["-j", "-p", "1"], timeout=30))
    assert re.search(r"\b1\b", line), "the message should name the pid: " + line


def test_pid_exits_while_attaching():
    # attach while `sleep 0.05` runs and ends (not Python and/or gone: either message)
    p = subprocess.Popen(["sleep", "0.05"])
    try:
        check_one_error_line(run_tool(["-j", "-p", p.pid], timeout=30), [str(p.pid)])
    finally:
        p.wait()
    # exited, not reaped yet (a zombie)
    p = subprocess.Popen(["sleep", "0.05"])
    time.sleep(0.3)
    try:
        check_one_error_line(run_tool(["-j", "-p", p.pid], timeout=30), [str(p.pid)])
    finally:
        p.wait()


@pytest.mark.parametrize("args", [["-d", "1"], ["-p", "SELF"], ["--", "/bin/true"]],
                         ids=["systemwide", "pid", "command"])
def test_unprivileged(workloads, args):
    tgt = None
    if "SELF" in args:
        tgt = workloads.start(PYENV)
        tgt.wait_ready()
        args = [str(tgt.pid) if a == "SELF" else a for a in args]
    try:
        res = run_tool(["-j"] + args, prefix=NOBODY, timeout=30, env=BASE_ENV)
        check_one_error_line(res)
    finally:
        if tgt:
            tgt.kill()
