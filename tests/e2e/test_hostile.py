# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hostile Python binaries: copies of /usr/bin/python3.11 whose section headers lie.
The kernel ignores section headers, so each copy still runs as Python; the tool must
analyse it within a bound (or give it up with one line) and never stall: `--list`
returns at once, and a system-wide tracer keeps reporting other processes' events and
ends on time with -d while such a binary is started."""
import json
import os
import struct
import subprocess
import time

import pytest

from harness import PREFIX, Tool, run_tool

pytestmark = pytest.mark.usefixtures("tool")

PY = "/usr/bin/python3.11"


def _sections(b):
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", b, 0x3c)
    stroff, = struct.unpack_from("<Q", b, shoff + shstrndx * 64 + 0x18)
    out = {}
    for i in range(shnum):
        nm, = struct.unpack_from("<I", b, shoff + i * 64)
        out[bytes(b[stroff + nm:b.index(0, stroff + nm)]).decode()] = shoff + i * 64
    return out


def huge_data(b):
    """Issue 9: .data claims sh_size 0x7fff...ff (the tracer used to spin forever)."""
    struct.pack_into("<Q", b, _sections(b)[".data"] + 0x20, 0x7fffffffffffffff)
    return b


def repeated(name, count=60000):
    """A new section header table: the real one plus count copies of one section,
    so that every walk over sections would redo its work count times."""
    def make(b):
        shoff, = struct.unpack_from("<Q", b, 0x28)
        shnum, = struct.unpack_from("<H", b, 0x3c)
        at = _sections(b)[name]
        hdr = bytes(b[at:at + 64])
        tab = (len(b) + 7) & ~7
        b += bytes(tab - len(b)) + b[shoff:shoff + shnum * 64] + hdr * count
        struct.pack_into("<Q", b, 0x28, tab)
        struct.pack_into("<H", b, 0x3c, shnum + count)
        return b
    return make


MUTANTS = {
    "huge-data-size": huge_data,
    "repeated-text": repeated(".text"),
    "repeated-data": repeated(".data"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    if not os.access(PY, os.X_OK):
        pytest.skip("no " + PY)
    d = tmp_path_factory.mktemp("hostile")
    with open(PY, "rb") as f:
        orig = f.read()
    paths = {}
    for name, make in MUTANTS.items():
        p = d / ("python3.11-" + name)
        p.write_bytes(make(bytearray(orig)))
        p.chmod(0o755)
        out = subprocess.run([str(p), "-c", "print(6 * 7)"], capture_output=True, timeout=30)
        assert out.stdout == b"42\n", "%s does not run as Python: %r" % (name, out)
        paths[name] = str(p)
    return paths


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_list_hostile_is_bounded(hostile, name):
    t0 = time.monotonic()
    res = run_tool(["--list", hostile[name]], timeout=60)
    took = time.monotonic() - t0
    assert took < 15, "--list %s took %.1fs\n%s" % (name, took, res.describe())
    assert res.rc >= 0, "killed by signal %d\n%s" % (-res.rc, res.describe())
    out = res.stdout.decode().splitlines()
    if res.rc == 0:
        # analysed: the header and one row for it (and its indented detail lines, such as
        # an audit gate the lying headers kept from being probed: an honest "partial")
        assert len(out) >= 2 and out[1].endswith(hostile[name]), res.stdout
        assert all(ln.startswith(" ") for ln in out[2:]), res.stdout
        assert res.err_lines == [], res.describe()
    else:
        # given up: one line saying so, no row
        assert len(res.err_lines) == 1 and res.err_lines[0].startswith(PREFIX), res.describe()
        assert hostile[name] in res.err_lines[0] and "skipped" in res.err_lines[0], \
            res.describe()
        assert len(out) <= 1, res.stdout
    if name == "huge-data-size":
        # still a Python with its USDT note: analysed, route usdt, complete
        assert res.rc == 0 and " usdt " in out[1] and "complete" in out[1], res.stdout


TICK = "hostile_test.tick"


def test_systemwide_not_stalled_by_hostile_binaries(hostile, tmp_path):
    """A normal python3.11 raises TICK every 50 ms for the whole run; the hostile copies
    are started while the tracer runs.  Its ticks must keep coming after that, and -d
    must end the tracer on time."""
    duration = 25
    tool = Tool(["-j", "-d", str(duration), "-e", TICK, "-e", "hostile_test.h*"])
    ticker = started = None
    hostiles = []
    try:
        tool.wait_ready()
        t_ready = time.monotonic()
        ticker = subprocess.Popen(
            [PY, "-c", "import sys, time\n"
             "for i in range(100000):\n"
             "    sys.audit(%r, i)\n"
             "    time.sleep(0.05)\n" % TICK],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert tool.wait_stdout(lambda e: e.get("pid") == ticker.pid and e.get("event") == TICK,
                                15), "normal python3.11 never reported\n" + tool.describe()
        started = time.time()
        for name, path in sorted(hostile.items()):
            hostiles.append(subprocess.Popen(
                [path, "-c", "import sys, time\n"
                 "for i in range(40):\n"
                 "    sys.audit('hostile_test.h', i)\n"
                 "    time.sleep(0.05)\n"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # ticks stamped well after the hostile binaries were mapped and analysed
        later = started + 4
        assert tool.wait_stdout(lambda e: e.get("pid") == ticker.pid and e.get("event") == TICK
                                and e.get("ts", 0) > later, 20), \
            "no tick from the normal process after the hostile binaries started\n" + \
            tool.describe()
        for h in hostiles:
            h.wait(timeout=30)
        try:
            rc = tool.proc.wait(timeout=duration + 30 - (time.monotonic() - t_ready))
        except subprocess.TimeoutExpired:
            pytest.fail("-d %d did not end the tracer\n%s" % (duration, tool.describe()))
        ended = time.monotonic() - t_ready
    finally:
        if ticker:
            ticker.kill()
            ticker.wait()
        for h in hostiles:
            h.kill()
        tool.kill()
    assert rc == 0, tool.describe()
    assert ended < duration + 15, "-d %d ended after %.1fs" % (duration, ended)
    ticks = [json.loads(l) for l in tool.out
             if b'"%s"' % TICK.encode() in l]
    ticks = [e for e in ticks if e.get("pid") == ticker.pid]
    # ticks kept coming until near the end, not just once after the hostile start
    assert ticks and ticks[-1]["ts"] > started + 8, \
        "last tick at %.1fs after the hostile start" % (ticks[-1]["ts"] - started)
    assert not [l for l in tool.err if "Traceback" in l or "Sanitizer" in l], tool.describe()
    # the copy with the huge .data size is still analysed and traced (its USDT note)
    pid = hostiles[sorted(hostile).index("huge-data-size")].pid
    seen = [json.loads(l) for l in tool.out if b'"hostile_test.h"' in l]
    assert [e for e in seen if e.get("pid") == pid], \
        "no event of the huge-.data-size copy (pid %d)\n%s" % (pid, tool.describe())
