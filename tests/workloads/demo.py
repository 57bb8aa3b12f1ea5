# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""demo.py - a few everyday audit events for `make demo`: file, import, socket, a
subprocess and a custom event with awkward arguments.  Prints nothing on stdout."""
import os
import socket
import subprocess
import sys
import tempfile

d = tempfile.mkdtemp(prefix="pyaudit-demo-")
p = os.path.join(d, "hello.txt")
with open(p, "w") as f:
    f.write("hello\n")
os.listdir(d)
import json  # noqa: E402,F401
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.close()
subprocess.run(["/bin/true"], check=True)
sys.audit("demo.event", "h\u00e9llo\n\x1b[31mred", b"\xff\x00", 2 ** 70, [1, "two"], None)
os.remove(p)
os.rmdir(d)
