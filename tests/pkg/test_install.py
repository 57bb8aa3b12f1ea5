# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""make install / uninstall with PREFIX and DESTDIR; the man page: lint-clean and
listing every option; bash completion: options, PIDs of Pythons, probe values, event
names."""
import os
import re
import stat
import subprocess
import time

import pytest

from conftest import ROOT, need, run

# Options whose help text is not in --help's long-option form but must be documented.
PENDING = set()


def help_long_options(tool):
    out = run([tool, "--help"]).stdout.decode()
    return set(re.findall(r"(--[a-z][a-z-]+)", out)) - {"--help"} | {"--help"}


@pytest.mark.parametrize("prefix", ["/usr/local", "/opt/pyaudit"])
def test_install_uninstall(tool, tmp_path, prefix):
    dest = tmp_path / "dest"
    run(["make", "-C", ROOT, "--no-print-directory", "install", "PREFIX=" + prefix,
         "DESTDIR=%s" % dest])
    p = str(dest) + prefix
    want = {
        p + "/sbin/pyaudit-trace": 0o755,
        p + "/share/man/man8/pyaudit-trace.8": 0o644,
        p + "/share/bash-completion/completions/pyaudit-trace": 0o644,
        p + "/lib/systemd/system/pyaudit-trace.service": 0o644,
    }
    files = {str(f) for f in dest.rglob("*") if f.is_file()}
    assert files == set(want), files
    for f, mode in want.items():
        assert stat.S_IMODE(os.stat(f).st_mode) == mode, (f, oct(os.stat(f).st_mode))
    out = run([p + "/sbin/pyaudit-trace", "--version"]).stdout
    assert out.startswith(b"pyaudit-trace "), out
    unit = open(p + "/lib/systemd/system/pyaudit-trace.service").read()
    assert "ExecStart=%s/sbin/pyaudit-trace " % prefix in unit, "the unit runs the installed binary"
    run(["make", "-C", ROOT, "--no-print-directory", "uninstall", "PREFIX=" + prefix,
         "DESTDIR=%s" % dest])
    assert not [f for f in dest.rglob("*") if f.is_file()], "uninstall left files"


def test_man_lint():
    need("groff", "groff")
    need("mandoc", "mandoc")
    g = run(["groff", "-ww", "-man", "-z", ROOT / "docs" / "pyaudit-trace.8"], check=False)
    assert g.returncode == 0 and not g.stderr, g.stderr.decode()
    m = run(["mandoc", "-T", "lint", "-W", "style", ROOT / "docs" / "pyaudit-trace.8"],
            check=False)
    assert m.returncode == 0 and not m.stdout and not m.stderr, (m.stdout + m.stderr).decode()
    run(["make", "-C", ROOT, "--no-print-directory", "man-lint"])


def test_man_page_lists_every_option(tool):
    src = (ROOT / "docs" / "pyaudit-trace.8").read_text()
    text = src.replace("\\-", "-")
    missing = [o for o in sorted(help_long_options(tool) | PENDING) if o not in text]
    assert not missing, "options of --help missing from the man page: %s" % missing
    th = re.search(r'^\.TH PYAUDIT-TRACE 8 \S+ "([^"]+)"', src, re.M)
    assert th and th.group(1) + "\n" == run([tool, "--version"]).stdout.decode(), \
        "the man page's .TH names another version than --version"
    for sec in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "JSON LINES", "EXAMPLES",
                "EXIT STATUS", "FILES", "SEE ALSO"]:
        assert re.search(r"^\.SH %s$" % sec, src, re.M), "no %s section" % sec
    # short options too: every "-X," of --help
    shorts = set(re.findall(r"^\s+(-[a-zA-Z?]),", run([tool, "--help"]).stdout.decode(), re.M))
    missing = [s for s in sorted(shorts) if not re.search(r"\\%s\b" % re.escape(s), src)]
    assert not missing, "short options missing from the man page: %s" % missing


COMPLETION = ROOT / "data" / "pyaudit-trace.bash-completion"


def complete(tool, words):
    """COMPREPLY for a command line whose last word is being completed."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
              '_pyaudit_trace; printf "%s\\n" "${COMPREPLY[@]}"')
    p = run(["bash", "--norc", "--noprofile", "-c", script, "x", COMPLETION, tool] + words,
            timeout=60)
    return [l for l in p.stdout.decode().splitlines() if l]


def test_completion_registered():
    p = run(["bash", "--norc", "--noprofile", "-c", 'source "$1"; complete -p pyaudit-trace',
             "x", COMPLETION])
    assert b"-F _pyaudit_trace pyaudit-trace" in p.stdout


def test_completion_options(tool):
    got = set(complete(tool, ["--"[:1] + "-"]))
    want = help_long_options(tool) | PENDING
    assert want <= got, "not completed: %s" % sorted(want - got)
    assert set(complete(tool, ["--li"])) == {"--list", "--list-events"}


def test_completion_values(tool):
    assert complete(tool, ["--probe", ""]) == ["auto", "usdt", "uprobe"]
    assert complete(tool, ["--probe", "=", "up"]) == ["uprobe"]  # --probe=up
    assert complete(tool, ["--by", "pid,c"]) == ["pid,comm"]
    assert complete(tool, ["--time-format", "r"]) == ["rfc3339"]
    assert complete(tool, ["-d", ""]) == []


def test_completion_event_names(tool):
    assert complete(tool, ["-e", "socket.con"]) == ["socket.connect"]
    assert complete(tool, ["-x", "open,subprocess.P"]) == ["open,subprocess.Popen"]
    names = run([tool, "--list-events"]).stdout.decode().split()
    assert sorted(complete(tool, ["--event", ""])) == sorted(names)


def test_completion_python_pids(tool, tmp_path):
    py = subprocess.Popen(["/usr/bin/python3.11", "-c", "import time; time.sleep(60)"])
    other = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.3)
        got = complete(tool, ["-p", ""])
        assert str(py.pid) in got and str(other.pid) not in got, (py.pid, other.pid, got)
        got = complete(tool, ["-p", "1,%s" % str(py.pid)[:-1]])
        assert "1,%d" % py.pid in got, got
    finally:
        py.kill()
        other.kill()
        py.wait()
        other.wait()


def test_completion_command_after_dashdash(tool):
    assert "python3.11" in complete(tool, ["-j", "--", "python3.1"])
