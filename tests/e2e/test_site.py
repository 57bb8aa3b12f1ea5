# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The Python call site: --stack N frames, innermost first, equal to what
sys._getframe() says in the same program (the script prints its own expectation
after the events); text form; --no-site; C events with no Python frame.  Every
cross-run comparison of the broad workload (test_command, test_filters,
test_systemwide, test_matrix) also checks "site" against the hook's
sys._getframe(1)."""
import json

import pytest

from harness import combo_params, check_one_error_line, run_tool

pytestmark = pytest.mark.usefixtures("tool")

# Three nested functions, a lambda and a comprehension; each raises ctxsite.N; the
# expected stacks are written to argv[1] (after the events) from sys._getframe().
NESTED = r'''
import json, sys
want = {}

def record(name):
    f, out = sys._getframe(1), []
    while f is not None and len(out) < 4:
        out.append({"file": f.f_code.co_filename, "line": f.f_lineno,
                    "function": f.f_code.co_name})
        f = f.f_back
    want[name] = out

def inner(n):
    sys.audit("ctxsite.inner", n); record("ctxsite.inner")

def middle(n):
    return inner(n +
                 1)

def outer():
    middle(1)
    (lambda: (sys.audit("ctxsite.lambda"), record("ctxsite.lambda")))()
    [(sys.audit("ctxsite.comp"), record("ctxsite.comp")) for _ in range(1)]

outer()
with open(sys.argv[1], "w") as f:
    json.dump(want, f)
'''


def run_nested(workloads, py, probe, opts):
    script = workloads.tmpfile("nested.py")
    script.write_text(NESTED)
    want_f = workloads.tmpfile("want.json")
    out = workloads.tmpfile("site.out")
    res = run_tool(opts + ["--probe", probe, "-e", "ctxsite.*", "-o", out, "--", py.exe,
                           str(script), str(want_f)], timeout=60, cwd=workloads.base)
    assert res.rc == 0, res.describe()
    return out.read_text(), json.loads(want_f.read_text()), str(script)


@pytest.mark.parametrize("combo", combo_params())
def test_stack_equals_getframe(workloads, combo):
    py, probe = combo
    text, want, script = run_nested(workloads, py, probe, ["-j", "--stack", "4"])
    evs = [json.loads(l) for l in text.splitlines()]
    assert sorted(e["event"] for e in evs) == sorted(want), evs
    for e in evs:
        w = want[e["event"]]
        # record() is called on the line after the event: same frames, other line inside
        # the innermost one, so the innermost is compared apart from its line
        got = e["stack"]
        assert len(got) == len(w), (e, w)
        assert e["site"] == got[0], e
        assert got[0]["file"] == script and got[0]["function"] == w[0]["function"], (got, w)
        assert got[0]["line"] == w[0]["line"], (got, w)  # same line: `...; record(...)`
        assert got[1:] == w[1:], (e["event"], got, w)


@pytest.mark.parametrize("combo", combo_params())
def test_text_site_and_no_site(workloads, combo):
    py, probe = combo
    text, want, script = run_nested(workloads, py, probe, [])
    lines = [l for l in text.splitlines() if "ctxsite.inner(" in l]
    assert len(lines) == 1, text
    w = want["ctxsite.inner"][0]
    assert lines[0].endswith(") at %s:%d in inner" % (script, w["line"])), lines[0]
    text, want, script = run_nested(workloads, py, probe, ["--stack", "2"])
    line = [l for l in text.splitlines() if "ctxsite.inner(" in l][0]
    w, m = want["ctxsite.inner"][0], want["ctxsite.inner"][1]
    assert line.endswith(") at %s:%d in inner, from %s:%d in middle" % (
        script, w["line"], script, m["line"])), line
    text, _, _ = run_nested(workloads, py, probe, ["-j", "--no-site"])
    evs = [json.loads(l) for l in text.splitlines()]
    assert evs and all("site" not in e and "stack" not in e for e in evs), evs[:2]


def test_site_options_bad():
    check_one_error_line(run_tool(["--stack", "0", "-d", "1"]), contains=["--stack"])
    check_one_error_line(run_tool(["--stack", "9", "-d", "1"]), contains=["--stack"])
    check_one_error_line(run_tool(["-c", "--stack", "2", "-d", "1"]), contains=["--stack"])
    check_one_error_line(run_tool(["--no-site", "--stack", "2", "-d", "1"]),
                         contains=["--no-site"])


@pytest.mark.parametrize("combo", combo_params())
def test_site_of_a_code_object_first_seen_in_a_filtered_event(workloads, combo):
    """BPF describes a code object once per CPU, with the first event it sees there; when
    userspace filters that event out (a name the kernel had no verdict for yet), what it
    said of the code object must still be kept for the next event."""
    py, probe = combo
    script = workloads.tmpfile("filtered.py")
    script.write_text("import sys\n"
                      "def f():\n"
                      "    sys.audit('ctxdrop.first')\n"
                      "    sys.audit('ctxkeep.second')\n"
                      "f()\n")
    out = workloads.tmpfile("filtered.out")
    res = run_tool(["-j", "--probe", probe, "-e", "ctxkeep.*", "-o", out, "--", py.exe,
                    str(script)], timeout=60, cwd=workloads.base)
    assert res.rc == 0, res.describe()
    evs = [json.loads(l) for l in out.read_text().splitlines()]
    assert [e["event"] for e in evs] == ["ctxkeep.second"], evs
    assert evs[0]["site"] == {"file": str(script), "line": 4, "function": "f"}, evs[0]
