# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""audit_compare.py - compare pyaudit-trace's JSON events with the ground truth recorded
by the in-process audit hook of tests/workloads/broad.py.

compare() is exact: event for event, name and arguments, per thread, in order.  The
hook's values are first turned into what the tracer must print for them (the -s and
8-item truncation rules of the JSON contract, see expect_value()); after that the only
differences accepted are the ones listed here, each for a reason:

Always (contract):
  N1. A tuple or list *inside* a tuple or list may be shown without its items: as
      {"type": "tuple"} (or "list"), optionally with the correct "length", or cut like
      a long container, {"type": ..., "value": [first k items], "truncated": true,
      "length": N} with any k (0 included) and the correct N.  The tracer decodes
      container items one level deep only.  Top-level containers are always compared
      in full (a top-level cut must be exactly the 8-item rule).
  N2. An event with more arguments than the tracer captures carries
      "args_truncated": true and "nargs": N; then N must equal the hook's count and
      the captured arguments must equal the hook's first ones.

Only when the tracer's run and the hook's run are different processes (cross_run=True,
the "no hook installed" comparisons):
  X1. Threads are matched by role, not by tid (tids differ between processes): the
      thread that raised pyaudit_test.begin, then the others in order of their first
      event.  In a same-run comparison the tids must be equal.
  X2. Arguments that are memory addresses (ADDRESS_ARGS) differ with ASLR and heap
      layout: both sides must be ints and are then replaced by "<address>".  In a
      same-run comparison they must be equal.
  X3. tempfile's random 8 characters after the prefix "pyaudit-tmp-" (the only random
      names the workload uses) are masked in every string.

Nothing else is normalised: paths, ports, fds, sizes, flags and times are made
deterministic by the workload itself.

Call sites: when the hook recorded them (PYAUDIT_SITE=1, a 4th element per event) and
the tracer's event has "site", the two must be equal: {"file", "line", "function"} of
sys._getframe(1) in the hook, or null for an event with no Python frame.  When the hook
also recorded the frames along f_back (PYAUDIT_STACK=N) and the tracer's event has
"stack" (--stack N), the two lists of frames must be equal too.
"""
import json
import math
import re
from collections import Counter, OrderedDict

STR_DEFAULT = 256  # -s default (PA_STR_DEFAULT)
MAX_ITEMS = 8  # items shown of a tuple/list (PA_MAX_ITEMS)

BEGIN = "pyaudit_test.begin"
END = "pyaudit_test.end"

# X2: (event name) -> indexes of arguments that are raw addresses.
ADDRESS_ARGS = {
    "builtins.id": (0,),
    "ctypes.string_at": (0,),
    "ctypes.wstring_at": (0,),
    "ctypes.call_function": (0,),  # function pointer (Linux: 3.14+)
    "ctypes.memoryview_at": (0,),
    "ctypes.cdata": (0,),
    "ctypes.cdata/buffer": (0,),
    "ctypes.dlsym/handle": (0,),
}
_TMPNAME = re.compile(r"pyaudit-tmp-[A-Za-z0-9_]{8}")
_TMPMASK = "pyaudit-tmp-XXXXXXXX"


class CompareError(AssertionError):
    pass


# ---------------------------------------------------------------------------------------
# hook value -> expected tracer value


def str_kind(s):
    """Bytes per code point of CPython's compact representation of s (1, 2 or 4)."""
    m = max(map(ord, s)) if s else 0
    return 1 if m < 0x100 else 2 if m < 0x10000 else 4


def unfit(c):
    """A character I-JSON cannot carry (a lone surrogate, a noncharacter): the tracer
    writes U+FFFD and lists the exact code unit in "replaced"."""
    o = ord(c)
    return 0xD800 <= o <= 0xDFFF or 0xFDD0 <= o <= 0xFDEF or (o & 0xFFFE) == 0xFFFE


def expect_str(s, str_size):
    kind = str_kind(s)
    cut = len(s) * kind > str_size
    v = s[: str_size // kind] if cut else s
    replaced = [[i, ord(c)] for i, c in enumerate(v) if unfit(c)]
    if not cut and not replaced:
        return s
    out = {"type": "str", "value": "".join("\ufffd" if unfit(c) else c for c in v)}
    if replaced:
        out["replaced"] = replaced
    if cut:
        out.update(truncated=True, length=len(s))
    return out


def expect_value(v, str_size=STR_DEFAULT):
    """The hook's record of a value (see broad.py) -> the tracer's JSON for it."""
    if isinstance(v, str):
        return expect_str(v, str_size)
    if not isinstance(v, dict):
        return v  # int, float, bool, None
    t = v.get("type")
    if t in ("bytes", "bytearray"):
        b = v["value"]
        if len(b) <= str_size:
            return {"type": t, "value": b}
        return {"type": t, "value": b[:str_size], "truncated": True, "length": len(b)}
    if t in ("tuple", "list"):
        n = v["length"]
        if "value" not in v:  # the hook stopped recursing: only N1's short form can match
            return {"type": t, "length": n, "_unrecorded": True}
        out = {"type": t, "value": [expect_value(x, str_size) for x in v["value"][:MAX_ITEMS]]}
        if n > MAX_ITEMS:
            out["truncated"] = True
            out["length"] = n
        return out
    return dict(v)  # dict, big int, nan/inf, other objects: already in tracer form


# ---------------------------------------------------------------------------------------
# value matching


def _same(t, e, depth):
    """Strict equality of a tracer value t with an expected value e.  Returns None or a
    reason.  depth = 0 for arguments, 1 for items of a container, ..."""
    if e is None or isinstance(e, bool):
        if t is e:
            return None
        return "expected %s, got %s" % (_j(e), _j(t))
    if type(e) is int:
        if type(t) is int and t == e:
            return None
        return "expected int %d, got %s" % (e, _j(t))
    if type(e) is float:
        # A JSON number; the value must round-trip exactly, sign of zero included.
        if type(t) in (int, float) and float(t) == e and \
                math.copysign(1.0, float(t)) == math.copysign(1.0, e):
            return None
        return "expected float %r, got %s" % (e, _j(t))
    if isinstance(e, str):
        if type(t) is str and t == e:
            return None
        return "expected %s, got %s" % (_j(e), _j(t))
    if isinstance(e, list):  # "replaced": [[index, unit], ...]
        if t == e:
            return None
        return "expected %s, got %s" % (_j(e), _j(t))
    if isinstance(e, dict):
        if not isinstance(t, dict):
            return "expected %s, got %s" % (_j(e), _j(t))
        et = e.get("type")
        if depth >= 1 and et in ("tuple", "list") and t.get("type") == et and (
                "value" not in t or t.get("truncated") is True):
            return _nested_short(t, e, et, depth)
        if e.get("_unrecorded"):
            return "expected a nested %s shown without items (N1), got %s" % (et, _j(t))
        if set(t) != set(e):
            return "expected %s, got %s (keys differ)" % (_j(e), _j(t))
        for k in e:
            if k == "value" and isinstance(e[k], list):
                r = _same_list(t[k], e[k], depth + 1)
            else:
                r = _same(t[k], e[k], depth)
            if r:
                return "%s %s: %s" % (et, k, r)
        return None
    return "cannot compare with %r" % (e,)


def _nested_short(t, e, et, depth):
    """N1: a container inside a container, shown without (all) its items."""
    extra = set(t) - {"type", "length", "truncated", "value"}
    if extra:
        return "nested %s: unexpected keys %s" % (et, sorted(extra))
    if "length" in t and t["length"] != _length(e):
        return "nested %s: length %s, expected %s" % (et, t["length"], _length(e))
    if "value" not in t:
        return None
    if "length" not in t:
        return "nested %s: cut without its length" % et
    items, want = t["value"], e.get("value", [])
    if not isinstance(items, list) or len(items) > len(want) or len(items) >= _length(e):
        return "nested %s: %s is not a proper prefix of its %d items" % (
            et, _j(items), _length(e))
    return _same_list(items, want[: len(items)], depth + 1)


def _same_list(t, e, depth):
    if not isinstance(t, list):
        return "expected a list of items, got %s" % _j(t)
    if len(t) != len(e):
        return "%d items, expected %d" % (len(t), len(e))
    for i, (a, b) in enumerate(zip(t, e)):
        r = _same(a, b, depth)
        if r:
            return "item %d: %s" % (i, r)
    return None


def _length(e):
    if "length" in e:
        return e["length"]
    return len(e.get("value", []))


_NO_SITE = object()


class _Site(dict):
    """The expected "site"; .stack: the expected "stack", or None if not recorded."""
    stack = None


def expect_site(site):
    """The hook's [file, line, function(, [frames])] (or None) -> the tracer's "site"
    (with the frames, if recorded, as its .stack)."""
    if site is None:
        return None
    out = _Site(file=site[0], line=site[1], function=site[2])
    if len(site) > 3:
        out.stack = [{"file": f[0], "line": f[1], "function": f[2]} for f in site[3]]
    return out


def match_event(tool_ev, exp_name, exp_args, exp_site=_NO_SITE):
    """None if the tracer's event equals the expected one, else a reason."""
    if tool_ev["event"] != exp_name:
        return "event name %r, expected %r" % (tool_ev["event"], exp_name)
    if exp_site is not _NO_SITE and "site" in tool_ev and tool_ev["site"] != exp_site:
        return "site %s, expected %s (sys._getframe(1) in the hook)" % (
            _j(tool_ev["site"], 200), _j(exp_site, 200))
    if exp_site is not _NO_SITE and "stack" in tool_ev and \
            getattr(exp_site, "stack", None) is not None and tool_ev["stack"] != exp_site.stack:
        return "stack %s, expected %s (sys._getframe(1) along f_back in the hook)" % (
            _j(tool_ev["stack"], 600), _j(exp_site.stack, 600))
    args = tool_ev["args"]
    if tool_ev.get("args_truncated"):
        # N2
        if tool_ev.get("nargs") != len(exp_args):
            return "args_truncated with nargs=%r, the event had %d arguments" % (
                tool_ev.get("nargs"), len(exp_args))
        if len(args) >= len(exp_args):
            return "args_truncated but all %d arguments are present" % len(args)
        exp_args = exp_args[: len(args)]
    elif "nargs" in tool_ev and tool_ev["nargs"] != len(exp_args):
        return "nargs=%r, the event had %d arguments" % (tool_ev["nargs"], len(exp_args))
    if len(args) != len(exp_args):
        return "%d arguments, expected %d" % (len(args), len(exp_args))
    for i, (a, b) in enumerate(zip(args, exp_args)):
        r = _same(a, b, 0)
        if r:
            return "argument %d: %s" % (i, r)
    return None


# ---------------------------------------------------------------------------------------
# cross-run normalisations (X2, X3)


def _mask_tmp(v):
    if isinstance(v, str):
        return _TMPNAME.sub(_TMPMASK, v)
    if isinstance(v, list):
        return [_mask_tmp(x) for x in v]
    if isinstance(v, dict):
        return {k: _mask_tmp(x) for k, x in v.items()}
    return v


def _normalise_cross_run(name, args):
    args = [_mask_tmp(a) for a in args]
    for i in ADDRESS_ARGS.get(name, ()):
        if i < len(args) and type(args[i]) is int:
            args[i] = "<address>"
    return args


# ---------------------------------------------------------------------------------------
# windows and threads


def tool_window(tool_events, pid, begin=BEGIN, end=END):
    """The tracer's events of pid from `begin` to `end` inclusive, in output order.
    Across threads the output order is the ring-buffer order, which follows causality:
    the workload starts its other threads after begin and joins them before end."""
    evs = [e for e in tool_events if e.get("pid") == pid]
    b = [i for i, e in enumerate(evs) if e["event"] == begin]
    en = [i for i, e in enumerate(evs) if e["event"] == end]
    if len(b) != 1 or len(en) != 1 or en[0] < b[0]:
        names = Counter(e["event"] for e in evs)
        marker = begin.split(".")[0]
        raise CompareError(
            "pid %d: expected exactly one %s and one %s after it in the tracer's output, "
            "found %d and %d (%d events of that pid in all; names with %r: %s; "
            "counts: %s)" % (
                pid, begin, end, len(b), len(en), len(evs), marker,
                sorted(n for n in names if marker in n)[:20],
                ", ".join("%s=%d" % kv for kv in sorted(names.items())[:40])))
    return evs[b[0]: en[0] + 1]


def _threads(items, tid_of, main_tid):
    """OrderedDict tid -> [items], main thread first, others by first appearance."""
    d = OrderedDict()
    d[main_tid] = []
    for it in items:
        d.setdefault(tid_of(it), []).append(it)
    return d


def compare(tool_events, record, str_size=STR_DEFAULT, cross_run=False, pid=None,
            keep=None, label="tracer vs hook"):
    """Assert that the tracer's events equal the hook's record.

    tool_events: all JSON events of a tracer run (dicts).
    record: the hook's dump (broad.py _dump()).
    cross_run: the record comes from another process running the same workload; pid is
               then the tracer-side pid (default: record["pid"]).
    keep: optional predicate on an event name: compare only events it accepts (the
          tracer ran with -e/-x; begin and end must still be kept).
    Returns the tracer's window (list of events) for further checks."""
    if pid is None:
        if cross_run:
            raise ValueError("cross_run needs the tracer-side pid")
        pid = record["pid"]
    window = tool_window(tool_events, pid)
    exp = [(ev[0], ev[1], [expect_value(a, str_size) for a in ev[2]],
            expect_site(ev[3]) if len(ev) > 3 else _NO_SITE)
           for ev in record["events"] if keep is None or keep(ev[1])]
    got = list(window)
    if cross_run:
        exp = [(tid, name, _normalise_cross_run(name, args), site)
               for tid, name, args, site in exp]
        got = [dict(e, args=_normalise_cross_run(e["event"], e["args"])) for e in got]

    exp_main = exp[0][0] if exp else None
    got_main = got[0]["tid"]
    exp_t = _threads(exp, lambda x: x[0], exp_main)
    got_t = _threads(got, lambda x: x["tid"], got_main)

    problems = []
    if cross_run:
        pairs = list(zip(got_t.items(), exp_t.items()))
        if len(got_t) != len(exp_t):
            problems.append("%d threads raised events, the hook saw %d" % (len(got_t), len(exp_t)))
    else:
        if list(got_t) != list(exp_t):
            if set(got_t) != set(exp_t):
                problems.append("threads: tracer tids %s, hook tids %s" % (
                    list(got_t), list(exp_t)))
        pairs = [((tid, got_t.get(tid, [])), (tid, exp_t.get(tid, []))) for tid in exp_t]
        pairs += [((tid, got_t[tid]), (tid, [])) for tid in got_t if tid not in exp_t]

    for (gtid, gevs), (etid, eevs) in pairs:
        r = _compare_thread(gevs, eevs)
        if r:
            idx, reason = r
            problems.append(_report(label, gtid, etid, gevs, eevs, idx, reason))
            break
    if problems:
        problems.append(_count_table(got, exp))
        raise CompareError("%s: pid %d, %s\n%s" % (
            label, pid, "cross-run" if cross_run else "same run", "\n".join(problems)))
    return window


def _compare_thread(got, exp):
    """None, or (index, reason) of the first difference."""
    for i in range(max(len(got), len(exp))):
        if i >= len(got):
            return i, "the tracer's thread ends here; the hook has %d more" % (len(exp) - i)
        if i >= len(exp):
            return i, "the hook's thread ends here; the tracer has %d more" % (len(got) - i)
        r = match_event(got[i], exp[i][1], exp[i][2], exp[i][3])
        if r:
            return i, r
    return None


def _later_mismatches(got, exp, idx, limit=12):
    """Argument differences after the first one, as long as the two sequences stay
    aligned (same event names), so that one failure shows more than one problem."""
    out = []
    for i in range(idx + 1, min(len(got), len(exp))):
        if got[i]["event"] != exp[i][1]:
            out.append("   %4d names diverge here (%s vs %s); stopping" % (
                i, got[i]["event"], exp[i][1]))
            break
        r = match_event(got[i], exp[i][1], exp[i][2], exp[i][3])
        if r:
            out.append("   %4d %s: %s" % (i, exp[i][1], r[:200]))
            if len(out) >= limit:
                out.append("   ...")
                break
    return out


# ---------------------------------------------------------------------------------------
# readable failure reports


def _j(v, limit=100):
    s = json.dumps(v, ensure_ascii=True)
    return s if len(s) <= limit else s[: limit - 12] + "...(%d ch)" % len(s)


def _fmt(name, args, limit=160):
    s = "%s(%s)" % (name, ", ".join(_j(a, 60) for a in args))
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _report(label, gtid, etid, got, exp, idx, reason, ctx=3):
    lines = ["first mismatch in thread tracer tid %s / hook tid %s at index %d: %s"
             % (gtid, etid, idx, reason)]
    lo = max(0, idx - ctx)
    lines.append("  tracer:")
    for i in range(lo, min(len(got), idx + ctx + 1)):
        lines.append("   %s%4d %s" % (">" if i == idx else " ", i,
                                      _fmt(got[i]["event"], got[i]["args"])))
    lines.append("  expected (hook):")
    for i in range(lo, min(len(exp), idx + ctx + 1)):
        lines.append("   %s%4d %s" % (">" if i == idx else " ", i, _fmt(exp[i][1], exp[i][2])))
    if idx < len(got) and idx < len(exp) and got[idx]["event"] == exp[idx][1]:
        lines.append("  tracer  : %s" % _j(got[idx]["args"], 2000))
        lines.append("  expected: %s" % _j(exp[idx][2], 2000))
        later = _later_mismatches(got, exp, idx)
        if later:
            lines.append("  further differences in this thread:")
            lines.extend(later)
    return "\n".join(lines)


def _count_table(got, exp):
    gc = Counter(e["event"] for e in got)
    ec = Counter(x[1] for x in exp)
    names = sorted(set(gc) | set(ec))
    w = max([len(n) for n in names] + [5])
    lines = ["counts per event (tracer / hook), '!' = differ:",
             "  %-*s %6s %6s" % (w, "EVENT", "TRACER", "HOOK")]
    for n in names:
        lines.append("%s %-*s %6d %6d" % ("!" if gc[n] != ec[n] else " ", w, n, gc[n], ec[n]))
    lines.append("  %-*s %6d %6d" % (w, "TOTAL", len(got), len(exp)))
    return "\n".join(lines)
