# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Count mode (-c) and the kernel-side filters, end to end, with exact ground truth.

Ground truth.  Count mode prints numbers only, so counts are compared per event name
over a whole run of a deterministic workload (tests/workloads/broad.py, or the small
tests/workloads/idloop_socket.py), split in three parts by the workload's markers:

  before  start-up up to pyaudit_test.begin (interpreter start-up, the script's imports,
          sys.addaudithook, setup)
  window  pyaudit_test.begin .. pyaudit_test.end inclusive: the workload's own work
  after   end .. exit (the hook's dump, clean-up, interpreter finalisation)

  * window: always the in-process audit hook (PYAUDIT_HOOK).  With a hook installed in
    the counted process it is that very process's record (same run); without one, the
    record of a separate hooked run of the same workload with the same arguments
    (cross-run, as test_command.py / test_attach.py do; counts need no normalisation).
  * before and after: no hook can see them, so they are measured by the tool's trace
    mode (-j, already proven equal to the hook event for event by test_command.py) on
    an identical run: same interpreter, route, script, environment, hook installed or
    not (the hook changes both parts: sys.addaudithook, its dump).  The same trace run
    also has a window: it must equal the hook's record, which re-proves the trace leg
    inside this test.  For idloop_socket.py the trace run has no pause between rounds
    (a pause only changes events inside the window: time.sleep, 3.13+).

  Expected counts: `-- COMMAND`  before + window + after;
                   `-p PID`      window + after (attached while the workload waits before
                   begin; its wait loop raises nothing before 3.13, and from 3.13 on
                   "time.sleep" of that loop is a lower bound, see WAIT_LOOP_EVENTS).
  Every comparison is exact: per event name, count for count.  Every run's attach line
  must say "coverage complete" for the route asked for (a partial route misses events
  for a reason that line states; failing on it first gives the cause, not a count diff).

What is checked (each over debian-3.11 --probe usdt/uprobe and pyenv-3.11.7 uprobe):
  test_exact_counts      -c -j, `--` and `-p`, with and without a hook == ground truth
  test_json_lines        -j: every line JSON with the documented keys, rows sorted by
                         count desc then name, total == sum of rows, rate == total/span
  test_text_table        text: title, header, rows (bars scaled to the largest), TOTAL
  test_by_and_top        --by pid,event / --by comm: keys and counts; --top 3 in JSON and
                         text: 3 rows, total still counts every event
  test_interval          -i 1 (~3 s): per-interval tables sum to the total; --cumulative
                         tables non-decreasing up to the total; titles; JSON numbering
  test_count_filters     -e socket.*, -x import,open, -u 12345 (0), -u <ours> (all)
  test_comm_filter       --comm on -p A,B (B run through a symlink: another comm)
  test_map_full          --max-keys 4 --by pid,event: "N events not counted", rows exact,
                         counted + not counted == the real total
  test_hist              --hist (text and JSON) on -p A,B: per event, histogram sum ==
                         count - processes raising it; 50 ms pauses land in 32-64 ms+
  test_trace_filters     trace mode -e socket.* == the hook's socket events with args
                         (same run); -e nosuch.* warns, runs, shows sys.audit("nosuch.event")
"""
import json
import math
import os
import pwd
import re
import subprocess
from collections import Counter, defaultdict
from fnmatch import fnmatchcase

import pytest

import audit_compare as ac
from harness import (ATTACH_RX, BROAD, WORKLOADS, Target, Tool, check_attach_line,
                     combo_params, load_record, parse_json_lines, run_tool)

pytestmark = pytest.mark.usefixtures("tool")

IDLOOP = WORKLOADS / "idloop_socket.py"
ID_CALLS = 100  # idloop_socket.py: id() calls per round
# Events a waiting workload's loop raises between our attach and its release
# (time.sleep is audited from CPython 3.13 on): a lower bound under -p.
WAIT_LOOP_EVENTS = ("time.sleep",)
OTHER_COMM = "pyaudit-cnt-b"  # comm of a process started through a symlink of that name
NO_UID = 12345  # a uid no process here runs as

# ---------------------------------------------------------------------------------------
# parsing count-mode output

ROW_KEY_ORDER = ("pid", "comm", "uid", "event")
TOTAL_OPTIONAL = {"more_rows": int, "more_events": int, "lost": int}


def _is_int(v):
    return type(v) is int


def _is_num(v):
    return type(v) in (int, float)


def parse_count_json(data, where, by=("event",)):
    """-c -j output -> list of tables {"ts", "interval", "rows": [obj], "hists":
    {event: [counts per slot]}, "total": obj}.  Checks every line: UTF-8, one JSON
    object, the documented keys in the documented order with their types; a table
    ends with its total line; rows, histograms and total of a table share ts and
    interval."""
    assert data.endswith(b"\n"), "%s: output does not end with a newline: %r" % (
        where, data[-200:])
    row_keys = ["ts", "interval"] + [k for k in ROW_KEY_ORDER if k in by] + ["count"]
    tables, cur = [], {"rows": [], "hists": {}, "head": None}
    for n, raw in enumerate(data.split(b"\n")[:-1], 1):
        w = "%s: line %d" % (where, n)
        try:
            obj = json.loads(raw.decode("utf-8"))
        except ValueError as e:  # UnicodeDecodeError is a ValueError
            pytest.fail("%s is not UTF-8 JSON (%s): %r" % (w, e, raw[:300]))
        assert isinstance(obj, dict), "%s: not an object: %r" % (w, raw[:300])
        keys = list(obj)
        assert keys[:2] == ["ts", "interval"], "%s: must start with ts, interval: %s" % (w, keys)
        assert _is_num(obj["ts"]), w
        assert obj["interval"] is None or (_is_int(obj["interval"]) and obj["interval"] >= 1), \
            "%s: interval %r" % (w, obj["interval"])
        head = (obj["ts"], obj["interval"])
        if cur["head"] is None:
            cur["head"] = head
        assert head == cur["head"], "%s: ts/interval %r differ from the table's %r" % (
            w, head, cur["head"])
        if "total" in obj:
            assert keys[2:5] == ["total", "span_s", "rate"], "%s: total line keys %s" % (w, keys)
            for k in keys[5:]:
                assert k in TOTAL_OPTIONAL and _is_int(obj[k]) and obj[k] > 0, \
                    "%s: unexpected %r in the total line: %s" % (w, k, raw[:300])
            assert _is_int(obj["total"]) and obj["total"] >= 0, w
            assert _is_num(obj["span_s"]) and obj["span_s"] >= 0, w
            assert obj["rate"] is None or _is_num(obj["rate"]), w
            cur["total"] = obj
            cur["ts"], cur["interval"] = head
            del cur["head"]
            tables.append(cur)
            cur = {"rows": [], "hists": {}, "head": None}
        elif "hist" in obj:
            assert keys == ["ts", "interval", "event", "hist"], "%s: hist keys %s" % (w, keys)
            assert obj["event"] not in cur["hists"], "%s: second histogram of %s" % (
                w, obj["event"])
            slots = obj["hist"]
            assert isinstance(slots, list) and slots, w
            for s, b in enumerate(slots):
                assert list(b) == ["lo", "hi", "count"] and _is_int(b["count"]) and \
                    b["count"] >= 0, "%s: slot %d: %r" % (w, s, b)
                assert (b["lo"], b["hi"]) == (2 ** s if s else 0, 2 ** (s + 1) - 1), \
                    "%s: slot %d bounds %r" % (w, s, b)
            assert slots[-1]["count"] > 0, "%s: trailing empty slot" % w
            cur["hists"][obj["event"]] = [b["count"] for b in slots]
        else:
            assert keys == row_keys, "%s: row keys %s, expected %s (--by %s)" % (
                w, keys, row_keys, ",".join(by))
            assert not cur["hists"], "%s: row after the histograms" % w
            assert _is_int(obj["count"]) and obj["count"] > 0, "%s: count %r" % (w, obj["count"])
            for k, t in (("pid", int), ("comm", str), ("uid", int), ("event", str)):
                if k in obj:
                    assert type(obj[k]) is t, "%s: %s is %r" % (w, k, obj[k])
            cur["rows"].append(obj)
    assert not cur["rows"] and not cur["hists"], \
        "%s: rows without a closing total line at the end" % where
    assert tables, "%s: no table" % where
    for t in tables:
        check_table(t, where)
    return tables


def row_key(r):
    return tuple(r.get(k) for k in ROW_KEY_ORDER if k in r)


def sort_key(r):
    """The documented order: count descending, then event name (byte order), pid,
    comm, uid ascending."""
    return (-r["count"], (r.get("event") or "").encode(), r.get("pid", 0),
            (r.get("comm") or "").encode(), r.get("uid", 0))


def check_table(t, where):
    rows, tot = t["rows"], t["total"]
    keys = [row_key(r) for r in rows]
    assert len(set(keys)) == len(keys), "%s: a key twice: %s" % (where, keys)
    assert rows == sorted(rows, key=sort_key), "%s: rows not sorted by count desc, name: %s" % (
        where, [(row_key(r), r["count"]) for r in rows])
    assert tot["total"] == sum(r["count"] for r in rows) + tot.get("more_events", 0), \
        "%s: total %d != sum of rows %d (+ more_events %r)" % (
            where, tot["total"], sum(r["count"] for r in rows), tot.get("more_events"))
    if tot["span_s"] > 0:
        assert tot["rate"] is not None and math.isclose(
            tot["rate"] * tot["span_s"], tot["total"], rel_tol=1e-6, abs_tol=1e-6), \
            "%s: rate %r * span %r != total %d" % (where, tot["rate"], tot["span_s"], tot["total"])
    else:
        assert tot["rate"] is None, where


TITLE_RX = re.compile(
    r"^-- (\d\d):(\d\d):(\d\d) -- (\d+) (events?) in (\d+\.\d\d) s(?:, (\d+\.\d)/s)?, "
    r"(total|cumulative since start|counts per interval \((\d+) s\))$")
ROW_RX = re.compile(r"^ *(\S.*?) +(\d+) \|([* ]{40})\|$")
MORE_RX = re.compile(r"^\(\+(\d+) more rows?, (\d+) events?\)$")
TOTAL_RX = re.compile(r"^TOTAL +(\d+)$")
HIST_TITLE_RX = re.compile(r"^event = (\S+)$")
HIST_HEAD_RX = re.compile(r"^ +usecs +: count +distribution$")
HIST_ROW_RX = re.compile(r"^ *(\d+) -> (\d+) +: (\d+) +\|([* ]{40})\|$")
HEADERS = {"pid": "PID", "comm": "COMM", "uid": "UID", "event": "EVENT"}


def _check_bars(counts, bars, where):
    mx = max(counts) if counts else 0
    for c, b in zip(counts, bars):
        stars = b.count("*")
        assert b == "*" * stars + " " * (40 - stars), "%s: bar %r" % (where, b)
        exact = c * 40.0 / mx if mx else 0
        assert abs(stars - exact) <= 0.5 + 1e-9, \
            "%s: %d stars for %d of max %d (expected %.2f rounded)" % (where, stars, c, mx, exact)


def parse_count_text(text, where, by=("event",)):
    """Text tables -> list of {"kind", "interval_s", "n", "span", "rate", "rows":
    [{key: value, "count": n}], "more": (rows, events) or None, "total": n, "hists":
    {event: [counts per slot]}}, checking the layout line by line."""
    cols = [k for k in ROW_KEY_ORDER if k in by]
    header = [HEADERS[k] for k in cols] + ["COUNT"]
    lines = text.split("\n")
    assert lines[-1] == "", "%s: output does not end with a newline" % where
    lines = lines[:-1]
    tables = []
    i = 0

    def fail(msg):
        pytest.fail("%s: line %d: %s\n%s" % (where, i + 1, msg, "\n".join(lines[max(0, i - 3):i + 3])))

    while i < len(lines):
        if tables:
            if lines[i] != "":
                fail("expected a blank line between tables")
            i += 1
        m = TITLE_RX.match(lines[i]) if i < len(lines) else None
        if not m:
            fail("not a table title")
        t = {"n": int(m.group(4)), "span": float(m.group(6)),
             "rate": float(m.group(7)) if m.group(7) else None,
             "kind": m.group(8).split(" (")[0], "interval_s": m.group(9),
             "rows": [], "more": None, "hists": {}}
        assert m.group(5) == ("event" if t["n"] == 1 else "events"), lines[i]
        i += 1
        if lines[i].split() != header:
            fail("header %r, expected columns %s" % (lines[i], header))
        i += 1
        bars = []
        while i < len(lines) and ROW_RX.match(lines[i]):
            r = ROW_RX.match(lines[i])
            vals = r.group(1).split()
            if len(vals) != len(cols):
                fail("row with %d key columns, expected %d" % (len(vals), len(cols)))
            row = {k: (int(v) if k in ("pid", "uid") else v) for k, v in zip(cols, vals)}
            row["count"] = int(r.group(2))
            t["rows"].append(row)
            bars.append(r.group(3))
            i += 1
        _check_bars([r["count"] for r in t["rows"]], bars, where)
        m = MORE_RX.match(lines[i]) if i < len(lines) else None
        if m:
            t["more"] = (int(m.group(1)), int(m.group(2)))
            i += 1
        m = TOTAL_RX.match(lines[i]) if i < len(lines) else None
        if not m:
            fail("expected the TOTAL line")
        t["total"] = int(m.group(1))
        i += 1
        while i + 1 < len(lines) and lines[i] == "" and HIST_TITLE_RX.match(lines[i + 1]):
            name = HIST_TITLE_RX.match(lines[i + 1]).group(1)
            i += 2
            if not HIST_HEAD_RX.match(lines[i]):
                fail("expected the histogram header 'usecs : count distribution'")
            i += 1
            counts, hbars = [], []
            while i < len(lines) and HIST_ROW_RX.match(lines[i]):
                h = HIST_ROW_RX.match(lines[i])
                s = len(counts)
                if (int(h.group(1)), int(h.group(2))) != (2 ** s if s else 0, 2 ** (s + 1) - 1):
                    fail("histogram slot %d bounds" % s)
                counts.append(int(h.group(3)))
                hbars.append(h.group(4))
                i += 1
            if not counts or counts[-1] == 0:
                fail("empty histogram or trailing empty slot for %s" % name)
            _check_bars(counts, hbars, where + " histogram " + name)
            assert name not in t["hists"], "%s: two histograms of %s" % (where, name)
            t["hists"][name] = counts
        rows = t["rows"]
        assert rows == sorted(rows, key=sort_key), "%s: rows not sorted: %s" % (where, rows)
        hidden = t["more"][1] if t["more"] else 0
        assert t["total"] == t["n"] == sum(r["count"] for r in rows) + hidden, \
            "%s: title %d, TOTAL %d, rows %d + hidden %d" % (
                where, t["n"], t["total"], sum(r["count"] for r in rows), hidden)
        if t["rate"] is not None and t["span"] >= 0.1:
            lo, hi = t["n"] / (t["span"] + 0.005), t["n"] / (t["span"] - 0.005)
            assert lo - 0.05 <= t["rate"] <= hi + 0.05, "%s: rate %s for %d in %s s" % (
                where, t["rate"], t["n"], t["span"])
        tables.append(t)
    return tables


def by_event(rows):
    """Counter event -> count summed over the other key columns."""
    c = Counter()
    for r in rows:
        c[r["event"]] += r["count"]
    return c


# ---------------------------------------------------------------------------------------
# comparing counts


def assert_counts(got, exp, label, at_least=()):
    """got == exp for every name (names in at_least: got >= exp)."""
    def differs(n):
        g, e = got.get(n, 0), exp.get(n, 0)
        return g < e if n in at_least else g != e

    bad = [n for n in sorted(set(got) | set(exp)) if differs(n)]
    if bad:
        w = max(len(n) for n in set(got) | set(exp))
        lines = ["%s: counts differ from the ground truth ('!' = differ)" % label,
                 "  %-*s %7s %7s" % (w, "EVENT", "TOOL", "TRUTH")]
        for n in sorted(set(got) | set(exp)):
            lines.append("%s %-*s %7d %7d" % ("!" if n in bad else " ", w, n, got.get(n, 0),
                                              exp.get(n, 0)))
        lines.append("  %-*s %7d %7d" % (w, "TOTAL", sum(got.values()), sum(exp.values())))
        pytest.fail("\n".join(lines))


def attach_pids(err_lines):
    return [int(m.group("pid")) for m in (re.match(ATTACH_RX, l) for l in err_lines) if m]


def the_pid(err_lines, where):
    pids = attach_pids(err_lines)
    assert len(pids) == 1, "%s: expected one attach line, got %s:\n%s" % (
        where, pids, "\n".join(err_lines))
    return pids[0]


def record_counts(record):
    if "counts" in record:  # idloop_socket.py
        return Counter(record["counts"])
    return Counter(e[1] for e in record["events"])  # broad.py ([tid, name, args(, site)])


def script_args(script, args):
    return [str(script)] + [str(a) for a in args]


# ---------------------------------------------------------------------------------------
# workloads and ground truth


class IdloopTarget(Target):
    """idloop_socket.py parked before "begin" (PYAUDIT_WAIT), optionally started through
    another path (a symlink: another comm).  Same interface as harness.Target."""

    def __init__(self, wl, py, args, hook=False, exe=None):
        self.py = py
        self.hook = wl.tmpfile("hook-idloop-%s.json" % py.id) if hook else None
        self.wait_file = wl.tmpfile("go")
        self.ready_file = wl.tmpfile("ready")
        self.log = wl.tmpfile("idloop-%s.log" % py.id)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [exe or py.exe] + script_args(IDLOOP, args),
                env=wl.env(py, hook=self.hook, wait=self.wait_file, ready=self.ready_file),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=str(wl.base))
        self.pid = self.proc.pid


class Parts:
    def __init__(self, before, window, after):
        self.before, self.window, self.after = before, window, after


class GroundTruth:
    """Caches the reference runs of one test session."""

    def __init__(self, wl):
        self.wl = wl
        self._trace = {}
        self._window = {}
        self.runs = {}  # shared count runs (test_json_lines reuses test_exact_counts')

    def trace_parts(self, py, probe, script, args, hook):
        """before/window/after of a trace-mode run (-j --probe PROBE -- PY SCRIPT ARGS);
        with a hook, its window is checked against the hook's record first."""
        key = (py.id, probe, str(script), tuple(args), hook)
        if key in self._trace:
            return self._trace[key]
        out = self.wl.tmpfile("truth-%s-%s.jsonl" % (py.id, probe))
        hookf = self.wl.tmpfile("hook-truth-%s.json" % py.id) if hook else None
        res = run_tool(["-j", "--probe", probe, "-o", out, "--", py.exe] + script_args(script, args),
                       env=self.wl.env(py, hook=hookf), timeout=120, cwd=self.wl.base)
        assert res.rc == 0, "ground-truth trace run failed\n" + res.describe()
        events = parse_json_lines(out.read_bytes(), str(out))
        pids = {e["pid"] for e in events}
        assert len(pids) == 1, "ground-truth trace run: events of pids %s" % pids
        check_attach_line(res.err_lines, pids.copy().pop(), py, probe)  # coverage complete
        names = [e["event"] for e in events]
        assert names.count(ac.BEGIN) == 1 and names.count(ac.END) == 1, \
            "ground-truth trace run: %d begin, %d end" % (names.count(ac.BEGIN), names.count(ac.END))
        b, e = names.index(ac.BEGIN), names.index(ac.END)
        parts = Parts(Counter(names[:b]), Counter(names[b:e + 1]), Counter(names[e + 1:]))
        assert parts.before and parts.after, "no start-up or finalisation events?"
        if hook:
            assert_counts(parts.window, record_counts(load_record(hookf)),
                          "trace mode vs hook, same run (%s %s %s)" % (py.id, probe, script.name))
        self._trace[key] = parts
        return parts

    def window(self, py, script, args):
        """The hook's per-name counts from begin to end of a separate hooked run."""
        if script == BROAD:
            assert not args
            return record_counts(self.wl.reference(py))
        key = (py.id, str(script), tuple(args))
        if key not in self._window:
            hookf = self.wl.tmpfile("hook-ref-%s.json" % py.id)
            p = subprocess.run([py.exe] + script_args(script, args),
                               env=self.wl.env(py, hook=hookf), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                               cwd=str(self.wl.base))
            assert p.returncode == 0 and not p.stdout, (p.returncode, p.stdout, p.stderr)
            self._window[key] = record_counts(load_record(hookf))
        return self._window[key]

    def expected(self, py, probe, launch, script=BROAD, args=(), hook=False, record=None,
                 trace_args=None):
        """Expected per-name counts of one counted process.  record: the counted
        process's own hook record (same run), else the separate reference run's."""
        parts = self.trace_parts(py, probe, script, args if trace_args is None else trace_args,
                                 hook)
        window = record_counts(record) if record is not None else self.window(py, script, args)
        exp = window + parts.after
        if launch == "cmd":
            exp += parts.before
        return exp


@pytest.fixture(scope="module")
def gt(workloads):
    return GroundTruth(workloads)


@pytest.fixture(scope="module", params=combo_params())
def combo(request):
    return request.param


def count_cmd(wl, py, probe, opts, script=BROAD, args=(), hook=False, exe=None, timeout=120):
    """pyaudit-trace -c --probe PROBE OPTS -- PY SCRIPT ARGS; returns (result, pid,
    the process's hook record or None)."""
    hookf = wl.tmpfile("hook-count-%s.json" % py.id) if hook else None
    res = run_tool(["-c", "--probe", probe] + list(opts) + ["--", exe or py.exe] +
                   script_args(script, args), env=wl.env(py, hook=hookf), timeout=timeout,
                   cwd=wl.base)
    assert res.rc == 0, "count run failed\n" + res.describe()
    pid = the_pid(res.err_lines, " ".join(res.argv))
    check_attach_line(res.err_lines, pid, py, probe)  # route, version, coverage complete
    return res, pid, (load_record(hookf) if hook else None)


def count_attached(targets, probe, opts, wl):
    """Starts one tool per opts list on -p of the waiting targets, releases them,
    waits for them; returns the stopped Tools (same order as opts)."""
    tools = []
    try:
        for t in targets:
            t.wait_ready()
        pids = ",".join(str(t.pid) for t in targets)
        for o in opts:
            tools.append(Tool(["-c", "--probe", probe] + list(o) + ["-p", pids], cwd=wl.base))
        for tool in tools:
            tool.wait_ready()
        for t in targets:
            t.release()
        records = [t.finish() for t in targets]
        for tool in tools:
            rc = tool.stop()
            assert rc == 0, "tool exit %r\n%s" % (rc, tool.describe())
    finally:
        for t in targets:
            t.kill()
        for tool in tools:
            tool.kill()
    for tool in tools:
        for t in targets:
            check_attach_line(tool.err, t.pid, t.py, probe)  # coverage complete
    return tools, records


def total_table(tables, where):
    """The last table: the total at exit (interval null)."""
    t = tables[-1]
    assert t["interval"] is None, "%s: last table has interval %r" % (where, t["interval"])
    return t


# ---------------------------------------------------------------------------------------
# 1. exact counts


def exact_run(gt, py, probe, launch, hook):
    key = ("exact", py.id, probe, launch, hook)
    if key in gt.runs:
        return gt.runs[key]
    wl = gt.wl
    if launch == "cmd":
        res, pid, record = count_cmd(wl, py, probe, ["-j"], hook=hook)
        out, t0, t1 = res.stdout, res.t0, res.t1
    else:
        tgt = Target(wl, py, hook, ())
        (tool,), (record,) = count_attached([tgt], probe, [["-j"]], wl)
        out, t0, t1, pid = tool.stdout_bytes(), tool.t0, tool.t1, tgt.pid
        assert attach_pids(tool.err) == [pid], tool.describe()
    where = "-c -j %s %s %s %s" % (py.id, probe, launch, "hook" if hook else "nohook")
    tables = parse_count_json(out, where)
    exp = gt.expected(py, probe, launch, hook=hook, record=record)
    gt.runs[key] = (tables, exp, pid, t0, t1, where)
    return gt.runs[key]


@pytest.mark.parametrize("hook", [False, True], ids=["nohook", "hook"])
@pytest.mark.parametrize("launch", ["cmd", "pid"])
def test_exact_counts(gt, combo, launch, hook):
    py, probe = combo
    tables, exp, pid, t0, t1, where = exact_run(gt, py, probe, launch, hook)
    assert len(tables) == 1, "%s: %d tables without -i" % (where, len(tables))
    t = total_table(tables, where)
    got = Counter({r["event"]: r["count"] for r in t["rows"]})
    assert_counts(got, exp, where, at_least=WAIT_LOOP_EVENTS if launch == "pid" else ())
    assert t["total"]["total"] == sum(got.values())
    assert "lost" not in t["total"], where
    # names only the start-up raises are there under `--` and absent under -p
    assert ("cpython.run_file" in got) == (launch == "cmd"), where
    assert got["pyaudit_test.begin"] == got["pyaudit_test.end"] == 1, where


# ---------------------------------------------------------------------------------------
# 2. output formats


def test_json_lines(gt, combo):
    py, probe = combo
    tables, exp, pid, t0, t1, where = exact_run(gt, py, probe, "cmd", False)
    (t,) = tables
    rows = t["rows"]
    # parse_count_json checked: every line JSON, key order and types, shared ts/interval,
    # rows sorted, total == sum, rate == total / span.  Now the values:
    assert [r["event"] for r in rows] == [n for n, _ in sorted(exp.items(), key=lambda kv: (
        -kv[1], kv[0].encode()))], where
    assert all(list(r) == ["ts", "interval", "event", "count"] for r in rows)
    assert t["interval"] is None
    assert t0 - 1 <= t["ts"] <= t1 + 1, "%s: ts %r outside the run [%r, %r]" % (
        where, t["ts"], t0, t1)
    assert 0 < t["total"]["span_s"] <= t1 - t0 + 0.1, "%s: span %r for a run of %.3f s" % (
        where, t["total"]["span_s"], t1 - t0)
    assert t["total"]["total"] == sum(exp.values()) == sum(r["count"] for r in rows)
    assert set(t["total"]) == {"ts", "interval", "total", "span_s", "rate"}, t["total"]


def test_text_table(gt, combo):
    py, probe = combo
    res, pid, _ = count_cmd(gt.wl, py, probe, [])
    where = "-c %s %s" % (py.id, probe)
    tables = parse_count_text(res.stdout.decode("utf-8"), where)
    assert len(tables) == 1 and tables[0]["kind"] == "total", where
    t = tables[0]
    exp = gt.expected(py, probe, "cmd")
    assert_counts(Counter({r["event"]: r["count"] for r in t["rows"]}), exp, where)
    assert t["total"] == sum(exp.values())
    assert 0 < t["span"] <= res.t1 - res.t0 + 0.01, where
    assert res.stdout.decode().split("\n")[1].split() == ["EVENT", "COUNT"]


# ---------------------------------------------------------------------------------------
# 3. --by and --top


def test_by_and_top(gt, combo):
    py, probe = combo
    wl = gt.wl
    exp = gt.expected(py, probe, "cmd")  # == the --by event counts (test_exact_counts)
    total = sum(exp.values())

    res, pid, _ = count_cmd(wl, py, probe, ["-j", "--by", "pid,event"])
    where = "--by pid,event %s %s" % (py.id, probe)
    (t,) = parse_count_json(res.stdout, where, by=("pid", "event"))
    assert {r["pid"] for r in t["rows"]} == {pid}, where
    assert_counts(by_event(t["rows"]), exp, where)
    assert t["total"]["total"] == total

    res, pid, _ = count_cmd(wl, py, probe, ["-j", "--by", "comm"])
    where = "--by comm %s %s" % (py.id, probe)
    (t,) = parse_count_json(res.stdout, where, by=("comm",))
    assert [(r["comm"], r["count"]) for r in t["rows"]] == [(py.comm, total)], where
    assert t["total"]["total"] == total

    top3 = sorted(exp.items(), key=lambda kv: (-kv[1], kv[0].encode()))[:3]
    res, pid, _ = count_cmd(wl, py, probe, ["-j", "--top", "3"])
    where = "--top 3 -j %s %s" % (py.id, probe)
    (t,) = parse_count_json(res.stdout, where)
    assert [(r["event"], r["count"]) for r in t["rows"]] == top3, where
    assert t["total"]["total"] == total, "%s: the total must count every event" % where
    assert t["total"].get("more_rows") == len(exp) - 3, (where, t["total"])
    assert t["total"].get("more_events") == total - sum(c for _, c in top3), (where, t["total"])

    res, pid, _ = count_cmd(wl, py, probe, ["--top", "3"])
    where = "--top 3 %s %s" % (py.id, probe)
    (t,) = parse_count_text(res.stdout.decode("utf-8"), where)
    assert [(r["event"], r["count"]) for r in t["rows"]] == top3, where
    assert t["more"] == (len(exp) - 3, total - sum(c for _, c in top3)), where
    assert t["total"] == t["n"] == total, where


# ---------------------------------------------------------------------------------------
# 4. -i and --cumulative

INTERVAL_ROUNDS, INTERVAL_PAUSE_MS = 30, 100  # ~3 s


def test_interval(gt, combo):
    py, probe = combo
    wl = gt.wl
    variants = [("text", []), ("json", ["-j"]), ("text", ["--cumulative"]),
                ("json", ["-j", "--cumulative"])]
    hooks = [wl.tmpfile("hook-interval-%s.json" % py.id) for _ in variants]
    args = script_args(IDLOOP, [INTERVAL_ROUNDS, INTERVAL_PAUSE_MS])
    tools = []
    try:  # the four at once: ~3 s in all
        for (_, opts), hookf in zip(variants, hooks):
            tools.append(Tool(["-c", "--probe", probe, "-i", "1"] + opts + ["--", py.exe] + args,
                              env=wl.env(py, hook=hookf), cwd=wl.base))
        for tool in tools:
            assert tool.wait(60) == 0, tool.describe()
            check_attach_line(tool.err, the_pid(tool.err, tool.describe()), py, probe)
    finally:
        for tool in tools:
            tool.kill()
    for (fmt, opts), hookf, tool in zip(variants, hooks, tools):
        cumulative = "--cumulative" in opts
        where = "-c -i 1 %s (%s) %s %s" % (" ".join(opts), fmt, py.id, probe)
        record = load_record(hookf)
        assert record["counts"]["builtins.id"] == INTERVAL_ROUNDS * ID_CALLS, record
        exp = gt.expected(py, probe, "cmd", IDLOOP, [INTERVAL_ROUNDS, INTERVAL_PAUSE_MS],
                          hook=True, record=record, trace_args=[INTERVAL_ROUNDS, 0])
        if fmt == "json":
            tables = parse_count_json(tool.stdout_bytes(), where)
            periodic, final = tables[:-1], total_table(tables, where)
            if cumulative:  # documented: null for cumulative tables and the total
                assert all(t["interval"] is None for t in periodic), where
            else:
                assert [t["interval"] for t in periodic] == list(range(1, len(periodic) + 1)), \
                    where
            counts = [Counter({r["event"]: r["count"] for r in t["rows"]}) for t in tables]
            spans = [t["total"]["span_s"] for t in tables]
        else:
            tables = parse_count_text(tool.stdout_bytes().decode("utf-8"), where)
            periodic, final = tables[:-1], tables[-1]
            kinds = {t["kind"] for t in periodic}
            assert kinds == {"cumulative since start" if cumulative else "counts per interval"}, \
                (where, kinds)
            assert all(t["interval_s"] == (None if cumulative else "1") for t in periodic)
            assert final["kind"] == "total", where
            counts = [Counter({r["event"]: r["count"] for r in t["rows"]}) for t in tables]
            spans = [t["span"] for t in tables]
        assert len(periodic) >= 2, "%s: %d periodic tables in a ~3 s run" % (where, len(periodic))
        assert_counts(counts[-1], exp, where + ", total")
        ids = exp["builtins.id"]  # the rounds', plus json.dump's id() calls after "end"
        if cumulative:
            for a, b in zip(counts, counts[1:]):
                dec = {n: (a[n], b[n]) for n in a if b[n] < a[n]}
                assert not dec, "%s: cumulative counts decrease: %s" % (where, dec)
            assert counts[0]["builtins.id"] < ids, "%s: the first table already has all" % where
            for i, s in enumerate(spans[:-1]):  # since start: about 1, 2, 3 s
                assert i + 0.5 < s < i + 1.9, "%s: table %d spans %s s" % (where, i + 1, s)
        else:
            summed = sum(counts[:-1], Counter())
            assert_counts(summed, counts[-1], where + ": sum of the interval tables vs the total")
            assert sum(1 for c in counts[:-1] if c["builtins.id"]) >= 2, \
                "%s: builtins.id in fewer than 2 intervals" % where
            assert max(c["builtins.id"] for c in counts[:-1]) < ids, where
            for i, s in enumerate(spans[:-2]):  # whole intervals (the last may be partial)
                assert 0.5 < s < 1.9, "%s: interval %d spans %s s" % (where, i + 1, s)


# ---------------------------------------------------------------------------------------
# 5. filters in count mode


def test_count_filters(gt, combo):
    py, probe = combo
    wl = gt.wl
    exp = gt.expected(py, probe, "cmd")

    res, pid, _ = count_cmd(wl, py, probe, ["-j", "-e", "socket.*"])
    where = "-c -e socket.* %s %s" % (py.id, probe)
    (t,) = parse_count_json(res.stdout, where)
    got = Counter({r["event"]: r["count"] for r in t["rows"]})
    hook_socket = Counter({n: c for n, c in gt.window(py, BROAD, ()).items()
                           if n.startswith("socket.")})
    assert sum(hook_socket.values()) >= 8 and len(hook_socket) >= 4, hook_socket
    # broad.py raises socket events only in its window: the hook saw all of them
    assert_counts(Counter({n: c for n, c in exp.items() if fnmatchcase(n, "socket.*")}),
                  hook_socket, "ground truth: socket events outside the hook's window?")
    assert_counts(got, hook_socket, where)

    res, pid, _ = count_cmd(wl, py, probe, ["-j", "-x", "import,open"])
    where = "-c -x import,open %s %s" % (py.id, probe)
    (t,) = parse_count_json(res.stdout, where)
    got = Counter({r["event"]: r["count"] for r in t["rows"]})
    assert exp["import"] > 50 and exp["open"] > 50, exp
    assert_counts(got, Counter({n: c for n, c in exp.items() if n not in ("import", "open")}),
                  where)

    res, pid, _ = count_cmd(wl, py, probe, ["-j", "-u", NO_UID])
    where = "-c -u %d %s %s" % (NO_UID, py.id, probe)
    (t,) = parse_count_json(res.stdout, where)
    assert t["rows"] == [] and t["total"]["total"] == 0, where

    uid = os.geteuid()
    res, pid, _ = count_cmd(wl, py, probe, ["-j", "-u", uid, "--by", "uid,event"])
    where = "-c -u %d --by uid,event %s %s" % (uid, py.id, probe)
    (t,) = parse_count_json(res.stdout, where, by=("uid", "event"))
    assert {r["uid"] for r in t["rows"]} == {uid}, where
    assert_counts(by_event(t["rows"]), exp, where)

    name = pwd.getpwuid(uid).pw_name  # -u takes a user name too
    res, pid, _ = count_cmd(wl, py, probe, ["-j", "-u", name])
    where = "-c -u %s %s %s" % (name, py.id, probe)
    (t,) = parse_count_json(res.stdout, where)
    assert_counts(Counter({r["event"]: r["count"] for r in t["rows"]}), exp, where)


def test_comm_filter(gt, combo):
    """-p A,B with A = PY idloop (comm of the interpreter) and B = the same interpreter
    through a symlink named OTHER_COMM, different round counts; one tool per --comm."""
    py, probe = combo
    wl = gt.wl
    link_dir = wl.base / ("comm-" + py.id)
    link_dir.mkdir(exist_ok=True)
    link = link_dir / OTHER_COMM
    if not link.exists():
        link.symlink_to(py.exe)
    assert py.comm != OTHER_COMM
    rounds = {"a": 2, "b": 4}
    a = IdloopTarget(wl, py, [rounds["a"]])
    b = IdloopTarget(wl, py, [rounds["b"]], exe=str(link))
    comms = [py.comm, OTHER_COMM]
    tools, _ = count_attached([a, b], probe, [["-j", "--by", "pid,comm,event", "--comm", c]
                                              for c in comms], wl)
    for tool, comm, tgt, r in zip(tools, comms, (a, b), (rounds["a"], rounds["b"])):
        where = "-c --comm %s -p A,B %s %s" % (comm, py.id, probe)
        assert sorted(attach_pids(tool.err)) == sorted([a.pid, b.pid]), tool.describe()
        (t,) = parse_count_json(tool.stdout_bytes(), where, by=("pid", "comm", "event"))
        keys = {(row["pid"], row["comm"]) for row in t["rows"]}
        assert keys == {(tgt.pid, comm)}, "%s: rows of %s, expected only (%d, %s)" % (
            where, keys, tgt.pid, comm)
        exp = gt.expected(py, probe, "pid", IDLOOP, [r])
        assert_counts(by_event(t["rows"]), exp, where, at_least=WAIT_LOOP_EVENTS)
        assert by_event(t["rows"])["builtins.id"] == r * ID_CALLS


# ---------------------------------------------------------------------------------------
# 6. a full counts map


def test_map_full(gt, combo):
    py, probe = combo
    wl = gt.wl
    exp = gt.expected(py, probe, "cmd")
    assert len(exp) > 40, "broad.py should raise many event names"
    for fmt in ("json", "text"):
        opts = ["--max-keys", "4", "--by", "pid,event"] + (["-j"] if fmt == "json" else [])
        res, pid, _ = count_cmd(wl, py, probe, opts)
        where = "-c %s %s %s" % (" ".join(opts), py.id, probe)
        lines = [l for l in res.err_lines if "not counted" in l]
        assert len(lines) == 1, "%s: expected one 'not counted' line on stderr\n%s" % (
            where, res.describe())
        m = re.match(r"^pyaudit-trace: warning: (\d+) events? not counted \(counts map full\)",
                     lines[0])
        assert m, lines[0]
        lost = int(m.group(1))
        if fmt == "json":
            (t,) = parse_count_json(res.stdout, where, by=("pid", "event"))
            rows, counted = t["rows"], t["total"]["total"]
            assert t["total"].get("lost") == lost, (where, t["total"])
        else:
            (t,) = parse_count_text(res.stdout.decode("utf-8"), where, by=("pid", "event"))
            rows, counted = t["rows"], t["total"]
        assert len(rows) == 4 and {r["pid"] for r in rows} == {pid}, (where, rows)
        # a key in the map counts every event of its name (the first one created it)
        assert_counts(by_event(rows), Counter({r["event"]: exp[r["event"]] for r in rows}),
                      where + " (rows)")
        assert counted + lost == sum(exp.values()), \
            "%s: counted %d + not counted %d != %d events" % (where, counted, lost,
                                                               sum(exp.values()))


# ---------------------------------------------------------------------------------------
# 7. --hist

HIST_ROUNDS = {"a": 4, "b": 3}
HIST_PAUSE_MS = 50


def test_hist(gt, combo):
    """-p A,B (A with a hook, B without: A alone raises its dump's events), --hist with
    --by pid,event in text and in JSON (two tools at once)."""
    py, probe = combo
    wl = gt.wl
    a = IdloopTarget(wl, py, [HIST_ROUNDS["a"], HIST_PAUSE_MS], hook=True)
    b = IdloopTarget(wl, py, [HIST_ROUNDS["b"], HIST_PAUSE_MS])
    variants = [("text", ["-c", "--hist", "--by", "pid,event"]),
                ("json", ["-j", "-c", "--hist", "--by", "pid,event"])]
    tools, (rec_a, _) = count_attached([a, b], probe, [o for _, o in variants], wl)
    exp = {a.pid: gt.expected(py, probe, "pid", IDLOOP, [HIST_ROUNDS["a"], HIST_PAUSE_MS],
                              hook=True, record=rec_a, trace_args=[HIST_ROUNDS["a"], 0]),
           b.pid: gt.expected(py, probe, "pid", IDLOOP, [HIST_ROUNDS["b"], HIST_PAUSE_MS],
                              trace_args=[HIST_ROUNDS["b"], 0])}
    for (fmt, opts), tool in zip(variants, tools):
        where = "-c %s -p A,B %s %s" % (" ".join(opts), py.id, probe)
        if fmt == "json":
            (t,) = parse_count_json(tool.stdout_bytes(), where, by=("pid", "event"))
        else:
            (t,) = parse_count_text(tool.stdout_bytes().decode("utf-8"), where,
                                    by=("pid", "event"))
        per_pid = defaultdict(Counter)
        for r in t["rows"]:
            per_pid[r["pid"]][r["event"]] += r["count"]
        assert set(per_pid) == {a.pid, b.pid}, (where, set(per_pid))
        for pid in (a.pid, b.pid):
            assert_counts(per_pid[pid], exp[pid], "%s, pid %d" % (where, pid),
                          at_least=WAIT_LOOP_EVENTS)
        total, nproc = by_event(t["rows"]), Counter()
        for pid in per_pid:
            nproc.update(per_pid[pid].keys())
        # one sample per event after a process's first one of that name
        want = {n: total[n] - nproc[n] for n in total if total[n] > nproc[n]}
        got = {n: sum(h) for n, h in t["hists"].items()}
        assert got == want, "%s: histogram sums %s, expected count - processes %s" % (
            where, sorted(got.items()), sorted(want.items()))
        assert nproc["pyaudit_test.begin"] == 2 and "pyaudit_test.begin" not in t["hists"]
        assert nproc["os.rename"] == 1  # A's dump only
        # once per round, HIST_PAUSE_MS (50 ms: slot 32768-65535 us) or more apart
        for n in ("socket.bind", "nosuch.event"):
            slots = t["hists"][n]
            used = [s for s, c in enumerate(slots) if c]
            assert used and min(used) >= 15 and max(used) <= 20, \
                "%s: %s every %d ms in slots %s (2^15 us = 32.8 ms)" % (
                    where, n, HIST_PAUSE_MS, used)


# ---------------------------------------------------------------------------------------
# 8. trace-mode filters, evaluated in the kernel


def test_trace_filters(gt, combo):
    py, probe = combo
    wl = gt.wl
    # -e socket.* with the hook installed: the very same process, so tids are equal
    out = wl.tmpfile("socket.jsonl")
    hookf = wl.tmpfile("hook-socket-%s.json" % py.id)
    res = run_tool(["-j", "--probe", probe, "-o", out, "-e", "socket.*", "--", py.exe, BROAD],
                   env=wl.env(py, hook=hookf), timeout=120, cwd=wl.base)
    assert res.rc == 0, res.describe()
    where = "-j -e socket.* %s %s" % (py.id, probe)
    events = parse_json_lines(out.read_bytes(), str(out))
    record = load_record(hookf)
    bad = sorted({e["event"] for e in events if not fnmatchcase(e["event"], "socket.*")})
    assert not bad, "%s let through %s" % (where, bad)
    assert {e["pid"] for e in events} == {record["pid"]}, where
    exp = [(e[0], e[1], [ac.expect_value(x) for x in e[2]]) for e in record["events"]
           if fnmatchcase(e[1], "socket.*")]
    assert len(exp) >= 8, exp
    got_t, exp_t = defaultdict(list), defaultdict(list)
    for e in events:
        got_t[e["tid"]].append(e)
    for x in exp:
        exp_t[x[0]].append(x)
    assert sorted(got_t) == sorted(exp_t), "%s: tids %s, hook %s" % (where, sorted(got_t),
                                                                       sorted(exp_t))
    for tid in exp_t:
        g, x = got_t[tid], exp_t[tid]
        assert [e["event"] for e in g] == [n for _, n, _ in x], "%s: tid %d" % (where, tid)
        for i, (ge, (_, name, args)) in enumerate(zip(g, x)):
            r = ac.match_event(ge, name, args)
            assert r is None, "%s: tid %d event %d %s: %s\n tool: %s\n hook: %s" % (
                where, tid, i, name, r, json.dumps(ge["args"])[:500], json.dumps(args)[:500])

    # a glob no known event matches: a warning, and the run goes on with it
    rounds = 3
    out = wl.tmpfile("nosuch.jsonl")
    res = run_tool(["-j", "--probe", probe, "-o", out, "-e", "nosuch.*", "--", py.exe] +
                   script_args(IDLOOP, [rounds]), env=wl.env(py), timeout=60, cwd=wl.base)
    where = "-j -e nosuch.* %s %s" % (py.id, probe)
    assert res.rc == 0, res.describe()
    warn = [l for l in res.err_lines if "nosuch.*" in l]
    assert len(warn) == 1 and warn[0].startswith("pyaudit-trace: warning: ") and \
        "matches no known event" in warn[0], "%s: no warning about the glob\n%s" % (
            where, res.describe())
    events = parse_json_lines(out.read_bytes(), str(out))
    pid = the_pid(res.err_lines, where)
    assert [(e["pid"], e["event"], e["args"]) for e in events] == \
        [(pid, "nosuch.event", [1])] * rounds, "%s: %s" % (where, events[:10])
