#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs, with apt, whatever of pyaudit-trace's build and test dependencies is
# missing on a Debian 12 machine.  Does nothing (and needs no network) when all
# of them are there.  Run as root.
set -euo pipefail

pkgs=(
	make gcc pkg-config          # the build
	clang llvm                   # BPF compiler (clang -target bpf) and llvm-strip
	libclang-rt-14-dev           # libFuzzer + ASan/UBSan runtimes for clang (tests/fuzz)
	libbpf-dev bpftool           # loader library, skeleton generator
	libelf-dev zlib1g-dev        # libbpf's own needs; ELF reading of Python binaries
	libcapstone-dev              # x86 disassembly: probes only on proven instruction boundaries
	python3-pytest               # end-to-end tests (run with /usr/bin/python3)
	jq                           # e2e: jq 1.6 must accept every JSON line (hostile strings)
	prometheus                   # e2e: a real server scrapes --metrics; promtool check metrics
	python3.11                   # Debian's Python: a static, USDT-enabled test target
	bpftrace                     # the naive baseline in `make bench`
	debootstrap patchelf binutils # the CPython test matrix (scripts/provision-matrix.sh)
	dpkg-dev                     # make deb: dpkg-shlibdeps computes the package's Depends
	groff mandoc                 # man page lint (make man-lint, tests/pkg)
	python3-yaml yamllint        # deploy/daemonset.yaml checks (tests/pkg)
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
