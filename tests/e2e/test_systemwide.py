# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""System-wide (no -p, no command): the tracer must pick up Python processes started
after it, one per host interpreter at the same time, and report each one's events
completely among everything else it sees (pytest itself is a Python process too)."""
import pytest

import audit_compare as ac
from harness import PYTHONS, Tool, attach_line, check_meta

pytestmark = pytest.mark.usefixtures("tool")

PING = "pyaudit_test.ping"


@pytest.mark.parametrize("probe", ["auto", "uprobe"])
def test_systemwide_new_processes(workloads, probe):
    refs = {py.id: workloads.reference(py) for py in PYTHONS}  # before the tracer starts
    tool = Tool(["-j"] + ([] if probe == "auto" else ["--probe", probe]), cwd=workloads.base)
    targets = []
    try:
        tool.wait_ready()
        # Parked before begin, each raising pyaudit_test.ping in a loop: the first ping
        # in the output says the tracer covers that process (whether or not it prints
        # a line per new process: it may probe per binary).
        targets = [workloads.start(py, ping=True) for py in PYTHONS]
        for tgt in targets:
            tgt.wait_ready()
            if not tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == PING,
                                    30):
                tool.kill()
                pytest.fail("the tracer never reported the new %s process %d (no %s event "
                            "within 30s)\n%s" % (tgt.py.id, tgt.pid, PING, tool.describe()))
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
        window = ac.compare(events, refs[py.id], cross_run=True, pid=tgt.pid,
                            label="%s system-wide (%s), no hook vs reference run" % (py.id, probe))
        route = window[0].get("route")
        assert route in py.probes and (probe == "auto" or route == probe), \
            "%s: route %r" % (py.id, route)
        check_meta(window, tgt.pid, py, route, tool.t0, tool.t1)
        m = attach_line(tool.err, tgt.pid)  # optional for new processes; if there, right
        if m:
            assert m.group("ver") == py.version and m.group("route") == route, m.group(0)
            assert m.group("cov") == "complete", m.group(0)
