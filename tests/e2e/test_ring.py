# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The ring buffer's reader (user/ring.c): records that wrap around the end of the ring,
batches, and loss accounting.

  test_small_ring_wraps_in_order   --ringbuf-size 64 (the least) under 20000 numbered
                                   events: the ring wraps hundreds of times; every number
                                   arrives at most once and in order, and those that do
                                   not arrive are exactly the ones the tool says it lost
  test_large_records_wrap          events with 4 KiB arguments through a 64 KiB ring: each
                                   record read whole across the wrap (its argument intact)
"""
import re

import pytest

from harness import WORKLOADS, parse_json_lines, run_tool

pytestmark = pytest.mark.usefixtures("tool")

FLOOD = WORKLOADS / "flood.py"
PY = "/usr/bin/python3.11"


def lost_of(stderr):
    m = re.search(r"lost (\d+) events in all", stderr)
    return int(m.group(1)) if m else 0


def test_small_ring_wraps_in_order():
    n = 20000
    res = run_tool(["-j", "-e", "pyaudit_test.flood*", "--ringbuf-size", "64", "--",
                    PY, FLOOD, n], timeout=300)
    assert res.rc == 0, res.describe()
    events = parse_json_lines(res.stdout, res.describe())
    seqs = [e["args"][0] for e in events if e["event"] == "pyaudit_test.flood"]
    assert seqs == sorted(set(seqs)), "repeated or reordered events"
    assert seqs and seqs[-1] < n
    lost = lost_of(res.stderr.decode())
    # every missing number is counted; at most the one name record besides
    assert n - len(seqs) <= lost <= n - len(seqs) + 1, (len(seqs), lost, res.describe())
    assert len(seqs) > n // 2, "the reader did not keep up at all: %d of %d" % (len(seqs), n)


def test_large_records_wrap():
    n = 300
    code = ("import sys\n"
            "for i in range(%d):\n"
            "    sys.audit('pyaudit_test.big', i, bytes([i %% 251]) * 4000)\n"
            "    if i %% 8 == 7:\n"
            "        import time; time.sleep(0.002)\n" % n)
    res = run_tool(["-j", "-s", "4096", "-e", "pyaudit_test.big", "--ringbuf-size", "64",
                    "--", PY, "-c", code], timeout=120)
    assert res.rc == 0, res.describe()
    events = [e for e in parse_json_lines(res.stdout, res.describe())
              if e["event"] == "pyaudit_test.big"]
    lost = lost_of(res.stderr.decode())
    assert len(events) + lost >= n and len(events) > n // 2, (len(events), lost)
    seqs = [e["args"][0] for e in events]
    assert seqs == sorted(set(seqs))
    for e in events:
        i, blob = e["args"]
        # bytes are shown as their latin-1 decoding, whole (4000 <= -s)
        assert blob == {"type": "bytes", "value": chr(i % 251) * 4000}, str(blob)[:80]
