# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Hostile Python binaries: copies of /usr/bin/python3.11 whose section headers lie.
The kernel ignores section headers, so each copy still runs as Python; the tool must
analyse it within a bound (or give it up with one line) and never stall: `--list`
returns at once, and a system-wide tracer keeps reporting other processes' events and
ends on time with -d while such a binary is started."""
import json
import os
import socket
import struct
import subprocess
import time
import urllib.request

import pytest

from harness import PREFIX, Tool, free_port, parse_json_lines, run_tool

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


# ---- section headers that lie about the dynamic symbols, or are gone ----------------------

def _phdrs(b):
    phoff, = struct.unpack_from("<Q", b, 0x20)
    phnum, = struct.unpack_from("<H", b, 0x38)
    return [struct.unpack_from("<IIQQQQQQ", b, phoff + i * 56) for i in range(phnum)]


def _v2o(b, v):
    for t, _, off, va, _, fsz, _, _ in _phdrs(b):
        if t == 1 and va <= v < va + fsz:
            return v - va + off
    raise AssertionError("0x%x in no PT_LOAD" % v)


def _dynsym_hdr(b):
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shnum, = struct.unpack_from("<H", b, 0x3c)
    for i in range(shnum):
        if struct.unpack_from("<I", b, shoff + i * 64 + 4)[0] == 11:  # SHT_DYNSYM
            return shoff + i * 64
    raise AssertionError("no .dynsym")


def dynsym_size(b):
    """.dynsym's sh_size 0x7fffffffffffff00: libelf and readelf refuse the table."""
    struct.pack_into("<Q", b, _dynsym_hdr(b) + 0x20, 0x7fffffffffffff00)
    return b


def dynsym_offset(b):
    """.dynsym's sh_offset past the end of the file."""
    struct.pack_into("<Q", b, _dynsym_hdr(b) + 0x18, len(b) + 0x1000)
    return b


def no_shdrs(b):
    """No section headers at all (e_shoff, e_shnum, e_shstrndx 0)."""
    struct.pack_into("<Q", b, 0x28, 0)
    struct.pack_into("<HH", b, 0x3c, 0, 0)
    return b


def sstripped(b):
    """What sstrip does: no section headers, and nothing after the last PT_LOAD's bytes."""
    end = max(off + fsz for t, _, off, _, _, fsz, _, _ in _phdrs(b) if t == 1)
    return no_shdrs(b)[:end]


def no_symbols(b):
    """No section headers, and a GNU hash table with no bucket (DT_HASH renamed away):
    ld.so finds no symbol in it, so the tool cannot either; it still runs plain code."""
    t, _, off, _, _, fsz, _, _ = [p for p in _phdrs(b) if p[0] == 2][0]
    for i in range(fsz // 16):
        tag, val = struct.unpack_from("<qQ", b, off + i * 16)
        if tag == 0x6ffffef5:  # DT_GNU_HASH
            struct.pack_into("<I", b, _v2o(b, val), 0)
        elif tag == 4:  # DT_HASH
            struct.pack_into("<q", b, off + i * 16, 0x6ffffdff)
    return no_shdrs(b)


def no_shdrs_no_eh(b):
    """No section headers and no PT_GNU_EH_FRAME: no function table for the gate scan."""
    for i, p in enumerate(_phdrs(b)):
        if p[0] == 0x6474e550:  # PT_GNU_EH_FRAME -> PT_NULL
            phoff, = struct.unpack_from("<Q", b, 0x20)
            struct.pack_into("<I", b, phoff + i * 56, 0)
    return no_shdrs(b)


# name -> (make, route the tool must trace it by, None: it cannot, and must say so;
#          whether that route is complete)
LYING = {
    "dynsym-size": (dynsym_size, "usdt", True),
    "dynsym-offset": (dynsym_offset, "usdt", True),
    "no-shdrs": (no_shdrs, "uprobe", True),  # the USDT notes are not loaded: gone with them
    "sstripped": (sstripped, "uprobe", True),
    "no-shdrs-no-eh": (no_shdrs_no_eh, "uprobe", False),
    "no-symbols": (no_symbols, None, False),
}
DYN_EVENT = "dynview_test.x"


@pytest.fixture(scope="module")
def lying(tmp_path_factory):
    if not os.access(PY, os.X_OK):
        pytest.skip("no " + PY)
    d = tmp_path_factory.mktemp("lying")
    with open(PY, "rb") as f:
        orig = f.read()
    paths = {}
    for name, (make, _, _) in LYING.items():
        p = d / ("py-" + name)
        p.write_bytes(make(bytearray(orig)))
        p.chmod(0o755)
        out = subprocess.run([str(p), "-c", "import sys; sys.audit('x.y'); print(6 * 7)"],
                             capture_output=True, timeout=30)
        assert out.stdout == b"42\n", "%s does not run as Python: %r" % (name, out)
        paths[name] = str(p)
    return paths


@pytest.mark.parametrize("name", sorted(LYING))
def test_list_lying_headers(lying, name):
    """--list: analysed with the route the program headers allow, or one line saying why not."""
    res = run_tool(["--list", lying[name]], timeout=60)
    _, route, complete = LYING[name]
    out = res.stdout.decode().splitlines()
    if route:
        assert res.rc == 0 and len(out) >= 2 and out[1].endswith(lying[name]), res.describe()
        assert (" %s " % route) in out[1], res.stdout
        if complete:
            assert " complete " in out[1], res.stdout
        else:
            # never a false "complete": partial, and why
            assert " partial " in out[1] and ".eh_frame_hdr" in res.stdout.decode(), res.stdout
    else:
        assert res.rc != 0 and len(res.err_lines) == 1, res.describe()
        assert lying[name] in res.err_lines[0] and "CPython's audit code" in res.err_lines[0] \
            and "skipped" in res.err_lines[0], res.describe()


def test_systemwide_lying_headers_never_silent(lying, tmp_path):
    """A system-wide tracer, the lying copies started after it: each one's event is seen (by
    the route said), or the copy is named in one warning line — never silence.  The copy
    with no readable symbols, run twice, is said once; ls and sh are said nothing of.  The
    metrics count the file that could not be analysed."""
    port = free_port(socket.SOCK_STREAM)
    out = tmp_path / "events.jsonl"
    tool = Tool(["-j", "-d", "12", "-e", DYN_EVENT, "-o", out,
                 "--metrics", "127.0.0.1:%d" % port])
    pids = {}
    try:
        tool.wait_ready()
        for name in sorted(LYING):
            for k in range(2 if LYING[name][1] is None else 1):
                p = subprocess.run([lying[name], "-c", "import sys, os\n"
                                    "sys.audit(%r, os.getpid())\n"
                                    "print(os.getpid())" % DYN_EVENT],
                                   capture_output=True, timeout=30)
                assert p.returncode == 0, p
                pids.setdefault(name, []).append(int(p.stdout))
        subprocess.run(["ls", "/"], capture_output=True, timeout=30)
        subprocess.run(["sh", "-c", "true"], capture_output=True, timeout=30)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
            metrics = r.read().decode()
        rc = tool.wait(60)
    finally:
        tool.kill()
    assert rc == 0, tool.describe()
    assert "\npyaudit_unanalysed_binaries 1\n" in metrics, metrics
    events = [e for e in parse_json_lines(out.read_bytes(), str(out))
              if e.get("event") == DYN_EVENT]
    for name, (_, route, complete) in sorted(LYING.items()):
        mine = [e for e in events if e["pid"] in pids[name]]
        said = [l for l in tool.err if lying[name] in l and "warning" in l]
        if route:
            assert len(mine) == 1 and mine[0]["args"] == [pids[name][0]], \
                "%s: %r\n%s" % (name, mine, tool.describe())
            assert mine[0]["route"] == route and mine[0]["complete"] is complete, mine
            assert not said, tool.describe()
            if not complete:
                assert [l for l in tool.err if "(%s)" % os.path.basename(lying[name])[:15] in l
                        and "coverage partial" in l and ".eh_frame_hdr" in l], tool.describe()
        else:
            assert not mine, mine
            assert len(said) == 1 and "could not be analysed" in said[0] and \
                "CPython's audit code" in said[0], tool.describe()
    # the clean "not a Python" of every exec stays quiet
    assert not [l for l in tool.err if "/ls" in l or "/sh" in l or "dash" in l], tool.describe()
    assert [l for l in tool.err if "not fully traced" in l], tool.describe()
