#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Cost per audit event to the traced program, measured side by side.

For each Python and probe route, the same id() loop (one builtins.id event per
iteration) runs, interleaved, REPEAT times under each configuration:

  none       no probe at all
  empty      pyaudit-trace --empty-probe: a BPF program that returns at once, at
             the very places the tool probes (and, for USDT, with the semaphore
             armed, so CPython builds the argument tuple as it does when traced):
             the floor
  trace      trace mode, arguments decoded, JSON Lines written to a file
  count      -c: counted in the kernel, no record leaves it
  excluded   -e 'socket.*': the event is filtered out in the kernel
  bpftrace   bpftrace -e 'uprobe:BIN:PySys_Audit { @[str(arg0)] = count(); }',
             the naive baseline (a probe on PySys_Audit's first instruction)

Cost per event = median ns/iteration of a configuration minus that of `none`;
the table gives it and its ratio to the `empty` floor.  Drops are reported.
"""
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "build", "pyaudit-trace")
LOOP = os.path.join(ROOT, "bench", "idloop.py")
N = int(os.environ.get("BENCH_N", "200000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))

PYTHONS = [
    # (label, executable, ELF that holds PySys_Audit, routes)
    ("debian-3.11", "/usr/bin/python3.11", "/usr/bin/python3.11", ["usdt", "uprobe"]),
    ("pyenv-3.11", "/root/.pyenv/versions/3.11.7/bin/python3.11",
     "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", ["uprobe"]),
]


def run(cmd, out_file=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    lost = [l for l in p.stderr.splitlines() if "lost" in l]
    return float(lines[-1]), lost


def configs(py, elf, route, tmp):
    # the traced loop on CPU 0, the tracer's reader on CPU 1: less noise from the scheduler
    base = ["/usr/bin/taskset", "-c", "0", py, LOOP, str(N)]
    tool = ["taskset", "-c", "1", TOOL, "--probe", route]
    return {
        "none": base,
        "empty": tool + ["--empty-probe", "--"] + base,
        "trace": tool + ["-j", "-o", os.path.join(tmp, "trace.jsonl"), "--ringbuf-size",
                         "262144", "--"] + base,
        "count": tool + ["-c", "-o", os.devnull, "--"] + base,
        "excluded": tool + ["-e", "socket.*", "-o", os.devnull, "--"] + base,
        "bpftrace": ["taskset", "-c", "1", "bpftrace", "-q", "-e",
                     "uprobe:%s:PySys_Audit { @[str(arg0)] = count(); } END { clear(@); }"
                     % elf, "-c", " ".join(base)],
    }


def main():
    if os.geteuid() != 0:
        sys.exit("bench: run as root (BPF)")
    have_bpftrace = subprocess.run(["which", "bpftrace"], stdout=subprocess.DEVNULL).returncode == 0
    print("pyaudit-trace benchmark: %d id() events per run, median of %d interleaved runs"
          % (N, REPEAT))
    print("cost = ns per event over the unprobed loop; x floor = cost / cost of the empty probe\n")
    with tempfile.TemporaryDirectory() as tmp:
        for label, py, elf, routes in PYTHONS:
            if not os.path.exists(py):
                print("%s: %s missing, skipped" % (label, py))
                continue
            for route in routes:
                cfgs = configs(py, elf, route, tmp)
                if not have_bpftrace:
                    del cfgs["bpftrace"]
                samples = {k: [] for k in cfgs}
                lost = {k: [] for k in cfgs}
                for _ in range(REPEAT):
                    for k, cmd in cfgs.items():
                        v, l = run(cmd)
                        samples[k].append(v)
                        lost[k] += l
                med = {k: statistics.median(v) for k, v in samples.items()}
                floor = med["empty"] - med["none"]
                print("%s, route %s" % (label, route))
                print("  %-9s %12s %12s %9s" % ("CONFIG", "NS/ITER", "COST/EVENT", "X FLOOR"))
                for k in cfgs:
                    cost = med[k] - med["none"]
                    ratio = "" if k == "none" or floor <= 0 else "%.2f" % (cost / floor)
                    print("  %-9s %12.1f %12.1f %9s%s" % (
                        k, med[k], cost if k != "none" else 0.0, ratio,
                        "  (%s)" % "; ".join(sorted(set(lost[k]))) if lost[k] else ""))
                print()


if __name__ == "__main__":
    main()
