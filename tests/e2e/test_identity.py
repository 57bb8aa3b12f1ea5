# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""One file, one identity: the file probed is the file the process runs, whatever its
path does meanwhile.

A helper process swaps the directory a Python runs from with a symbolic link to a
directory holding another copy of the same Python (renameat2 RENAME_EXCHANGE, in a
loop), while the tool attaches.  The tool may say it could not trace the process; it
must never say `coverage complete` of a process whose events it then does not see (the
probes or the USDT semaphore put into the other copy)."""
import os
import shutil
import subprocess
import sys
import time

import pytest

from harness import READY_LINE, Tool

pytestmark = pytest.mark.usefixtures("tool")

N_EVENTS = 5

WAITER = r"""
import os, sys, time
go = sys.argv[1]
open(sys.argv[2], "w").close()
while not os.path.exists(go):
    time.sleep(0.005)
for i in range(%d):
    sys.audit("swap.ev", i)
""" % N_EVENTS

SWAPPER = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, s, stop = (x.encode() for x in sys.argv[1:4])
AT_FDCWD, RENAME_EXCHANGE = -100, 2
n = 0
while not os.path.exists(stop):
    if libc.renameat2(AT_FDCWD, a, AT_FDCWD, s, RENAME_EXCHANGE):
        sys.exit("renameat2: %d" % ctypes.get_errno())
    n += 1
    if n % 2 == 0 and n % 64 == 0:
        os.sched_yield()
# leave the real directory in place
"""


def layout(tmp):
    """tmp/a/python3.11 (the real one), tmp/decoy/python3.11 (another copy, another
    inode), tmp/s -> decoy (what the swapper exchanges with a)."""
    real = tmp / "a"
    decoy = tmp / "decoy"
    real.mkdir()
    decoy.mkdir()
    shutil.copy("/usr/bin/python3.11", real / "python3.11")
    shutil.copy("/usr/bin/python3.11", decoy / "python3.11")
    os.symlink(str(decoy), str(tmp / "s"))
    (tmp / "w.py").write_text(WAITER)
    (tmp / "swap.py").write_text(SWAPPER)
    return real / "python3.11"


def start_swapper(tmp):
    stop = tmp / "stop"
    if stop.exists():
        stop.unlink()
    p = subprocess.Popen([sys.executable, "-S", str(tmp / "swap.py"), str(tmp / "a"),
                          str(tmp / "s"), str(stop)])
    return p, stop


def stop_swapper(p, stop, tmp):
    stop.write_text("")
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    if (tmp / "a").is_symlink():  # the exchange left a as the link: put it back
        libc_exchange(tmp / "a", tmp / "s")
    assert not (tmp / "a").is_symlink() and (tmp / "s").is_symlink()


def libc_exchange(a, b):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.renameat2(-100, str(a).encode(), -100, str(b).encode(), 2) == 0


def ready_or_exit(tool, timeout):
    """True once the tool says it traces, False if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(ln.endswith(READY_LINE) for ln in list(tool.err)):
            return True
        if tool.proc.poll() is not None:
            return False
        time.sleep(0.01)
    pytest.fail("the tool neither traced nor exited\n" + tool.describe())


def claims(tool, pid):
    return [ln for ln in tool.err if ln.startswith("pyaudit-trace: PID %d " % pid) and
            "coverage complete" in ln]


def test_swapped_path_never_claimed_pid(tmp_path):
    """-p while the path flips: 15 attaches, each either traced with every event or
    said not to be — never `coverage complete` with events missing."""
    exe = layout(tmp_path)
    traced = 0
    for i in range(15):
        go, ready = tmp_path / ("go%d" % i), tmp_path / ("ready%d" % i)
        p = subprocess.Popen([str(exe), "-S", str(tmp_path / "w.py"), str(go), str(ready)])
        sw = stop = tool = None
        try:
            deadline = time.monotonic() + 10
            while not ready.exists():
                assert p.poll() is None and time.monotonic() < deadline, "waiter died"
                time.sleep(0.005)
            sw, stop = start_swapper(tmp_path)
            time.sleep(0.02)
            tool = Tool(["-j", "-p", str(p.pid)])
            ok = ready_or_exit(tool, 30)
            stop_swapper(sw, stop, tmp_path)
            sw = None
            go.write_text("")
            assert p.wait(20) == 0
            rc = tool.wait(20)
        finally:
            if sw is not None:
                stop_swapper(sw, stop, tmp_path)
            if p.poll() is None:
                p.kill()
            if tool:
                tool.kill()
        got = [e["args"] for e in tool.events()
               if e.get("pid") == p.pid and e.get("event") == "swap.ev"]
        if claims(tool, p.pid):
            assert ok and rc == 0, tool.describe()
            assert got == [[k] for k in range(N_EVENTS)], \
                "attempt %d: coverage complete claimed, events %r\n%s" % (i, got, tool.describe())
            traced += 1
        else:
            assert rc != 0 and not got or got == [[k] for k in range(N_EVENTS)], \
                tool.describe()
            assert any("PID %d" % p.pid in ln for ln in tool.err), tool.describe()
    # the very inode is reached through /proc/PID/map_files: the swap cannot stop it
    assert traced == 15, "only %d of 15 attaches traced" % traced


def test_swapped_path_never_claimed_systemwide(tmp_path):
    """System-wide: processes of a never-seen binary start while its directory flips;
    each one raises every event after it is probed (it pings until then)."""
    exe = layout(tmp_path)
    ping = tmp_path / "ping.py"
    ping.write_text(
        "import os, sys, time\n"
        "go = sys.argv[1]\n"
        "while not os.path.exists(go):\n"
        "    sys.audit('swap.ping'); time.sleep(0.01)\n"
        "for i in range(%d):\n"
        "    sys.audit('swap.ev', i)\n" % N_EVENTS)
    tool = Tool(["-j", "-e", "swap.*"])
    sw, stop = None, None
    procs = []
    try:
        tool.wait_ready()
        sw, stop = start_swapper(tmp_path)
        for i in range(6):
            go = tmp_path / ("sgo%d" % i)
            # the exec itself may go either way: the path names either copy
            p = subprocess.Popen([str(tmp_path / "a" / "python3.11"), "-S", str(ping), str(go)])
            procs.append((p, go))
            assert tool.wait_stdout(lambda e: e.get("pid") == p.pid and
                                    e.get("event") == "swap.ping", 20), \
                "process %d never seen\n%s" % (p.pid, tool.describe())
            go.write_text("")
            assert p.wait(20) == 0
            assert tool.wait_stdout(lambda e: e.get("pid") == p.pid and
                                    e.get("args") == [N_EVENTS - 1], 10), tool.describe()
        stop_swapper(sw, stop, tmp_path)
        sw = None
        assert tool.stop() == 0, tool.describe()
    finally:
        if sw is not None:
            stop_swapper(sw, stop, tmp_path)
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
        tool.kill()
    for p, _ in procs:
        got = [e["args"] for e in tool.events()
               if e.get("pid") == p.pid and e.get("event") == "swap.ev"]
        assert got == [[k] for k in range(N_EVENTS)], (p.pid, got, tool.describe())
