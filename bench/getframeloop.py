# The clone-entry benchmark workload: N calls of sys._getframe(), each one audit event
# (sys._getframe, one frame argument).  On Debian's 3.14 (an LTO build) that event is
# raised through a clone of _PySys_Audit with sys_audit_tstate inlined, which the
# uprobe route probes in its prologue.  Output as bench/idloop.py: the mean and then
# the fastest chunk's nanoseconds per iteration.
import sys
import time

n = int(sys.argv[1])
chunk = 10000
getframe = sys._getframe
for _ in range(1000):  # warm up
    getframe()
best = None
t_all = 0
for _ in range(max(1, n // chunk)):
    t0 = time.perf_counter_ns()
    for _ in range(chunk):
        getframe()
    t = time.perf_counter_ns() - t0
    t_all += t
    best = t if best is None or t < best else best
print(t_all / (max(1, n // chunk) * chunk))
print(best / chunk)
