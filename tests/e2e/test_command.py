# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`pyaudit-trace -- COMMAND`: the broad workload traced from its first instruction.

Per interpreter and probe route:
  * with the hook installed in the workload: tracer == hook, same process;
  * without any hook: tracer == the hook's record of a separate run of the same
    deterministic workload (the completeness test: nothing in the process asks for
    audit events, the tracer must still see every one with every argument).
"""
import pytest

import audit_compare as ac
from harness import (BROAD, check_attach_line, check_meta, check_schema, combo_params,
                     load_record, parse_json_lines, run_tool)

pytestmark = pytest.mark.usefixtures("tool")


def run_broad(workloads, py, probe, hook):
    out = workloads.tmpfile("cmd-%s-%s.jsonl" % (py.id, probe))
    hookf = workloads.tmpfile("hook-%s.json" % py.id) if hook else None
    res = run_tool(["-j", "--probe", probe, "-o", out, "--", py.exe, BROAD],
                   env=workloads.env(py, hook=hookf), timeout=240, cwd=workloads.base)
    assert res.rc == 0, "tool or workload failed\n" + res.describe()
    assert res.stdout == b"", "with -o, stdout must stay empty: %r" % res.stdout[:300]
    events = parse_json_lines(out.read_bytes(), str(out))
    return res, events, (load_record(hookf) if hook else None)


@pytest.fixture(scope="module", params=combo_params())
def combo(request):
    return request.param


@pytest.fixture(scope="module")
def hooked(workloads, combo):
    py, probe = combo
    return (py, probe) + run_broad(workloads, py, probe, hook=True)


@pytest.fixture(scope="module")
def plain(workloads, combo):
    py, probe = combo
    ref = workloads.reference(py)  # the hooked run without the tool, made first
    return (py, probe, ref) + run_broad(workloads, py, probe, hook=False)[:2]


def test_with_hook_same_run(hooked):
    py, probe, res, events, record = hooked
    window = ac.compare(events, record, label="%s --probe %s, hook installed" % (py.id, probe))
    check_meta(window, record["pid"], py, probe, res.t0, res.t1)
    check_attach_line(res.err_lines, record["pid"], py, probe)


def test_without_hook_equals_reference(plain):
    py, probe, ref, res, events = plain
    pids = {e["pid"] for e in events if e["event"] == ac.BEGIN}
    assert len(pids) == 1, "expected one traced process raising begin, got %s" % pids
    pid = pids.pop()
    window = ac.compare(events, ref, cross_run=True, pid=pid,
                        label="%s --probe %s, no hook vs reference run" % (py.id, probe))
    check_meta(window, pid, py, probe, res.t0, res.t1)
    check_attach_line(res.err_lines, pid, py, probe)


def test_without_hook_sees_python_level_events(plain):
    """Python-level sys.audit() events are the ones a probe on the C path alone misses
    when no hook is installed: name them explicitly."""
    py, probe, ref, res, events = plain
    names = {e["event"] for e in events}
    expected = {e[1] for e in ref["events"]}
    for n in ("pyaudit_test.hostile", "shutil.copytree", "tempfile.mkstemp", "glob.glob",
              "subprocess.Popen", "http.client.send", "ctypes.create_string_buffer"):
        if n in expected:  # http.client.* is 3.10+
            assert n in names, "%s missing (Python-level event)" % n
    for n in ("import", "exec", "sys._getframe"):  # _PySys_Audit-only core events
        assert n in names, "%s missing (core event raised through _PySys_Audit)" % n


def test_json_schema(hooked):
    py, probe, res, events, record = hooked
    check_schema(events, "%s --probe %s" % (py.id, probe))
