# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make deb: the package's control data, its files, and the package installed with apt
into a freshly debootstrapped Debian 12 (bookworm) root, where it must pull its
dependencies from Debian's archive, run, list Debian's python3.11 and trace it.

The root is debootstrapped once (scripts/provision-debroot.sh, cached in
/var/cache/pyaudit-trace/pkg) and never written to: each run installs into an overlay
of it (scripts/debroot-run.sh), so every run starts from the same fresh system."""
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT, TOOL, need, run

CACHE = os.environ.get("PYAUDIT_PKG_ROOT_DIR", "/var/cache/pyaudit-trace/pkg")
RUNNER = ROOT / "scripts" / "debroot-run.sh"


def control(deb):
    out = run(["dpkg-deb", "-f", deb]).stdout.decode()
    fields, key = {}, None
    for line in out.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, val = line.partition(":")
            fields[key] = val.strip()
    return fields


def depends_names(dep):
    return {re.match(r"\s*([a-z0-9.+-]+)", d).group(1) for d in dep.split(",")}


def test_control(deb):
    c = control(deb)
    assert c["Package"] == "pyaudit-trace"
    assert c["Architecture"] == run(["dpkg", "--print-architecture"]).stdout.decode().strip()
    assert c["Version"] == run([TOOL, "--version"]).stdout.decode().split()[1]
    assert c["Section"] == "admin" and c["Maintainer"] and c["Description"]
    assert int(c["Installed-Size"]) > 0
    names = depends_names(c["Depends"])
    assert {"libbpf1", "libcapstone4", "libc6"} <= names, c["Depends"]


def test_depends_cover_every_linked_library(deb):
    """Each library the binary loads (ldd) comes from a package in Depends, or from a
    dependency of one (libelf1, zlib1g: libbpf1 needs them, the tool calls neither)."""
    names = depends_names(control(deb)["Depends"])
    closure = set(names)
    for n in names:
        out = run(["apt-cache", "depends", "--important", n]).stdout.decode()
        closure |= set(re.findall(r"Depends: <?([a-z0-9.+-]+)", out))
    for line in run(["ldd", TOOL]).stdout.decode().splitlines():
        m = re.search(r"=> (/\S+)", line)
        if not m:
            continue  # vdso, the dynamic loader
        path = os.path.realpath(m.group(1))
        owner = run(["dpkg", "-S", path], check=False)
        if owner.returncode != 0:  # usrmerge: dpkg knows the /lib spelling
            owner = run(["dpkg", "-S", path.replace("/usr/lib/", "/lib/", 1)])
        pkg = owner.stdout.decode().split(":")[0]
        assert pkg in closure, "%s (%s) is in no declared dependency %s" % (path, pkg, names)


def test_contents(deb):
    out = run(["dpkg-deb", "-c", deb]).stdout.decode()
    files = {l.split()[-1] for l in out.splitlines() if not l.startswith("d")}
    assert files == {"./usr/sbin/pyaudit-trace", "./usr/share/man/man8/pyaudit-trace.8.gz",
                     "./usr/share/bash-completion/completions/pyaudit-trace",
                     "./usr/share/doc/pyaudit-trace/copyright",
                     "./lib/systemd/system/pyaudit-trace.service"}, files
    assert all(" root/root " in l for l in out.splitlines()), out


@pytest.fixture(scope="module")
def debroot():
    need("debootstrap", "debootstrap")
    p = run([ROOT / "scripts" / "provision-debroot.sh"], timeout=1800)
    return p.stdout.decode().strip().splitlines()[-1]


@pytest.fixture(scope="module")
def installed(deb, debroot, tmp_path_factory):
    """The fresh root with the package installed by apt; returns a runner in it."""
    state = tmp_path_factory.mktemp("debroot")
    (state / "upper" / "tmp").mkdir(parents=True)
    (state / "upper" / "tmp" / deb.name).write_bytes(deb.read_bytes())
    env = dict(os.environ, PYAUDIT_DEBROOT_ARCHIVES=os.path.join(CACHE, "archives"))

    def inside(*argv, check=True, timeout=300):
        return run([RUNNER, debroot, state] + list(argv), timeout=timeout, check=check, env=env)

    # not there before: the fresh root has neither the tool nor its libraries
    assert inside("dpkg-query", "-W", "pyaudit-trace", check=False).returncode != 0
    assert inside("dpkg-query", "-W", "libbpf1", check=False).returncode != 0
    apt = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/" + deb.name]
    if inside(*apt, check=False).returncode != 0:
        inside("apt-get", "update", "-q")  # the root's lists are older than the archive
        inside(*apt)
    return inside


def test_installed_with_dependencies(installed):
    out = installed("dpkg-query", "-W", "-f", "${Package} ${Status}\\n", "pyaudit-trace",
                    "libbpf1", "libelf1", "libcapstone4").stdout.decode()
    assert out.count("install ok installed") == 4, out
    files = installed("dpkg", "-L", "pyaudit-trace").stdout.decode().split()
    assert "/usr/sbin/pyaudit-trace" in files and "/usr/share/man/man8/pyaudit-trace.8.gz" in files


def test_version_in_fresh_root(installed):
    out = installed("pyaudit-trace", "--version").stdout.decode()
    assert out == run([TOOL, "--version"]).stdout.decode()


def test_list_in_fresh_root(installed):
    out = installed("pyaudit-trace", "--list", "/usr/bin/python3.11").stdout.decode()
    rows = out.splitlines()
    assert rows[0].split()[:3] == ["PID", "COMM", "PYTHON"], out
    f = rows[1].split()
    assert f[2].startswith("3.11.") and f[3] == "usdt" and f[4] == "complete", out
    assert rows[1].endswith("/usr/bin/python3.11"), out


def test_traces_in_fresh_root(installed):
    """The packaged binary, with Debian's libraries only, traces Debian's python3.11."""
    p = installed("pyaudit-trace", "-j", "--", "/usr/bin/python3.11", "-c",
                  "import sys; sys.audit('pyaudit_test.deb', 7, 'x')")
    events = [json.loads(l) for l in p.stdout.decode().splitlines()]
    mine = [e for e in events if e["event"] == "pyaudit_test.deb"]
    assert len(mine) == 1 and mine[0]["args"] == [7, "x"] and mine[0]["complete"], events[-3:]
    assert "route usdt" in p.stderr.decode(), p.stderr


def test_remove_in_fresh_root(installed):
    installed("apt-get", "remove", "-y", "-q", "pyaudit-trace")
    assert installed("sh", "-c", "command -v pyaudit-trace", check=False).returncode != 0
    assert installed("ls", "/usr/share/man/man8/pyaudit-trace.8.gz", check=False).returncode != 0
