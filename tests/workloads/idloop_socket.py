# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""idloop_socket.py - a small, deterministic, slow-or-fast workload for count mode.

Usage: PYTHON idloop_socket.py [ROUNDS [PAUSE_MS]]      (defaults: 5 rounds, no pause)

After start-up it raises pyaudit_test.begin, then ROUNDS rounds of
    ID_CALLS x id(None)                       builtins.id
    one UDP socket: new, bind to 127.0.0.1:0  socket.__new__, socket.bind
    sendto itself, close                      socket.sendto
    sys.audit("nosuch.event", 1)              a name no event table knows
    time.sleep(PAUSE_MS / 1000)               (no event before CPython 3.13)
then pyaudit_test.end.  Every run raises the same events (a socket's port differs; its
count does not).

PYAUDIT_HOOK=FILE: an audit hook is installed first thing (before any other import).
It counts, per event name, every event from pyaudit_test.begin to pyaudit_test.end
inclusive, in plain dict operations that raise no event, and the counts are written
to FILE as JSON after "end": {"pid": N, "python": "3.11.2", "counts": {name: n}}.
PYAUDIT_WAIT=FILE: wait (os.stat, no event) until FILE exists before "begin";
PYAUDIT_READY=FILE is created first, to say that start-up is over.
Nothing is printed on stdout.
"""
import os
import sys

_HOOK_FILE = os.environ.get("PYAUDIT_HOOK")
_counts = {}
_state = [0]  # 0: before begin, 1: counting, 2: after end

if _HOOK_FILE:
    def _hook(event, args):
        st = _state[0]
        if st == 0:
            if event != "pyaudit_test.begin":
                return
            _state[0] = st = 1
        if st != 1:
            return
        _counts[event] = _counts.get(event, 0) + 1
        if event == "pyaudit_test.end":
            _state[0] = 2

    sys.addaudithook(_hook)

import json  # noqa: E402  (imported in every run: the hooked run needs it for the dump)
import socket  # noqa: E402
import time  # noqa: E402

ID_CALLS = 100


def wait_for_go():
    path = os.environ.get("PYAUDIT_WAIT")
    if not path:
        return
    ready = os.environ.get("PYAUDIT_READY")
    if ready:
        with open(ready, "w"):
            pass
    deadline = time.monotonic() + 120
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit("idloop_socket.py: PYAUDIT_WAIT file never appeared")
        time.sleep(0.01)


def main(argv):
    rounds = int(argv[0]) if argv else 5
    pause = (int(argv[1]) if len(argv) > 1 else 0) / 1000.0
    wait_for_go()
    sys.audit("pyaudit_test.begin")
    for _ in range(rounds):
        for _ in range(ID_CALLS):
            id(None)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.sendto(b"x", s.getsockname())
        s.close()
        sys.audit("nosuch.event", 1)
        if pause:
            time.sleep(pause)
    sys.audit("pyaudit_test.end")
    if _HOOK_FILE:
        rec = {"pid": os.getpid(), "python": sys.version.split()[0], "counts": _counts}
        tmp = _HOOK_FILE + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.rename(tmp, _HOOK_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
