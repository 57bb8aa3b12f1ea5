# The benchmark workload: N calls of id(), each one audit event (builtins.id) with
# an int argument.  Prints the mean nanoseconds per iteration of the timed loop.
import sys
import time

n = int(sys.argv[1])
x = 12345
for _ in range(1000):  # warm up
    id(x)
t0 = time.perf_counter_ns()
for _ in range(n):
    id(x)
t1 = time.perf_counter_ns()
print((t1 - t0) / n)
