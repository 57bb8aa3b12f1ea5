# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""deploy/: the systemd unit passes `systemd-analyze verify`, and the capabilities it
keeps are enough (and each needed) for the tracer; the DaemonSet parses and asks for
the same privileges; the Dockerfile copies files that exist and installs the .deb.
No container engine or Kubernetes here: what is checked is said per test."""
import configparser
import re
import shlex
import subprocess
import time

import pytest

from conftest import ROOT, TOOL, need, run

DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "pyaudit-trace.service"
# Options of branch `out` (issue 11 items 3-4) used by the recipes before they exist.
PENDING = set()


def unit_service():
    cp = configparser.RawConfigParser(strict=False, delimiters=("=",))
    cp.optionxform = str
    cp.read(UNIT)
    return cp["Service"]


def exec_start():
    return shlex.split(unit_service()["ExecStart"])


def caps():
    return unit_service()["CapabilityBoundingSet"].split()


def long_options(tool):
    return set(re.findall(r"(--[a-z][a-z-]+)", run([tool, "--help"]).stdout.decode()))


def recipe_options(argv):
    return {a.split("=")[0] for a in argv if a.startswith("--")}


def test_systemd_analyze_verify(tool, tmp_path):
    """As installed: ExecStart pointing at a real binary, the man page findable."""
    need("systemd-analyze", "systemd")
    stage = tmp_path / "stage"
    run(["make", "-C", ROOT, "--no-print-directory", "install", "PREFIX=/usr",
         "DESTDIR=%s" % stage])
    unit = tmp_path / "pyaudit-trace.service"
    unit.write_text(UNIT.read_text().replace("/usr/sbin/pyaudit-trace", str(tool)))
    p = run(["systemd-analyze", "verify", unit], check=False,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                 "MANPATH": str(stage / "usr" / "share" / "man")})
    assert p.returncode == 0 and not p.stderr.strip(), (p.stdout + p.stderr).decode()


def test_unit_output_in_logs_directory():
    argv = exec_start()
    assert argv[0] == "/usr/sbin/pyaudit-trace"
    assert "-j" in argv and "-q" in argv
    out = argv[argv.index("-o") + 1]
    assert out.startswith("/var/log/%s/" % unit_service()["LogsDirectory"]), out
    assert argv[argv.index("--metrics") + 1].startswith("127.0.0.1:")


def test_recipe_options_exist(tool):
    """Every option of the unit and the DaemonSet is one the tool has."""
    import yaml
    ds = yaml.safe_load((DEPLOY / "daemonset.yaml").read_text())
    args = ds["spec"]["template"]["spec"]["containers"][0]["args"]
    known = long_options(tool) | PENDING
    for where, argv in [("unit", exec_start()[1:]), ("daemonset", args)]:
        unknown = recipe_options(argv) - known
        assert not unknown, "%s uses options the tool lacks: %s" % (where, unknown)


@pytest.fixture
def nobody_python(tmp_path):
    """A Python of another user raising pyaudit_test.cap every 50 ms."""
    p = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3.11",
         "-c", "import sys, time\nfor i in range(1200):\n sys.audit('pyaudit_test.cap', i)\n"
         " time.sleep(0.05)"], cwd="/")
    time.sleep(0.3)
    yield p
    p.kill()
    p.wait()


def traced_with_caps(tool, capset, pid):
    bounding = "-all," + ",".join("+" + c[4:].lower() for c in capset)
    return run(["setpriv", "--bounding-set", bounding, "--inh-caps", "-all", "--", tool, "-j",
                "-q", "-e", "pyaudit_test.*", "-p", pid, "-d", "1"], check=False, timeout=60)


def test_unit_capabilities_suffice(tool, nobody_python):
    """Root with exactly the unit's CapabilityBoundingSet traces another user's Python."""
    p = traced_with_caps(tool, caps(), nobody_python.pid)
    assert p.returncode == 0, p.stderr.decode()
    assert b'"event": "pyaudit_test.cap"' in p.stdout, p.stdout[-500:]


@pytest.mark.parametrize("drop", ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"])
def test_unit_capabilities_needed(tool, nobody_python, drop):
    """Without one of them the same run fails, with one line saying why.  (CAP_BPF and
    CAP_PERFMON are not: the kernel takes CAP_SYS_ADMIN in their place.)"""
    assert drop in caps()
    p = traced_with_caps(tool, [c for c in caps() if c != drop], nobody_python.pid)
    assert p.returncode != 0 and b"pyaudit_test.cap" not in p.stdout, p.stderr.decode()
    lines = p.stderr.decode().splitlines()
    assert lines and lines[-1].startswith("pyaudit-trace: "), lines


def test_daemonset():
    import yaml
    text = (DEPLOY / "daemonset.yaml").read_text()
    ds = yaml.safe_load(text)
    assert ds["apiVersion"] == "apps/v1" and ds["kind"] == "DaemonSet"
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostPID"] is True
    sel = ds["spec"]["selector"]["matchLabels"]
    assert sel.items() <= ds["spec"]["template"]["metadata"]["labels"].items()
    (c,) = spec["containers"]
    sc = c["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert {"CAP_" + x for x in sc["capabilities"]["add"]} == set(caps()), \
        "the DaemonSet and the unit should ask for the same capabilities"
    assert "allowPrivilegeEscalation" not in sc  # refused by Kubernetes with SYS_ADMIN
    vols = {v["name"]: v for v in spec["volumes"]}
    for m in c["volumeMounts"]:
        assert m["name"] in vols, m
        assert vols[m["name"]]["hostPath"]["path"] == m["mountPath"], m
    out = c["args"][c["args"].index("-o") + 1]
    assert any(out.startswith(m["mountPath"] + "/") for m in c["volumeMounts"]), out
    port = c["args"][c["args"].index("--metrics") + 1].rsplit(":", 1)[1]
    assert c["ports"][0]["containerPort"] == int(port)
    assert ds["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == port


def test_daemonset_yamllint():
    need("yamllint", "yamllint")
    p = run(["yamllint", "-d", "{extends: default, rules: {line-length: {max: 100}, "
             "document-start: disable, comments: {min-spaces-from-content: 1}}}",
             DEPLOY / "daemonset.yaml"], check=False)
    assert p.returncode == 0, p.stdout.decode()


def test_dockerfile():
    """Not built here (no container engine): its COPY sources exist, its packages are
    Debian 12 packages, and the runtime stage installs the .deb (which test_deb.py
    installs the same way into a fresh bookworm)."""
    text = (DEPLOY / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    stages = re.findall(r"^FROM (\S+)", joined, re.M)
    assert stages == ["debian:bookworm", "debian:bookworm-slim"], stages
    for src in re.findall(r"^COPY (?!--from)(\S+)", joined, re.M):
        assert (ROOT / src).exists(), "COPY of a missing path: %s" % src
    runs = re.findall(r"^RUN (.*)$", joined, re.M)
    pkgs = set()
    for r in runs:
        m = re.search(r"apt-get install -y --no-install-recommends ([^&]+)", r)
        if m:
            pkgs |= {p for p in m.group(1).split() if not p.startswith("/")}
    for p in sorted(pkgs):
        assert run(["apt-cache", "show", "--no-all-versions", p], check=False).returncode == 0, \
            "%s is not a Debian package here" % p
    deps = (ROOT / "scripts" / "install-deps.sh").read_text()
    for p in ["clang", "llvm", "libbpf-dev", "bpftool", "libelf-dev", "zlib1g-dev",
              "libcapstone-dev", "make", "gcc", "pkg-config"]:
        assert p in pkgs and p in deps, p
    assert "make" in runs[1] and "deb" in runs[1]
    assert "/tmp/pyaudit-trace.deb" in runs[-1], "the runtime stage installs the package"
    assert re.search(r'^ENTRYPOINT \["/usr/sbin/pyaudit-trace"\]', text, re.M)
