# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""startup.py - the smallest workload: what the tracer sees before user code, and how
the script ends.

Usage: PYTHON startup.py [MODE]
  (none)   begin, end, exit 0
  fds      also raise pyaudit_test.fds("<open fds, space separated>") between begin
           and end: a traced command must start with only 0, 1 and 2 open (plus the
           one os.listdir itself opens), i.e. "0 1 2 3"
  exit3    begin, end, then sys.exit(3)
  sigterm  begin, end, then kill itself with SIGTERM
  mark     create the file named by $PYAUDIT_MARK first (did the command run at all?)

It installs no audit hook and prints nothing on stdout.  No imports besides os,
sys and signal (all loaded during startup anyway).
"""
import os
import signal
import sys

mode = sys.argv[1] if len(sys.argv) > 1 else ""
if mode == "mark":
    with open(os.environ["PYAUDIT_MARK"], "w"):
        pass
sys.audit("pyaudit_test.begin")
if mode == "fds":
    fds = sorted(int(x) for x in os.listdir("/proc/self/fd"))
    sys.audit("pyaudit_test.fds", " ".join(str(x) for x in fds))
sys.audit("pyaudit_test.end")
if mode == "exit3":
    sys.exit(3)
if mode == "sigterm":
    os.kill(os.getpid(), signal.SIGTERM)
    signal.pause()
elif mode not in ("", "fds", "mark"):
    sys.stderr.write("startup.py: unknown mode %r\n" % mode)
    sys.exit(2)
