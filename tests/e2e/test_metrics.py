# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""--metrics: the kernel's counts scraped by a real Prometheus server, checked with
promtool, equal to the in-process hook's ground truth; the HTTP side's limits.

Ground truth as in test_count.py (its GroundTruth is reused): the counted process is
broad.py attached with -p while it waits before "begin", so the expected counts per
event name are the hook's record of that very run (begin..end) plus the finalisation
events measured by a trace run ("after").  A second Python, idle in time.sleep() (no
audit event on 3.11), is traced too, so that the tool is still running, and serving,
after the workload has ended: the last scrape then holds every count.

  test_prometheus_scrape[alone|trace|count]  Debian's prometheus (127.0.0.1, a temporary
        config, 1 s scrape interval) scrapes the tool; its HTTP API's pyaudit_events_total
        summed per event == ground truth; up == 1; the lost counter 0.  alone: --metrics
        without -c and -o (counted in the kernel only, nothing written); trace: beside -j
        -o FILE (the file's events per name == the metrics too); count: beside -c -j -o
        FILE (the table's rows == the metrics).
  test_promtool_and_formats  `promtool check metrics` accepts the text format; the
        OpenMetrics answer (Accept: application/openmetrics-text) ends with # EOF and
        names counter families without _total; hostile comm/event label values escaped
  test_http_limits   20 idle connections at once never stall trace output, and a scrape
        still gets in (the longest-silent one makes room); a silent connection is closed
        after ~5 s; an 8 KiB+ request -> 431;
        POST -> 405; /nope -> 404
  test_metrics_errors  a bound port: one line naming the address and errno, exit 1;
        bad ADDR:PORT, -j without -o: usage errors (exit 2)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from harness import (PREFIX, Tool, check_attach_line, free_port, parse_json_lines,
                     run_tool, PYTHONS)
from test_count import GroundTruth, assert_counts, parse_count_json, by_event

pytestmark = pytest.mark.usefixtures("tool")

PY = [p for p in PYTHONS if p.id == "debian-3.11"][0]
PROBE = "usdt"


def http_get(port, path="/metrics", headers=None, timeout=10):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")


def parse_text(body):
    """Prometheus text -> {(name, frozenset(labels)): value} (a strict subset parser)."""
    out = {}
    rx = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
    lab = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')
    for line in body.splitlines():
        if line.startswith("#") or not line:
            continue
        m = rx.match(line)
        assert m, "not a sample line: %r" % line
        labels = frozenset((k, re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), v))
                           for k, v in lab.findall(m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def events_of(samples):
    c = Counter()
    for (name, labels), v in samples.items():
        if name == "pyaudit_events_total":
            c[dict(labels)["event"]] += int(v)
    return c


class Prometheus:
    def __init__(self, tmp, target_port):
        self.port = free_port(socket.SOCK_STREAM)
        cfg = tmp / "prometheus.yml"
        cfg.write_text(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: pyaudit\n    static_configs:\n"
            "      - targets: ['127.0.0.1:%d']\n" % target_port)
        exe = shutil.which("prometheus")
        assert exe, "Debian's prometheus package is a test dependency (scripts/install-deps.sh)"
        self.log = open(tmp / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [exe, "--config.file=%s" % cfg, "--storage.tsdb.path=%s" % (tmp / "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % self.port,
                                          timeout=2).status == 200:
                    break
            except OSError:
                pass
            assert self.proc.poll() is None, "prometheus exited: " + (tmp / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "prometheus not ready in 60 s"
            time.sleep(0.2)

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=10) as r:
            data = json.loads(r.read())
        assert data["status"] == "success", data
        return data["data"]["result"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def gt(workloads):
    return GroundTruth(workloads)


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    port = free_port(socket.SOCK_STREAM)
    p = Prometheus(tmp_path_factory.mktemp("prom"), port)
    p.target_port = port
    yield p
    p.stop()


def sleeper():
    return subprocess.Popen([PY.exe, "-c", "import time; time.sleep(600)"],
                            stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("mode", ["alone", "trace", "count"])
def test_prometheus_scrape(mode, workloads, gt, prom, tmp_path):
    target = workloads.start(PY, hook=True)
    sl = sleeper()
    out = tmp_path / "out.json"
    extra = {"alone": [], "trace": ["-j", "-o", out], "count": ["-c", "-j", "-o", out]}[mode]
    tool = None
    try:
        target.wait_ready()
        tool = Tool(["--probe", PROBE, "--metrics", "127.0.0.1:%d" % prom.target_port,
                     "-p", "%d,%d" % (target.pid, sl.pid)] + extra)
        tool.wait_ready()
        assert "metrics on http://127.0.0.1:%d/metrics" % prom.target_port in tool.stderr
        check_attach_line(tool.err, target.pid, PY, PROBE)
        target.release()
        record = target.finish()
        exp = gt.expected(PY, PROBE, "p", hook=True, record=record)
        # Prometheus's view, once a scrape after the workload's end has landed
        deadline, got = time.monotonic() + 40, Counter()
        while time.monotonic() < deadline:
            got = Counter()
            for r in prom.query('sum by (event) (pyaudit_events_total{job="pyaudit"})'):
                got[r["metric"]["event"]] = int(float(r["value"][1]))
            if got == exp:
                break
            time.sleep(0.5)
        assert_counts(got, exp, "prometheus scrape (%s) vs ground truth" % mode)
        assert [r["value"][1] for r in prom.query('up{job="pyaudit"}')] == ["1"]
        assert [r["value"][1] for r in prom.query('pyaudit_lost_events_total')] == ["0"]
        procs = prom.query('pyaudit_traced_processes')
        assert [(r["metric"]["route"], r["metric"]["coverage"], r["value"][1]) for r in procs] \
            == [(PROBE, "complete", "2")], procs
        samples = parse_text(http_get(prom.target_port)[2])
        assert events_of(samples) == exp
        # every mode labels by event and comm (the table, -c --by event, merges comms)
        assert {dict(l).get("comm") for n, l in samples if n == "pyaudit_events_total"} == \
            {"python3.11"}
        sl.kill()
        sl.wait()
        rc = tool.stop()
    finally:
        target.kill()
        sl.kill()
        sl.wait()
        if tool:
            tool.kill()
    assert rc == 0, tool.describe()
    if mode == "alone":
        assert tool.stdout_bytes() == b"", "--metrics alone wrote events"
    elif mode == "trace":
        events = parse_json_lines(out.read_bytes(), "trace beside --metrics")
        assert_counts(Counter(e["event"] for e in events if e["pid"] == target.pid), exp,
                      "trace output beside --metrics")
    else:
        table = parse_count_json(out.read_bytes(), "count table beside --metrics")[-1]
        assert_counts(by_event(table["rows"]), exp, "count table beside --metrics")


def test_promtool_and_formats(tmp_path):
    port = free_port(socket.SOCK_STREAM)
    # a process whose comm and event names are hostile label values
    odd = tmp_path / 'we"ird\\nabcde\u202eme'
    os.symlink(PY.exe, odd)
    stop, go = tmp_path / "stop", tmp_path / "go"
    script = ("import sys, os, time\n"
              "while not os.path.exists(%r): time.sleep(0.05)\n"
              "sys.audit('ev\"quote\\\\back\\nnl\\u202e')\n"
              "while not os.path.exists(%r): time.sleep(0.05)\n" % (str(go), str(stop)))
    proc = subprocess.Popen([str(odd), "-c", script], stdin=subprocess.DEVNULL)
    tool = Tool(["--metrics", "127.0.0.1:%d" % port, "-p", str(proc.pid)])
    try:
        tool.wait_ready()
        go.touch()
        deadline = time.monotonic() + 20
        while True:
            status, ctype, body = http_get(port)
            if "ev\\\"quote" in body or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8"
        p = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        assert p.returncode == 0, p.stdout.decode() + body
        assert "# TYPE pyaudit_events_total counter" in body
        status, ctype, om = http_get(port, headers={
            "Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
        assert status == 200 and ctype.startswith("application/openmetrics-text; version=1.0.0")
        assert om.endswith("# EOF\n") and "# TYPE pyaudit_events counter" in om
        assert "# TYPE pyaudit_events_total" not in om
        samples = parse_text(om.replace("# EOF\n", ""))
        hostile = [dict(l) for n, l in samples if n == "pyaudit_events_total"]
        # the comm is cut at 15 bytes inside U+202E: invalid UTF-8, shown as U+FFFD
        assert {"event": 'ev"quote\\back\nnl\u202e', "comm": 'we"ird\\nabcde\ufffd\ufffd'} \
            in hostile, hostile
        body.encode("utf-8")  # valid UTF-8
        stop.touch()
        proc.wait(30)
        tool.wait(30)
    finally:
        proc.kill()
        tool.kill()


def test_http_limits(tmp_path):
    port = free_port(socket.SOCK_STREAM)
    stop = tmp_path / "stop"
    tool = Tool(["--metrics", "127.0.0.1:%d" % port, "-j", "-o", "-", "-e", "pyaudit_test.flood",
                 "--", PY.exe, str(Path(__file__).parents[1] / "workloads" / "flood.py"),
                 1000000, stop])
    socks = []
    try:
        tool.wait_stderr("metrics on")
        silent = socket.create_connection(("127.0.0.1", port))
        socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
        n0 = len(tool.out)
        time.sleep(1)
        assert len(tool.out) > n0 + 50, "trace output stalled by idle metrics connections"
        # all slots held by idle clients: a scrape still gets in (the oldest idle one goes)
        assert http_get(port)[0] == 200
        # the silent ones are closed: by the 5 s deadline, or first to make room
        silent.settimeout(15)
        assert silent.recv(10) == b"", "a silent connection was not closed"
        late = socket.create_connection(("127.0.0.1", port))
        t0 = time.monotonic()
        late.settimeout(15)
        assert late.recv(10) == b"", "a silent connection was not closed"
        took = time.monotonic() - t0
        late.close()
        assert 3 < took < 9, took
        for s in socks:
            s.close()
        assert http_get(port)[0] == 200
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
        s.settimeout(10)
        assert s.recv(100).startswith(b"HTTP/1.1 431 ")
        s.close()
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /metrics HTTP/1.1\r\n\r\n")
        s.settimeout(10)
        assert s.recv(100).startswith(b"HTTP/1.1 405 ")
        s.close()
        with pytest.raises(urllib.error.HTTPError) as e:
            http_get(port, "/nope")
        assert e.value.code == 404
        stop.touch()
        assert tool.wait(60) == 0, tool.describe()
    finally:
        for s in socks:
            s.close()
        tool.kill()
    seqs = [e["args"][0] for e in parse_json_lines(tool.stdout_bytes(), "stdout")]
    assert seqs == list(range(len(seqs))) and len(seqs) > 500


def test_metrics_errors():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        res = run_tool(["--metrics", "127.0.0.1:%d" % port, "--", PY.exe, "-c", "pass"], timeout=60)
    finally:
        s.close()
    assert res.rc == 1, res.describe()
    assert res.err_lines == [PREFIX + "--metrics 127.0.0.1:%d: bind: Address already in use" % port], \
        res.err_lines
    for bad in ("nocolon", "1.2.3.4:99999", "::1:80", ":80", "[::1]80", "1.2.3.4:x"):
        res = run_tool(["--metrics", bad, "--", PY.exe, "-c", "pass"], timeout=60)
        assert res.rc == 2 and res.err_lines[0].startswith(PREFIX + "--metrics '%s'" % bad), \
            res.describe()
    res = run_tool(["--metrics", "127.0.0.1:0", "-j", "--", PY.exe, "-c", "pass"], timeout=60)
    assert res.rc == 2 and "-o - for standard output" in res.err_lines[0], res.describe()
    res = run_tool(["--metrics", "no.such.host.invalid:80", "--", PY.exe, "-c", "pass"], timeout=60)
    assert res.rc == 1 and len(res.err_lines) == 1 and \
        res.err_lines[0].startswith(PREFIX + "--metrics no.such.host.invalid:80: "), res.describe()
