# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Daemon-safe output: -o with --append, SIGHUP reopen, --rotate, copytruncate,
--time-format, and write errors (/dev/full, EPIPE).

  test_rotate_under_flood   --rotate 256K,100 while tests/workloads/flood.py raises 60000
                            numbered events: every file under 256 KiB, every line valid
                            JSON, every sequence number once, in order across FILE.N..FILE
  test_sighup_reopen        FILE renamed away, then SIGHUP: the old file ends with whole
                            lines, the new one goes on; together every number once
  test_sighup_without_o     SIGHUP to a tool writing to stdout does not end it
  test_copytruncate         the file copied and truncated under a running flood: the next
                            lines start at offset 0 (no NUL bytes), all lines valid
  test_append               --append keeps what FILE holds; without it FILE is truncated
  test_time_format          --time-format rfc3339 (JSON string, text prefix) and epoch
  test_dev_full_trace       -o /dev/full -- COMMAND: one error line with the errno, exit 1,
                            the command killed (it never finishes untraced)
  test_dev_full_count       -c -o /dev/full: the table cannot be written: exit 1, one line
  test_epipe_head           -j -- COMMAND | head -1: exit 141, nothing on stderr but the
                            attach line, the command killed
"""
import datetime
import json
import os
import re
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import (BASE_ENV, PREFIX, WORKLOADS, Tool, parse_json_lines, run_tool,
                     tool_cmd)

pytestmark = pytest.mark.usefixtures("tool")

FLOOD = WORKLOADS / "flood.py"
PY = "/usr/bin/python3.11"
FLOOD_ARGS = ["-j", "-e", "pyaudit_test.flood*", "--ringbuf-size", "65536"]


def seqs_of(data, where):
    events = parse_json_lines(data, where)
    return [e["args"][0] for e in events if e["event"] == "pyaudit_test.flood"], events


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    pytest.fail("timed out waiting for " + what)


def lines_in(path):
    try:
        return Path(path).read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def test_rotate_under_flood(tmp_path):
    out = tmp_path / "ev.json"
    n = 60000
    res = run_tool(FLOOD_ARGS + ["-o", out, "--rotate", "256K,100", "--", PY, FLOOD, n],
                   timeout=300)
    assert res.rc == 0, res.describe()
    assert "lost" not in res.stderr.decode(), res.describe()
    files = sorted(tmp_path.glob("ev.json.*"), key=lambda p: -int(p.suffix[1:])) + [out]
    assert len(files) >= 10, "expected many rotations, got %s" % files
    seqs, total = [], 0
    for f in files:
        data = f.read_bytes()
        assert len(data) <= 256 * 1024, "%s: %d bytes" % (f, len(data))
        assert not data.startswith(b"\0")
        s, ev = seqs_of(data, str(f))
        seqs += s
        total += len(ev)
    assert seqs == list(range(n)), "lost, repeated or reordered events across the rotations"
    assert total == n + 1  # and flood_end


def test_sighup_reopen(tmp_path):
    out, moved, stop = tmp_path / "ev.json", tmp_path / "ev.json.old", tmp_path / "stop"
    t = Tool(FLOOD_ARGS + ["-o", out, "--", PY, FLOOD, 1000000, stop])
    try:
        wait_for(lambda: lines_in(out) > 200, 60, "events in the file")
        os.rename(out, moved)
        t.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: lines_in(out) > 200, 60, "events in the reopened file")
        t.proc.send_signal(signal.SIGHUP)  # a second reopen of the same file is harmless
        wait_for(lambda: lines_in(out) > 400, 60, "more events after a second SIGHUP")
        stop.touch()
        rc = t.wait(60)
    finally:
        t.kill()
    assert rc == 0, t.describe()
    old, new = moved.read_bytes(), out.read_bytes()
    assert old.endswith(b"\n") and new.endswith(b"\n")
    s_old, _ = seqs_of(old, "file before SIGHUP")
    s_new, ev_new = seqs_of(new, "file after SIGHUP")
    assert s_old and s_new
    assert s_old + s_new == list(range(len(s_old) + len(s_new))), "lost or split at the reopen"
    assert ev_new[-1]["event"] == "pyaudit_test.flood_end"


def test_sighup_without_o(tmp_path):
    stop = tmp_path / "stop"
    t = Tool(FLOOD_ARGS + ["--", PY, FLOOD, 1000000, stop])
    try:
        assert t.wait_stdout(lambda e: e.get("event") == "pyaudit_test.flood", 60)
        t.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert t.proc.poll() is None, "SIGHUP ended the tool:\n" + t.describe()
        stop.touch()
        rc = t.wait(60)
    finally:
        t.kill()
    assert rc == 0, t.describe()
    seqs, events = seqs_of(t.stdout_bytes(), "stdout")
    assert seqs == list(range(len(seqs))) and events[-1]["event"] == "pyaudit_test.flood_end"


def test_copytruncate(tmp_path):
    out, copy, stop = tmp_path / "ev.json", tmp_path / "ev.json.1", tmp_path / "stop"
    t = Tool(FLOOD_ARGS + ["-o", out, "--", PY, FLOOD, 1000000, stop])
    try:
        wait_for(lambda: lines_in(out) > 300, 60, "events in the file")
        # what logrotate's copytruncate does
        copy.write_bytes(out.read_bytes())
        os.truncate(out, 0)
        wait_for(lambda: lines_in(out) > 100, 60, "events after the truncation")
        stop.touch()
        rc = t.wait(60)
    finally:
        t.kill()
    assert rc == 0, t.describe()
    data = out.read_bytes()
    assert not data.startswith(b"\0"), "NUL bytes at the start after copytruncate: %r" % data[:40]
    assert b"\0" not in data
    s, events = seqs_of(data, "file after copytruncate")
    assert s == list(range(s[0], s[0] + len(s))) and events[-1]["event"] == "pyaudit_test.flood_end"


def test_append(tmp_path):
    out = tmp_path / "ev.json"
    for i, opts in enumerate(([], ["--append"], ["--append"])):
        res = run_tool(FLOOD_ARGS + ["-o", out] + opts + ["--", PY, FLOOD, 10], timeout=60)
        assert res.rc == 0, res.describe()
        assert seqs_of(out.read_bytes(), "run %d" % i)[0] == list(range(10)) * (i + 1)
    res = run_tool(FLOOD_ARGS + ["-o", out, "--", PY, FLOOD, 10], timeout=60)
    assert seqs_of(out.read_bytes(), "truncated")[0] == list(range(10))
    res = run_tool(["--append", "--", PY, "-c", "pass"], timeout=60)
    assert res.rc == 2 and "--append and --rotate go with -o FILE" in res.stderr.decode()
    # /dev/null is never renamed away
    res = run_tool(["-o", "/dev/null", "--rotate", "4096", "--", PY, "-c", "pass"], timeout=60)
    assert res.rc == 1 and res.stderr.decode() == PREFIX + \
        "-o /dev/null: not a regular file: --rotate would rename it\n", res.describe()
    assert os.path.exists("/dev/null") and not os.path.exists("/dev/null.1")


def test_time_format(tmp_path):
    t0 = time.time()
    res = run_tool(FLOOD_ARGS + ["--time-format", "rfc3339", "--", PY, FLOOD, 5], timeout=60)
    t1 = time.time()
    assert res.rc == 0, res.describe()
    events = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert len(events) == 6
    rx = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$")
    for e in events:
        assert rx.match(e["ts"]), e["ts"]
        ts = datetime.datetime.fromisoformat(e["ts"]).timestamp()
        assert t0 - 1 <= ts <= t1 + 1
    # the offset is the local one: TZ moves it
    env = dict(BASE_ENV, TZ="Asia/Kolkata")
    res = run_tool(["--time-format", "rfc3339", "--no-site", "-e", "pyaudit_test.flood", "--", PY,
                    FLOOD, 2], env=env, timeout=60)
    lines = res.stdout.decode().splitlines()
    assert len(lines) == 2 and all(re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+05:30 python3\.11\[\d+/\d+ ppid=\d+\] "
        r"pyaudit_test\.flood\(\d\)$", x) for x in lines), lines
    res = run_tool(["--time-format", "epoch", "-e", "pyaudit_test.flood", "--", PY, FLOOD, 2],
                   timeout=60)
    lines = res.stdout.decode().splitlines()
    assert len(lines) == 2 and all(re.match(r"^\d{10}\.\d{6} python3\.11\[", x) for x in lines)
    ts = float(lines[0].split()[0])
    assert t0 - 1 <= ts <= time.time() + 1
    res = run_tool(["--time-format", "iso", "--", PY, "-c", "pass"], timeout=60)
    assert res.rc == 2 and "--time-format 'iso'" in res.stderr.decode()


LOOP = "import sys, time\nfor i in range(100): sys.audit('x.y', i); time.sleep(0.05)\nprint('finished')"


def test_dev_full_trace():
    t0 = time.monotonic()
    res = run_tool(["-o", "/dev/full", "--", PY, "-c", LOOP], timeout=60)
    took = time.monotonic() - t0
    err = [x for x in res.stderr.decode().splitlines() if "PID" not in x or "killed" in x]
    assert res.rc == 1, res.describe()
    assert len(err) == 1 and err[0].startswith(PREFIX + "writing events to /dev/full: "
                                               "No space left on device"), res.describe()
    assert "was killed" in err[0]
    assert b"finished" not in res.stdout and took < 4, "the command ran on (%.1f s)" % took


def test_dev_full_count():
    res = run_tool(["-c", "-o", "/dev/full", "--", PY, "-c", "print('done')"], timeout=60)
    assert res.rc == 1, res.describe()
    err = res.stderr.decode().splitlines()[-1]
    assert err == PREFIX + "writing the count table to /dev/full: No space left on device", err
    res = run_tool(["-c", "-j", "-o", "/dev/full", "--", PY, "-c", "pass"], timeout=60)
    assert res.rc == 1, res.describe()


def test_epipe_head():
    cmd = " ".join(shlex.quote(str(a)) for a in tool_cmd(["-j", "--", PY, "-c", LOOP]))
    p = subprocess.run(["bash", "-c", cmd + " | head -1; echo \"rc=${PIPESTATUS[0]}\""],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=BASE_ENV, timeout=60)
    out = p.stdout.decode().splitlines()
    assert out[-1] == "rc=141", p
    json.loads(out[0])
    assert "finished" not in p.stdout.decode()
    err = [x for x in p.stderr.decode().splitlines() if "route" not in x]
    assert err == [], "EPIPE must end quietly: %r" % err
