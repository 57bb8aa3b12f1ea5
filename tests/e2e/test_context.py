# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Process context on every event: ppid, exe, cgroup, container_id, nspid; and the
kernel-side --cgroup / --container filters.  A container is a cgroup the test makes
(system.slice/docker-<64 hex>.scope under the cgroup2 mount, removed afterwards) with
a real Python process moved into it; a pid namespace is made with unshare."""
import json
import os
import secrets
import subprocess
import time

import pytest

from harness import PYTHONS, Tool, check_one_error_line, parse_json_lines, run_tool

pytestmark = pytest.mark.usefixtures("tool")

PY = PYTHONS[0].exe  # Debian's python3.11

# Parks until GO exists, then raises three ctxtest events and exits.
PARKED = r"""
import os, sys, time
go, ready = sys.argv[1], sys.argv[2]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
for i in range(3):
    sys.audit("ctxtest.ev", os.getpid(), i)
# alive until the tool has read the events (its reader polls every 50 ms): the exe of a
# process already gone is only known when its path in its own view can be proven
time.sleep(0.3)
"""


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.startswith("cgroup2 "):
                return left.split()[4]
    pytest.fail("no cgroup2 file system mounted (the container tests need one)")


class FakeContainer:
    """system.slice/docker-<64 hex>.scope under the cgroup2 mount, removed at the end."""

    def __init__(self):
        self.id = secrets.token_hex(32)
        self.mnt = cgroup2_mount()
        self.rel = "/system.slice/docker-%s.scope" % self.id
        self.slice_made = not os.path.isdir(self.mnt + "/system.slice")
        os.makedirs(self.mnt + self.rel)

    def add(self, pid):
        with open(self.mnt + self.rel + "/cgroup.procs", "w") as f:
            f.write(str(pid))

    def remove(self):
        root_procs = self.mnt + "/cgroup.procs"
        try:
            with open(self.mnt + self.rel + "/cgroup.procs") as f:
                left = [p for p in f.read().split() if p]
            for p in left:  # still alive: back to the root before rmdir
                try:
                    with open(root_procs, "w") as f:
                        f.write(p)
                except OSError:
                    pass
        except OSError:
            pass
        for _ in range(100):
            try:
                os.rmdir(self.mnt + self.rel)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)
        if self.slice_made:
            try:
                os.rmdir(self.mnt + "/system.slice")
            except OSError:
                pass


@pytest.fixture
def container():
    c = FakeContainer()
    try:
        yield c
    finally:
        c.remove()


def start_parked(tmp, name, prefix=()):
    ready = tmp / ("%s.ready" % name)
    go = tmp / "go"
    p = subprocess.Popen(list(prefix) + [PY, "-c", PARKED, str(go), str(ready)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if time.monotonic() > deadline or p.poll() is not None:
            p.kill()
            pytest.fail("parked python %s never got ready" % name)
        time.sleep(0.01)
    return p


def python_pid_under(p):
    """The Python process a wrapper (unshare -f) started: its child."""
    for _ in range(300):
        try:
            with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                kids = [int(x) for x in f.read().split()]
            if kids:
                return kids[0]
        except OSError:
            pass
        time.sleep(0.01)
    pytest.fail("no child of %d" % p.pid)


def trace_parked(tmp, pids, opts, procs):
    """-p the parked processes, let them go, return the tool's ctxtest events."""
    tool = Tool(["-j", "-e", "ctxtest.*"] + opts + ["-p", ",".join(map(str, pids))])
    try:
        tool.wait_ready()
        (tmp / "go").touch()
        for p in procs:
            p.wait(timeout=30)
        rc = tool.wait(timeout=30)
    finally:
        for p in procs:
            p.kill()
        tool.kill()
    assert rc == 0, tool.describe()
    return [e for e in tool.events() if e["event"] == "ctxtest.ev"]


def by_pid(events):
    out = {}
    for e in events:
        out.setdefault(e["pid"], []).append(e)
    return out


def test_context_of_a_command(workloads):
    """Under `--`: ppid is the tracer (it forks the command), exe the executable, the
    host cgroup, no container, no other pid namespace."""
    tool = Tool(["-j", "-e", "ctxtest.*", "--", PY, "-c",
                 "import sys, os; sys.audit('ctxtest.ev', os.getpid(), 0)"])
    rc = tool.wait(timeout=60)
    assert rc == 0, tool.describe()
    evs = [e for e in tool.events() if e["event"] == "ctxtest.ev"]
    assert len(evs) == 1, tool.describe()
    e = evs[0]
    assert e["args"][0] == e["pid"]
    assert e["ppid"] == tool.proc.pid, e
    assert e["exe"] == os.path.realpath(PY), e
    with open("/proc/self/cgroup") as f:
        mine = [l.strip()[3:] for l in f if l.startswith("0::")]
    assert e["cgroup"] == mine[0], e  # the tracer's child stays in our cgroup
    assert e["container_id"] is None and e["nspid"] is None, e


def test_container_id_and_filter(workloads, container, tmp_path):
    """A process in .../docker-<id>.scope reports that id; --container keeps only it,
    --container host only the other one, --cgroup the subtree."""
    for opts, want in (([], "both"), (["--container", container.id[:12]], "in"),
                       (["--container", "host"], "out"),
                       (["--cgroup", "/system.slice"], "in"),
                       (["--cgroup", cgroup2_mount() + container.rel], "in")):
        go = tmp_path / "go"
        if go.exists():
            go.unlink()
        inside = start_parked(tmp_path, "in")
        outside = start_parked(tmp_path, "out")
        container.add(inside.pid)
        evs = by_pid(trace_parked(tmp_path, [inside.pid, outside.pid], opts,
                                  [inside, outside]))
        where = "options %s: pids %s" % (opts, sorted(evs))
        if want in ("both", "in"):
            assert len(evs.get(inside.pid, [])) == 3, where
            for e in evs[inside.pid]:
                assert e["container_id"] == container.id, e
                assert e["cgroup"] == container.rel, e
                assert e["exe"] == os.path.realpath(PY), e
                assert e["ppid"] == os.getpid(), e
        else:
            assert inside.pid not in evs, where
        if want in ("both", "out"):
            assert len(evs.get(outside.pid, [])) == 3, where
            for e in evs[outside.pid]:
                assert e["container_id"] is None, e
        else:
            assert outside.pid not in evs, where


def test_text_context(workloads, container, tmp_path):
    inside = start_parked(tmp_path, "in")
    container.add(inside.pid)
    tool = Tool(["-e", "ctxtest.*", "-p", str(inside.pid)])
    try:
        tool.wait_ready()
        (tmp_path / "go").touch()
        inside.wait(timeout=30)
        rc = tool.wait(timeout=30)
    finally:
        inside.kill()
        tool.kill()
    assert rc == 0, tool.describe()
    lines = [l.decode() for l in tool.out if b"ctxtest.ev" in l]
    assert len(lines) == 3, lines
    want = "[%d/%d ppid=%d ctr=%s] ctxtest.ev(" % (inside.pid, inside.pid, os.getpid(),
                                                  container.id[:12])
    assert all(want in l for l in lines), (want, lines)


def test_nspid_in_a_chroot_in_a_pid_namespace(workloads, tmp_path):
    """unshare -pf chroot ROOT python: the process is pid 1 in its namespace; exe is the
    path inside the chroot; ppid is unshare."""
    root = "/var/cache/pyaudit-trace/matrix/roots/bullseye"
    py = "/usr/bin/python3.9"
    if not os.access(root + py, os.X_OK):
        pytest.fail("matrix root %s missing (make matrix)" % root)
    go, ready = tmp_path / "go", tmp_path / "ns.ready"
    # the chroot sees tmp_path through /proc/1/root of the host... simpler: a dir inside it
    shared = root + "/tmp/pyaudit-ctx-%d" % os.getpid()
    os.makedirs(shared, exist_ok=True)
    try:
        p = subprocess.Popen(["unshare", "-pf", "chroot", root, py, "-c", PARKED,
                              "/tmp/pyaudit-ctx-%d/go" % os.getpid(),
                              "/tmp/pyaudit-ctx-%d/ready" % os.getpid()],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(shared + "/ready"):
            if time.monotonic() > deadline or p.poll() is not None:
                p.kill()
                pytest.fail("python in the namespace never got ready")
            time.sleep(0.01)
        child = python_pid_under(p)
        tool = Tool(["-j", "-e", "ctxtest.*", "-p", str(child)])
        try:
            tool.wait_ready()
            open(shared + "/go", "w").close()
            p.wait(timeout=30)
            rc = tool.wait(timeout=30)
        finally:
            p.kill()
            tool.kill()
        assert rc == 0, tool.describe()
        evs = [e for e in tool.events() if e["event"] == "ctxtest.ev"]
        assert len(evs) == 3, tool.describe()
        for e in evs:
            assert e["pid"] == child and e["args"][0] == 1, e  # os.getpid() inside: 1
            assert e["nspid"] == 1, e
            assert e["ppid"] == p.pid, e
            assert e["exe"] == py, e
    finally:
        for n in ("go", "ready"):
            try:
                os.unlink(shared + "/" + n)
            except OSError:
                pass
        os.rmdir(shared)


def test_bad_filters():
    check_one_error_line(run_tool(["-j", "--cgroup", "/no/such/cgroup/here", "-d", "1"]),
                         contains=["--cgroup", "no such cgroup"])
    check_one_error_line(run_tool(["-j", "--cgroup", "relative", "-d", "1"]),
                         contains=["--cgroup"])
    check_one_error_line(run_tool(["-j", "--container", "a/b", "-d", "1"]),
                         contains=["--container"])
