# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""harness.py - run pyaudit-trace and the workloads for the e2e tests.

Pieces:
  PYTHONS, COMBOS        the interpreters under test and their (python, probe) pairs
  Workloads              runs tests/workloads/broad.py directly (the hook's ground truth)
                         or as a target for -p / system-wide
  Tool                   one running pyaudit-trace: stdout/stderr drained by threads,
                         wait for a stderr line, stop with SIGINT, parse JSON Lines
  run_tool()             run it to completion (usage errors, `-- COMMAND` runs)
  parse_json_lines(), check_schema(), check_meta(), attach_line(),
  check_one_error_line()  output checks shared by the tests
"""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# PYAUDIT_E2E_TOOL=PATH tests another build of the tool (then nothing is built).
TOOL = Path(os.environ.get("PYAUDIT_E2E_TOOL") or ROOT / "build" / "pyaudit-trace")
WORKLOADS = ROOT / "tests" / "workloads"
BROAD = WORKLOADS / "broad.py"
STARTUP = WORKLOADS / "startup.py"
PYENV_SHIM = "/root/.pyenv/shims/python3"

READY_LINE = "Ctrl-C to end."
# The status line once every target is probed: it ends "; Ctrl-C to end." or, with -d, "."
READY_RX = r"^pyaudit-trace: tracing .*(; Ctrl-C to end)?\.$"
PREFIX = "pyaudit-trace: "
TRY_HELP = "Try 'pyaudit-trace --help'."

# Environment of every process we start: fixed and small, so that two runs of a
# workload see the same one (PYAUDIT_* variables are added per run).
BASE_ENV = {
    "PATH": "/root/.pyenv/shims:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
}


class Python:
    def __init__(self, ident, exe, probes):
        self.id = ident  # test id, e.g. "debian-3.11"
        self.exe = exe
        self.probes = tuple(probes)  # routes the binary supports
        self.comm = os.path.basename(os.path.realpath(exe))[:15]
        self._version = None

    @property
    def version(self):
        """sys.version.split()[0], e.g. "3.11.2" (what the tracer must report)."""
        if self._version is None:
            code = "import sys; print(sys.version.split()[0])"
            out = subprocess.run([self.exe, "-S", "-c", code], stdout=subprocess.PIPE,
                                 check=True, timeout=60, env=BASE_ENV)
            self._version = out.stdout.decode().strip()
        return self._version

    def __repr__(self):
        return self.id


def _extra_pythons():
    """PYAUDIT_E2E_PYTHONS="ID=EXE=PROBES ..." (PROBES: usdt+uprobe or uprobe) adds
    interpreters, e.g. from the version matrix."""
    out = []
    for item in os.environ.get("PYAUDIT_E2E_PYTHONS", "").split():
        ident, exe, probes = item.split("=")
        out.append(Python(ident, exe, probes.split("+")))
    return out


PYTHONS = [
    # Debian: static libpython in a non-PIE stripped executable, USDT python:audit.
    Python("debian-3.11", "/usr/bin/python3.11", ("usdt", "uprobe")),
    # pyenv: shared libpython3.11.so.1.0 with symbols, no USDT.
    Python("pyenv-3.11.7", "/root/.pyenv/versions/3.11.7/bin/python3.11", ("uprobe",)),
] + _extra_pythons()
PYENV = PYTHONS[1]

COMBOS = [(py, probe) for py in PYTHONS for probe in py.probes]
COMBO_IDS = ["%s-%s" % (py.id, probe) for py, probe in COMBOS]


def combo_params():
    return [pytest.param(c, id=i) for c, i in zip(COMBOS, COMBO_IDS)]


def python_params():
    return [pytest.param(py, id=py.id) for py in PYTHONS]


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------
# workloads


class Workloads:
    """Per-interpreter fixed scratch dir and ports, so that every run of broad.py with
    one interpreter raises the same arguments; runs of one interpreter are serial."""

    def __init__(self, base):
        self.base = Path(base)
        self.ports = {}
        self._refs = {}
        for py in PYTHONS:
            self.ports[py.id] = (free_port(socket.SOCK_STREAM), free_port(socket.SOCK_DGRAM))
        self._n = 0

    def workdir(self, py):
        return self.base / ("work-" + py.id)

    def tmpfile(self, stem):
        self._n += 1
        return self.base / ("%s-%d" % (stem, self._n))

    def env(self, py, hook=None, wait=None, ready=None, extra=None):
        tcp, udp = self.ports[py.id]
        env = dict(BASE_ENV, PYAUDIT_DIR=str(self.workdir(py)),
                   PYAUDIT_TCP_PORT=str(tcp), PYAUDIT_UDP_PORT=str(udp))
        if hook:
            env["PYAUDIT_HOOK"] = str(hook)
        if wait:
            env["PYAUDIT_WAIT"] = str(wait)
        if ready:
            env["PYAUDIT_READY"] = str(ready)
        env.update(extra or {})
        return env

    def run_hooked(self, py, sections=(), timeout=120):
        """Runs broad.py with the hook, without any tracer; returns the record (with each
        event's call site, which compare() checks against the tracer's "site")."""
        hook = self.tmpfile("hook-%s.json" % py.id)
        p = subprocess.run([py.exe, str(BROAD)] + list(sections),
                           env=self.env(py, hook=hook, extra={"PYAUDIT_SITE": "1"}),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, cwd=str(self.base))
        assert p.returncode == 0 and not p.stdout, \
            "broad.py on %s failed (rc %d): %s%s" % (py.id, p.returncode, p.stdout, p.stderr)
        return load_record(hook)

    def reference(self, py, sections=()):
        """The hook's record of a plain run (cached per interpreter and sections)."""
        key = (py.id, tuple(sections))
        if key not in self._refs:
            self._refs[key] = self.run_hooked(py, sections)
        return self._refs[key]

    def start(self, py, hook=None, sections=(), ping=False):
        """Starts broad.py waiting before "begin"; returns a Target."""
        return Target(self, py, hook, sections, ping)


class Target:
    """A broad.py process parked before "begin" (PYAUDIT_WAIT)."""

    def __init__(self, wl, py, hook, sections, ping=False):
        self.py = py
        self.hook = wl.tmpfile("hook-%s.json" % py.id) if hook else None
        self.wait_file = wl.tmpfile("go")
        self.ready_file = wl.tmpfile("ready")
        self.log = wl.tmpfile("target-%s.log" % py.id)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [py.exe, str(BROAD)] + list(sections),
                env=wl.env(py, hook=self.hook, wait=self.wait_file, ready=self.ready_file,
                           extra={"PYAUDIT_PING": "1"} if ping else None),
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=str(wl.base))
        self.pid = self.proc.pid

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while not self.ready_file.exists():
            if self.proc.poll() is not None:
                pytest.fail("workload %s exited early (rc %d): %s" % (
                    self.py.id, self.proc.returncode, self.log.read_text(errors="replace")))
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("workload %s never got ready" % self.py.id)
            time.sleep(0.01)

    def release(self):
        self.wait_file.write_text("")

    def finish(self, timeout=120):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("workload %s (pid %d) hung" % (self.py.id, self.pid))
        assert rc == 0, "workload %s failed (rc %d): %s" % (
            self.py.id, rc, self.log.read_text(errors="replace"))
        return load_record(self.hook) if self.hook else None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def load_record(path):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------------------------------
# the tool


def tool_cmd(args):
    return [str(TOOL)] + [str(a) for a in args]


class Tool:
    """A running pyaudit-trace with stdout and stderr drained by two threads."""

    def __init__(self, args, env=None, prefix=(), cwd=None):
        self.argv = list(prefix) + tool_cmd(args)
        self.t0 = time.time()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env or BASE_ENV,
                                     start_new_session=True, cwd=cwd)
        self._cv = threading.Condition()
        self.out = []  # raw stdout lines (bytes, with the newline)
        self.err = []  # stderr lines (str, without the newline)
        self._eof = 0
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout, self.out, False)),
            threading.Thread(target=self._drain, args=(self.proc.stderr, self.err, True))]
        for t in self._threads:
            t.daemon = True
            t.start()

    def _drain(self, f, sink, text):
        for line in iter(f.readline, b""):
            with self._cv:
                sink.append(line.decode("utf-8", "replace").rstrip("\n") if text else line)
                self._cv.notify_all()
        with self._cv:
            self._eof += 1
            self._cv.notify_all()

    @property
    def stderr(self):
        with self._cv:
            return "\n".join(self.err)

    def describe(self):
        return "command: %s\nexit: %s\nstderr:\n%s" % (
            " ".join(self.argv), self.proc.poll(), self.stderr[-4000:])

    def wait_stderr(self, regex, timeout=30, what=None):
        """Waits for a stderr line matching regex; returns the match."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cv:
            while True:
                for line in self.err[seen:]:
                    m = rx.search(line)
                    if m:
                        return m
                seen = len(self.err)
                if self._eof == 2:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cv.wait(min(left, 0.5))
        exited = self.proc.poll() is not None
        self.kill()
        pytest.fail("pyaudit-trace: no stderr line matching %r (%s) %s\n%s" % (
            regex, what or "", "before it exited" if exited else "within %ds" % timeout,
            self.describe()))

    def wait_ready(self, timeout=60):
        return self.wait_stderr(READY_RX, timeout, "tracing started")

    def wait_stdout(self, pred, timeout):
        """Waits until some parsed stdout line satisfies pred (for draining); False on
        timeout (the tool may buffer its output)."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cv:
            while True:
                for line in self.out[seen:]:
                    try:
                        if pred(json.loads(line)):
                            return True
                    except ValueError:
                        pass
                seen = len(self.out)
                left = deadline - time.monotonic()
                if left <= 0 or self._eof == 2:
                    return False
                self._cv.wait(min(left, 0.5))

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Sends sig (default: Ctrl-C) and waits; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout=120):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("pyaudit-trace did not exit within %ds\n%s" % (timeout, self.describe()))
        for t in self._threads:
            t.join(10)
        self.t1 = time.time()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stdout_bytes(self):
        with self._cv:
            return b"".join(self.out)

    def events(self):
        return parse_json_lines(self.stdout_bytes(), "stdout of " + " ".join(self.argv))


class Result:
    def __init__(self, argv, rc, stdout, stderr, t0, t1):
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout, stderr
        self.t0, self.t1 = t0, t1

    @property
    def err_lines(self):
        return self.stderr.decode("utf-8", "replace").splitlines()

    def describe(self):
        return "command: %s\nexit: %s\nstderr:\n%s" % (
            " ".join(self.argv), self.rc, self.stderr.decode("utf-8", "replace")[-4000:])


def run_tool(args, env=None, timeout=120, prefix=(), cwd=None):
    """Runs pyaudit-trace to completion; a hang fails the test."""
    argv = list(prefix) + tool_cmd(args)
    t0 = time.time()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env or BASE_ENV, start_new_session=True,
                         cwd=cwd)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail("pyaudit-trace hung (killed after %ds): %s\nstderr:\n%s" % (
            timeout, " ".join(argv), err.decode("utf-8", "replace")[-4000:]))
    return Result(argv, p.returncode, out, err, t0, time.time())


# ---------------------------------------------------------------------------------------
# output checks


# Keys every comparison needs; the rest of the contract is checked by check_schema().
_CORE_KEYS = {"ts": (int, float), "pid": int, "tid": int, "event": str, "args": list}
_KEYS = dict(_CORE_KEYS, uid=int, comm=str, route=str, python=str, complete=bool)


def parse_json_lines(data, where):
    """Every line must be UTF-8, json.loads-able, and an event object with at least
    the keys the comparisons need.  Returns the list of events."""
    events = []
    if data and not data.endswith(b"\n"):
        pytest.fail("%s: output does not end with a newline: %r" % (where, data[-200:]))
    for n, raw in enumerate(data.split(b"\n")[:-1], 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            pytest.fail("%s: line %d is not valid UTF-8 (%s): %r" % (where, n, e, raw[:300]))
        try:
            ev = json.loads(text)
        except ValueError as e:
            pytest.fail("%s: line %d is not JSON (%s): %r" % (where, n, e, raw[:300]))
        if not isinstance(ev, dict):
            pytest.fail("%s: line %d is not a JSON object: %r" % (where, n, raw[:300]))
        _check_keys(ev, _CORE_KEYS, "%s: line %d" % (where, n))
        events.append(ev)
    return events


def _check_keys(ev, keys, where):
    for k, t in keys.items():
        v = ev.get(k)
        if k not in ev or not isinstance(v, t) or (t is int and isinstance(v, bool)):
            pytest.fail("%s: key %r missing or not %s: %s" % (
                where, k, t, json.dumps(ev, ensure_ascii=True)[:400]))


def check_schema(events, where):
    """The whole per-event contract: every key with its type, route, arg_names (empty
    or one name or null per argument), args_truncated with nargs."""
    for n, ev in enumerate(events, 1):
        w = "%s: event %d (%s)" % (where, n, ev.get("event"))
        _check_keys(ev, _KEYS, w)
        assert ev["route"] in ("usdt", "uprobe"), "%s: route %r" % (w, ev["route"])
        # arg_names is left out when the event table documents no name for the event
        names = ev.get("arg_names", [])
        assert isinstance(names, list) and len(names) in (0, len(ev["args"])) and all(
            x is None or isinstance(x, str) for x in names), \
            "%s: arg_names %r for %d args" % (w, names, len(ev["args"]))
        if "args_truncated" in ev or "nargs" in ev:
            assert type(ev.get("nargs")) is int and ev["nargs"] >= len(ev["args"]), \
                "%s: nargs %r" % (w, ev.get("nargs"))
        if "args_truncated" in ev:
            assert ev["args_truncated"] is True, w
        if "event_truncated" in ev:  # a name longer than the capture limit (PA_NAME_MAX)
            assert ev["event_truncated"] is True and len(ev["event"]) >= 128, w


def check_meta(window, pid, py, route, t0, t1):
    """Per-event fields of one traced workload's events."""
    assert window, "no events"
    for e in window:
        what = "event %s of pid %d" % (e["event"], pid)
        assert e["pid"] == pid, what
        assert e.get("uid") == os.geteuid(), "%s: uid %r" % (what, e.get("uid"))
        assert e.get("comm") == py.comm, "%s: comm %r, expected %r" % (what, e.get("comm"), py.comm)
        assert e.get("route") == route, "%s: route %r, expected %r" % (what, e.get("route"), route)
        assert e.get("python") == py.version, "%s: python %r, expected %r" % (
            what, e.get("python"), py.version)
        assert e.get("complete") is True, "%s: complete is %r" % (what, e.get("complete"))
        assert t0 - 5 <= e["ts"] <= t1 + 5, "%s: ts %r outside the run [%r, %r]" % (
            what, e["ts"], t0, t1)
    last = {}
    for e in window:  # events are emitted in order per thread
        assert e["ts"] >= last.get(e["tid"], 0), \
            "ts goes backwards in tid %d at %s" % (e["tid"], e["event"])
        last[e["tid"]] = e["ts"]
    names = {e["event"]: e for e in window}
    if "open" in names:
        assert names["open"].get("arg_names") == ["path", "mode", "flags"], names["open"]
    if "socket.connect" in names:
        assert names["socket.connect"].get("arg_names") == ["self", "address"], \
            names["socket.connect"]


# Per-process attach line; system-wide mode may append " [every process]" (the probe
# covers every process of that binary).
ATTACH_RX = (r"^pyaudit-trace: PID (?P<pid>\d+) \((?P<comm>[^)]*)\): CPython (?P<ver>\S+), "
             r"route (?P<route>usdt|uprobe), coverage (?P<cov>complete|partial: .+?)"
             r"(?P<every> \[every process\])?$")


def attach_line(stderr_lines, pid):
    """The per-process attach line of pid (a match), or None."""
    for line in stderr_lines:
        m = re.match(ATTACH_RX, line)
        if m and int(m.group("pid")) == pid:
            return m
    return None


def check_attach_line(stderr_lines, pid, py, route):
    m = attach_line(stderr_lines, pid)
    assert m, "no attach line for PID %d on stderr:\n%s" % (pid, "\n".join(stderr_lines))
    assert m.group("ver") == py.version, m.group(0)
    assert m.group("route") == route, m.group(0)
    assert m.group("cov") == "complete", m.group(0)
    return m


def check_one_error_line(res, contains=()):
    """A failed run: exit != 0 (not a crash), exactly one stderr line starting with the
    program name (usage errors may add the --help hint), nothing on stdout."""
    lines = res.err_lines
    assert res.rc != 0, "expected failure, got exit 0\n" + res.describe()
    assert res.rc > 0, "killed by signal %d (crash?)\n%s" % (-res.rc, res.describe())
    assert lines, "no message on stderr\n" + res.describe()
    assert len(lines) == 1 or (len(lines) == 2 and lines[1] == TRY_HELP), \
        "expected one line on stderr\n" + res.describe()
    assert lines[0].startswith(PREFIX), "stderr line lacks the %r prefix\n%s" % (
        PREFIX, res.describe())
    assert "Traceback" not in lines[0] and "Segmentation" not in lines[0], res.describe()
    assert res.stdout == b"", "stdout must stay empty: %r" % res.stdout[:300]
    for c in contains:
        assert c.lower() in lines[0].lower(), "%r not in the message\n%s" % (c, res.describe())
    return lines[0]
