#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Cost per audit event to the traced program, measured side by side.

For each Python and probe route, the same id() loop (one builtins.id event per
iteration) runs, interleaved, REPEAT times under each configuration (and on the
notes-stripped copy of Debian sid's 3.14 from the test matrix, a sys._getframe()
loop: its event goes through an LTO clone of _PySys_Audit, probed in the clone's
prologue; bench/getframeloop.py):

  none       no probe at all
  empty      pyaudit-trace --empty-probe: a BPF program that returns at once, at
             the very places the tool probes (and, for USDT, with the semaphore
             armed, so CPython builds the argument tuple as it does when traced):
             the floor
  trace      trace mode, arguments decoded, JSON Lines written to a file (default ring),
             with the Python call site (the default)
  nosite     the same with --no-site: what the call site costs is the difference
  count      -c: counted in the kernel, no record leaves it
  excluded   -e 'socket.*': the event is filtered out in the kernel
  bpftrace   bpftrace -e 'uprobe:BIN:PySys_Audit { @[str(arg0)] = count(); }',
             the naive baseline (a probe on PySys_Audit's first instruction)

Cost per event = ns/iteration of a configuration minus that of `none`, each the
fastest 10000-iteration chunk over all its runs: on a VM the speed of the
machine itself drifts (the unprobed loop alone moves by up to 1.8x between
seconds), noise only ever adds time, and the fastest chunks of every
configuration come from the same fast state of the machine;
the table gives it and its ratio to the `empty` floor.  Drops are reported.

Wall-clock differences of a few percent are within the noise of a VM, so each
of the tool's configurations also runs with kernel.bpf_stats_enabled and -v,
which makes the tool print the kernel's own count of the time spent in each
probe program.  BPF NS is that time per event, the least of the STATS_RUNS
runs that lost no event (the statistics add the same two clock reads to every
program, the empty one included); +BPF is what the configuration's program costs over the empty one:
the extra cost per event, free of the noise of the trap.
BY BPF = (floor + +BPF) / floor.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "build", "pyaudit-trace")
LOOP = os.path.join(ROOT, "bench", "idloop.py")
GETFRAME_LOOP = os.path.join(ROOT, "bench", "getframeloop.py")
CHROOT_RUN = os.path.join(ROOT, "scripts", "matrix-chroot-run.sh")
N = int(os.environ.get("BENCH_N", "200000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
# BENCH_ONLY=label[,label]: only these rows (e.g. sid-3.14-nonotes)
ONLY = [x for x in os.environ.get("BENCH_ONLY", "").split(",") if x]
MATRIX_DIR = os.environ.get("PYAUDIT_MATRIX_DIR") or "/var/cache/pyaudit-trace/matrix"
SID = os.path.join(MATRIX_DIR, "roots", "sid")

PYTHONS = [
    # (label, how to run the python, ELF that holds PySys_Audit, routes, loop)
    ("debian-3.11", ["/usr/bin/python3.11"], "/usr/bin/python3.11", ["usdt", "uprobe"], LOOP),
    ("pyenv-3.11", ["/root/.pyenv/versions/3.11.7/bin/python3.11"],
     "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0", ["uprobe"], LOOP),
    # the test matrix's notes-stripped 3.14 (scripts/provision-matrix.sh), in its chroot
    ("sid-3.14-nonotes", [CHROOT_RUN, SID, "/usr/bin/python3.14-nonotes"],
     os.path.join(SID, "usr/bin/python3.14-nonotes"), ["uprobe"], GETFRAME_LOOP),
]


def run(cmd, out_file=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    lost = [l for l in p.stderr.splitlines() if "lost" in l]
    return float(lines[-1]), lost


PROG_TIME = re.compile(r"program (\w+): (\d+) runs, ([\d.]+) ns per run")
STATS = "/proc/sys/kernel/bpf_stats_enabled"
STATS_RUNS = 7  # BPF NS is the least of these: like wall-clock time, noise only adds


def bpf_ns(cmd):
    """ns per probe run, over all the tool's probe programs, with the kernel's statistics on,
    and whether the run lost events (a record not sent costs less: such a run would lower
    the least of the runs)."""
    cmd = cmd[:cmd.index("--")] + ["-v"] + cmd[cmd.index("--"):]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    runs = total = 0
    for m in PROG_TIME.finditer(p.stderr):
        if m.group(1) in ("on_mmap", "on_exec"):
            continue
        runs += int(m.group(2))
        total += int(m.group(2)) * float(m.group(3))
    return (total / runs if runs else None), "lost" in p.stderr


def configs(py, elf, route, tmp, loop):
    # the traced loop on CPU 0, the tracer's reader on CPU 1: less noise from the scheduler
    base = ["/usr/bin/taskset", "-c", "0"] + py + [loop, str(N)]
    tool = ["taskset", "-c", "1", TOOL, "--probe", route]
    return {
        "none": base,
        "empty": tool + ["--empty-probe", "--"] + base,
        "trace": tool + ["-j", "-o", os.path.join(tmp, "trace.jsonl"), "--"] + base,
        "nosite": tool + ["-j", "--no-site", "-o", os.path.join(tmp, "trace.jsonl"), "--"] + base,
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
    print("pyaudit-trace benchmark: %d id() events per run, fastest chunk of %d interleaved runs"
          % (N, REPEAT))
    print("cost = ns per event over the unprobed loop (fastest 10000-iteration chunk of all runs);")
    print("x floor = cost / cost of the empty probe; BPF NS, +BPF, BY BPF: kernel-measured "
          "program time (see bench/run.py)\n")
    with tempfile.TemporaryDirectory() as tmp:
        for label, py, elf, routes, loop in PYTHONS:
            if ONLY and label not in ONLY:
                continue
            if not os.path.exists(elf):
                print("%s: %s missing, skipped" % (label, elf))
                continue
            if loop != LOOP:  # a chroot sees the host's /tmp (matrix-chroot-run.sh)
                shutil.copy(loop, tmp)
                loop = os.path.join(tmp, os.path.basename(loop))
            for route in routes:
                cfgs = configs(py, elf, route, tmp, loop)
                # bpftrace on PySys_Audit sees no event that a clone raises
                if not have_bpftrace or loop != LOOP:
                    del cfgs["bpftrace"]
                samples = {k: [] for k in cfgs}
                lost = {k: [] for k in cfgs}
                for _ in range(REPEAT):
                    for k, cmd in cfgs.items():
                        v, l = run(cmd)
                        samples[k].append(v)
                        lost[k] += l
                med = {k: min(v) for k, v in samples.items()}
                floor = med["empty"] - med["none"]
                kns = {}
                with open(STATS) as f:
                    stats_was = f.read().strip()
                try:
                    with open(STATS, "w") as f:
                        f.write("1")
                    stat_cfgs = ("empty", "trace", "nosite", "count", "excluded")
                    v = {k: [] for k in stat_cfgs}
                    v_lossy = {k: [] for k in stat_cfgs}
                    for _ in range(STATS_RUNS):  # interleaved, as the wall-clock runs
                        for k in stat_cfgs:
                            x, x_lost = bpf_ns(cfgs[k])
                            if x is not None:
                                (v_lossy if x_lost else v)[k].append(x)
                    # the least of the runs that lost nothing; only if all did, theirs (said)
                    kns = {k: min(v[k]) if v[k] else min(v_lossy[k]) if v_lossy[k] else None
                           for k in stat_cfgs}
                    for k in stat_cfgs:
                        if v_lossy[k]:
                            lost[k].append("BPF NS: %d of %d runs lost events%s" % (
                                len(v_lossy[k]), STATS_RUNS,
                                ", not counted" if v[k] else ", all of them: figure low"))
                finally:
                    with open(STATS, "w") as f:
                        f.write(stats_was)
                print("%s, route %s%s" % (label, route, "" if loop == LOOP else
                                          ", sys._getframe() loop (LTO clone entry)"))
                print("  %-9s %12s %12s %9s %9s %9s %7s" % ("CONFIG", "NS/ITER", "COST/EVENT",
                                                            "X FLOOR", "BPF NS", "+BPF",
                                                            "BY BPF"))
                for k in cfgs:
                    cost = med[k] - med["none"]
                    ratio = "" if k == "none" or floor <= 0 else "%.2f" % (cost / floor)
                    b = kns.get(k)
                    if b is not None and kns.get("empty") is not None and floor > 0:
                        d = b - kns["empty"]
                        bcol = "%9.1f %9.1f %7.3f" % (b, d, (floor + d) / floor)
                    else:
                        bcol = "%9s %9s %7s" % ("", "", "")
                    print("  %-9s %12.1f %12.1f %9s %s%s" % (
                        k, med[k], cost if k != "none" else 0.0, ratio, bcol,
                        "  (%s)" % "; ".join(sorted(set(lost[k]))) if lost[k] else ""))
                print()


if __name__ == "__main__":
    main()
