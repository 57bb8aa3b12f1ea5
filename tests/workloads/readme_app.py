# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The app.py of the README's first example (tests/e2e/test_cli.py::test_readme_first_example).
import ctypes, pickle, socket, subprocess, tempfile
d = tempfile.mkdtemp()
with open(d + "/note.txt", "w") as f:
    f.write("hi")
subprocess.run(["true"])
s = socket.socket()
s.bind(("127.0.0.1", 0))
ctypes.CDLL("libc.so.6")
pickle.loads(pickle.dumps(tempfile.TemporaryDirectory))
