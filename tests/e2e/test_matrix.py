# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The CPython matrix: every row of the provisioned manifest, every route it has.

The matrix (scripts/provision-matrix.sh, `make matrix`) holds Debian's own builds of
3.9, 3.13, 3.14 and 3.15 debootstrapped into chroots, copies of sid's 3.14 and 3.15
without their USDT notes (PGO+LTO builds with nothing to find the audit clones by),
the host's 3.11, the pyenv 3.11 with and without symbols, and the pyenv 3.8, 3.9, 3.10,
3.12 and 3.13 of the machine (the frame layouts no Debian suite has).  Every (row, route) must
claim complete coverage and report exactly the hook's events.  Its manifest
(${PYAUDIT_MATRIX_DIR:-/var/cache/pyaudit-trace/matrix}/manifest) is read at
collection; a missing or malformed manifest is a failure, never a skip.

Per (row, route) -- route `usdt` where the row has the marker, `uprobe` always:
  * `pyaudit-trace -j --probe R -- scripts/matrix-chroot-run.sh ROOT PYTHON broad.py`
    with the hook installed: tracer == hook, same process, event for event;
    without a hook: tracer == the hook's record of a separate run (cross-run: the
    completeness test), run with --stack 8: every event's site and frames == what the
    reference run's hook found with sys._getframe(1) and along f_back;
  * `-p PID` of the workload parked in its chroot (PYAUDIT_WAIT), no hook, vs the
    separate run;
  * `--list --probe R ELF`: the row's version, its build kind, the route, and the same
    coverage the tracer claims when it attaches.
Where the tracer claims coverage "partial" (stderr attach line, "complete": false in
every JSON event) the events it does report must be a sub-sequence of the hook's
(same names and arguments, in order); the hook events it missed are recorded.
Where it claims "complete" the comparison is exact (audit_compare.compare).

Also per (row, route): the events raised with sys.audit() from Python (broad.py's own
and the stdlib's, checked against the row's own stdlib) are all seen, whatever the
route misses; a partial route misses the same events with and without a hook and under
-p; the coverage claim of the ELF equals that of a byte-identical private copy.  Each
event's comm is its thread's (3.14+ names threads).  No warning on stderr.

System-wide mode (one chroot row with the default route, sid-3.15/3.14 with
--probe uprobe, and a notes-stripped sid copy with the default route, which is then
uprobe through the LTO clones): a chroot Python started after the tracer is found, the first one with
a late-probe warning on stderr naming its binary; its events after its first ping and
all of a second one's equal the reference (or its sub-sequence on a partial route).

test_second_tracer_sees_same_code (xfail, a tool bug): a second tracer analyses a
binary the same way while a system-wide one has probes on it.

At the end of the session the measured results of every (row, route) are written to
build/matrix-results.json; scripts/support-table.py renders them as the README's
support table.

The workload is a copy of tests/workloads/broad.py in the session's temp dir under
/tmp, which scripts/matrix-chroot-run.sh binds at the same path inside every chroot;
the scratch directory, hook records, go/ready files and outputs are there too.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter, OrderedDict
from pathlib import Path

import pytest

import audit_compare as ac
import harness
from harness import (BASE_ENV, BROAD, ROOT, Tool, check_schema, free_port, load_record,
                     parse_json_lines, run_tool)
from test_count import assert_counts, parse_count_json, record_counts

pytestmark = pytest.mark.usefixtures("tool")

MATRIX_DIR = Path(os.environ.get("PYAUDIT_MATRIX_DIR") or "/var/cache/pyaudit-trace/matrix")
MANIFEST = MATRIX_DIR / "manifest"
CHROOT_RUN = ROOT / "scripts" / "matrix-chroot-run.sh"
RESULTS_JSON = ROOT / "build" / "matrix-results.json"
BIND = "/tmp"  # what matrix-chroot-run.sh binds into the chroot by default
PING = "pyaudit_test.ping"
STACK = 8  # --stack of the no-hook command runs: every frame the tool can show
# The row for the system-wide test: the first of these the manifest has.
SYSTEMWIDE_ROWS = ("trixie-3.13", "sid-3.15", "sid-3.14", "bullseye-3.9")

# Attach line; in system-wide mode it ends with " [every process]".
ATTACH_RX = re.compile(
    r"^pyaudit-trace: PID (?P<pid>\d+) \((?P<comm>[^)]*)\): CPython (?P<ver>\S+), "
    r"route (?P<route>usdt|uprobe), coverage (?P<cov>complete|partial: .+?)"
    r"(?P<every> \[every process\])?$")
LATE_RX = (r"^pyaudit-trace: warning: PID %d \([^)]*\): (?P<file>\S+) was first mapped "
           r"(?P<ms>[0-9.]+) ms before it could be probed")


# ---------------------------------------------------------------------------------------
# the manifest


class Row:
    """One manifest row (scripts/provision-matrix.sh, manifest v1)."""

    def __init__(self, fields):
        (self.name, self.version, self.python, self.root, self.elf, usdt,
         symbols) = fields
        self.id = self.name
        self.usdt = usdt == "usdt"
        self.symbols = symbols == "symbols"
        self.chroot = self.root != "-"
        self.host_exe = (self.root + self.python) if self.chroot else self.python
        self.static = os.path.realpath(self.elf) == os.path.realpath(self.host_exe)
        self.comm = os.path.basename(os.path.realpath(self.host_exe))[:15]
        self.routes = (("usdt",) if self.usdt else ()) + ("uprobe",)

    @property
    def build(self):
        """Build kind as read off the ELF by the provisioning (what --list must say)."""
        return "%s, %s%s" % ("static exe" if self.static else "shared lib",
                             "symbols" if self.symbols else "stripped",
                             ", usdt" if self.usdt else "")

    def argv(self, script, args=()):
        """How the row runs a script: directly, or inside its chroot."""
        pre = [str(CHROOT_RUN), self.root] if self.chroot else []
        return pre + [self.python, str(script)] + list(args)

    def __repr__(self):
        return self.name


def read_manifest():
    """-> (rows, None) or (None, error message)."""
    hint = ("run `make matrix` (scripts/provision-matrix.sh) as root to provision the "
            "CPython matrix; PYAUDIT_MATRIX_DIR selects another cache dir")
    try:
        text = MANIFEST.read_text()
    except OSError as e:
        return None, "CPython matrix manifest %s unreadable (%s): %s" % (
            MANIFEST, e.strerror, hint)
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) != 7 or not all(f) or any(re.search(r"\s", x) for x in f) or \
                f[5] not in ("usdt", "no-usdt") or f[6] not in ("symbols", "stripped"):
            return None, "%s line %d is not a manifest v1 row (7 TAB-separated fields): " \
                         "%r; %s" % (MANIFEST, n, line, hint)
        rows.append(Row(f))
    if not rows:
        return None, "%s lists no rows: %s" % (MANIFEST, hint)
    names = [r.name for r in rows]
    if len(set(names)) != len(names):
        return None, "%s lists a row twice: %s" % (MANIFEST, names)
    return rows, None


ROWS, MANIFEST_ERROR = read_manifest()
COMBOS = [(r, route) for r in ROWS for route in r.routes] if ROWS else []


def combo_key(combo):
    row, route = combo
    return "%s-%s" % (row.name, route)


def combo_params():
    if MANIFEST_ERROR:  # one failing test instead of an empty (skipped) parameter set
        return [pytest.param(None, id="no-manifest")]
    return [pytest.param(c, id=combo_key(c)) for c in COMBOS]


def systemwide_params():
    """(combo, --probe option): the first of SYSTEMWIDE_ROWS with the default route,
    sid-3.15 (else sid-3.14) with --probe uprobe (an LTO build: clones of _PySys_Audit),
    and the notes-stripped copy of sid-3.14 (else 3.15) with the default route."""
    if MANIFEST_ERROR:
        return [pytest.param(None, None, id="no-manifest")]
    by_name = {r.name: r for r in ROWS}
    row = next((by_name[n] for n in SYSTEMWIDE_ROWS if n in by_name), None)
    if row is None:
        row = next((r for r in ROWS if r.chroot), None)
    if row is None:
        return [pytest.param(None, None, id="no-chroot-row")]
    auto = (row, "usdt" if row.usdt else "uprobe")  # what --probe auto takes
    out = [pytest.param(auto, None, id=combo_key(auto) + "-auto")]
    lto = next((by_name[n] for n in ("sid-3.15", "sid-3.14") if n in by_name), None)
    if lto is not None:
        out.append(pytest.param((lto, "uprobe"), "uprobe", id=combo_key((lto, "uprobe"))))
    # the default route on an LTO build without the marker: uprobe, through the clones
    bare = next((by_name[n] for n in ("sid-3.14-nonotes", "sid-3.15-nonotes")
                 if n in by_name), None)
    if bare is not None:
        out.append(pytest.param((bare, "uprobe"), None, id=combo_key((bare, "uprobe")) + "-auto"))
    return out


# ---------------------------------------------------------------------------------------
# results (build/matrix-results.json)


# The tests every (row, route) must pass for "pass" (system-wide runs for a few only).
CORE_TESTS = {"test_command_claim", "test_command_hook_same_run",
              "test_command_nohook_cross_run", "test_missed_events_same_with_and_without_hook",
              "test_attach_pid", "test_list", "test_python_level_events_seen"}


class Results:
    """Measured values per (row, route), filled by the tests, and the outcome of every
    test of that (row, route), collected by a pytest_runtest_makereport hook that this
    module registers for the session."""

    def __init__(self):
        self.t0 = time.time()
        self.other = OrderedDict()
        self.data = OrderedDict()
        for row, route in COMBOS:
            self.data[combo_key((row, route))] = OrderedDict([
                ("row", row.name), ("version", row.version), ("chroot", row.chroot),
                ("build", row.build),
                ("build_reported", None), ("route", route), ("coverage", None),
                ("complete", None), ("events_compared", None), ("events_reported", None),
                ("missed", None), ("missed_counts", None), ("tests", OrderedDict()),
                ("failures", OrderedDict()), ("status", "not run")])

    def note(self, combo, **kw):
        self.data[combo_key(combo)].update(kw)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        rep = outcome.get_result()
        if getattr(item, "module", None) is None or item.module.__name__ != __name__:
            return
        if not (rep.when == "call" or rep.failed or rep.skipped):
            return
        if hasattr(rep, "wasxfail"):
            res, why = ("xfailed" if rep.skipped else "xpassed"), "xfail: %s" % rep.wasxfail
        else:
            res = rep.outcome if rep.when == "call" else "%s in %s" % (
                "error" if rep.failed else "skipped", rep.when)
            why = _first_lines(rep.longreprtext) if rep.failed else None
        cs = getattr(item, "callspec", None)
        combo = cs.params.get("combo") if cs else None
        if not combo:  # tests of the tool that are not one (row, route)'s coverage
            if self.other.get(item.name, {}).get("outcome", "passed") == "passed":
                self.other[item.name] = OrderedDict([("outcome", res), ("reason", why)])
            return
        d = self.data[combo_key(combo)]
        name = item.originalname or item.name
        if why:
            d["failures"][name] = why
        if d["tests"].get(name, "passed") == "passed":
            d["tests"][name] = res

    def write(self):
        for d in self.data.values():
            if any(v != "passed" for v in d["tests"].values()):
                d["status"] = "fail"
            elif CORE_TESTS <= set(d["tests"]):
                d["status"] = "pass"
            elif d["tests"]:
                d["status"] = "incomplete"  # a -k selection: not every check ran
        out = OrderedDict([
            ("generated", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            ("tool", str(harness.TOOL)), ("manifest", str(MANIFEST)),
            ("manifest_error", MANIFEST_ERROR), ("runtime_s", round(time.time() - self.t0, 1)),
            ("results", list(self.data.values())), ("other_tests", self.other)])
        RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
        tmp = RESULTS_JSON.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(out, indent=1) + "\n")
        os.replace(str(tmp), str(RESULTS_JSON))


def _first_lines(text, n=6):
    """The assertion message of a failure report (its 'E   ' lines), shortened."""
    lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    return "\n".join((lines or text.splitlines()[-n:])[:n])[:1500]


@pytest.fixture(scope="session", autouse=True)
def results(request):
    res = Results()
    request.config.pluginmanager.register(res, "pyaudit-matrix-results")
    yield res
    request.config.pluginmanager.unregister(res)
    res.write()


# ---------------------------------------------------------------------------------------
# workloads in chroots


class MatrixWorkloads:
    """broad.py per row: a copy under /tmp (bound into the chroots), a fixed scratch dir
    and fixed ports per row, so that every run of one row raises the same arguments."""

    def __init__(self, base):
        self.base = Path(os.path.realpath(str(base)))
        if not str(self.base).startswith(BIND + "/"):
            pytest.fail("the test temp dir %s is not under %s, which is all "
                        "matrix-chroot-run.sh binds into the chroots: run pytest without "
                        "--basetemp (or with one under %s)" % (self.base, BIND, BIND))
        self.broad = self.base / "broad.py"
        shutil.copyfile(str(BROAD), str(self.broad))
        self.ports = {}
        self._refs = {}
        self._n = 0

    def workdir(self, row):
        return self.base / ("work-" + row.name)

    def tmpfile(self, stem):
        self._n += 1
        return self.base / ("%s-%d" % (stem, self._n))

    def env(self, row, hook=None, wait=None, ready=None, ping=False):
        if row.name not in self.ports:
            self.ports[row.name] = (free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM))
        tcp, udp = self.ports[row.name]
        env = dict(BASE_ENV, PYAUDIT_DIR=str(self.workdir(row)),
                   PYAUDIT_TCP_PORT=str(tcp), PYAUDIT_UDP_PORT=str(udp))
        for k, v in (("PYAUDIT_HOOK", hook), ("PYAUDIT_WAIT", wait),
                     ("PYAUDIT_READY", ready)):
            if v:
                env[k] = str(v)
        if ping:
            env["PYAUDIT_PING"] = "1"
        return env

    def reference(self, row):
        """The hook's record of a run without any tracer (once per row)."""
        if row.name not in self._refs:
            hook = self.tmpfile("ref-%s.json" % row.name)
            # call sites too, with the frames --stack STACK shows
            env = dict(self.env(row, hook=hook), PYAUDIT_SITE="1", PYAUDIT_STACK=str(STACK))
            p = subprocess.run(row.argv(self.broad), env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=120, cwd=str(self.base))
            assert p.returncode == 0 and not p.stdout, \
                "broad.py on %s failed (rc %d): %s%s" % (
                    row.name, p.returncode, p.stdout[-2000:], p.stderr[-4000:])
            rec = load_record(hook)
            assert rec["python"] == row.version, \
                "%s: the hook's run reports CPython %s, the manifest says %s" % (
                    row.name, rec["python"], row.version)
            bad = [e for e in rec["events"] if e[1].startswith("HOOK-")]
            assert not bad, "%s: the hook misbehaved: %s" % (row.name, bad[:3])
            self._refs[row.name] = rec
        return self._refs[row.name]

    def start(self, row, hook=False, ping=False):
        return ChrootTarget(self, row, hook, ping)


class ChrootTarget:
    """broad.py of a row parked before "begin" (PYAUDIT_WAIT).  matrix-chroot-run.sh
    execs all the way down, so the Popen pid is the Python's pid."""

    def __init__(self, wl, row, hook, ping):
        self.row = row
        self.hook = wl.tmpfile("hook-%s.json" % row.name) if hook else None
        self.wait_file = wl.tmpfile("go")
        self.ready_file = wl.tmpfile("ready")
        self.log = wl.tmpfile("target-%s.log" % row.name)
        with open(str(self.log), "wb") as log:
            self.proc = subprocess.Popen(
                row.argv(wl.broad),
                env=wl.env(row, hook=self.hook, wait=self.wait_file, ready=self.ready_file,
                           ping=ping),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=str(wl.base))
        self.pid = self.proc.pid

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.proc.poll() is not None:
                pytest.fail("workload %s exited early (rc %d): %s" % (
                    self.row, self.proc.returncode, self.log.read_text(errors="replace")))
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("workload %s never got ready" % self.row)
            time.sleep(0.01)
        exe = os.path.realpath("/proc/%d/exe" % self.pid)
        assert exe == os.path.realpath(self.row.host_exe), \
            "pid %d runs %s, not the row's interpreter %s" % (self.pid, exe, self.row.host_exe)

    def release(self):
        self.wait_file.write_text("")

    def finish(self, timeout=120):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("workload %s (pid %d) hung" % (self.row, self.pid))
        assert rc == 0, "workload %s failed (rc %d): %s" % (
            self.row, rc, self.log.read_text(errors="replace"))
        return load_record(self.hook) if self.hook else None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


# ---------------------------------------------------------------------------------------
# checks


def attach_lines(err_lines, pid):
    return [m for m in (ATTACH_RX.match(ln) for ln in err_lines)
            if m and int(m.group("pid")) == pid]


READ_FAILED_RX = re.compile(r"^pyaudit-trace: warning: (\d+) reads? of a traced process's "
                            r"memory failed: those values are shown as unreadable$")


def startup_unreadable(events, pid, route):
    """How many values of pid's events are unreadable, if every one of them is the bytes
    of a marshal.loads raised before begin on the uprobe route (else None).  There the
    probe reads the C buffer CPython passes ("y#"): on 3.9 and 3.10 the interpreter's
    first marshal.loads is of a frozen module in libpython's read-only data, raised before
    anything has touched that page, and a BPF probe cannot fault a page in."""
    n = 0
    for e in events:
        if e.get("pid") != pid:
            continue
        if e["event"] == ac.BEGIN:
            break
        bad = [a for a in e["args"] if isinstance(a, dict) and a.get("error") == "unreadable"]
        if bad and (route != "uprobe" or e["event"] != "marshal.loads"):
            return None
        n += len(bad)
    rest = [e for e in ac.tool_window(events, pid) if any(
        isinstance(a, dict) and a.get("error") == "unreadable" for a in e["args"])]
    return None if rest else n


def no_warnings(err_lines, what, explained_reads=0):
    """A traced run of one process: no warning or error (lost events, late probes...),
    but for a warning of explained_reads failed reads (see startup_unreadable)."""
    bad = [ln for ln in err_lines if re.match(r"^pyaudit-trace: (warning|error)", ln)
           or not ln.startswith("pyaudit-trace: ")]
    bad = [ln for ln in bad if not (explained_reads and READ_FAILED_RX.match(ln) and
                                    int(READ_FAILED_RX.match(ln).group(1)) == explained_reads)]
    assert not bad, "%s: unexpected lines on stderr:\n%s" % (what, "\n".join(bad[:20]))


def coverage_claim(err_lines, pid, row, route, every=False):
    """The one attach line of pid: version, route, comm; returns its coverage text."""
    ms = attach_lines(err_lines, pid)
    assert len(ms) == 1, "expected one attach line for PID %d on stderr, got %d:\n%s" % (
        pid, len(ms), "\n".join(err_lines[-40:]))
    m = ms[0]
    assert m.group("ver") == row.version, m.group(0)
    assert m.group("route") == route, m.group(0)
    assert m.group("comm") == row.comm, m.group(0)
    assert bool(m.group("every")) == every, m.group(0)
    return m.group("cov")


def thread_comm_ok(e, row, main_tid):
    """comm is the thread's (what --comm filters on).  Since 3.14 CPython names its
    threads: broad.py's one other thread, threading.Thread(target=_http_server), is
    "Thread-N (_http_server)", cut to 15 bytes by the kernel."""
    if e["tid"] == main_tid or tuple(map(int, row.version.split(".")[:2])) < (3, 14):
        return e.get("comm") == row.comm
    return re.match(r"^Thread-\d+ \(_http$", e.get("comm") or "") is not None


def check_meta(window, pid, row, route, complete, t0, t1):
    """harness.check_meta() for any row and claim: every event says the coverage the
    attach line claims; comm per thread (see thread_comm_ok)."""
    assert window, "no events"
    main_tid = window[0]["tid"]
    for e in window:
        what = "event %s of pid %d tid %d" % (e["event"], pid, e["tid"])
        assert e["pid"] == pid, what
        assert e.get("uid") == os.geteuid(), "%s: uid %r" % (what, e.get("uid"))
        assert thread_comm_ok(e, row, main_tid), "%s: comm %r (process: %r)" % (
            what, e.get("comm"), row.comm)
        assert e.get("route") == route, "%s: route %r" % (what, e.get("route"))
        assert e.get("python") == row.version, "%s: python %r" % (what, e.get("python"))
        assert e.get("complete") is complete, \
            "%s: \"complete\" is %r, the attach line says %s" % (
                what, e.get("complete"), "complete" if complete else "partial")
        assert t0 - 5 <= e["ts"] <= t1 + 5, "%s: ts %r outside the run [%r, %r]" % (
            what, e["ts"], t0, t1)
    assert main_tid == pid, "begin raised in tid %d, not the main thread" % main_tid
    last = {}
    for e in window:
        assert e["ts"] >= last.get(e["tid"], 0), \
            "ts goes backwards in tid %d at %s" % (e["tid"], e["event"])
        last[e["tid"]] = e["ts"]
    names = {e["event"]: e for e in window}
    assert "open" in names, "no open event of pid %d" % pid
    assert names["open"].get("arg_names") == ["path", "mode", "flags"], names["open"]
    if "socket.connect" in names:
        assert names["socket.connect"].get("arg_names") == ["self", "address"], \
            names["socket.connect"]


def _norm(name, args):
    return ac._normalise_cross_run(name, args)  # X2/X3 of audit_compare, nothing more


def check_subsequence(tool_events, record, pid, cross_run, label):
    """The tracer's events of pid (begin..end) must be the hook's events with some left
    out: same names and arguments (audit_compare.match_event, which applies the JSON
    contract and N1/N2), same order per thread.  Threads: by tid in a same-run
    comparison, by role (begin's thread first, then by first event) across runs.
    Returns (window, names of the hook's events the tracer did not report)."""
    window = ac.tool_window(tool_events, pid)
    exp = [(ev[0], ev[1], [ac.expect_value(a) for a in ev[2]],
            ac.expect_site(ev[3]) if len(ev) > 3 else ac._NO_SITE)
           for ev in record["events"]]
    got = list(window)
    if cross_run:
        exp = [(tid, name, _norm(name, args), site) for tid, name, args, site in exp]
        got = [dict(e, args=_norm(e["event"], e["args"])) for e in got]
    exp_t, got_t = OrderedDict(), OrderedDict()
    for x in exp:
        exp_t.setdefault(x[0], []).append(x)
    for e in got:
        got_t.setdefault(e["tid"], []).append(e)
    if cross_run:
        assert len(got_t) <= len(exp_t), "%s: %d threads raised events, the hook saw %d" % (
            label, len(got_t), len(exp_t))
        gl = list(got_t.values())
        pairs = [(gl[i] if i < len(gl) else [], ev) for i, ev in enumerate(exp_t.values())]
    else:
        extra = set(got_t) - set(exp_t)
        assert not extra, "%s: events in threads %s the hook never saw" % (label, extra)
        pairs = [(got_t.get(tid, []), ev) for tid, ev in exp_t.items()]
    missed = []
    for gevs, eevs in pairs:
        j = 0
        for i, g in enumerate(gevs):
            start = j
            while j < len(eevs) and \
                    ac.match_event(g, eevs[j][1], eevs[j][2], eevs[j][3]) is not None:
                j += 1
            if j == len(eevs):
                near = [k for k in range(start, len(eevs)) if eevs[k][1] == g["event"]]
                why = ac.match_event(g, eevs[near[0]][1], eevs[near[0]][2],
                                     eevs[near[0]][3]) if near else \
                    "no %s event left in the hook's sequence" % g["event"]
                pytest.fail(
                    "%s: pid %d, %s: the tracer's event %d of thread %d is not in the "
                    "hook's sequence after the previous match (hook index %d): %s(%s)\n"
                    "  closest hook event of that name: %s\n  tracer before it: %s" % (
                        label, pid, "cross-run" if cross_run else "same run", i, g["tid"],
                        start, g["event"], ac._j(g["args"], 400), why,
                        [x["event"] for x in gevs[max(0, i - 3):i]]))
            missed.extend(x[1] for x in eevs[start:j])
            j += 1
        missed.extend(x[1] for x in eevs[j:])
    return window, missed


def run_command(wl, row, route, hook):
    """`pyaudit-trace -j --probe R -o FILE -- [matrix-chroot-run.sh ROOT] PYTHON broad.py`;
    without the hook with `--stack STACK`, whose frames the reference run recorded."""
    out = wl.tmpfile("cmd-%s-%s.jsonl" % (row.name, route))
    hookf = wl.tmpfile("hook-%s.json" % row.name) if hook else None
    stack = [] if hook else ["--stack", str(STACK)]
    res = run_tool(["-j", "--probe", route, "-o", out] + stack + ["--"] + row.argv(wl.broad),
                   env=wl.env(row, hook=hookf), timeout=180, cwd=str(wl.base))
    assert res.rc == 0, "tool or workload failed\n" + res.describe()
    assert res.stdout == b"", "with -o, stdout must stay empty: %r" % res.stdout[:300]
    events = parse_json_lines(out.read_bytes(), str(out))
    pids = {e["pid"] for e in events if e["event"] == ac.BEGIN}
    assert len(pids) == 1, "expected one traced process raising begin, got %s\n%s" % (
        pids, res.describe())
    record = load_record(hookf) if hook else None
    pid = pids.pop()
    if record:
        assert record["pid"] == pid, "hook ran in pid %d, tracer saw begin in %d" % (
            record["pid"], pid)
    return res, events, record, pid


def verify(combo, events, record, pid, claim, t0, t1, cross_run, label):
    """Exact comparison for a complete claim, sub-sequence for a partial one.
    Returns (window, missed event names)."""
    row, route = combo
    if claim == "complete":
        window = ac.compare(events, record, cross_run=cross_run, pid=pid, label=label)
        check_meta(window, pid, row, route, True, t0, t1)
        return window, []
    window, missed = check_subsequence(events, record, pid, cross_run, label)
    check_meta(window, pid, row, route, False, t0, t1)
    # begin and end are sys.audit() events: always seen, so the window is the hook's
    assert window[0]["event"] == ac.BEGIN and window[-1]["event"] == ac.END
    return window, missed


# ---------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def mwl(tmp_path_factory):
    if MANIFEST_ERROR:
        pytest.fail(MANIFEST_ERROR)
    return MatrixWorkloads(tmp_path_factory.mktemp("matrix"))


@pytest.fixture(scope="module", params=combo_params())
def combo(request):
    if request.param is None:
        pytest.fail(MANIFEST_ERROR or "the manifest %s has no chroot row" % MANIFEST)
    return request.param


@pytest.fixture(scope="module")
def hooked(mwl, combo):
    row, route = combo
    mwl.reference(row)  # also checks that broad.py runs on this row at all
    return run_command(mwl, row, route, hook=True)


@pytest.fixture(scope="module")
def plain(mwl, combo):
    row, route = combo
    ref = mwl.reference(row)  # made before, without any tracer
    return (ref,) + run_command(mwl, row, route, hook=False)


# ---------------------------------------------------------------------------------------
# tests


def test_command_claim(results, combo, hooked, plain):
    """The attach line and every JSON event say the same coverage, in both runs."""
    row, route = combo
    claims = []
    for res, events, pid in ((hooked[0], hooked[1], hooked[3]), (plain[1], plain[2], plain[4])):
        cov = coverage_claim(res.err_lines, pid, row, route)
        flags = {e.get("complete") for e in events if e["pid"] == pid}
        want = cov == "complete"
        assert flags == {want}, "attach line says %r, JSON \"complete\" values %s" % (cov, flags)
        if not want:
            assert cov.startswith("partial: ") and len(cov) > len("partial: "), cov
        check_schema([e for e in events if e["pid"] == pid], "%s --probe %s" % (row, route))
        no_warnings(res.err_lines, "%s --probe %s --" % (row, route),
                    startup_unreadable(events, pid, route) or 0)
        claims.append(cov)
    results.note(combo, coverage=claims[1], complete=claims[1] == "complete")
    assert claims[0] == claims[1], "coverage differs with and without the hook: %s" % claims
    # Every function holding the audit gate is probed on every row of the matrix, LTO
    # clones of _PySys_Audit included: both routes are complete everywhere.
    assert claims[1] == "complete", "%s --probe %s: %s" % (row, route, claims[1])


# Events broad.py raises that an LTO build sends through clones of _PySys_Audit (and
# that the uprobe route once missed on Debian's 3.14/3.15), or through run_mod and the
# uncaught-exception path.
BROAD_MUST_RAISE = ("sys.settrace", "sys.setprofile", "sys._current_frames",
                    "sys.set_asyncgen_hook_firstiter", "sys.set_asyncgen_hook_finalizer",
                    "sys.addaudithook", "sys._getframe", "exec", "import", "compile",
                    "sys.excepthook", "open")


def test_broad_raises_listed_events(mwl, combo):
    """The workload really raises them (the hook's own record), so a route that missed
    them would fail the comparisons."""
    row, route = combo
    names = {e[1] for e in mwl.reference(row)["events"]}
    want = set(BROAD_MUST_RAISE)
    if tuple(map(int, row.version.split(".")[:2])) >= (3, 10):
        want.add("sys._current_exceptions")
    assert want <= names, "%s: broad.py raised none of %s" % (row, sorted(want - names))


def test_command_hook_same_run(results, combo, hooked):
    """With the hook: the tracer's events == the hook's, same process."""
    row, route = combo
    res, events, record, pid = hooked
    claim = coverage_claim(res.err_lines, pid, row, route)
    window, missed = verify(combo, events, record, pid, claim, res.t0, res.t1,
                            False, "%s --probe %s --, hook installed" % (row, route))
    results.note(combo, missed_same_run=sorted(set(missed)))
    if claim != "complete":
        assert len(window) + len(missed) == len(record["events"])


def test_command_nohook_cross_run(results, combo, plain):
    """Without any hook: the tracer's events == the hook's record of another run."""
    row, route = combo
    ref, res, events, _, pid = plain
    claim = coverage_claim(res.err_lines, pid, row, route)
    window, missed = verify(combo, events, ref, pid, claim, res.t0, res.t1, True,
                            "%s --probe %s --, no hook vs reference run" % (row, route))
    total = Counter(e[1] for e in ref["events"])
    results.note(combo, events_compared=len(ref["events"]), events_reported=len(window),
                 missed=sorted(set(missed)), missed_counts=dict(Counter(missed)),
                 missed_of={n: total[n] for n in set(missed)})
    assert len(window) + len(missed) == len(ref["events"])


@pytest.mark.parametrize("hook", [True, False], ids=["hook", "nohook"])
def test_count_exact(mwl, combo, hooked, plain, hook):
    """-c -j -- broad.py on the row: the counts, event name by event name, equal the
    ground truth.  Start-up and finalisation (no hook sees them) come from the trace
    run of the same row, route and hook setting, which the tests above prove equal to
    the hook; the window comes from the hook: the counted process's own record (hook
    installed), else the reference run's.  On a route that claims partial coverage the
    window is the trace run's own (it misses what count mode misses)."""
    row, route = combo
    hookf = mwl.tmpfile("hook-count-%s.json" % row.name) if hook else None
    res = run_tool(["-c", "-j", "--probe", route, "--"] + row.argv(mwl.broad),
                   env=mwl.env(row, hook=hookf), timeout=180, cwd=str(mwl.base))
    label = "-c -j --probe %s -- %s, %s" % (route, row, "hook" if hook else "no hook")
    assert res.rc == 0, "count run failed\n" + res.describe()
    pids = [int(m.group("pid")) for m in (ATTACH_RX.match(ln) for ln in res.err_lines) if m]
    assert len(pids) == 1, "%s: attach lines for %s" % (label, pids)
    claim = coverage_claim(res.err_lines, pids[0], row, route)
    no_warnings(res.err_lines, label)
    tables = parse_count_json(res.stdout, label)
    assert len(tables) == 1 and tables[0]["interval"] is None, label
    got = Counter({r["event"]: r["count"] for r in tables[0]["rows"]})
    assert "lost" not in tables[0]["total"], label

    if hook:
        tres, events, record, tpid = hooked
        window = record_counts(load_record(hookf))
    else:
        record, tres, events, _, tpid = plain
        window = record_counts(record)
    names = [e["event"] for e in events if e["pid"] == tpid]
    b, e = names.index(ac.BEGIN), names.index(ac.END)
    if claim != "complete":
        window = Counter(names[b:e + 1])
    exp = Counter(names[:b]) + window + Counter(names[e + 1:])
    assert_counts(got, exp, label)
    assert tables[0]["total"]["total"] == sum(exp.values()), label


def test_missed_events_same_with_and_without_hook(combo, hooked, plain):
    """What a route misses does not depend on a hook being installed (the inlined
    clones are taken either way): nothing for a complete claim, the same events in
    both runs for a partial one, and some: a partial claim where every event of
    broad.py (import and exec included) was seen would be a wrong claim."""
    row, route = combo
    res, events, record, pid = hooked
    claim = coverage_claim(res.err_lines, pid, row, route)
    _, m_same = check_subsequence(events, record, pid, False, "%s same run" % row)
    ref, res2, events2, _, pid2 = plain
    _, m_cross = check_subsequence(events2, ref, pid2, True, "%s cross-run" % row)
    assert Counter(m_same) == Counter(m_cross), \
        "missed with hook %s, without %s" % (Counter(m_same), Counter(m_cross))
    if claim == "complete":
        assert not m_cross, "claims complete, missed %s" % Counter(m_cross)
    else:
        assert m_cross, "%s --probe %s claims %r but missed none of broad.py's %d events" % (
            row, route, claim, len(ref["events"]))


# Events the stdlib raises only from Python code, with sys.audit(), that broad.py
# triggers (checked against the row's own stdlib by test_python_level_events_seen).
PY_LEVEL = ("shutil.copyfile", "shutil.copytree", "shutil.move", "shutil.rmtree",
            "tempfile.mkstemp", "tempfile.mkdtemp", "glob.glob", "glob.glob/2",
            "subprocess.Popen", "http.client.connect", "http.client.send",
            "ctypes.create_string_buffer")


_STDLIB_NAMES = {}


def stdlib_audit_names(row):
    """Event names passed literally to sys.audit() in the row's stdlib .py files
    (symlinks skipped: Debian's sitecustomize.py points into the chroot's /etc)."""
    if row.name in _STDLIB_NAMES:
        return _STDLIB_NAMES[row.name]
    p = subprocess.run(row.argv("-c") + ["import os; print(os.path.dirname(os.__file__))"],
                       env=BASE_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr
    lib = p.stdout.decode().strip()
    host_lib = (row.root + lib) if row.chroot else lib
    names = set()
    rx = re.compile(r"""sys\.audit\(\s*["']([^"']+)["']""")
    for dirpath, dirs, files in os.walk(host_lib):
        dirs[:] = [d for d in dirs if d not in ("test", "site-packages", "dist-packages")]
        for f in files:
            path = os.path.join(dirpath, f)
            if f.endswith(".py") and not os.path.islink(path):
                with open(path, errors="replace") as fh:
                    names.update(rx.findall(fh.read()))
    assert "subprocess.Popen" in names, "no sys.audit() calls found under %s" % host_lib
    _STDLIB_NAMES[row.name] = names
    return names


def test_python_level_events_seen(combo, plain):
    """Whatever a route may miss, an event raised with sys.audit() from Python is seen
    (the probe on the builtin sys.audit covers it): broad.py's own pyaudit_test.* and
    the stdlib's Python-level events it triggers."""
    row, route = combo
    ref, res, events, _, pid = plain
    names = {e[1] for e in ref["events"]}
    in_stdlib = stdlib_audit_names(row)
    py_level = {n for n in names if n.startswith("pyaudit_test.")}
    for n in PY_LEVEL:
        if n in names:
            assert n in in_stdlib, "%s: %s is not raised by sys.audit() in the stdlib" % (row, n)
            py_level.add(n)
    assert len(py_level) >= 15, sorted(py_level)
    want = Counter(e[1] for e in ref["events"] if e[1] in py_level)
    got = Counter(e["event"] for e in ac.tool_window(events, pid) if e["event"] in py_level)
    assert got == want, "%s --probe %s: Python-level events: tracer %s, hook %s" % (
        row, route, got, want)


def test_attach_pid(results, mwl, combo, plain):
    """-p PID of the workload parked in its chroot (no hook) vs the reference run."""
    row, route = combo
    ref = mwl.reference(row)
    tgt = mwl.start(row)
    tool = None
    try:
        tgt.wait_ready()
        tool = Tool(["-j", "--probe", route, "-p", tgt.pid], cwd=str(mwl.base))
        tool.wait_ready()
        tgt.release()
        tgt.finish()
        tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == ac.END, 5)
        rc = tool.stop()
    finally:
        tgt.kill()
        if tool:
            tool.kill()
    assert rc == 0, "tool exit %r after SIGINT\n%s" % (rc, tool.describe())
    claim = coverage_claim(tool.err, tgt.pid, row, route)
    cmd_claim = coverage_claim(plain[1].err_lines, plain[4], row, route)
    assert claim == cmd_claim, "-p claims %r, -- claimed %r" % (claim, cmd_claim)
    no_warnings(tool.err, "%s -p --probe %s" % (row, route))
    events = tool.events()
    others = {e["pid"] for e in events} - {tgt.pid}
    assert not others, "-p %d also reported pids %s" % (tgt.pid, sorted(others))
    _, missed = verify(combo, events, ref, tgt.pid, claim, tool.t0, tool.t1, True,
                       "%s -p --probe %s, no hook vs reference run" % (row, route))
    results.note(combo, missed_attach=sorted(set(missed)))
    _, cmd_missed = check_subsequence(plain[2], ref, plain[4], True, "%s --" % row)
    assert Counter(missed) == Counter(cmd_missed), \
        "missed under -p %s, under -- %s" % (Counter(missed), Counter(cmd_missed))


LIST_RX = re.compile(r"^(?P<pid>-)\s+(?P<comm>-)\s+(?P<ver>\S+)\s+(?P<route>usdt|uprobe)\s+"
                     r"(?P<cov>complete|partial)\s+(?P<build>\S.*?)\s{2,}(?P<bin>/\S*)$")


def list_binary(elf, route=None):
    args = ["--list"] + (["--probe", route] if route else []) + [elf]
    res = run_tool(args, timeout=60)
    assert res.rc == 0, res.describe()
    lines = res.stdout.decode().splitlines()
    assert lines and lines[0].split() == ["PID", "COMM", "PYTHON", "ROUTE", "COVERAGE",
                                          "BUILD", "BINARY"], res.stdout
    m = LIST_RX.match(lines[1]) if len(lines) > 1 else None
    assert m, "no row for %s in --list output:\n%s" % (elf, res.stdout.decode())
    rest = [ln.strip() for ln in lines[2:] if not ln.strip().startswith("clones: ")]
    return m, rest, res


def list_clones(res):
    """The _PySys_Audit clones --list names (its "clones: 0x..., 0x..." line)."""
    return [int(a, 16) for ln in res.stdout.decode().splitlines()
            if ln.strip().startswith("clones: ")
            for a in ln.strip()[len("clones: "):].split(", ")]


def test_list(results, mwl, combo, plain):
    """--list --probe R ELF: version, build kind, route and the coverage the tracer
    claims when it attaches to that binary; --list ELF (auto) picks usdt where it is."""
    row, route = combo
    m, rest, res = list_binary(row.elf, route)
    results.note(combo, build_reported=m.group("build"))
    assert m.group("bin") == row.elf, m.group(0)
    assert m.group("ver") == row.version, m.group(0)
    assert m.group("route") == route, m.group(0)
    assert m.group("build") == row.build, \
        "--list says build %r, the ELF is %r (manifest)" % (m.group("build"), row.build)
    claim = coverage_claim(plain[1].err_lines, plain[4], row, route)
    if claim == "complete":
        assert m.group("cov") == "complete" and not rest, res.stdout.decode()
    else:
        assert m.group("cov") == "partial" and rest == [claim], \
            "--list: %r %r; attach line: %r" % (m.group("cov"), rest, claim)
    auto, auto_rest, auto_res = list_binary(row.elf)
    assert auto.group("route") == ("usdt" if row.usdt else "uprobe"), auto.group(0)
    assert auto.group("cov") == "complete" and not auto_rest, auto_res.stdout.decode()
    # the clones named are the same whatever the route, and the same with notes or not
    assert list_clones(auto_res) == list_clones(res), (auto_res.stdout, res.stdout)
    # -v: every function holding the audit gate with its role, one probe per clone
    v = run_tool(["--list", "-v", "--probe", route, row.elf], timeout=60)
    assert v.rc == 0, v.describe()
    vout = v.stdout.decode()
    gates = re.findall(r"^  gate     fn (0x[0-9a-f]+) \(gate at 0x[0-9a-f]+\)  (.*)$", vout, re.M)
    if tuple(map(int, row.version.split(".")[:2])) < (3, 9):
        # 3.8 has no sys_audit_tstate: PySys_Audit holds the gate itself (on _PyRuntime
        # and the interpreter directly; no scan for it) and is probed at its entry, with
        # the builtin sys.audit() beside it
        assert not gates and not list_clones(res), vout
        assert re.search(r"^  varargs  vaddr 0x[0-9a-f]+ .*  PySys_Audit entry", vout, re.M) \
            and re.search(r"^  sysaudit vaddr 0x[0-9a-f]+ .*  sys\.audit builtin", vout, re.M), \
            vout
    else:
        assert [int(a, 16) for a, role in gates if role.startswith("_PySys_Audit clone")] == \
            list_clones(res), vout
        assert len(re.findall(r"^  clone    vaddr ", vout, re.M)) == len(list_clones(res)), vout
        assert {role.split(" (")[0] for _, role in gates} >= \
            {"sys_audit_tstate", "sys.audit builtin"}, vout
        assert not [g for g in gates if g[1] == "not probed"], vout
    assert auto.group("ver") == row.version and auto.group("build") == row.build, auto.group(0)
    # The claim depends on the file's bytes alone: a private copy (an inode no other
    # tracer has probes on) gets the same one (see test_second_tracer_sees_same_code).
    copy = mwl.base / ("copy-%s-%s" % (row.name, os.path.basename(row.elf)))
    if not copy.exists():
        shutil.copyfile(row.elf, str(copy))
    cm, crest, _ = list_binary(str(copy), route)
    assert (cm.group("ver"), cm.group("cov"), crest) == (row.version, m.group("cov"), rest), \
        "--list --probe %s: %s %s %s, of a byte-identical private copy: %s %s" % (
            route, row.elf, m.group("cov"), rest, cm.group("cov"), crest)


@pytest.mark.parametrize("combo,probe_opt", systemwide_params(), indirect=["combo"])
def test_systemwide_new_chroot_python(results, mwl, combo, probe_opt, plain):
    """System-wide: a chroot Python started after the tracer is found; the first such
    process is held at exec until its binary is probed, so it is traced from its first
    event, with no late-probe warning; a second one is reported completely (or, on a
    partial route, as the same sub-sequence as with the other modes)."""
    row, route = combo
    ref = mwl.reference(row)  # before the tracer starts: nothing of this row runs
    tool = Tool(["-j"] + (["--probe", probe_opt] if probe_opt else []), cwd=str(mwl.base))
    tgts = []
    try:
        tool.wait_ready()
        for _ in range(2):
            tgt = mwl.start(row, ping=True)
            tgts.append(tgt)
            tgt.wait_ready()
            if not tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == PING,
                                    30):
                pytest.fail("the tracer never reported the new %s process %d (no %s within "
                            "30s)\n%s" % (row, tgt.pid, PING, tool.describe()))
            tgt.release()
            tgt.finish()
            if not tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == ac.END,
                                    10):
                pytest.fail("no %s of pid %d\n%s" % (ac.END, tgt.pid, tool.describe()))
        rc = tool.stop()
    finally:
        for tgt in tgts:
            tgt.kill()
        tool.kill()
    assert rc == 0, "tool exit %r after SIGINT\n%s" % (rc, tool.describe())
    events = tool.events()
    first, second = tgts
    # first run: probed at its exec, with an attach line, no late-probe warning, and its
    # start-up events (before its first ping) seen
    claim = coverage_claim(tool.err, first.pid, row, route, every=True)
    assert not [ln for ln in tool.err if re.match(LATE_RX % first.pid, ln)], \
        "late-probe warning for the first %s process %d (not held at exec?):\n%s" % (
            row, first.pid, tool.stderr)
    names = [e.get("event") for e in events if e.get("pid") == first.pid]
    assert PING in names and names.index(PING) > 0, \
        "no start-up event of the first %s process %d: %s" % (row, first.pid, names[:5])
    # second run: the binary is probed already, no new attach line, no warning
    assert not attach_lines(tool.err, second.pid), tool.stderr
    assert not [ln for ln in tool.err if re.match(LATE_RX % second.pid, ln)], tool.stderr
    missed = {}
    for tgt, what in ((second, "second"), (first, "first (after its first ping)")):
        window, m = verify(combo, events, ref, tgt.pid, claim, tool.t0, tool.t1,
                           True, "%s system-wide, %s process, no hook vs reference run"
                           % (row, what))
        missed[what] = sorted(set(m))
    results.note(combo, systemwide_claim=claim, missed_systemwide=missed["second"])
    assert missed["first (after its first ping)"] == missed["second"], missed
    _, cmd_missed = check_subsequence(plain[2], ref, plain[4], True, "%s --" % row)
    assert missed["second"] == sorted(set(cmd_missed)), \
        "missed system-wide %s, under -- %s" % (missed["second"], sorted(set(cmd_missed)))


def test_second_tracer_sees_same_code(mwl):
    """Two tracers at once (a system-wide one, e.g. a daemon, and an ad-hoc one): the
    second analyses the binary exactly as if it were alone.  The chroot Python of the
    system-wide row is started under a system-wide --probe uprobe tracer (which then
    probes its call sites of sys_audit_tstate for every process); --list --probe uprobe
    of the same ELF meanwhile must say what it says without the other tracer."""
    if MANIFEST_ERROR:
        pytest.fail(MANIFEST_ERROR)
    params = systemwide_params()[0].values
    if params[0] is None:
        pytest.fail("the manifest %s has no chroot row" % MANIFEST)
    row = params[0][0]
    probe_opt = "uprobe"  # probes on the call sites (usdt's are nops in their own place)
    alone, alone_rest, _ = list_binary(row.elf, probe_opt)
    assert alone.group("cov") == "complete" and not alone_rest, \
        "%s: --list --probe %s alone: %s %s" % (row, probe_opt, alone.group(0), alone_rest)
    tool = Tool(["-j", "--probe", probe_opt], cwd=str(mwl.base))
    tgt = None
    try:
        tool.wait_ready()
        tgt = mwl.start(row, ping=True)
        tgt.wait_ready()
        if not tool.wait_stdout(lambda e: e.get("pid") == tgt.pid and e.get("event") == PING, 30):
            pytest.fail("the system-wide tracer never reported %s pid %d\n%s" % (
                row, tgt.pid, tool.describe()))
        claim = coverage_claim(tool.err, tgt.pid, row, probe_opt, every=True)
        assert claim == "complete", "the system-wide tracer itself: %r" % claim
        during, during_rest, _ = list_binary(row.elf, probe_opt)
        tgt.release()
        tgt.finish()
        tool.stop()
    finally:
        if tgt:
            tgt.kill()
        tool.kill()
    after, after_rest, _ = list_binary(row.elf, probe_opt)
    assert after.group("cov") == "complete" and not after_rest, after.group(0)
    assert (during.group("cov"), during_rest) == ("complete", []), \
        "%s: --list --probe %s while a system-wide tracer probes the same file: %s %s " \
        "(alone, before and after: complete)" % (row, probe_opt, during.group("cov"),
                                                  during_rest)
