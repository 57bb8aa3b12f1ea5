# Smoke check for one row of the CPython test matrix (scripts/provision-matrix.sh).
#
# Run as `PYTHON - < smoke.py` (read from stdin so that no path has to exist inside a
# chroot). Must run unchanged on CPython 3.9 .. 3.15. Checks that the modules a broad
# audit-event workload needs import and work, then prints ONE line of key=value fields:
#   version=3.14.10 exe=/usr/bin/python3.14 libpython=- gil=1
# exe and libpython are real paths as the interpreter sees them (inside its chroot);
# libpython is the mapped libpython*.so* file, or '-' when libpython is linked statically.
import sys
import os
import platform

import ctypes
import ctypes.util
import fcntl
import http.client
import http.server
import json
import mmap
import pickle
import socket
import sqlite3
import subprocess
import tempfile
import threading


def main():
    # sqlite3 (in memory)
    con = sqlite3.connect(":memory:")
    con.execute("create table t (x)")
    con.execute("insert into t values (1)")
    assert con.execute("select x from t").fetchone() == (1,)
    con.close()

    # ctypes: libc via dlopen(NULL) and via find_library (needs ldconfig)
    libc = ctypes.CDLL(None)
    assert libc.getpid() == os.getpid()
    assert ctypes.util.find_library("c")

    # pickle, json
    assert pickle.loads(pickle.dumps({"a": [1, 2]})) == {"a": [1, 2]}
    assert json.loads(json.dumps([1])) == [1]

    # mmap + fcntl on a temp file
    with tempfile.TemporaryFile() as f:
        f.write(b"x" * 4096)
        f.flush()
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        m = mmap.mmap(f.fileno(), 4096)
        assert m[:1] == b"x"
        m.close()
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    # subprocess (uses /proc/self/fd to close fds, /dev/null for DEVNULL)
    out = subprocess.run([sys.executable, "-c", "print(6*7)"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    assert out.strip() == b"42"

    # socket + http on loopback
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.handle_request)
    t.start()
    c = http.client.HTTPConnection("127.0.0.1", srv.server_address[1], timeout=10)
    c.request("GET", "/")
    assert c.getresponse().read() == b"ok"
    c.close()
    t.join()
    srv.server_close()

    # where the interpreter lives
    lib = "-"
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(None, 5)
            if len(parts) == 6 and os.path.basename(parts[5].strip()).startswith("libpython"):
                lib = os.path.realpath(parts[5].strip())
                break
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    print("version=%s exe=%s libpython=%s gil=%d" % (
        platform.python_version(), os.path.realpath(sys.executable), lib, 1 if gil else 0))


main()
