# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tests/pkg: install, man page, completion, the .deb in a fresh bookworm, deploy/.

Run as root from the repository root:  /usr/bin/python3 -m pytest -q tests/pkg
(or `make pkg-test`).  Nothing is skipped: a missing tool is a failure that says which
Debian package to install (scripts/install-deps.sh installs them all)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "build" / "pyaudit-trace"


def pytest_configure(config):
    if os.geteuid() != 0:
        raise pytest.UsageError("tests/pkg must run as root (debootstrap, chroot, BPF); "
                                "run: sudo /usr/bin/python3 -m pytest -q tests/pkg")


def need(cmd, package):
    if not shutil.which(cmd):
        pytest.fail("%s is missing: apt-get install %s (scripts/install-deps.sh)" % (
            cmd, package))


def run(argv, timeout=600, check=True, **kw):
    p = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        pytest.fail("%s: exit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(str(a) for a in argv), p.returncode,
            p.stdout.decode("utf-8", "replace")[-4000:],
            p.stderr.decode("utf-8", "replace")[-4000:]))
    return p


@pytest.fixture(scope="session")
def tool():
    run(["make", "-C", ROOT, "--no-print-directory"], timeout=900)
    return TOOL


@pytest.fixture(scope="session")
def deb(tool):
    need("dpkg-shlibdeps", "dpkg-dev")
    run(["make", "-C", ROOT, "--no-print-directory", "deb"], timeout=900)
    debs = sorted((ROOT / "build").glob("pyaudit-trace_*.deb"), key=lambda p: p.stat().st_mtime)
    assert debs, "make deb made no build/pyaudit-trace_*.deb"
    return debs[-1]
