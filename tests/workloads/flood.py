# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A numbered flood of audit events: pyaudit_test.flood(i) for i = 0, 1, 2, ...

  flood.py N [STOP_FILE]   raises N events, pausing 2 ms every 1000 (a steady flood a
                           reader keeps up with); with STOP_FILE, 1 ms between events
                           and it ends early once STOP_FILE exists (checked every 50).
Ends with pyaudit_test.flood_end(count) and prints the count on stderr.
"""
import os
import sys
import time

n = int(sys.argv[1])
stop = sys.argv[2] if len(sys.argv) > 2 else None
i = 0
while i < n:
    sys.audit("pyaudit_test.flood", i)
    i += 1
    if stop:
        time.sleep(0.001)
        if i % 50 == 0 and os.path.exists(stop):
            break
    elif i % 1000 == 0:
        time.sleep(0.002)
sys.audit("pyaudit_test.flood_end", i)
print(i, file=sys.stderr)
