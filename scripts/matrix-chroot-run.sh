#!/usr/bin/env bash
# matrix-chroot-run.sh ROOT CMD [ARG...]
#
# Run CMD inside the Debian chroot ROOT of the CPython test matrix (see
# scripts/provision-matrix.sh and its manifest), e.g.
#   scripts/matrix-chroot-run.sh /var/cache/pyaudit-trace/matrix/roots/sid \
#       /usr/bin/python3.14 /tmp/pyaudit-test.XXXX/workload.py
#
# * Runs in a private mount namespace (unshare -m --propagation private): the bind
#   mounts below exist only for CMD and its children and vanish when the last of them
#   exits. Nothing is mounted on the host, nothing to unmount, nothing can leak.
# * Mounted into ROOT: /proc (rbind; subprocess closes fds via /proc/self/fd, ctypes,
#   /proc/self/maps), /dev (rbind, so /dev/null, /dev/urandom, /dev/shm, /dev/pts),
#   /sys (rbind; glibc's CPU count), and each directory in PYAUDIT_CHROOT_BINDS
#   (space-separated absolute host paths, default "/tmp") at the SAME path inside, so a
#   workload written to a host temp dir has the same absolute path in the chroot.
#   Set PYAUDIT_CHROOT_BINDS="" to bind nothing extra.
# * The working directory is kept when it also exists inside ROOT (e.g. under /tmp),
#   otherwise it is "/". PATH is reset to Debian's default; the rest of the environment
#   is passed through.
# * Every step is an exec: the PID of this script IS the PID of CMD, so a test that
#   spawns this script can attach to / filter on that PID directly. Same PID namespace
#   and network namespace as the host (loopback works, the tracer sees real PIDs).
# * The exit status is CMD's.
# Needs root (CAP_SYS_ADMIN, CAP_SYS_CHROOT).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: $0 ROOT CMD [ARG...]" >&2
    exit 2
fi

if [ "${_PYAUDIT_CHROOT_NS:-}" != "$$" ]; then
    root=$(realpath -e -- "$1") || { echo "$0: no such chroot: $1" >&2; exit 2; }
    if [ "$root" = / ] || [ ! -d "$root/usr/bin" ] || [ ! -d "$root/proc" ] || [ ! -d "$root/dev" ]; then
        echo "$0: $root does not look like a chroot (needs usr/bin, proc, dev)" >&2
        exit 2
    fi
    shift
    # unshare (without --fork) execs in place, so $$ stays the same across the re-exec.
    export _PYAUDIT_CHROOT_NS=$$
    exec unshare --mount --propagation private -- "$BASH" "$0" "$root" "$@"
fi

# --- inside the private mount namespace -------------------------------------------
unset _PYAUDIT_CHROOT_NS
root=$1
shift

mount --rbind /proc "$root/proc"
mount --rbind /dev "$root/dev"
[ -d "$root/sys" ] && mount --rbind /sys "$root/sys"
for d in ${PYAUDIT_CHROOT_BINDS-/tmp}; do
    case $d in
        /*) ;;
        *) echo "$0: PYAUDIT_CHROOT_BINDS entry is not absolute: $d" >&2; exit 2 ;;
    esac
    [ -d "$d" ] || continue
    mkdir -p -- "$root$d"
    mount --bind "$d" "$root$d"
done

wd=/
if [ "$PWD" != / ] && [ -d "$root$PWD" ]; then
    wd=$PWD
fi
exec chroot -- "$root" /usr/bin/env -C "$wd" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
