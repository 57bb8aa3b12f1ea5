# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""deploy/Dockerfile, run without a container engine (there is none here): each stage
in its own throw-away overlay of the fresh Debian 12 root of test_deb.py, standing in
for the debian:bookworm / debian:bookworm-slim images (both are minimal bookworm
systems); COPY, WORKDIR, RUN and ENTRYPOINT done as the engine would, RUN through
/bin/sh -c in the stage's root.  What this does not check: the engine's own behaviour
(layers, the .dockerignore, user namespaces)."""
import os
import re
import shlex
import shutil
import json

import pytest

from conftest import ROOT, TOOL, run
from test_deb import CACHE, RUNNER, debroot  # noqa: F401 (fixture)

DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(text):
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        out.append((op.upper(), rest.strip()))
    return out


class Stage:
    def __init__(self, name, image, root, state):
        self.name, self.image, self.root, self.state = name, image, root, state
        self.cwd = "/"
        self.env = dict(os.environ, PYAUDIT_DEBROOT_ARCHIVES=os.path.join(CACHE, "archives"))
        (state / "upper").mkdir(parents=True)

    def path(self, p):
        """Where a path of the stage's file system is written before it runs."""
        return self.state / "upper" / os.path.join(self.cwd, p).lstrip("/")

    def run(self, cmd, timeout=1800):
        return run([RUNNER, self.root, self.state, "/bin/sh", "-c",
                    "cd %s && %s" % (shlex.quote(self.cwd), cmd)], timeout=timeout, env=self.env)


def copy_in(src, dst):
    if src.is_dir():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


@pytest.fixture(scope="module")
def image(debroot, tmp_path_factory):  # noqa: F811
    stages, cur, entry = {}, None, None
    for op, arg in instructions(DOCKERFILE.read_text()):
        if op == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", arg, re.I)
            assert m.group(1) in ("debian:bookworm", "debian:bookworm-slim"), arg
            name = m.group(2) or "final"
            cur = stages[name] = Stage(name, m.group(1), debroot,
                                       tmp_path_factory.mktemp("docker-" + name))
        elif op == "WORKDIR":
            cur.cwd = os.path.join(cur.cwd, arg)
            cur.path(".").mkdir(parents=True, exist_ok=True)
        elif op == "COPY":
            words = arg.split()
            src_stage = None
            if words[0].startswith("--from="):
                src_stage = stages[words.pop(0)[7:]]
            *srcs, dst = words
            for s in srcs:
                src = (src_stage.state / "upper" / s.lstrip("/")) if src_stage else ROOT / s
                assert src.exists(), "COPY source missing: %s" % s
                target = cur.path(dst)
                if not src.is_dir() and dst.endswith("/"):
                    target = target / src.name  # a file into a directory
                copy_in(src, target)  # a directory: its contents into dst
        elif op == "RUN":
            cur.run(arg)
        elif op == "ENTRYPOINT":
            entry = json.loads(arg)
        elif op in ("CMD", "ENV", "LABEL"):
            pass
        else:
            pytest.fail("Dockerfile instruction this runner does not know: %s" % op)
    return cur, entry


def test_image_runs(image):
    final, entry = image
    assert entry == ["/usr/sbin/pyaudit-trace"]
    out = final.run(" ".join(entry + ["--version"])).stdout.decode()
    assert out == run([TOOL, "--version"]).stdout.decode()


def test_image_has_runtime_only(image):
    final, _ = image
    out = final.run("dpkg-query -W -f '${Package}\\n'").stdout.decode().split()
    assert "pyaudit-trace" in out and "libbpf1" in out
    assert not {"clang", "gcc", "libbpf-dev", "make"} & set(out), "toolchain in the image"


def test_image_traces(image):
    final, entry = image
    p = final.run(" ".join(entry) + " -q -j -- /usr/bin/python3.11 -c "
                  "\"import sys; sys.audit('pyaudit_test.image', 3)\"")
    events = [json.loads(l) for l in p.stdout.decode().splitlines()]
    assert [e["args"] for e in events if e["event"] == "pyaudit_test.image"] == [[3]]
