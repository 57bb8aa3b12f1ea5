# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Output: text mode with hostile arguments (one event = one line, escaped), -s, -d."""
import re
import time

import pytest

import audit_compare as ac
from harness import (BROAD, check_meta, check_schema, combo_params, load_record,
                     parse_json_lines, python_params, run_tool)

pytestmark = pytest.mark.usefixtures("tool")

TEXT_RX = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{6}) (?P<comm>[^\[]+)"
                     r"\[(?P<pid>\d+)/(?P<tid>\d+)(?P<ctx>(?: [a-z]+=[^ \]]+)*)\] "
                     r"(?P<event>[^\s(]+)\((?P<args>.*)\)(?: at (?P<site>[^()]*))?$")


def run_args_section(workloads, py, opts, hook=False):
    out = workloads.tmpfile("args.out")
    hookf = workloads.tmpfile("hook-%s.json" % py.id) if hook else None
    res = run_tool(opts + ["-o", out, "--", py.exe, BROAD, "args"],
                   env=workloads.env(py, hook=hookf), timeout=120, cwd=workloads.base)
    assert res.rc == 0, res.describe()
    return res, out.read_bytes(), (load_record(hookf) if hook else None)


def text_window(lines, where):
    parsed = []
    for n, line in enumerate(lines, 1):
        m = TEXT_RX.match(line)
        assert m, "%s: line %d is not `HH:MM:SS.ffffff comm[pid/tid ctx] event(args) at site`: %r" % (
            where, n, line[:300])
        parsed.append(m)
    pids = {int(m.group("pid")) for m in parsed if m.group("event") == ac.BEGIN}
    assert len(pids) == 1, pids
    pid = pids.pop()
    mine = [m for m in parsed if int(m.group("pid")) == pid]
    names = [m.group("event") for m in mine]
    b, e = names.index(ac.BEGIN), names.index(ac.END)
    return mine[b: e + 1]


@pytest.fixture(scope="module", params=python_params())
def args_outputs(request, workloads):
    """The custom-argument events (hostile strings included), once as text, once -j."""
    py = request.param
    _, text, _ = run_args_section(workloads, py, [])
    _, js, _ = run_args_section(workloads, py, ["-j"])
    return py, text, js


def test_json_every_line_and_schema(args_outputs):
    py, _, js = args_outputs
    events = parse_json_lines(js, "JSON output")  # every line: UTF-8, json.loads, object
    check_schema(events, "JSON output of %s" % py.id)
    assert any(e["event"] == "pyaudit_test.hostile" for e in events)


def test_text_one_event_per_line(args_outputs):
    py, text, js = args_outputs
    try:
        text.decode("utf-8")
    except UnicodeDecodeError as e:
        pytest.fail("text output is not valid UTF-8 (invalid bytes must be escaped): %s" % e)
    assert text.endswith(b"\n")
    for c in list(range(0x20)) + [0x7F]:
        if c != 0x0A:
            assert bytes([c]) not in text, "raw control byte 0x%02x in text output" % c
    lines = text.decode("utf-8").split("\n")[:-1]
    window = text_window(lines, "text output")
    events = parse_json_lines(js, "JSON output")
    pid = {e["pid"] for e in events if e["event"] == ac.BEGIN}.pop()
    jwin = ac.tool_window(events, pid)
    assert [m.group("event") for m in window] == [e["event"] for e in jwin], \
        "text and JSON runs of the same workload differ in events"


def test_text_escaping(args_outputs):
    py, text, _ = args_outputs
    window = text_window(text.decode("utf-8", "replace").split("\n")[:-1], "text output")
    by = {m.group("event"): m.group(0) for m in window}
    h = by["pyaudit_test.hostile"]
    for needle in (r"line1\nline2", r"\x1b[31mred\x1b[0m", r"tab\tbell\x07del\x7f",
                   r"nul\x00inside", "back\\\\slash"):
        assert needle in h, "%r not in the hostile line: %s" % (needle, h[:400])
    assert r"bad\udc80surrogate" in h or r"bad\xed\xb2\x80surrogate" in h, h[:400]
    # format characters reorder or hide text on a terminal: escaped like controls
    for needle in (r"bidi \u202eevil\u202c \u2066iso\u2069 zw\u200b\ufeff", r"x\ud800y",
                   r"\udfff\udbff", "nonchar \ufffe \ufdd0 \U0010ffff end"):
        assert needle in h, "%r not in the hostile line: %s" % (needle, h[:600])
    for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f\ufeff\u2028":
        assert c not in text.decode("utf-8"), "raw U+%04X in text output" % ord(c)
    assert "..." in h and len(h) < 64 * 1024, "the 1 MiB string must be cut (-s) and marked"
    assert r"\xff\xfe\xc3(" in by["pyaudit_test.bytes"], by["pyaudit_test.bytes"][:400]
    s = by["pyaudit_test.str"]
    for needle in ("h\u00e9llo", "\u4e16\u754c", "emoji \U0001F600!"):
        assert needle in s, "%r not in %s" % (needle, s[:300])


@pytest.mark.parametrize("combo", combo_params())
def test_str_size_16(workloads, combo):
    py, probe = combo
    res, js, record = run_args_section(workloads, py, ["-j", "-s", "16", "--probe", probe],
                                       hook=True)
    events = parse_json_lines(js, "JSON output")
    window = ac.compare(events, record, str_size=16, label="%s -s 16 --probe %s" % (py.id, probe))
    check_meta(window, record["pid"], py, probe, res.t0, res.t1)
    ev = [e for e in window if e["event"] == "pyaudit_test.str"][0]
    long_str = ev["args"][5]
    assert long_str["type"] == "str" and long_str["truncated"] is True
    assert long_str["length"] == 5000 and len(long_str["value"]) == 16
    assert ev["args"][0] == "plain"


def test_duration_ends_the_run():
    t0 = time.monotonic()
    res = run_tool(["-j", "-d", "1"], timeout=60)
    took = time.monotonic() - t0
    assert res.rc == 0, res.describe()
    assert took < 30, "-d 1 took %.1fs" % took
    parse_json_lines(res.stdout, "stdout of -d 1")  # whatever it saw is valid JSON


@pytest.mark.parametrize("py", python_params())
def test_verbose_program_time(py):
    """-v with kernel.bpf_stats_enabled: at exit, each probe program that ran, its runs
    and ns per run (what `make bench` reads); one run per event at least."""
    stats = "/proc/sys/kernel/bpf_stats_enabled"
    with open(stats) as f:
        was = f.read().strip()
    try:
        with open(stats, "w") as f:
            f.write("1")
        res = run_tool(["-v", "-c", "-j", "--", py.exe, "-c", "for _ in range(500): id(1)"],
                       timeout=60)
    finally:
        with open(stats, "w") as f:
            f.write(was)
    assert res.rc == 0, res.describe()
    rx = re.compile(r"^pyaudit-trace: program (\w+): (\d+) runs, (\d+\.\d) ns per run$")
    progs = {m.group(1): int(m.group(2)) for m in map(rx.match, res.err_lines) if m}
    assert progs, "no program time line with -v:\n" + res.describe()
    # the discovery tracepoints (a command's later execs and dlopens) run too
    assert set(progs) <= {"uprobe_c", "uprobe_sysaudit", "usdt_audit", "on_exec", "on_mmap"}, \
        progs
    probes = {k: v for k, v in progs.items() if k not in ("on_exec", "on_mmap")}
    assert sum(probes.values()) >= 500, progs



# An event name longer than the capture limit (PA_NAME_MAX), one exactly at it, and
# struct sequences (tuple subclasses) as arguments.
_NAME_MAX = 128
_FIDELITY = r"""
import os, sys
class U(object):
    def __del__(self):
        raise ValueError("unraisable")
sys.unraisablehook = lambda u: None
U()
sys.audit("pyaudit_test.structseq", os.stat("/"), sys.version_info, (1, 2))
sys.audit("pyaudit_test.L" + "n" * 300, 1)
sys.audit("pyaudit_test.M" + "m" * (%d - 14), 2)
""" % _NAME_MAX


@pytest.mark.parametrize("combo", combo_params())
def test_long_name_and_struct_sequences(combo):
    """A cut event name says so (text `...`, JSON "event_truncated": true); a name of
    exactly the limit does not; struct sequences show their type name, not tuple."""
    py, route = combo
    sel = ["-e", "pyaudit_test.*,sys.unraisablehook", "--probe", route]
    res = run_tool(["-j"] + sel + ["--", py.exe, "-c", _FIDELITY], timeout=60)
    assert res.rc == 0, res.describe()
    events = parse_json_lines(res.stdout, "JSON")
    check_schema(events, "JSON of %s" % py.id)
    by = {e["event"][:14]: e for e in events}
    long_, exact = by["pyaudit_test.L"], by["pyaudit_test.M"]
    assert long_["event"] == ("pyaudit_test.L" + "n" * 300)[:_NAME_MAX], long_
    assert long_.get("event_truncated") is True, long_
    assert long_["args"] == [1] and "arg_names" not in long_, long_
    assert len(exact["event"]) == _NAME_MAX and "event_truncated" not in exact, exact
    assert by["sys.unraisablehook"[:14]]["args"][1] == {"type": "UnraisableHookArgs"}, by
    assert by["pyaudit_test.s"]["args"] == [{"type": "stat_result"}, {"type": "version_info"},
                                           {"type": "tuple", "value": [1, 2]}], by
    res = run_tool(sel + ["--no-site", "--", py.exe, "-c", _FIDELITY], timeout=60)
    assert res.rc == 0, res.describe()
    lines = res.stdout.decode().splitlines()
    cut = [ln for ln in lines if "pyaudit_test.L" in ln]
    assert len(cut) == 1 and cut[0].endswith("] " + ("pyaudit_test.L" + "n" * 300)[:_NAME_MAX]
                                             + "...(1)"), lines
    whole = [ln for ln in lines if "pyaudit_test.M" in ln]
    assert len(whole) == 1 and "..." not in whole[0], whole
    ss = [ln for ln in lines if "pyaudit_test.structseq" in ln]
    assert len(ss) == 1 and ss[0].endswith(
        "(<stat_result object>, <version_info object>, (1, 2))"), ss
