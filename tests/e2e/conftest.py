# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""e2e fixtures: root check, building the tool, the workload runner.

Run as root from the repository root:  /usr/bin/python3 -m pytest -q tests/e2e
Nothing is skipped: a missing interpreter, a tool that does not build or a non-root
run is a failure with a message saying so.
"""
import os
import subprocess

import pytest

import harness


def pytest_configure(config):
    if os.geteuid() != 0:
        raise pytest.UsageError(
            "tests/e2e must run as root (pyaudit-trace loads BPF programs and attaches "
            "uprobes); run: sudo /usr/bin/python3 -m pytest -q tests/e2e")


@pytest.fixture(scope="session")
def tool():
    """Path of build/pyaudit-trace; built with make if missing."""
    if not harness.TOOL.exists() and not os.environ.get("PYAUDIT_E2E_TOOL"):
        p = subprocess.run(["make", "-C", str(harness.ROOT)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=900)
        if p.returncode != 0 or not harness.TOOL.exists():
            pytest.fail("building %s failed (make exit %d):\n%s" % (
                harness.TOOL, p.returncode, p.stdout.decode("utf-8", "replace")[-6000:]))
    if not os.access(str(harness.TOOL), os.X_OK):
        pytest.fail("no executable tool at %s" % harness.TOOL)
    return harness.TOOL


@pytest.fixture(scope="session", autouse=True)
def interpreters():
    for py in harness.PYTHONS:
        if not os.access(py.exe, os.X_OK):
            pytest.fail("interpreter %s missing: %s" % (py.id, py.exe))
    return harness.PYTHONS


@pytest.fixture(scope="session")
def workloads(tmp_path_factory):
    return harness.Workloads(tmp_path_factory.mktemp("e2e"))
