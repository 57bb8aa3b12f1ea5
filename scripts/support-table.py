#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""support-table.py [RESULTS.json] -- the README's "### Support" table, from measurements.

Reads what tests/e2e/test_matrix.py measured (default: build/matrix-results.json, written
at the end of every pytest session that ran it) and prints the Markdown table on stdout:
one line per matrix row (CPython version, where it comes from, build kind as the tool
reports it), one column per route:

  complete                 every check of that (row, route) passed, coverage claimed complete
  partial: `a`, `b`        every check passed, coverage claimed partial; a, b = the names of
                           the workload's events the route did not report (measured)
  fail                     a check failed (the failing checks are listed under the table)
  – (no marker)            usdt on a build without the python:audit marker (not a route)
  not measured / incomplete   no test of that (row, route) ran / only some did (pytest -k)

Exit status 1 (and a message on stderr) when the file is missing or unusable.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, "build", "matrix-results.json")
ROUTES = ("usdt", "uprobe")
DEBIAN = ("buster", "bullseye", "bookworm", "trixie", "forky", "sid")


def die(msg):
    sys.stderr.write("support-table: %s\n" % msg)
    sys.exit(1)


def source(row_name, host):
    """'bullseye-3.9' -> 'Debian bullseye'; 'sid-3.14-nonotes' -> 'Debian sid, USDT notes
    removed'; 'pyenv-3.11-stripped' -> 'pyenv, libpython stripped'."""
    parts = row_name.split("-")
    if parts[0] in DEBIAN:
        return "Debian %s%s%s" % (parts[0], ", host" if host else "",
                                  ", USDT notes removed" if parts[-1] == "nonotes" else "")
    if parts[0] == "pyenv":
        return "pyenv, libpython stripped" if parts[-1] == "stripped" else "pyenv"
    return row_name


def build_kind(r):
    b = r.get("build_reported") or r.get("build") or "?"
    # the usdt column says whether there is a marker
    return ", ".join(x for x in b.split(", ") if x != "usdt")


def code_list(names, counts=None, of=None):
    out = []
    for n in names:
        c, t = (counts or {}).get(n), (of or {}).get(n)
        out.append("`%s`%s" % (n, " (%d of %d)" % (c, t) if c and t and c != t else ""))
    return ", ".join(out)


def cell(r):
    if r is None:
        return "– (no marker)"
    st = r.get("status")
    if st == "fail":
        return "**fail**"
    if st == "not run":
        return "not measured"
    if st == "incomplete":
        return "incomplete run"
    if st != "pass":
        return "? (%s)" % st
    if r.get("complete") is True:
        return "complete"
    missed = r.get("missed") or []
    if missed:
        return "**partial**: %s not seen" % code_list(missed, r.get("missed_counts"),
                                                      r.get("missed_of"))
    return "**partial** (claimed; no event of the workload missed)"


def render(data):
    rows, by = [], {}
    for r in data.get("results", []):
        if r["row"] not in by:
            rows.append(r["row"])
            by[r["row"]] = {}
        by[r["row"]][r["route"]] = r
    out = ["| CPython | build | usdt | uprobe |", "|---|---|---|---|"]
    notes = []
    for name in rows:
        routes = by[name]
        any_r = next(iter(routes.values()))
        host = any_r.get("chroot") is False  # run on the host (manifest root '-')
        label = "%s (%s)" % (any_r["version"], source(name, host))
        cells = []
        for route in ROUTES:
            r = routes.get(route)
            cells.append(cell(r))
            if r is not None and r.get("status") == "fail":
                for test, why in (r.get("failures") or {}).items():
                    first = " / ".join(why.strip().splitlines()[:2])
                    notes.append("- %s, %s: `%s` %s" % (name, route, test, first[:400]))
        out.append("| %s | %s | %s |" % (label, build_kind(any_r), " | ".join(cells)))
    measured = [r for r in data.get("results", []) if r.get("events_compared")]
    n = sorted({r["events_compared"] for r in measured})
    out.append("")
    out.append("Measured %s by `tests/e2e/test_matrix.py` (%d row%s, %d (row, route) pair%s; %s events of "
               "`broad.py` per run compared with the in-process hook's record, with and without "
               "a hook installed; `-p`, `--list` and system-wide checked too)." % (
                   data.get("generated", "?"), len(rows), "" if len(rows) == 1 else "s",
                   len(data.get("results", [])), "" if len(data.get("results", [])) == 1 else "s",
                   "-".join(str(x) for x in (n[:1] + n[-1:] if len(n) > 1 else n)) or "no"))
    if notes:
        out.append("")
        out.append("Failures:")
        out.extend(notes)
    other = data.get("other_tests") or {}
    bad = [(t, o) for t, o in other.items() if o.get("outcome") != "passed"]
    if bad:
        out.append("")
        out.append("Other checks of the matrix run:")
        for t, o in bad:
            out.append("- `%s`: %s%s" % (t, o.get("outcome"), (" (%s)" % o["reason"].strip()
                                                               .splitlines()[0][:400])
                                         if o.get("reason") else ""))
    return "\n".join(out)


def main(argv):
    path = argv[1] if len(argv) > 1 else DEFAULT
    if len(argv) > 2 or path in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if path in ("-h", "--help") else 2
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        die("%s: %s (run: sudo /usr/bin/python3 -m pytest -q tests/e2e/test_matrix.py)" % (
            path, e.strerror))
    except ValueError as e:
        die("%s: not JSON (%s)" % (path, e))
    if data.get("manifest_error"):
        die("the measurement had no matrix: %s" % data["manifest_error"])
    if not data.get("results"):
        die("%s holds no results" % path)
    print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
