# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""System-wide (no -p, no command): the tracer must pick up Python processes started
after it, one per host interpreter at the same time, and report each one's events
completely among everything else it sees (pytest itself is a Python process too)."""
import pytest

import audit_compare as ac
from harness import PYTHONS, Tool, check_meta

pytestmark = pytest.mark.usefixtures("tool")


@pytest.mark.parametrize("probe", ["auto", "uprobe"])
def test_systemwide_new_processes(workloads, probe):
    refs = {py.id: workloads.reference(py) for py in PYTHONS}  # before the tracer starts
    tool = Tool(["-j"] + ([] if probe == "auto" else ["--probe", probe]), cwd=workloads.base)
    targets = []
    try:
        tool.wait_ready()
        targets = [workloads.start(py) for py in PYTHONS]
        attach = {}
        for tgt in targets:
            tgt.wait_ready()
            attach[tgt.pid] = tool.wait_stderr(
                r"^pyaudit-trace: PID %d \(" % tgt.pid, 30,
                "attach line of the new %s process %d" % (tgt.py.id, tgt.pid))
        for tgt in targets:
            tgt.release()
        for tgt in targets:
            tgt.finish()
        for tgt in targets:
            tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == ac.END, 5)
        rc = tool.stop()
    finally:
        for tgt in targets:
            tgt.kill()
        tool.kill()
    assert rc == 0, "tool exit %r after SIGINT\n%s" % (rc, tool.describe())
    events = tool.events()
    for tgt in targets:
        py = tgt.py
        line = attach[tgt.pid].string
        assert ("CPython %s, " % py.version) in line and line.endswith("coverage complete"), line
        route = "uprobe" if probe == "uprobe" else line.split("route ")[1].split(",")[0]
        assert route in py.probes, line
        window = ac.compare(events, refs[py.id], cross_run=True, pid=tgt.pid,
                            label="%s system-wide (%s), no hook vs reference run" % (py.id, probe))
        check_meta(window, tgt.pid, py, route, tool.t0, tool.t1)
