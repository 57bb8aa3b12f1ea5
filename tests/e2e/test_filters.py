# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""-e / -x event filters on the broad workload (no hook): exactly the filtered
reference comes out, nothing else, not even during interpreter startup."""
from fnmatch import fnmatchcase

import pytest

import audit_compare as ac
from harness import BROAD, check_one_error_line, parse_json_lines, python_params, run_tool

pytestmark = pytest.mark.usefixtures("tool")


def run_filtered(workloads, py, filt):
    out = workloads.tmpfile("filter.jsonl")
    res = run_tool(["-j", "-o", out] + filt + ["--", py.exe, BROAD],
                   env=workloads.env(py), timeout=240, cwd=workloads.base)
    assert res.rc == 0, res.describe()
    return parse_json_lines(out.read_bytes(), str(out))


def begin_pid(events):
    pids = {e["pid"] for e in events if e["event"] == ac.BEGIN}
    assert len(pids) == 1, pids
    return pids.pop()


@pytest.mark.parametrize("py", python_params())
def test_include_globs(workloads, py):
    ref = workloads.reference(py)
    globs = ["socket.*", "pyaudit_test.*"]  # several -e: an event passing any of them
    events = run_filtered(workloads, py, ["-e", globs[0], "-e", globs[1]])
    keep = lambda name: any(fnmatchcase(name, g) for g in globs)  # noqa: E731
    bad = sorted({e["event"] for e in events if not keep(e["event"])})
    assert not bad, "-e socket.* -e pyaudit_test.* let through: %s" % bad
    window = ac.compare(events, ref, cross_run=True, pid=begin_pid(events), keep=keep,
                        label="%s -e %s" % (py.id, " -e ".join(globs)))
    assert sum(e["event"].startswith("socket.") for e in window) >= 8


@pytest.mark.parametrize("py", python_params())
def test_exclude_comma_list(workloads, py):
    ref = workloads.reference(py)
    events = run_filtered(workloads, py, ["-x", "import,open"])
    bad = [e for e in events if e["event"] in ("import", "open")]
    assert not bad, "-x import,open let through %d events, e.g. %s" % (len(bad), bad[0])
    pid = begin_pid(events)
    ac.compare(events, ref, cross_run=True, pid=pid, keep=lambda n: n not in ("import", "open"),
               label="%s -x import,open" % py.id)
    # startup is still traced, minus the excluded names
    before = [e["event"] for e in events if e["pid"] == pid]
    assert "cpython.run_file" in before and "exec" in before


def test_bad_glob():
    res = run_tool(["-j", "-e", "os.[", "-d", "1"], timeout=30)
    check_one_error_line(res, contains=["bad glob"])


def test_unknown_user():
    res = run_tool(["-c", "-u", "no-such-user-pyaudit", "-d", "1"], timeout=30)
    check_one_error_line(res, contains=["no-such-user-pyaudit", "no such user"])
