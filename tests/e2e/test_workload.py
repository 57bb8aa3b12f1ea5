# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The ground truth itself, without the tool: broad.py's hook records what it should,
and two hooked runs agree (so a tool-vs-reference mismatch is the tool's fault)."""
import subprocess

import pytest

import audit_compare as ac
from harness import PYENV, python_params


def _one_level(v, depth=0):
    """What the tracer shows of an expected value: nested containers without items (N1)."""
    if isinstance(v, dict) and v.get("type") in ("tuple", "list"):
        if depth >= 1:
            return {"type": v["type"]}
        return dict(v, value=[_one_level(x, depth + 1) for x in v["value"]])
    return v


def as_tool_events(record):
    """A hook record dressed as tracer output (for comparing two records; the call
    sites too, when recorded)."""
    out = []
    for ev in record["events"]:
        tid, name, args = ev[:3]
        e = {"pid": record["pid"], "tid": tid, "event": name,
             "args": [_one_level(ac.expect_value(a)) for a in args]}
        if len(ev) > 3:
            e["site"] = ac.expect_site(ev[3])
        out.append(e)
    return out


def version_tuple(record):
    return tuple(int(x) for x in record["python"].split(".")[:2])


@pytest.mark.parametrize("py", python_params())
def test_two_hooked_runs_agree(workloads, py):
    r1 = workloads.reference(py)
    r2 = workloads.run_hooked(py)
    assert r1["pid"] != r2["pid"]
    ac.compare(as_tool_events(r2), r1, cross_run=True, pid=r2["pid"], label="hooked run 2 vs 1")


@pytest.mark.parametrize("py", python_params())
def test_record_contents(workloads, py):
    rec = workloads.reference(py)
    assert rec["python"] == py.version
    evs = rec["events"]
    names = [e[1] for e in evs]
    assert names[0] == ac.BEGIN and names[-1] == ac.END
    assert names.count(ac.BEGIN) == 1 and names.count(ac.END) == 1
    assert not [e for e in evs if e[1].startswith("HOOK-")], "the hook misbehaved"
    want = {
        "os.mkdir", "open", "os.listdir", "os.scandir", "os.rename", "os.remove", "os.chmod",
        "os.utime", "os.rmdir", "shutil.copyfile", "shutil.copytree", "shutil.move",
        "shutil.rmtree", "tempfile.mkstemp", "tempfile.mkdtemp", "glob.glob", "import",
        "compile", "exec", "marshal.dumps", "marshal.loads", "pickle.find_class",
        "subprocess.Popen", "os.system", "socket.__new__", "socket.bind", "socket.connect",
        "socket.sendto", "socket.getaddrinfo", "socket.getservbyname", "ctypes.dlopen",
        "ctypes.dlsym", "ctypes.string_at", "sqlite3.connect", "mmap.__new__", "fcntl.flock",
        "gc.get_referrers", "sys._getframe", "builtins.id",
    }
    if version_tuple(rec) >= (3, 10):
        want |= {"http.client.connect", "http.client.send", "sqlite3.connect/handle",
                 "glob.glob/2"}
    want |= {"pyaudit_test." + s for s in (
        "str", "hostile", "bytes", "ints", "floats", "consts", "containers", "objects",
        "many", "noargs")}
    missing = want - set(names)
    assert not missing, "hook did not record: %s" % sorted(missing)
    # the only import between begin and end is the fresh module (no lazy stdlib import)
    imports = [e[2][0] for e in evs if e[1] == "import"]
    assert imports == ["pyaudit_fresh_mod"], imports
    imp = [e for e in evs if e[1] == "import"][0]
    assert imp[2][2]["type"] == "list" and imp[2][2]["length"] > ac.MAX_ITEMS  # sys.path
    # events of the HTTP server thread
    tids = {e[0] for e in evs}
    assert len(tids) == 2, "expected the main and the HTTP server thread: %s" % tids
    server = [e for e in evs if e[0] != evs[0][0]]
    assert [e[1] for e in server] == ["socket.__new__"], server
    tcp, udp = workloads.ports[py.id]
    binds = [e[2][1] for e in evs if e[1] == "socket.bind"]
    assert binds == [{"type": "tuple", "length": 2, "value": ["127.0.0.1", udp]},
                     {"type": "tuple", "length": 2, "value": ["127.0.0.1", tcp]}], binds


@pytest.mark.parametrize("py", python_params())
def test_record_values(workloads, py):
    """The custom events' arguments come out of the hook exactly as the JSON contract
    spells them (this pins the hook's conversion the comparator relies on)."""
    ev = {e[1]: e[2] for e in workloads.reference(py)["events"]}
    assert ev["pyaudit_test.ints"] == [
        0, 1, -1, 2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1, -2 ** 63,
        {"type": "int", "value": str(2 ** 63)}, {"type": "int", "value": str(-2 ** 63 - 1)},
        {"type": "int", "value": str(2 ** 70)}, {"type": "int", "value": str(-2 ** 70)},
        {"type": "int", "value": str(2 ** 200 + 12345)}]
    f = ev["pyaudit_test.floats"]
    assert f[:7] == [1.5, -0.0, 0.0, 1e300, -1e-300, 5e-324, 2.0] and str(f[1]) == "-0.0"
    assert f[7:] == [{"type": "float", "value": "inf"}, {"type": "float", "value": "-inf"},
                     {"type": "float", "value": "nan"}, 0.1]
    assert ev["pyaudit_test.consts"] == [True, False, None]
    h = ev["pyaudit_test.hostile"]
    assert h[3] == "bad\udc80surrogate" and h[5] == "A" * (1 << 20)
    b = ev["pyaudit_test.bytes"]
    assert b[2] == {"type": "bytes", "value": bytes(range(256)).decode("latin-1")}
    assert b[6] == {"type": "bytearray", "value": "ba\x00\xff"}
    c = ev["pyaudit_test.containers"]
    assert c[2] == {"type": "tuple", "length": 4, "value": [
        1, "two", {"type": "tuple", "length": 2, "value": [3, {"type": "tuple", "length": 1}]},
        {"type": "list", "length": 1, "value": [5]}]}
    assert c[6] == {"type": "dict", "len": 0} and c[7] == {"type": "dict", "len": 2}
    assert [o["type"] for o in ev["pyaudit_test.objects"]] == [
        "object", "frozenset", "set", "builtin_function_or_method", "range", "type", "Small",
        "complex", "ellipsis", "NotImplementedType"]
    assert ev["pyaudit_test.many"] == list(range(100, 114))
    assert ev["pyaudit_test.noargs"] == []
    assert ev["os.system"] == [{"type": "bytes", "value": "true"}]
    assert ev["pickle.find_class"] == ["__main__", "Small"]
    assert ev["sqlite3.connect"] == [":memory:"]


def test_plain_run_installs_no_hook(workloads):
    """The "no hook" comparisons rely on nothing in the process asking for audit events
    (site, .pth files, sitecustomize).  Checked with gdb where there are symbols (pyenv;
    the Debian interpreter reads the same kind of .pth files): the runtime's C hook list
    and the interpreter's Python hook list are both empty while broad.py is parked."""
    tgt = workloads.start(PYENV)
    try:
        tgt.wait_ready()
        out = subprocess.run(
            ["gdb", "-q", "-batch", "-p", str(tgt.pid),
             "-ex", "p _PyRuntime.audit_hook_head",
             "-ex", "p _PyRuntime.interpreters.main->audit_hooks"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=120).stdout.decode("utf-8", "replace")
        values = [line.split("=", 1)[1].strip() for line in out.splitlines()
                  if line.startswith("$")]
        assert len(values) == 2, "gdb could not read the hook lists:\n" + out[-2000:]
        assert all(v.endswith(" 0x0") for v in values), "a hook is installed: %s" % values
        tgt.release()
        assert tgt.finish() is None
    finally:
        tgt.kill()
