# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The first process of a Python binary the tracer has never seen, system-wide.

A new program is held at exec (fanotify) while its Python is found and probed, so
even a short `python -c` that is the very first run of a new binary is traced from
its first event: a fresh copy of python3.11 (new inode, new path), a chroot's Python
copied fresh, and a dynamic Python whose libpython is found through its RUNPATH.
And the hold is safe: every exec is let run, also when the tool is killed."""
import os
import shutil
import subprocess
import time

import pytest

from harness import ROOT, Tool

pytestmark = pytest.mark.usefixtures("tool")

MATRIX = "/var/cache/pyaudit-trace/matrix"
CHROOT_RUN = str(ROOT / "scripts" / "matrix-chroot-run.sh")
STRIPPED_PYENV = MATRIX + "/pyenv-3.11.7-stripped/bin/python3.11"


def ten_processes(argv_prefix, tag, env=None, cwd=None):
    """Runs ten short Pythons one after another, each raising tag with its number."""
    for n in range(10):
        code = "import sys; sys.audit(%r, %d)" % (tag, n)
        p = subprocess.run(argv_prefix + ["-S", "-c", code], env=env, cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert p.returncode == 0, p.stderr


def seen(tool, tag):
    return sorted(e["args"][0] for e in tool.events() if e.get("event") == tag)


def run_fresh(argv_prefix, tag, extra=(), env=None, cwd=None):
    tool = Tool(["-j", "-e", tag] + list(extra))
    try:
        tool.wait_ready()
        ten_processes(argv_prefix, tag, env=env, cwd=cwd)
        tool.wait_stdout(lambda e: e.get("event") == tag and e.get("args") == [9], 5)
        assert tool.stop() == 0, tool.describe()
    finally:
        tool.kill()
    return tool


def test_fresh_copy_first_process(tmp_path):
    """A copy of python3.11 at a new path (a new inode), run by a relative name."""
    shutil.copy("/usr/bin/python3.11", tmp_path / "python3.11")
    tool = run_fresh(["./python3.11"], "fresh.x", cwd=str(tmp_path))
    assert seen(tool, "fresh.x") == list(range(10)), tool.describe()
    # (other processes of the machine may be warned about: not these)
    assert not [ln for ln in tool.err if "warning: PID" in ln and str(tmp_path) in ln], \
        tool.describe()


def test_fresh_chroot_python_first_process(tmp_path):
    """A chroot's Python never run before (copied fresh, run inside the chroot)."""
    root = MATRIX + "/roots/sid"
    src = root + "/usr/bin/python3.14"
    if not os.path.exists(src):
        pytest.fail("the matrix chroot %s is needed (scripts/provision-matrix.sh)" % root)
    d = tmp_path / "chrootpy"
    d.mkdir()
    shutil.copy(src, d / "python3.14")
    tool = run_fresh([CHROOT_RUN, root, str(d / "python3.14")], "fresh.c")
    assert seen(tool, "fresh.c") == list(range(10)), tool.describe()


def test_dynamic_python_libpython_by_runpath():
    """An executable that links libpython (not in the install places probed ahead):
    the library is found through its RUNPATH while the exec is held."""
    if not os.path.exists(STRIPPED_PYENV):
        pytest.fail("%s is needed (scripts/provision-matrix.sh)" % STRIPPED_PYENV)
    busy = subprocess.run(["pgrep", "-f", os.path.dirname(os.path.dirname(STRIPPED_PYENV))],
                          stdout=subprocess.PIPE)
    tool = run_fresh([STRIPPED_PYENV], "fresh.d", env={"PATH": "/usr/bin:/bin"})
    assert seen(tool, "fresh.d") == list(range(10)), tool.describe()
    if not busy.stdout.strip():  # nothing of it ran before: it was found at the exec
        assert any("CPython 3.11.7" in ln for ln in tool.err), tool.describe()


def test_no_hold_is_said_and_still_finds_later_processes(tmp_path):
    """--no-hold: the old way (the tracepoint); the binary is never lost: later
    processes of it are traced, and what was missed is said."""
    shutil.copy("/usr/bin/python3.11", tmp_path / "python3.11")
    tool = Tool(["-j", "--no-hold", "-e", "nohold.*"])
    try:
        tool.wait_ready()
        ten_processes(["./python3.11"], "nohold.x", cwd=str(tmp_path))
        # a process that waits until it is traced: the binary was not lost
        code = ("import sys, time\n"
                "for i in range(300):\n"
                "    sys.audit('nohold.ping'); time.sleep(0.01)\n")
        p = subprocess.Popen(["./python3.11", "-S", "-c", code], cwd=str(tmp_path))
        ok = tool.wait_stdout(lambda e: e.get("event") == "nohold.ping" and
                              e.get("pid") == p.pid, 10)
        p.kill()
        p.wait()
        assert ok, "a later process of the binary was never traced\n" + tool.describe()
        assert tool.stop() == 0, tool.describe()
    finally:
        tool.kill()
    got = seen(tool, "nohold.x")
    if len(got) < 10:
        # whatever was missed was said: a warning per process, and the count at exit
        assert any("not fully traced" in ln for ln in tool.err), tool.describe()


def test_hold_released_when_killed(tmp_path):
    """The tool killed (SIGKILL) while holding: the kernel lets everything run; and
    an exec right after a normal exit is not held either."""
    shutil.copy("/usr/bin/python3.11", tmp_path / "python3.11")
    tool = Tool(["-j", "-e", "kill.*"])
    tool.wait_ready()
    p = subprocess.Popen(["./python3.11", "-S", "-c", "pass"], cwd=str(tmp_path))
    tool.kill()
    assert p.wait(10) == 0
    t = time.monotonic()
    assert subprocess.run(["/bin/true"], timeout=10).returncode == 0
    assert time.monotonic() - t < 2
    tool = Tool(["-j", "-e", "kill.*"])
    tool.wait_ready()
    assert tool.stop() == 0
    t = time.monotonic()
    assert subprocess.run(["./python3.11", "-S", "-c", "pass"], cwd=str(tmp_path),
                          timeout=10).returncode == 0
    assert time.monotonic() - t < 2


def test_reused_inode_number_is_examined_again(tmp_path):
    """A file deleted frees its inode number, which the next file may get: a Python
    copied where a program known not to be Python was (same device and inode number)
    is examined again, not let run as known."""
    tool = Tool(["-j", "-e", "reuse.*"])
    reused = 0
    try:
        tool.wait_ready()
        for k in range(6):
            x = tmp_path / "x"
            shutil.copy("/bin/true", x)
            ino = os.stat(x).st_ino
            assert subprocess.run([str(x)], timeout=10).returncode == 0
            x.unlink()
            shutil.copy("/usr/bin/python3.11", x)
            reused += os.stat(x).st_ino == ino
            code = "import sys; sys.audit('reuse.x', %d)" % k
            assert subprocess.run([str(x), "-S", "-c", code], timeout=30).returncode == 0
            x.unlink()
        tool.wait_stdout(lambda e: e.get("event") == "reuse.x" and e.get("args") == [5], 5)
        assert tool.stop() == 0, tool.describe()
    finally:
        tool.kill()
    assert seen(tool, "reuse.x") == list(range(6)), "%d of 6 at a reused inode number\n%s" % (
        reused, tool.describe())
