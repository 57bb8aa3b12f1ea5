# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Binaries that are not where the process found them:

- an executable replaced on disk after the process started (a package upgrade): -p
  reaches the very inode mapped through /proc/PID/map_files, and every event the process
  raises after we attach is reported;
- libpython loaded with dlopen() by a program that is not Python (an application that
  embeds Python): `-p PID --wait` and system-wide mode probe it when it appears.

Each process raises numbered custom events; the test asserts the exact sequence."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from harness import TOOL, Tool

PYENV_LIB = "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0"

LOOP = r"""
import os, sys, time
go, n = sys.argv[1], int(sys.argv[2])
while not os.path.exists(go):
    time.sleep(0.01)
for i in range(n):
    sys.audit("replaced.ev", i, "x" * i)
"""

EMBED_C = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/*
 * Waits for argv[2] to exist, then loads libpython argv[1], initialises it, waits
 * for argv[4] if given, and runs argv[3].
 */
int main(int argc, char **argv)
{
	while (access(argv[2], F_OK))
		usleep(10000);
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	void (*init)(void) = (void (*)(void))dlsym(h, "Py_Initialize");
	int (*run)(const char *) = (int (*)(const char *))dlsym(h, "PyRun_SimpleString");
	init();
	while (argc > 4 && access(argv[4], F_OK))
		usleep(10000);
	return run(argv[3]) ? 2 : 0;
}
"""

EMBED_PY = "import sys\nfor i in range(5):\n    sys.audit('embed.ev', i)\n"


def events_of(tool, pid, name):
    return [e["args"] for e in tool.events() if e.get("pid") == pid and e.get("event") == name]


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for " + what)
        time.sleep(0.02)


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


def test_executable_replaced_on_disk(tmp):
    """The process runs a python3.11 whose file is then replaced (new inode, as dpkg
    does): the path now names another file, yet -p traces the running one."""
    exe = tmp / "python3.11"
    shutil.copy("/usr/bin/python3.11", exe)
    script = tmp / "loop.py"
    script.write_text(LOOP)
    go = tmp / "go"
    p = subprocess.Popen([str(exe), "-S", str(script), str(go), "20"])
    try:
        wait_for(lambda: os.path.exists("/proc/%d/exe" % p.pid) and
                 os.path.realpath("/proc/%d/exe" % p.pid) == str(exe), 10, "the process")
        time.sleep(0.3)  # it is past start-up, in its wait loop
        old_ino = os.stat(exe).st_ino
        os.rename(exe, tmp / "old")
        shutil.copy("/usr/bin/python3.11", exe)  # a new file at the same path
        os.unlink(tmp / "old")  # and the one running is deleted
        assert os.stat(exe).st_ino != old_ino
        assert os.readlink("/proc/%d/exe" % p.pid).endswith("(deleted)")
        tool = Tool(["-j", "-p", str(p.pid)])
        tool.wait_ready()
        go.write_text("")
        assert p.wait(30) == 0
        assert tool.wait(30) == 0, tool.describe()  # the target's exit ends the tool
    finally:
        if p.poll() is None:
            p.kill()
    got = events_of(tool, p.pid, "replaced.ev")
    assert got == [[i, "x" * i] for i in range(20)], tool.describe()
    assert any("PID %d (python3.11): CPython 3.11.2" % p.pid in ln for ln in tool.err), \
        tool.describe()


@pytest.fixture(scope="module")
def embed(tmp_path_factory):
    if not os.path.exists(PYENV_LIB):
        pytest.fail("%s is needed (the pyenv Python of this machine)" % PYENV_LIB)
    d = tmp_path_factory.mktemp("embed")
    src = d / "embed.c"
    src.write_text(EMBED_C)
    out = d / "embed"
    subprocess.run(["cc", "-O1", "-o", str(out), str(src), "-ldl"], check=True)
    return out


def start_embed(embed, tmp, go2=None):
    go = tmp / "go-embed"
    p = subprocess.Popen([str(embed), PYENV_LIB, str(go), EMBED_PY] +
                         ([str(go2)] if go2 else []))
    return p, go


def test_embedding_dlopen_pid_wait(embed, tmp):
    """-p of a program with no Python yet: an error without --wait, traced with it.
    libpython is probed some milliseconds after it is mapped (the tool says so), so the
    program runs its Python code only once the probe is in (go2)."""
    go2 = tmp / "go2"
    p, go = start_embed(embed, tmp, go2)
    try:
        time.sleep(0.2)
        res = subprocess.run([str(TOOL), "-j", "-p", str(p.pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=30)
        assert res.returncode != 0 and b"not a Python process" in res.stderr, res.stderr
        tool = Tool(["-j", "--wait", "-p", str(p.pid)])
        tool.wait_ready()
        assert any("no Python interpreter yet" in ln for ln in tool.err), tool.describe()
        go.write_text("")
        wait_for(lambda: any("PID %d (embed): CPython 3.11.7, route uprobe" % p.pid in ln
                             for ln in tool.err), 20, "the probe of the dlopen'd libpython")
        go2.write_text("")
        assert p.wait(30) == 0
        assert tool.wait(30) == 0, tool.describe()
    finally:
        if p.poll() is None:
            p.kill()
    # probed when libpython appeared: its start-up may be cut (said), its own events not
    assert events_of(tool, p.pid, "embed.ev") == [[i] for i in range(5)], tool.describe()
    assert any("PID %d (embed): CPython 3.11.7, route uprobe" % p.pid in ln
               for ln in tool.err), tool.describe()


def test_embedding_dlopen_systemwide(embed, tmp):
    """System-wide: the libpython an embedding program loads is probed (it is among the
    known install places here, so from its first event)."""
    tool = Tool(["-j", "-e", "embed.*,cpython.run_command"])
    p = None
    try:
        tool.wait_ready()
        p, go = start_embed(embed, tmp)
        go.write_text("")
        assert p.wait(30) == 0
        assert tool.wait_stdout(lambda e: e.get("pid") == p.pid and
                                e.get("event") == "embed.ev" and e.get("args") == [4], 10), \
            tool.describe()
        assert tool.stop() == 0
    finally:
        if p is not None and p.poll() is None:
            p.kill()
        tool.kill()
    assert events_of(tool, p.pid, "embed.ev") == [[i] for i in range(5)], tool.describe()
