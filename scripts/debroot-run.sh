#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# debroot-run.sh ROOT STATE CMD [ARG...] -- run CMD in a throw-away copy of ROOT
#
# ROOT is the pristine root of scripts/provision-debroot.sh; it is never written to:
# CMD runs on an overlay of it whose writes go to STATE (a directory of the caller's,
# e.g. a test's tmp dir; reuse it to run several commands in the same copy, one at a
# time).  Everything happens in a private mount namespace, so every mount vanishes with
# CMD: nothing to unmount, nothing left on the host.  Mounted in the copy: /proc, /dev,
# /sys (rbind) and, when PYAUDIT_DEBROOT_ARCHIVES names a directory, that directory on
# /var/cache/apt/archives (apt's download cache, kept between runs).  The host's
# resolv.conf is copied in for apt.  The environment is reset; the exit status is CMD's.
# Needs root.
set -euo pipefail

if [ $# -lt 3 ]; then
	echo "usage: $0 ROOT STATE CMD [ARG...]" >&2
	exit 2
fi
if [ "${_PYAUDIT_DEBROOT_NS:-}" != "$$" ]; then
	export _PYAUDIT_DEBROOT_NS=$$
	exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi
unset _PYAUDIT_DEBROOT_NS
root=$(realpath -e -- "$1")
state=$(realpath -m -- "$2")
shift 2
[ -d "$root/usr/bin" ] && [ "$root" != / ] || { echo "$0: $root is not a root" >&2; exit 2; }
mkdir -p "$state/upper" "$state/work" "$state/merged"
m=$state/merged
mount -t overlay overlay -o "lowerdir=$root,upperdir=$state/upper,workdir=$state/work" "$m"
mount --rbind /proc "$m/proc"
mount --rbind /dev "$m/dev"
mount --rbind /sys "$m/sys"
if [ -n "${PYAUDIT_DEBROOT_ARCHIVES:-}" ] && [ -d "$PYAUDIT_DEBROOT_ARCHIVES" ]; then
	mount --bind "$PYAUDIT_DEBROOT_ARCHIVES" "$m/var/cache/apt/archives"
fi
rm -f "$m/etc/resolv.conf"
cp -L /etc/resolv.conf "$m/etc/resolv.conf" 2>/dev/null || true
exec chroot -- "$m" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
