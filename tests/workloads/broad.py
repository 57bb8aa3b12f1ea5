# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""broad.py - the e2e workload: a deterministic run through many audited APIs.

Usage: PYTHON broad.py [SECTION...]      (default: every section, in order)

It does its setup, raises sys.audit("pyaudit_test.begin"), does the work, raises
sys.audit("pyaudit_test.end") and exits 0.  It prints nothing on stdout: under
`pyaudit-trace -- PYTHON broad.py` the child shares the tracer's stdout.

Environment:
  PYAUDIT_DIR=DIR    scratch directory (default: a fresh temporary one).  It is
                     emptied and recreated before "begin", so two runs with the
                     same DIR touch the same paths.
  PYAUDIT_TCP_PORT, PYAUDIT_UDP_PORT
                     loopback ports for the HTTP server and the UDP sockets
                     (default: any free port; tests pass fixed ones so that two
                     runs raise the same arguments).
  PYAUDIT_HOOK=FILE  ground truth: install sys.addaudithook() first thing and,
                     after "end", write to FILE what it saw from "begin" to "end"
                     inclusive (JSON, see _dump()).  Unset: no hook at all.
  PYAUDIT_SITE=1     with PYAUDIT_HOOK: also record each event's call site, what
                     sys._getframe(1) in the hook gives: [co_filename, f_lineno,
                     co_name], or null without a Python frame.  Looking at the
                     frame raises events of its own (sys._getframe, and
                     object.__getattr__ on 3.11+), which the hook does not record:
                     only for runs compared with a separate tracer run.
  PYAUDIT_STACK=N    with PYAUDIT_SITE=1: the site also carries, as a 4th item,
                     the N innermost frames from sys._getframe(1) along f_back
                     (what `pyaudit-trace --stack N` reports), each [co_filename,
                     f_lineno, co_name].
  PYAUDIT_WAIT=FILE  before "begin", wait until FILE exists (so that a tracer
                     can attach with -p or system-wide first).
  PYAUDIT_READY=FILE with PYAUDIT_WAIT: create FILE when setup is done, just
                     before waiting (the process is then fully loaded).
  PYAUDIT_PING=1     with PYAUDIT_WAIT: raise sys.audit("pyaudit_test.ping") on
                     every poll, so that a test sees when a system-wide tracer
                     has started reporting this process.

Values are recorded as the tracer's JSON output spells them (-j), before any -s
truncation (that is the comparator's job): str as is; int as a number, or
{"type": "int", "value": "<decimal>"} outside int64; None, bool; float as a
number, nan/inf as {"type": "float", "value": "nan"|"inf"|"-inf"}; bytes and
bytearray as {"type": ..., "value": <latin-1 decode>}; tuple/list as
{"type": ..., "value": [items], "length": N} (at most _MAX_ITEMS items and
_MAX_DEPTH levels); dict as {"type": "dict", "len": N}; anything else as
{"type": type(v).__name__}.  Exact types only (type(v) is str): subclass
instances are "other" objects.

Self-contained (no sibling imports, no __file__) so that it can also be fed on
stdin (`PYTHON - < broad.py`) inside a chroot.  Runs on CPython 3.9 - 3.15: no
match statements, no 3.12-only APIs; version-specific events are left to the
hook to record.

Deterministic: a run with the hook and a run without raise the same events with
the same arguments, in the same order per thread, except for values that cannot
be equal between two processes (documented in tests/e2e/audit_compare.py): addresses
(id(), ctypes.string_at) and the random part of tempfile names (prefix
"pyaudit-tmp-").  All other names, paths and ports are fixed; file descriptors
are deterministic as long as the process starts with only 0, 1 and 2 open.
"""
import os
import sys

# --- the ground-truth hook: installed before anything else happens ------------------------

_HOOK_FILE = os.environ.get("PYAUDIT_HOOK")
_MAX_ITEMS = 64  # items of a tuple/list recorded (the tracer shows 8; compare cuts)
_MAX_DEPTH = 3  # container nesting recorded (the tracer shows one level)
_INF = float("inf")

if _HOOK_FILE:
    import _thread

    _native_tid = _thread.get_native_id  # raises no audit event
    _record = []  # [native tid, event, [args]]
    _state = [0]  # 0: before begin, 1: recording, 2: after end

    def _conv(v, depth):
        # Plain type checks, no I/O, no imports, no calls that raise audit events.
        t = type(v)
        if t is str or t is bool or v is None:
            return v
        if t is int:
            if -0x8000000000000000 <= v <= 0x7FFFFFFFFFFFFFFF:
                return v
            return {"type": "int", "value": str(v)}
        if t is float:
            if v != v:
                return {"type": "float", "value": "nan"}
            if v == _INF:
                return {"type": "float", "value": "inf"}
            if v == -_INF:
                return {"type": "float", "value": "-inf"}
            return v
        if t is bytes or t is bytearray:
            # latin-1 decode without a codec lookup (which could import)
            return {"type": t.__name__, "value": "".join(map(chr, v))}
        if t is tuple or t is list:
            d = {"type": t.__name__, "length": len(v)}
            if depth < _MAX_DEPTH:
                d["value"] = [_conv(x, depth + 1) for x in v[:_MAX_ITEMS]]
            return d
        if t is dict:
            return {"type": "dict", "len": len(v)}
        return {"type": t.__name__}

    _inside = {}  # native tid -> 1 while the hook runs in that thread, 2 while it looks at frames
    _SITE = os.environ.get("PYAUDIT_SITE") == "1"
    _STACK = int(os.environ.get("PYAUDIT_STACK") or "0")
    _getframe = sys._getframe

    def _hook(event, args):
        st = _state[0]
        if st == 0:
            if event != "pyaudit_test.begin":
                return
            _state[0] = st = 1
        if st != 1:
            return
        tid = _native_tid()
        if tid in _inside:  # the hook itself raised an event: the record would be wrong
            if _inside[tid] == 2:  # its own look at the caller's frame (PYAUDIT_SITE)
                return
            _record.append([tid, "HOOK-REENTERED", [event]])
            return
        _inside[tid] = 1
        try:
            rec = [tid, event, [_conv(a, 1) for a in args]]
            if _SITE:
                _inside[tid] = 2
                try:
                    f = _getframe(1)
                except ValueError:  # no Python frame: an event raised from C alone
                    f = None
                rec.append(None if f is None else
                           [f.f_code.co_filename, f.f_lineno, f.f_code.co_name])
                if f is not None and _STACK:
                    stack = []
                    while f is not None and len(stack) < _STACK:
                        stack.append([f.f_code.co_filename, f.f_lineno, f.f_code.co_name])
                        f = f.f_back
                    rec[-1].append(stack)
                _inside[tid] = 1
            _record.append(rec)
        except Exception as e:  # never let the hook change the workload's behaviour
            _record.append([tid, "HOOK-ERROR", [event, type(e).__name__]])
        del _inside[tid]
        if event == "pyaudit_test.end":
            _state[0] = 2

    sys.addaudithook(_hook)

# --- setup (before "begin") ----------------------------------------------------------------

import ctypes  # noqa: E402
import fcntl  # noqa: E402
import gc  # noqa: E402
import glob  # noqa: E402
import http.client  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402  (imported in every run: the hooked run needs it for the dump)
import marshal  # noqa: E402
import mmap  # noqa: E402
import pickle  # noqa: E402
import pkgutil  # noqa: E402,F401  (runpy.run_path imports it lazily)
import runpy  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402


class Small(object):
    """A picklable class: unpickling it raises pickle.find_class('__main__', 'Small')."""

    def __init__(self, x):
        self.x = x


def _free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


WORK = os.environ.get("PYAUDIT_DIR") or tempfile.mkdtemp(prefix="pyaudit-broad-")
TCP_PORT = int(os.environ.get("PYAUDIT_TCP_PORT") or _free_port(socket.SOCK_STREAM))
UDP_PORT = int(os.environ.get("PYAUDIT_UDP_PORT") or _free_port(socket.SOCK_DGRAM))
MODDIR = os.path.join(WORK, "mods")
FRESH_MOD = "pyaudit_fresh_mod"

# Hostile and boundary arguments for the custom events.  Each event stays well
# inside one ring-buffer record at the default -s (at most 12 arguments, 8
# captured items each), except "pyaudit_test.many", which has more arguments
# than the tracer captures on purpose.
BIG_STR = "A" * (1 << 20)  # 1 MiB
LONG_STR = "".join(chr(ord("a") + i % 26) for i in range(5000))
ARGS_EVENTS = [
    ("pyaudit_test.str", (
        "plain", "h\u00e9llo", "\u4e16\u754c", "emoji \U0001F600!", "",
        LONG_STR,
        "caf\u00e9-" * 100,  # latin-1, 500 code points
        "\u4e16" * 200,  # UCS-2, 400 bytes in memory
        "\U0001F600" * 100,  # UCS-4, 400 bytes in memory
        "x" * 256,  # exactly the default -s: not truncated
        "x" * 257,
    )),
    ("pyaudit_test.hostile", (
        "line1\nline2\r\n",
        "\x1b[31mred\x1b[0m",
        "tab\tbell\x07del\x7f",
        "bad\udc80surrogate",
        "nul\x00inside",
        BIG_STR,
        "back\\slash \"double\" 'single'",
        "\u2028line sep\u2029 and \x85 nel",
        "%s%n%x {0} $(id) `id`",
        "x\ud800y \udfff\udbff low-high",
        "nonchar \ufffe \ufdd0 \U0010ffff end",
        "bidi \u202eevil\u202c \u2066iso\u2069 zw\u200b\ufeff",
    )),
    ("pyaudit_test.bytes", (
        b"", b"abc", bytes(range(256)), b"\xff\xfe\xc3(", b"\x1b[31m\n\x00",
        b"y" * 1000, bytearray(b"ba\x00\xff"), bytearray(),
    )),
    ("pyaudit_test.ints", (
        0, 1, -1, 2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1,
        2 ** 70, -2 ** 70, 2 ** 200 + 12345,
    )),
    ("pyaudit_test.floats", (
        1.5, -0.0, 0.0, 1e300, -1e-300, 5e-324, 2.0, float("inf"), float("-inf"), float("nan"),
        0.1,
    )),
    ("pyaudit_test.consts", (True, False, None)),
    ("pyaudit_test.containers", (
        (), (1,), (1, "two", (3, (4,)), [5]), tuple(range(20)), list(range(9)),
        ["a", b"b", None, True, 1.5, bytearray(b"c"), -2 ** 70], {}, {"a": 1, "b": 2},
        ("s" * 300, "t" * 10), [[1, 2], [3]],
    )),
    ("pyaudit_test.objects", (
        object(), frozenset([1]), set(), len, range(3), Small, Small(1), 1j, ...,
        NotImplemented,
    )),
    ("pyaudit_test.many", tuple(range(100, 114))),  # 14 arguments
    ("pyaudit_test.noargs", ()),
]


def _reset_dir(path):
    if os.path.lexists(path):
        shutil.rmtree(path)
    os.makedirs(path)


def setup():
    sys.dont_write_bytecode = True  # importlib would write a .pyc named after id()
    # Modules the work would import lazily (socket.sendto -> the idna codec): import
    # them now, so that the only import between begin and end is FRESH_MOD and no
    # run depends on whether some other process has written a .pyc meanwhile.
    "x".encode("idna")
    # Printing an uncaught exception imports traceback (3.13+: and what it needs).
    _run_uncaught()
    _reset_dir(WORK)
    os.mkdir(MODDIR)
    for name, value in ((FRESH_MOD, 42), (FRESH_MOD + "2", 43)):
        with open(os.path.join(MODDIR, name + ".py"), "w") as f:
            f.write("VALUE = %d\n" % value)
    # Empty directories first on sys.path: the "import" event's sys.path list then
    # has more items than the tracer captures (8) on every interpreter.
    extra = [os.path.join(WORK, "path%d" % i) for i in (1, 2, 3)]
    for d in extra:
        os.mkdir(d)
    sys.path[0:0] = extra + [MODDIR]
    importlib.invalidate_caches()
    if FRESH_MOD in sys.modules or FRESH_MOD + "2" in sys.modules:
        raise SystemExit("broad.py: %s already imported" % FRESH_MOD)


def wait_for_go():
    path = os.environ.get("PYAUDIT_WAIT")
    if not path:
        return
    ready = os.environ.get("PYAUDIT_READY")
    if ready:  # tell the test that setup is done and every library is mapped
        with open(ready, "w"):
            pass
    ping = os.environ.get("PYAUDIT_PING")
    deadline = time.monotonic() + 120
    while not os.path.exists(path):  # os.stat: no audit event; time.sleep: one in 3.13+
        if time.monotonic() > deadline:
            raise SystemExit("broad.py: PYAUDIT_WAIT file never appeared")
        if ping:
            sys.audit("pyaudit_test.ping")
        time.sleep(0.01)


# --- sections: the work between "begin" and "end" --------------------------------------------

def sec_files():
    a = os.path.join(WORK, "a")
    os.mkdir(a)
    p = os.path.join(a, "f.txt")
    with open(p, "w") as f:
        f.write("hello\n")
    with open(p, "rb") as f:
        f.read()
    os.listdir(a)
    with os.scandir(a) as it:
        for _ in it:
            pass
    q = os.path.join(a, "g.txt")
    os.rename(p, q)
    os.chmod(q, 0o600)
    os.utime(q, (1, 2))
    os.utime(q, ns=(1000000000, 2000000000))
    fd = os.open(os.path.join(a, "h.bin"), os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
    os.write(fd, b"\x00\x01")
    os.close(fd)
    os.remove(os.path.join(a, "h.bin"))
    sub = os.path.join(a, "sub")
    os.mkdir(sub)
    os.rmdir(sub)


# copystat() passes the source's atime/mtime to os.utime(): pin them.  The atime is
# in the future (2096) so that relatime never updates it when copytree reads.
_PINNED_NS = (4000000000 * 10 ** 9, 2000000000 * 10 ** 9)


def sec_shutil():
    a = os.path.join(WORK, "a")
    src = os.path.join(a, "g.txt")
    shutil.copyfile(src, os.path.join(a, "copy.txt"))
    for p in (src, os.path.join(a, "copy.txt"), a):
        os.utime(p, ns=_PINNED_NS)
    shutil.copytree(a, os.path.join(WORK, "b"))
    shutil.move(os.path.join(WORK, "b"), os.path.join(WORK, "c"))
    shutil.rmtree(os.path.join(WORK, "c"))
    os.remove(os.path.join(a, "copy.txt"))


def sec_tempfile():
    # Random names: the comparator masks the 8 characters after "pyaudit-tmp-".
    fd, path = tempfile.mkstemp(prefix="pyaudit-tmp-", suffix=".dat", dir=WORK)
    os.close(fd)
    os.remove(path)
    d = tempfile.mkdtemp(prefix="pyaudit-tmp-", dir=WORK)
    os.rmdir(d)


def sec_glob():
    glob.glob(os.path.join(WORK, "a", "*.txt"))


def sec_import():
    # The "import" event comes from the C import machinery (import statement,
    # __import__); importlib.import_module() goes through importlib alone and
    # raises only the events of finding and loading (listdir, open, compile, exec).
    mod = __import__(FRESH_MOD)
    mod2 = importlib.import_module(FRESH_MOD + "2")
    if mod.VALUE != 42 or mod2.VALUE != 43:
        raise SystemExit("broad.py: fresh import failed")


def sec_code():
    code = compile("x = 1 + 2\n", "<pyaudit>", "exec")
    ns = {}
    exec(code, ns)
    eval("40 + 2")
    data = marshal.dumps((1, "two", 3.0, b"four"))
    marshal.loads(data)
    blob = pickle.dumps(Small(7))
    pickle.loads(blob)


def sec_process():
    subprocess.run(["/bin/true"], check=True)
    os.system("true")


def _http_server(lsock):
    conn, _ = lsock.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    conn.close()


def sec_net():
    lo = "127.0.0.1"
    u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u1.bind((lo, UDP_PORT))
    u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u2.sendto(b"ping", (lo, UDP_PORT))
    u1.recvfrom(16)
    u2.connect((lo, UDP_PORT))
    u2.close()
    u1.close()
    socket.getaddrinfo(lo, UDP_PORT, socket.AF_INET, socket.SOCK_DGRAM)
    try:
        socket.getservbyname("http", "tcp")  # C-string arguments ("ss")
    except OSError:
        pass
    # HTTP to a server thread: its events are on another thread.
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((lo, TCP_PORT))
    ls.listen(1)
    t = threading.Thread(target=_http_server, args=(ls,))
    t.start()
    c = http.client.HTTPConnection(lo, TCP_PORT, timeout=30)
    c.request("GET", "/pyaudit")
    body = c.getresponse().read()
    c.close()
    t.join()
    ls.close()
    if body != b"ok":
        raise SystemExit("broad.py: bad HTTP response %r" % body)


def sec_native():
    libc = ctypes.CDLL(None)
    strlen = libc.strlen
    buf = ctypes.create_string_buffer(b"hello")
    if strlen(buf) != 5:
        raise SystemExit("broad.py: strlen")
    ctypes.string_at(buf, 5)
    con = sqlite3.connect(":memory:")
    con.execute("select 1").fetchall()
    con.close()
    p = os.path.join(WORK, "mm.bin")
    with open(p, "w+b") as f:
        f.write(b"\0" * 4096)
        f.flush()
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        m = mmap.mmap(f.fileno(), 4096)
        m[0:1] = b"x"
        m.close()
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    os.remove(p)


class _Unraisable(object):
    def __del__(self):
        raise ValueError("pyaudit: unraisable on purpose")


def _quiet_unraisablehook(unraisable):
    pass


def sec_introspect():
    obj = Small(3)
    gc.get_referrers(obj)
    sys._getframe()
    id(None)
    # sys.unraisablehook's argument is a struct sequence (UnraisableHookArgs): shown
    # by its type name, like os.stat_result and sys.version_info below.
    old = sys.unraisablehook
    sys.unraisablehook = _quiet_unraisablehook
    try:
        _Unraisable()
    finally:
        sys.unraisablehook = old
    sys.audit("pyaudit_test.structseq", os.stat(WORK), sys.version_info, sys.flags)


def _asyncgen_hook(agen):
    pass


def sec_hooks():
    # Events raised with no format ("sys.settrace", ...): on Debian's 3.14/3.15 they
    # go through an LTO clone of _PySys_Audit of their own.  Each call leaves the
    # interpreter as it was.
    sys.settrace(None)
    sys.setprofile(None)
    sys._current_frames()
    if hasattr(sys, "_current_exceptions"):  # 3.10+
        sys._current_exceptions()
    old = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=_asyncgen_hook, finalizer=_asyncgen_hook)
    sys.set_asyncgen_hooks(*old)


def sec_run():
    # Running a file (runpy: open, compile, exec of the file's code), then code run
    # through the C API the way the interpreter runs a script or -c (run_mod's
    # "exec"), whose exception is uncaught and printed (sys.excepthook).
    path = os.path.join(WORK, "run_me.py")
    with open(path, "w") as f:
        f.write("RESULT = sum(range(10))\n")
    if runpy.run_path(path)["RESULT"] != 45:
        raise SystemExit("broad.py: run_path")
    _run_uncaught()
    os.remove(path)


def _run_uncaught():
    sys.stderr.flush()
    err = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # the traceback is printed on fd 2
    try:
        rc = ctypes.pythonapi.PyRun_SimpleStringFlags(
            b"raise ValueError('pyaudit: uncaught on purpose')", None)
    finally:
        sys.stderr.flush()
        os.dup2(err, 2)
        os.close(err)
        os.close(devnull)
    if rc != -1:
        raise SystemExit("broad.py: PyRun_SimpleString returned %r" % rc)


def sec_addaudithook():
    # Last: from here on the process has a hook even in a run "without" one, so
    # only pyaudit_test.end follows.  (A hook that raises would veto it.)
    sys.addaudithook(_noop_hook)


def _noop_hook(event, args):
    pass


def sec_args():
    for name, args in ARGS_EVENTS:
        sys.audit(name, *args)


SECTIONS = [
    ("files", sec_files), ("shutil", sec_shutil), ("tempfile", sec_tempfile),
    ("glob", sec_glob), ("import", sec_import), ("code", sec_code),
    ("process", sec_process), ("net", sec_net), ("native", sec_native),
    ("introspect", sec_introspect), ("hooks", sec_hooks), ("run", sec_run),
    ("args", sec_args), ("addaudithook", sec_addaudithook),
]


def _dump(path):
    # After "end": I/O and imports are fine now.
    rec = {
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "sections": SELECTED,
        "events": _record,
    }
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(rec, f, ensure_ascii=True)  # lone surrogates become \udc80 escapes
    os.rename(tmp, path)


def main(argv):
    global SELECTED
    names = [n for n, _ in SECTIONS]
    SELECTED = argv or names
    for s in SELECTED:
        if s not in names:
            raise SystemExit("broad.py: unknown section %r (have: %s)" % (s, " ".join(names)))
    for s in ("shutil", "glob"):
        if s in SELECTED and "files" not in SELECTED:
            raise SystemExit("broad.py: section %s needs section files" % s)
    setup()
    wait_for_go()
    sys.audit("pyaudit_test.begin")
    for name, fn in SECTIONS:
        if name in SELECTED:
            fn()
    sys.audit("pyaudit_test.end")
    if _HOOK_FILE:
        _dump(_HOOK_FILE)
    shutil.rmtree(WORK)
    return 0


SELECTED = []

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
