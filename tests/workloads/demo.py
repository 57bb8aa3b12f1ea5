# A short program that does what the tool is for: files, a subprocess, a socket,
# a native library, an unpickled class.  Run by `make demo` under pyaudit-trace.
import ctypes
import pickle
import socket
import subprocess
import tempfile

with tempfile.TemporaryDirectory() as d:
    with open(d + "/note.txt", "w") as f:
        f.write("hello\n")
subprocess.run(["true"])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
ctypes.CDLL("libc.so.6")
pickle.loads(pickle.dumps(tempfile.TemporaryDirectory))
