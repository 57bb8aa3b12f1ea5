# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Strict JSON: whatever strings a traced program raises, every line is I-JSON that
jq 1.6 (Debian's jq) and a strict parser accept, and the replaced units are lossless.

  test_jq_accepts_hostile   -j of broad.py's hostile strings (lone surrogates,
                            noncharacters, bidi overrides, invalid UTF-8
                            in C strings) piped through `jq -c .`: jq exits 0 and prints
                            as many lines as it read
  test_strict_parser        every line: UTF-8, json.loads, no surrogate (a lone \\uDXXX
                            escape) and no noncharacter in any string; each str with
                            "replaced" gives back the hook's exact string
"""
import json
import shutil
import subprocess

import pytest

import audit_compare as ac
from harness import BROAD, load_record, parse_json_lines, python_params, run_tool

pytestmark = pytest.mark.usefixtures("tool")


@pytest.fixture(scope="module", params=python_params())
def hostile(request, workloads):
    py = request.param
    out = workloads.tmpfile("strict.json")
    hookf = workloads.tmpfile("strict-hook-%s.json" % py.id)
    res = run_tool(["-j", "-o", out, "--", py.exe, BROAD, "args"],
                   env=workloads.env(py, hook=hookf), timeout=120, cwd=workloads.base)
    assert res.rc == 0, res.describe()
    return py, out.read_bytes(), load_record(hookf)


def _strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from _strings(x)
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from _strings(x)


def _restore(value, replaced):
    chars = list(value)
    for i, unit in replaced:
        assert chars[i] == "\ufffd", (value, i)
        chars[i] = chr(unit)
    return "".join(chars)


def test_jq_accepts_hostile(hostile):
    py, data, _ = hostile
    jq = shutil.which("jq")
    assert jq, "jq is a test dependency (scripts/install-deps.sh)"
    p = subprocess.run([jq, "-c", "."], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, "jq rejected the output: %s" % p.stderr.decode()[-500:]
    assert p.stdout.count(b"\n") == data.count(b"\n") > 0
    assert b"pyaudit_test.hostile" in p.stdout


def test_strict_parser(hostile):
    py, data, record = hostile
    events = parse_json_lines(data, "JSON of %s" % py.id)
    for ev in events:
        for s in _strings(ev):
            bad = [c for c in s if ac.unfit(c)]
            assert not bad, "%s: %r in %s" % (py.id, bad, json.dumps(ev)[:300])
    ev = [e for e in events if e["event"] == "pyaudit_test.hostile"][0]
    # the three strings the hook recorded with surrogates / noncharacters come back exact
    fixed = [a for a in ev["args"] if isinstance(a, dict) and "replaced" in a]
    assert len(fixed) >= 3, ev["args"]
    originals = {_restore(a["value"], a["replaced"]) for a in fixed}
    for s in ("bad\udc80surrogate", "x\ud800y \udfff\udbff low-high",
              "nonchar \ufffe \ufdd0 \U0010ffff end"):
        assert s in originals, (s, originals)
