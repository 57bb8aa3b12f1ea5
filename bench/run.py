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
BY BPF = (floor + +BPF) / floor.  +BPF P10 is the same difference taken from
50 ms windows of those runs (the kernel's counters read while the loop runs):
the 10th percentile of a configuration's windows over the empty probe's.  A
run's average takes in every moment the host slowed the VM down; the windows
the host left alone give the program's own cost, and agree from one run of
the bench to the next where the averages do not.
"""
import ctypes
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

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


PROBE_PROGS = {"usdt_audit", "uprobe_c", "uprobe_sysaudit", "empty_probe"}
WINDOW_S = 0.05
_libc = ctypes.CDLL(None, use_errno=True)


def _bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    return _libc.syscall(321, cmd, buf, 128), buf  # SYS_bpf


def probe_time():
    """(run_time_ns, run_cnt) summed over the loaded probe programs (one tool runs at a time)."""
    t = c = prog_id = 0
    while True:
        r, buf = _bpf(11, struct.pack("<I", prog_id))  # BPF_PROG_GET_NEXT_ID
        if r < 0:
            return t, c
        prog_id = struct.unpack_from("<I", buf, 4)[0]
        fd, _ = _bpf(13, struct.pack("<I", prog_id))  # BPF_PROG_GET_FD_BY_ID
        if fd < 0:
            continue
        info = ctypes.create_string_buffer(256)
        r, _ = _bpf(15, struct.pack("<IIQ", fd, 256, ctypes.addressof(info)))  # GET_INFO_BY_FD
        os.close(fd)
        if r == 0 and info.raw[64:80].split(b"\0")[0].decode() in PROBE_PROGS:
            rt, rc = struct.unpack_from("<QQ", info.raw, 192)  # run_time_ns, run_cnt
            t += rt
            c += rc


def bpf_ns(cmd):
    """ns per probe run, over all the tool's probe programs, with the kernel's statistics on;
    the same in each 50 ms window of the run (a window the host slowed down does not spoil
    the others); and whether the run lost events (a record not sent costs less: such a run
    would lower the least of the runs)."""
    cmd = cmd[:cmd.index("--")] + ["-v"] + cmd[cmd.index("--"):]
    windows = []
    prev = None
    with tempfile.TemporaryFile("w+") as errf:  # -v says much: a pipe unread would block it
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, text=True)
        deadline = time.monotonic() + 600
        while p.poll() is None and time.monotonic() < deadline:
            time.sleep(WINDOW_S)
            cur = probe_time()
            if prev and cur[1] - prev[1] >= 1000:
                windows.append((cur[0] - prev[0]) / (cur[1] - prev[1]))
            prev = cur
        if p.poll() is None:
            p.kill()
            raise RuntimeError("%s: no end after 600 s" % " ".join(cmd))
        errf.seek(0)
        err = errf.read()
    runs = total = 0
    for m in PROG_TIME.finditer(err):
        if m.group(1) not in PROBE_PROGS:
            continue
        runs += int(m.group(2))
        total += int(m.group(2)) * float(m.group(3))
    return (total / runs if runs else None), windows, "lost" in err


def p10(values):
    return sorted(values)[len(values) // 10] if values else None


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
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {1})  # the statistics poll beside the reader, off the loop's CPU
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
                    win = {k: [] for k in stat_cfgs}
                    for _ in range(STATS_RUNS):  # interleaved, as the wall-clock runs
                        for k in stat_cfgs:
                            x, w, x_lost = bpf_ns(cfgs[k])
                            if x is not None:
                                (v_lossy if x_lost else v)[k].append(x)
                            if not x_lost:
                                win[k] += w
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
                print("  %-9s %12s %12s %9s %9s %9s %7s %9s" % ("CONFIG", "NS/ITER",
                                                                 "COST/EVENT", "X FLOOR",
                                                                 "BPF NS", "+BPF", "BY BPF",
                                                                 "+BPF P10"))
                for k in cfgs:
                    cost = med[k] - med["none"]
                    ratio = "" if k == "none" or floor <= 0 else "%.2f" % (cost / floor)
                    b = kns.get(k)
                    if b is not None and kns.get("empty") is not None and floor > 0:
                        d = b - kns["empty"]
                        bcol = "%9.1f %9.1f %7.3f" % (b, d, (floor + d) / floor)
                        w, w0 = p10(win.get(k, [])), p10(win["empty"])
                        bcol += " %9s" % ("%.1f" % (w - w0) if w is not None and w0 is not None
                                          else "")
                    else:
                        bcol = "%9s %9s %7s %9s" % ("", "", "", "")
                    print("  %-9s %12.1f %12.1f %9s %s%s" % (
                        k, med[k], cost if k != "none" else 0.0, ratio, bcol,
                        "  (%s)" % "; ".join(sorted(set(lost[k]))) if lost[k] else ""))
                print()


if __name__ == "__main__":
    main()
