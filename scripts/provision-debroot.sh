#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# provision-debroot.sh -- a pristine Debian 12 (bookworm) root for the package test
#
# tests/pkg/test_deb.py installs the .deb that `make deb` builds into a freshly
# debootstrapped bookworm and runs it there.  The root is debootstrapped once
# (--variant=minbase, plus python3.11-minimal as something to --list) and cached
# OUTSIDE the source tree; the test never writes into it: it runs on an overlay of it
# (scripts/debroot-run.sh), so every run starts from the same fresh root.
#
#   ${PYAUDIT_PKG_ROOT_DIR:-/var/cache/pyaudit-trace/pkg}/
#       bookworm/       the root (apt lists included, as debootstrap leaves them)
#       archives/       apt's download cache, shared by the runs: the package's
#                       dependencies are fetched from the archive once, then reused
#       logs/           debootstrap's log
#
# Environment: PYAUDIT_PKG_ROOT_DIR (above); PYAUDIT_MATRIX_MIRROR as for
# provision-matrix.sh (default: the host's own Debian mirror); PYAUDIT_PKG_ROOT_REFRESH=1
# rebuilds the root.  Prints the root's path on stdout.  Run as root.
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH=$PATH:/usr/sbin:/sbin

SUITE=bookworm
INCLUDE=python3.11-minimal
DIR=$(realpath -m "${PYAUDIT_PKG_ROOT_DIR:-/var/cache/pyaudit-trace/pkg}")
ROOT=$DIR/$SUITE
STAMP="suite=$SUITE include=$INCLUDE variant=minbase"

die() { printf 'provision-debroot: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap)"
[ "$DIR" != / ] || die "PYAUDIT_PKG_ROOT_DIR must not be /"
mkdir -p "$DIR/logs" "$DIR/archives/partial"
exec 9>"$DIR/.lock"
flock -w 1800 9 || die "another provision-debroot.sh holds $DIR/.lock"

if [ "${PYAUDIT_PKG_ROOT_REFRESH:-0}" != 1 ] && [ -f "$ROOT/.pyaudit-debroot-stamp" ] &&
	[ "$(cat "$ROOT/.pyaudit-debroot-stamp")" = "$STAMP" ]; then
	printf '%s\n' "$ROOT"
	exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
if [ -n "${PYAUDIT_MATRIX_MIRROR:-}" ]; then
	MIRROR=$PYAUDIT_MATRIX_MIRROR
else
	codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
	# shellcheck disable=SC2016 # $(...) are apt's format fields, not shell
	MIRROR=$(apt-get indextargets --format '$(TARGET_OF) $(IDENTIFIER) $(RELEASE) $(COMPONENT) $(REPO_URI)' 2>/dev/null |
		awk -v c="$codename" '$1 == "deb" && $2 == "Packages" && $3 == c && $4 == "main" { print $5; exit }')
	[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian
fi
MIRROR=${MIRROR%/}

# Never rm -rf a tree with something mounted below it.
safe_rm() {
	[ -e "$1" ] || return 0
	if awk -v p="$1" '{ if ($5 == p || index($5, p "/") == 1) f = 1 } END { exit !f }' /proc/self/mountinfo; then
		die "refusing to delete $1: something is mounted below it"
	fi
	rm -rf --one-file-system -- "$1"
}

tmp=$ROOT.partial
log=$DIR/logs/debootstrap-$SUITE.log
safe_rm "$tmp"
echo "provision-debroot: debootstrap --variant=minbase $SUITE from $MIRROR (log: $log)" >&2
# Own mount namespace: whatever debootstrap mounts inside the target dies with it.
unshare --mount --propagation private -- \
	debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$MIRROR" \
	</dev/null >"$log" 2>&1 || die "debootstrap failed, see $log"
rm -f "$tmp"/var/cache/apt/archives/*.deb
printf '%s' "$STAMP" >"$tmp/.pyaudit-debroot-stamp"
safe_rm "$ROOT"
mv -T "$tmp" "$ROOT"
printf '%s\n' "$ROOT"
