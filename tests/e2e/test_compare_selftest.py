# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The comparator, on hand-made input (no tool, no workload): the truncation rules,
the listed normalisations and nothing more."""
import pytest

import audit_compare as ac

PID = 100


def rec(*events, tid=PID):
    evs = [[tid, ac.BEGIN, []]] + [[tid, n, a] for n, a in events] + [[tid, ac.END, []]]
    return {"pid": PID, "python": "3.11.2", "events": evs}


def tool(*events, pid=PID, tid=PID, extra=None):
    out = [{"pid": pid, "tid": tid, "event": ac.BEGIN, "args": []}]
    for n, a in events:
        out.append(dict({"pid": pid, "tid": tid, "event": n, "args": a}, **(extra or {})))
    out.append({"pid": pid, "tid": tid, "event": ac.END, "args": []})
    return out


def test_str_truncation_counts_in_memory_bytes():
    assert ac.expect_value("x" * 256) == "x" * 256
    assert ac.expect_value("x" * 257) == {"type": "str", "value": "x" * 256, "truncated": True,
                                          "length": 257}
    assert ac.expect_value("\xe9" * 20, 16) == {"type": "str", "value": "\xe9" * 16,
                                                "truncated": True, "length": 20}
    assert ac.expect_value("\u4e16" * 9, 16) == {"type": "str", "value": "\u4e16" * 8,
                                                 "truncated": True, "length": 9}
    assert ac.expect_value("\u4e16" * 8, 16) == "\u4e16" * 8
    assert ac.expect_value("\U0001F600" * 5, 16) == {"type": "str", "value": "\U0001F600" * 4,
                                                     "truncated": True, "length": 5}
    # a lone surrogate / noncharacter: U+FFFD in the value, the exact unit in "replaced"
    assert ac.expect_value("a\udc80", 16) == {"type": "str", "value": "a\ufffd",
                                              "replaced": [[1, 0xDC80]]}
    assert ac.expect_value("\ufffe" + "x" * 20, 16) == {
        "type": "str", "value": "\ufffd" + "x" * 7, "replaced": [[0, 0xFFFE]], "truncated": True,
        "length": 21}


def test_bytes_and_container_truncation():
    b = {"type": "bytes", "value": "y" * 20}
    assert ac.expect_value(b, 16) == {"type": "bytes", "value": "y" * 16, "truncated": True,
                                      "length": 20}
    t = {"type": "tuple", "length": 9, "value": list(range(9))}
    assert ac.expect_value(t) == {"type": "tuple", "value": list(range(8)), "truncated": True,
                                  "length": 9}
    lst = {"type": "list", "length": 2, "value": ["a" * 20, 1]}
    assert ac.expect_value(lst, 16) == {"type": "list", "value": [
        {"type": "str", "value": "a" * 16, "truncated": True, "length": 20}, 1]}


def test_exact_match_and_strict_types():
    r = rec(("e", [1, 1.5, -0.0, True, None, "s"]))
    ac.compare(tool(("e", [1, 1.5, -0.0, True, None, "s"])), r)
    for bad in ([1.0, 1.5, -0.0, True, None, "s"],  # int shown as float
                [1, 1.5, 0.0, True, None, "s"],  # sign of zero lost
                [1, 1.5, -0.0, 1, None, "s"],  # bool shown as int
                [1, 1.5, -0.0, True, "None", "s"],
                [1, 1.5, -0.0, True, None]):
        with pytest.raises(ac.CompareError):
            ac.compare(tool(("e", bad)), r)
    # a float printed without a fraction is still the same JSON number
    ac.compare(tool(("e", [2])), rec(("e", [2.0])))


def test_nested_container_short_form_only_inside_containers():
    inner = {"type": "tuple", "length": 2, "value": [3, 4]}
    r = rec(("e", [{"type": "tuple", "length": 2, "value": [1, inner]}]))
    full = {"type": "tuple", "value": [1, {"type": "tuple", "value": [3, 4]}]}
    ac.compare(tool(("e", [full])), r)
    ac.compare(tool(("e", [{"type": "tuple", "value": [1, {"type": "tuple"}]}])), r)
    ac.compare(tool(("e", [{"type": "tuple", "value": [1, {"type": "tuple", "length": 2}]}])), r)
    with pytest.raises(ac.CompareError):
        bad_len = {"type": "tuple", "value": [1, {"type": "tuple", "length": 3}]}
        ac.compare(tool(("e", [bad_len])), r)
    with pytest.raises(ac.CompareError):  # top level: never the short form
        ac.compare(tool(("e", [{"type": "tuple"}])), r)


def test_args_truncated():
    r = rec(("e", list(range(14))))
    evs = tool(("e", list(range(12))))
    evs[1].update(args_truncated=True, nargs=14)
    ac.compare(evs, r)
    evs[1].update(nargs=13)
    with pytest.raises(ac.CompareError):
        ac.compare(evs, r)
    evs[1].update(nargs=14, args=list(range(1, 13)))
    with pytest.raises(ac.CompareError):
        ac.compare(evs, r)


def test_cross_run_normalisations():
    r = rec(("builtins.id", [140000000]), ("open", ["/d/pyaudit-tmp-ab_d1234.dat", None, 1]))
    got = tool(("builtins.id", [150000000]), ("open", ["/d/pyaudit-tmp-zzzzzzzz.dat", None, 1]),
               pid=7, tid=8)
    ac.compare(got, r, cross_run=True, pid=7)
    with pytest.raises(ac.CompareError):  # same run: exact
        ac.compare(tool(("builtins.id", [150000000]),
                        ("open", ["/d/pyaudit-tmp-ab_d1234.dat", None, 1])), r)
    with pytest.raises(ac.CompareError):  # other random-looking names are not masked
        ac.compare(tool(("builtins.id", [1]), ("open", ["/d/tmpzzzzzzzz.dat", None, 1]),
                        pid=7, tid=8),
                   rec(("builtins.id", [1]), ("open", ["/d/tmpab_d1234.dat", None, 1])),
                   cross_run=True, pid=7)


def test_threads_compared_separately():
    r = {"pid": PID, "events": [[PID, ac.BEGIN, []], [PID, "a", []], [PID + 1, "t", []],
                                [PID, "b", []], [PID, ac.END, []]]}
    got = [{"pid": PID, "tid": t, "event": n, "args": []} for t, n in
           [(PID, ac.BEGIN), (PID + 1, "t"), (PID, "a"), (PID, "b"), (PID, ac.END)]]
    ac.compare(got, r)  # interleaving across threads does not matter
    got[1]["tid"] = PID + 2
    with pytest.raises(ac.CompareError):  # same run: tids must be the real ones
        ac.compare(got, r)
    ac.compare(got, r, cross_run=True, pid=PID)


def test_report_is_readable():
    r = rec(("a", [1]), ("b", ["x"]), ("c", []))
    with pytest.raises(ac.CompareError) as ei:
        ac.compare(tool(("a", [1]), ("b", ["y"]), ("c", [])), r)
    msg = str(ei.value)
    assert "first mismatch" in msg and "index 2" in msg and 'expected "x", got "y"' in msg
    assert "counts per event" in msg and "TOTAL" in msg
    with pytest.raises(ac.CompareError) as ei:
        ac.compare(tool(("a", [1]), ("c", [])), r)
    assert "! b" in str(ei.value)


def test_window_needs_one_begin_and_end():
    with pytest.raises(ac.CompareError, match="exactly one"):
        ac.compare(tool(("a", []))[:-1], rec(("a", [])))
    with pytest.raises(ac.CompareError, match="exactly one"):
        ac.compare(tool(("a", []), pid=5), rec(("a", [])))


def test_nested_container_cut_form():
    inner = {"type": "tuple", "length": 2, "value": [3, 4]}
    r = rec(("e", [{"type": "tuple", "length": 2, "value": [1, inner]}]))

    def with_inner(x):
        return tool(("e", [{"type": "tuple", "value": [1, x]}]))
    ac.compare(with_inner({"type": "tuple", "value": [], "truncated": True, "length": 2}), r)
    ac.compare(with_inner({"type": "tuple", "value": [3], "truncated": True, "length": 2}), r)
    for bad in ({"type": "tuple", "value": [], "truncated": True, "length": 3},  # wrong N
                {"type": "tuple", "value": [], "truncated": True},  # no N
                {"type": "tuple", "value": [9], "truncated": True, "length": 2},  # not a prefix
                {"type": "tuple", "value": [3, 4], "truncated": True, "length": 2},  # not cut
                {"type": "list", "value": [], "truncated": True, "length": 2}):  # wrong type
        with pytest.raises(ac.CompareError):
            ac.compare(with_inner(bad), r)
    # top level: only the exact 8-item rule
    r9 = rec(("e", [{"type": "tuple", "length": 9, "value": list(range(9))}]))
    with pytest.raises(ac.CompareError):
        ac.compare(tool(("e", [{"type": "tuple", "value": [0], "truncated": True,
                                "length": 9}])), r9)


def test_site_and_stack():
    """The hook's site (PYAUDIT_SITE) and its frames along f_back (PYAUDIT_STACK) against
    the tracer's "site" and "stack" (--stack)."""
    f1, f2 = ["/a.py", 3, "f"], ["/a.py", 9, "<module>"]
    r = {"pid": PID, "python": "3.11.2", "events": [
        [PID, ac.BEGIN, [], None], [PID, "e", [], f1 + [[f1, f2]]], [PID, ac.END, [], None]]}
    site = {"file": "/a.py", "line": 3, "function": "f"}
    outer = {"file": "/a.py", "line": 9, "function": "<module>"}
    ev = tool(("e", []))
    ac.compare(ev, r)  # no site reported (--no-site): nothing to compare
    ev[1]["site"] = site
    ac.compare(ev, r)  # a site and no stack (--stack not given)
    ev[1]["stack"] = [site, outer]
    ac.compare(ev, r)
    for bad_site, bad_stack in ((dict(site, line=4), [dict(site, line=4), outer]),
                                (site, [site]),
                                (site, [site, dict(outer, line=8)]),
                                (site, [site, outer, outer])):
        ev[1]["site"], ev[1]["stack"] = bad_site, bad_stack
        with pytest.raises(ac.CompareError):
            ac.compare(ev, r)
