# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`pyaudit-trace -p PID`: attach to a running broad.py parked before "begin", release
it, compare; with the hook installed (same run) and without (vs the reference run)."""
import os
import subprocess

import pytest

import audit_compare as ac
from harness import PYTHONS, Tool, attach_line, check_attach_line, check_meta, combo_params

pytestmark = pytest.mark.usefixtures("tool")


def attach_run(workloads, py, probe, hook):
    tgt = workloads.start(py, hook=hook)
    tool = None
    try:
        tgt.wait_ready()
        tool = Tool(["-j", "--probe", probe, "-p", tgt.pid], cwd=workloads.base)
        tool.wait_ready()
        tgt.release()
        record = tgt.finish()
        # let the tracer drain (it may also buffer: then the stop below flushes)
        tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == ac.END, 5)
        rc = tool.stop()
    finally:
        tgt.kill()
        if tool:
            tool.kill()
    assert rc == 0, "tool exit %r after SIGINT\n%s" % (rc, tool.describe())
    return tgt.pid, record, tool


@pytest.fixture(scope="module", params=combo_params())
def combo(request):
    return request.param


@pytest.mark.parametrize("hook", [True, False], ids=["hook", "nohook"])
def test_attach(workloads, combo, hook):
    py, probe = combo
    ref = None if hook else workloads.reference(py)
    pid, record, tool = attach_run(workloads, py, probe, hook)
    events = tool.events()
    label = "%s -p --probe %s, %s" % (py.id, probe, "hook installed" if hook else
                                      "no hook vs reference run")
    if hook:
        window = ac.compare(events, record, label=label)
    else:
        window = ac.compare(events, ref, cross_run=True, pid=pid, label=label)
    check_meta(window, pid, py, probe, tool.t0, tool.t1)
    check_attach_line(tool.err, pid, py, probe)
    others = {e["pid"] for e in events} - {pid}
    assert not others, "-p %d also reported pids %s" % (pid, sorted(others))


def test_attach_several_pids(workloads):
    """-p A,B: one tracer, both host interpreters at once (hooks installed)."""
    targets = [workloads.start(py, hook=True) for py in PYTHONS]
    tool = None
    try:
        for tgt in targets:
            tgt.wait_ready()
        tool = Tool(["-j", "-p", ",".join(str(t.pid) for t in targets)], cwd=workloads.base)
        tool.wait_ready()
        for tgt in targets:
            tgt.release()
        records = [tgt.finish() for tgt in targets]
        for tgt in targets:
            tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == ac.END, 5)
        rc = tool.stop()
    finally:
        for tgt in targets:
            tgt.kill()
        if tool:
            tool.kill()
    assert rc == 0, tool.describe()
    events = tool.events()
    for tgt, record in zip(targets, records):
        m = attach_line(tool.err, tgt.pid)
        assert m and m.group("route") in tgt.py.probes, tool.describe()
        window = ac.compare(events, record, label="%s in -p A,B" % tgt.py.id)
        check_meta(window, tgt.pid, tgt.py, m.group("route"), tool.t0, tool.t1)


def test_attach_without_tracefs(workloads):
    """A machine where tracefs is not mounted: -p mounts it (as perf does) and works."""
    tracing = "/sys/kernel/tracing"
    if subprocess.run(["mountpoint", "-q", tracing]).returncode == 0:
        if subprocess.run(["umount", tracing]).returncode != 0:
            pytest.skip("tracefs is in use at %s: cannot unmount it for this test" % tracing)
    assert not os.path.exists(os.path.join(tracing, "events")), "tracefs still mounted"
    pid, record, tool = attach_run(workloads, PYTHONS[0], PYTHONS[0].probes[0], True)
    ac.compare(tool.events(), record, label="-p with tracefs unmounted at start")
    assert os.path.exists(os.path.join(tracing, "events")), "tracefs not mounted by the tool"
