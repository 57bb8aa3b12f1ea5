# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Command-line habits: -h, bad options named, options that do nothing in the chosen mode
refused, -o -, -d with fractions, -q, -v's libbpf lines, --version, --list-events, and
--list of files (no such file; an executable that loads libpython follows DT_NEEDED)."""
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import (BASE_ENV, PREFIX, PYENV, ROOT, check_one_error_line, parse_json_lines,
                     run_tool)

pytestmark = pytest.mark.usefixtures("tool")

DEBIAN_PY = "/usr/bin/python3.11"
PYENV_PREFIX = Path(PYENV.exe).parents[1]
RAISE = "import sys; sys.audit('pyaudit_test.cli', 42)"


@pytest.fixture
def sleeper():
    """A Python process that sleeps (for -p)."""
    p = subprocess.Popen([DEBIAN_PY, "-c", "import sys, time; print(1, flush=True); "
                          "time.sleep(120)"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert p.stdout.readline().strip() == b"1"  # running Python code by now
    yield p
    p.kill()
    p.wait()


@pytest.mark.parametrize("opt", ["-h", "--help", "-?"])
def test_help(opt):
    res = run_tool([opt], timeout=30)
    out = res.stdout.decode()
    assert res.rc == 0 and res.stderr == b"", res.describe()
    assert out.startswith("Usage: pyaudit-trace "), out[:200]
    for o in ["--json", "--quiet", "--list-events", "--duration=SECONDS", "--count"]:
        assert o in out, "%s missing from --help" % o


def test_version():
    res = run_tool(["--version"], timeout=30)
    assert res.rc == 0, res.describe()
    assert re.fullmatch(rb"pyaudit-trace \d+\.\d+(\.\d+)?\n", res.stdout), res.stdout


@pytest.mark.parametrize("args,contains", [
    (["-tt"], ["'-t'", "-tt"]),
    (["-jz"], ["'-z'"]),
    (["--bogus"], ["'--bogus'"]),
    (["--bogus=1"], ["'--bogus'"]),
    (["-d"], ["'-d'", "needs a value"]),
    (["-j", "--pid"], ["'--pid'", "needs a value"]),
    (["--json=yes"], ["'--json'", "takes no value"]),
    (["--co"], ["ambiguous", "--co"]),
], ids=["short-cluster", "short-in-cluster", "long", "long-eq", "short-no-value",
        "long-no-value", "long-extra-value", "ambiguous"])
def test_bad_option_is_named(args, contains):
    line = check_one_error_line(run_tool(args, timeout=30), contains)
    assert "build/pyaudit-trace" not in line and "'pyaudit-trace'" not in line, line


@pytest.mark.parametrize("args,contains", [
    (["--max-keys", "5", "-d", "1"], ["--max-keys", "-c"]),
    (["--top", "3", "-d", "1"], ["--top"]),
    (["--by", "pid", "-d", "1"], ["--by"]),
    (["-i", "1", "-d", "1"], ["-i"]),
    (["--hist", "-d", "1"], ["--hist"]),
    (["--cumulative", "-d", "1"], ["--cumulative"]),
    (["-c", "--cumulative", "-d", "1"], ["--cumulative", "-i"]),
    (["--list", "-j"], ["-j", "--list"]),
    (["--list", "-o", "SCRATCH"], ["-o", "--list"]),
    (["--list", "-e", "open"], ["-e", "--list"]),
    (["--list", "-u", "0"], ["-u", "--list"]),
    (["--list", "-d", "1"], ["-d", "--list"]),
    (["--list", "-c"], ["--list"]),
    (["--list", "--hist"], ["--list"]),
], ids=["max-keys", "top", "by", "interval", "hist", "cumulative", "cumulative-no-i",
        "list-json", "list-output", "list-filter", "list-uid", "list-duration", "list-count",
        "list-hist"])
def test_option_that_does_nothing_is_an_error(tmp_path, args, contains):
    scratch = tmp_path / "out"
    args = [str(scratch) if a == "SCRATCH" else a for a in args]
    check_one_error_line(run_tool(args, timeout=30), contains)
    assert not scratch.exists(), "an option error must not create the -o file"


def test_string_size_in_count_mode_warns(sleeper):
    """-s cannot change a count: a warning, and the run goes on."""
    res = run_tool(["-c", "-s", "16", "-d", "0.3", "-p", sleeper.pid], timeout=60)
    assert res.rc == 0, res.describe()
    warn = [l for l in res.err_lines if "warning:" in l]
    assert len(warn) == 1 and "-s" in warn[0] and "-c" in warn[0], res.describe()
    assert b"TOTAL" in res.stdout


def test_output_dash_is_stdout(tmp_path):
    res = run_tool(["-j", "-o", "-", "--", DEBIAN_PY, "-c", RAISE], timeout=60, cwd=tmp_path)
    assert res.rc == 0, res.describe()
    events = parse_json_lines(res.stdout, "stdout with -o -")
    hits = [e for e in events if e["event"] == "pyaudit_test.cli"]
    assert len(hits) == 1 and hits[0]["args"] == [42], hits
    assert not (tmp_path / "-").exists(), "-o - wrote a file named '-'"


@pytest.mark.parametrize("arg", ["0", "0.0009", "1e3", "0.5s", "-0.5", ".", "1.0000000001",
                                 "99999999999999"])
def test_duration_bad(arg):
    check_one_error_line(run_tool(["-d", arg], timeout=30), ["-d", arg])


def test_duration_fraction(sleeper):
    """-d 0.5 stops after half a second, measured against -d 2.5 on the same target (the
    attach time cancels out); with -d, no "Ctrl-C to end" is offered."""
    walls = {}
    for d in ["0.5", "2.5"]:
        res = run_tool(["-j", "-d", d, "-p", sleeper.pid], timeout=60)
        assert res.rc == 0, res.describe()
        status = [l for l in res.err_lines if l.startswith(PREFIX + "tracing 1 process")]
        assert status, "no status line\n" + res.describe()
        assert "Ctrl-C" not in res.stderr.decode(), res.describe()
        walls[d] = res.t1 - res.t0
    diff = walls["2.5"] - walls["0.5"]
    # ~2 s; wide bounds: on a loaded machine start-up and BPF loading vary by a second
    assert 1.2 < diff < 3.5, "-d 2.5 ran %.2f s longer than -d 0.5 (want ~2): %s" % (diff, walls)
    assert walls["0.5"] < walls["2.5"] - 1.2


def test_ctrl_c_offered_without_duration(sleeper):
    from harness import Tool
    t = Tool(["-j", "-p", sleeper.pid])
    try:
        t.wait_ready()  # the line ends in "Ctrl-C to end."
    finally:
        assert t.stop() == 0, t.describe()


def test_quiet_hides_status_lines():
    loud = run_tool(["-j", "--", DEBIAN_PY, "-c", RAISE], timeout=60)
    quiet = run_tool(["-q", "-j", "--", DEBIAN_PY, "-c", RAISE], timeout=60)
    assert loud.rc == 0 and quiet.rc == 0, loud.describe() + quiet.describe()
    assert any("route usdt" in l for l in loud.err_lines), loud.describe()
    assert quiet.stderr == b"", quiet.describe()
    for res in (loud, quiet):
        ev = parse_json_lines(res.stdout, "stdout")
        assert [e["args"] for e in ev if e["event"] == "pyaudit_test.cli"] == [[42]]


def test_quiet_keeps_warnings_and_errors(sleeper):
    res = run_tool(["-q", "-e", "no.such.event.anywhere", "-d", "0.3", "-p", sleeper.pid],
                   timeout=60)
    assert res.rc == 0, res.describe()
    assert len(res.err_lines) == 1 and "warning:" in res.err_lines[0], res.describe()
    check_one_error_line(run_tool(["-q", "-p", "abc"], timeout=30), ["abc"])


def test_verbose_libbpf_prefix_once():
    res = run_tool(["-v", "-j", "--", DEBIAN_PY, "-c", "pass"], timeout=60)
    assert res.rc == 0, res.describe()
    libbpf = [l for l in res.err_lines if "libbpf:" in l]
    assert libbpf, "no libbpf message with -v\n" + res.describe()
    doubled = [l for l in res.err_lines if "libbpf: libbpf:" in l]
    assert not doubled, doubled[:3]
    assert all(l.startswith(PREFIX + "libbpf: ") for l in libbpf
               if l.startswith(PREFIX)), libbpf[:3]


def test_list_events():
    res = run_tool(["--list-events"], timeout=30)
    assert res.rc == 0 and res.stderr == b"", res.describe()
    names = res.stdout.decode().splitlines()
    tsv = ROOT / "data" / "audit-events.tsv"
    want = sorted({l.split("\t")[0] for l in tsv.read_text().splitlines()[1:] if l.strip()})
    assert sorted(names) == want and len(names) == len(set(names))
    assert {"open", "socket.connect", "subprocess.Popen", "import"} <= set(names)


def test_list_no_such_file():
    check_one_error_line(run_tool(["--list", "/nonexistent/python3"], timeout=30),
                         ["/nonexistent/python3", "No such file or directory"])


def test_list_not_python():
    check_one_error_line(run_tool(["--list", "/bin/ls"], timeout=30),
                         ["/bin/ls", "not a Python binary"])


def _list_rows(res):
    assert res.rc == 0, res.describe()
    lines = res.stdout.decode().splitlines()
    assert lines[0].split()[:3] == ["PID", "COMM", "PYTHON"], lines
    return lines[1:]


def test_list_pyenv_exe_follows_to_libpython():
    """pyenv's bin/python3: a symlink to an executable that has no PySys_Audit but a
    DT_NEEDED libpython3.11.so.1.0 found through its DT_RUNPATH."""
    exe = PYENV_PREFIX / "bin" / "python3"
    lib = PYENV_PREFIX / "lib" / "libpython3.11.so.1.0"
    rows = _list_rows(run_tool(["--list", exe], timeout=30))
    assert len(rows) == 1, rows
    f = rows[0].split()
    assert f[2] == PYENV.version and f[3] == "uprobe" and f[4] == "complete", rows
    assert rows[0].endswith("%s -> %s" % (exe, lib)), rows


def test_list_origin_runpath(tmp_path):
    """A relocatable copy: RUNPATH $ORIGIN/../lib, as python.org-style builds have."""
    shutil.copy2(PYENV_PREFIX / "bin" / "python3.11", tmp_path / "python3.11")
    (tmp_path / "bin").mkdir()
    (tmp_path / "lib").mkdir()
    os.rename(tmp_path / "python3.11", tmp_path / "bin" / "python3.11")
    shutil.copy2(PYENV_PREFIX / "lib" / "libpython3.11.so.1.0", tmp_path / "lib")
    subprocess.run(["patchelf", "--set-rpath", "$ORIGIN/../lib", tmp_path / "bin" / "python3.11"],
                   check=True, timeout=60)
    out = subprocess.run(["readelf", "-d", tmp_path / "bin" / "python3.11"],
                         stdout=subprocess.PIPE, check=True, timeout=60).stdout.decode()
    assert "$ORIGIN/../lib" in out, out
    rows = _list_rows(run_tool(["--list", tmp_path / "bin" / "python3.11"], timeout=30))
    assert len(rows) == 1 and rows[0].endswith(
        "-> %s" % (tmp_path / "bin" / ".." / "lib" / "libpython3.11.so.1.0")), rows
    assert rows[0].split()[2] == PYENV.version, rows


README_APP = ROOT / "tests" / "workloads" / "readme_app.py"


def _mask(line, app):
    line = line.replace(str(app), "/srv/app.py")
    line = re.sub(r"^\d\d:\d\d:\d\d\.\d{6} ", "HH:MM:SS.ffffff ", line)
    line = re.sub(r"\[\d+/\d+( ppid=)\d+\]", r"[PID/PID\1PPID]", line)
    line = re.sub(r"\[\d+/\d+\]", "[PID/PID]", line)
    line = re.sub(r"PID \d+", "PID N", line)
    line = re.sub(r"/tmp/tmp[a-z0-9_]{8}", "/tmp/tmpXXXXXXXX", line)  # mkdtemp
    return re.sub(r"'/tmp/[a-z0-9_]{8}'", "'/tmp/XXXXXXXX'", line)  # tempfile's probe file


def test_readme_first_example(tmp_path):
    """The README's first example is what the tool prints: `sudo pyaudit-trace -- python3
    app.py` (sudo's clean environment, Debian's python3) with tests/workloads/readme_app.py.
    Lines shown equal the real ones (cut at 100 characters, as the README says), in
    order, and the counts of the lines left out are the real counts."""
    text = (ROOT / "README.md").read_text()
    start = text.index("```\n$ sudo pyaudit-trace -- python3 app.py\n") + 4
    block = text[start:text.index("```", start)].splitlines()[1:]
    app = tmp_path / "app.py"
    app.write_bytes(README_APP.read_bytes())
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    res = run_tool(["--", "python3", "app.py"], env=env, cwd=tmp_path, timeout=120)
    assert res.rc == 0, res.describe()
    out = [_mask(l, app) for l in res.stdout.decode().splitlines()]
    err = [_mask(l, app) for l in res.err_lines]
    assert block[0] == err[0] or _mask(block[0], app) == err[0], (block[0], err)
    # shown lines and "[... N more" gaps, walked against the real output
    i = 0
    for line in block[1:]:
        m = re.match(r"\[\.\.\. (\d+) more", line)
        if m:
            i += int(m.group(1))
            continue
        assert i < len(out), "README shows more lines than the tool prints: %r" % line
        shown = _mask(line, app)
        # equal, or cut at 100 characters and a prefix of it
        assert shown == out[i] or (len(line) == 100 and out[i].startswith(shown)), \
            "README line differs from output line %d:\n%r\n%r" % (i + 1, line, out[i])
        i += 1
    assert i == len(out), "README accounts for %d lines, the tool printed %d" % (i, len(out))
    total = re.search(r"^(\d+) events in all", text[start:], re.M)
    assert total and int(total.group(1)) == len(out)
    m = re.search(r"`-x '([^']+)'`\s+leaves (\d+) here", text[start:])
    res = run_tool(["-q", "-x", m.group(1), "--", "python3", "app.py"], env=env, cwd=tmp_path,
                   timeout=120)
    assert res.rc == 0 and len(res.stdout.splitlines()) == int(m.group(2)), (
        len(res.stdout.splitlines()), m.group(2))
