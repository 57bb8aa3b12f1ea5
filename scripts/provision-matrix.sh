#!/usr/bin/env bash
# provision-matrix.sh [ROW|SUITE...] -- provision the CPython test matrix of pyaudit-trace
#
# Real CPython builds the tests trace, provisioned by the test suite itself, cached
# OUTSIDE the source tree in ${PYAUDIT_MATRIX_DIR:-/var/cache/pyaudit-trace/matrix}.
# Idempotent: pieces already there are checked (a smoke run of every row) and kept.
# Run as root (debootstrap, chroot, mount namespaces); needs no terminal.
#
#   row                  what                                          interpreter ELF
#   bullseye-3.9         Debian 11 python3.9   (debootstrap chroot)    exe, static libpython, USDT
#   bookworm-3.11        the host's /usr/bin/python3.11 (Debian 12)    exe, static libpython, USDT
#   trixie-3.13          Debian 13 python3.13  (debootstrap chroot)    exe, static libpython, USDT
#   sid-3.14, sid-3.15   Debian sid python3.14, python3.15 (one chroot) exe, static libpython, USDT
#   sid-3.14-nonotes,    copies of sid's python3.14 / python3.15 with `objcopy
#   sid-3.15-nonotes     --remove-section=.note.stapsdt` (stand for the PGO+LTO builds
#                        without USDT markers: python.org Docker images, uv's
#                        python-build-standalone): same machine code, no marker;
#                        /usr/bin/python3.1X-nonotes in the sid chroot   exe, static libpython, no USDT
#   pyenv-3.8, pyenv-3.9, pyenv-3.10
#                        the newest pyenv 3.X.N under the pyenv root, as is: the frame
#                        layouts Debian's archive has no package of (PyFrameObject with
#                        f_lasti in bytes on 3.8/3.9, in code units on 3.10)
#                                                                      libpython3.X.so.1.0, symbols, no USDT
#   pyenv-3.11           /root/.pyenv/versions/3.11.7 as is            libpython3.11.so.1.0, symbols, no USDT
#   pyenv-3.11-stripped  copy of it: exe + libpython `strip --strip-all`, exe RUNPATH -> the
#                        copy's lib dir (stands for the python.org Docker images: shared,
#                        stripped, no USDT)                           libpython3.11.so.1.0
#   pyenv-3.12, pyenv-3.13
#                        as pyenv-3.8 (3.12: _PyCFrame, before _Py_DebugOffsets; 3.13: a
#                        build other than Debian's)                    libpython3.X.so.1.0, symbols, no USDT
# A pyenv row whose install is not on the machine is left out with a SKIP line.
# Debian sid had no free-threaded (python3.1x-nogil) package when this was written.
#
# Arguments select rows to provision (a row name, or a suite name for all its rows);
# none = all. The manifest always lists every row that is present and passes its check.
#
# Environment:
#   PYAUDIT_MATRIX_DIR      cache dir (default /var/cache/pyaudit-trace/matrix)
#   PYAUDIT_MATRIX_MIRROR   Debian mirror for debootstrap (default: the URI the host's apt
#                           sources use for its own release, read with apt-get indextargets)
#   PYAUDIT_MATRIX_REFRESH  1 = rebuild the selected chroots/copies even if present
#   PYAUDIT_PYENV_PREFIX    pyenv install of the two 3.11 rows (default
#                           /root/.pyenv/versions/3.11.7); when missing, both are
#                           skipped with a SKIP line
#   PYAUDIT_PYENV_ROOT      where the other pyenv rows' installs are looked for (default:
#                           the directory holding PYAUDIT_PYENV_PREFIX): for row pyenv-3.X
#                           the newest 3.X.N in it with bin/python3.X and
#                           lib/libpython3.X.so.1.0
#
# Layout of the cache dir:
#   roots/<suite>/            debootstrap --variant=minbase chroots (never left mounted;
#                             run things inside with scripts/matrix-chroot-run.sh ROOT CMD...)
#   pyenv-3.11.7-stripped/    the stripped pyenv copy (bin/, lib/ without test/ and site-packages/)
#   logs/                     one log per build step
#   manifest                  see below
#
# Manifest format (tests/matrix/manifest; file "$PYAUDIT_MATRIX_DIR/manifest", v1):
#   Lines starting with '#' are comments. Every other line is one row, 7 fields separated
#   by ONE TAB, no field empty, no whitespace inside a field:
#     1 name      row name, e.g. sid-3.14, pyenv-3.11-stripped
#     2 version   platform.python_version() of the interpreter, e.g. 3.14.10
#     3 python    path of the python executable as it is run: inside the chroot for chroot
#                 rows (e.g. /usr/bin/python3.14), on the host otherwise
#     4 root      absolute host path of the chroot root, or '-' for host rows.
#                 Run a row:  root '-' : PYTHON ARGS...
#                             else     : scripts/matrix-chroot-run.sh ROOT PYTHON ARGS...
#     5 elf       absolute HOST path of the ELF that holds the interpreter (attach probes
#                 here): the executable itself when libpython is linked statically (Debian),
#                 else the libpython3.X.so.1.0 the executable loads
#     6 usdt      'usdt' if elf has python:audit stapsdt notes, else 'no-usdt'
#     7 symbols   'symbols' if elf has a .symtab section, else 'stripped'
#   Fields 5-7 are read off the ELF (readelf), not assumed. Rows are in the order above.
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH=$PATH:/usr/sbin:/sbin

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$HERE")
RUN=$HERE/matrix-chroot-run.sh
SMOKE=$REPO/tests/matrix/smoke.py
MATRIX_DIR=${PYAUDIT_MATRIX_DIR:-/var/cache/pyaudit-trace/matrix}
PYENV_PREFIX=${PYAUDIT_PYENV_PREFIX:-/root/.pyenv/versions/3.11.7}
PYENV_ROOT=${PYAUDIT_PYENV_ROOT:-$(dirname "$PYENV_PREFIX")}
REFRESH=${PYAUDIT_MATRIX_REFRESH:-0}
STRIPPED=pyenv-3.11.7-stripped

# name kind suite/source python (for chroot rows: the Debian package = executable name)
ROWS=(
    "bullseye-3.9        chroot   bullseye python3.9"
    "bookworm-3.11       host     bookworm /usr/bin/python3.11"
    "trixie-3.13         chroot   trixie   python3.13"
    "sid-3.14            chroot   sid      python3.14"
    "sid-3.15            chroot   sid      python3.15"
    "sid-3.14-nonotes    nonotes  sid      python3.14"
    "sid-3.15-nonotes    nonotes  sid      python3.15"
    "pyenv-3.8           pyenv    pyenv    3.8"
    "pyenv-3.9           pyenv    pyenv    3.9"
    "pyenv-3.10          pyenv    pyenv    3.10"
    "pyenv-3.11          pyenv    pyenv    3.11"
    "pyenv-3.11-stripped stripped pyenv    bin/python3.11"
    "pyenv-3.12          pyenv    pyenv    3.12"
    "pyenv-3.13          pyenv    pyenv    3.13"
)

say() { printf '%s\n' "$*"; }
die() { printf 'provision-matrix: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount namespaces)"
[ -f "$SMOKE" ] || die "missing $SMOKE"

MATRIX_DIR=$(realpath -m "$MATRIX_DIR")
case "$MATRIX_DIR/" in
    "$REPO"/*) die "PYAUDIT_MATRIX_DIR=$MATRIX_DIR is inside the source tree; use a dir outside it" ;;
esac
[ "$MATRIX_DIR" != / ] || die "PYAUDIT_MATRIX_DIR must not be /"
mkdir -p "$MATRIX_DIR"
LOGS=$MATRIX_DIR/logs
mkdir -p "$LOGS" "$MATRIX_DIR/roots"

exec 9>"$MATRIX_DIR/.lock"
flock -w 3600 9 || die "another provision-matrix.sh holds $MATRIX_DIR/.lock"

T0=$(now)

# ---------------------------------------------------------------- helpers
field() { local -a f; read -r -a f <<<"$1"; printf '%s' "${f[$2]}"; }

selected() { # row line -> 0 if selected by the arguments
    local name kind src
    name=$(field "$1" 0); src=$(field "$1" 2)
    [ ${#SELECT[@]} -eq 0 ] && return 0
    local s
    for s in "${SELECT[@]}"; do
        [ "$s" = "$name" ] || [ "$s" = "$src" ] && return 0
    done
    return 1
}

# Refuse to delete anything that has a mount point at or below it (a chroot with /proc
# or /dev bound in it must never be rm -rf'ed).
safe_rm() {
    local p=$1
    [ -e "$p" ] || return 0
    case "$p" in "$MATRIX_DIR"/?*) ;; *) die "refusing to delete $p (outside $MATRIX_DIR)" ;; esac
    local rp; rp=$(realpath -e "$p")
    if awk -v p="$rp" '{ m = $5; gsub(/\\040/, " ", m); if (m == p || index(m, p "/") == 1) found = 1 } END { exit !found }' /proc/self/mountinfo; then
        die "refusing to delete $rp: something is mounted below it (umount -R it first)"
    fi
    rm -rf --one-file-system -- "$rp"
}

apt_install() { # install Debian packages, updating the lists once if needed
    apt-get install -y -qq --no-install-recommends "$@" >>"$LOGS/apt.log" 2>&1 && return 0
    apt-get update -qq >>"$LOGS/apt.log" 2>&1 || true
    apt-get install -y -qq --no-install-recommends "$@" >>"$LOGS/apt.log" 2>&1 ||
        die "apt-get install $* failed (see $LOGS/apt.log)"
}

need_cmd() { # need_cmd COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

detect_mirror() {
    if [ -n "${PYAUDIT_MATRIX_MIRROR:-}" ]; then printf '%s' "$PYAUDIT_MATRIX_MIRROR"; return; fi
    local codename m
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
    # shellcheck disable=SC2016 # $(...) are apt's format fields, not shell
    # The deb source of the host's own release, main component, as apt itself reads it.
    m=$(apt-get indextargets --format '$(TARGET_OF) $(IDENTIFIER) $(RELEASE) $(COMPONENT) $(REPO_URI)' 2>/dev/null |
        awk -v c="$codename" '$1 == "deb" && $2 == "Packages" && $3 == c && $4 == "main" { print $5; exit }')
    [ -n "$m" ] || die "cannot find the host's Debian mirror in its apt sources (release '$codename'); set PYAUDIT_MATRIX_MIRROR"
    printf '%s' "${m%/}"
}

stamp_of() { # the wanted stamp of a chroot: suite, mirror-independent package list
    printf 'suite=%s\npackages=%s\nvariant=minbase\n' "$1" "$2"
}

# ---------------------------------------------------------------- build steps (run in background)
# build_suite SUITE PKG... : debootstrap a minbase chroot with the given python3.X packages.
# Writes $LOGS/<suite>.result: "ok SECONDS [missing PKG...]" or "fail SECONDS REASON".
build_suite() {
    local suite=$1; shift
    local -a pkgs=("$@") missing=()
    local dest=$MATRIX_DIR/roots/$suite tmp=$MATRIX_DIR/roots/$suite.partial
    local log=$LOGS/debootstrap-$suite.log res=$LOGS/$suite.result t0
    t0=$(now)
    : >"$log"
    safe_rm "$tmp"
    while :; do
        if [ ${#pkgs[@]} -eq 0 ]; then
            echo "fail $(($(now) - t0)) none of the python packages exist in $suite: ${missing[*]}" >"$res"
            return 0
        fi
        local inc; inc=$(IFS=,; printf '%s' "${pkgs[*]}")
        echo "+ debootstrap --variant=minbase --include=$inc $suite $tmp $MIRROR" >>"$log"
        # Own mount namespace: debootstrap's /proc, /sys mounts inside the target die with it.
        if unshare --mount --propagation private -- \
                debootstrap --variant=minbase --include="$inc" "$suite" "$tmp" "$MIRROR" \
                </dev/null >>"$log" 2>&1; then
            break
        fi
        # A python3.X package this suite does not have (any more): drop it and retry.
        local gone
        gone=$(sed -n "s/.*Couldn't find these debs: *//p" "$log" | tail -n 1)
        safe_rm "$tmp"
        [ -n "$gone" ] || { echo "fail $(($(now) - t0)) debootstrap failed, see $log" >"$res"; return 0; }
        local -a keep=() ; local p g drop
        for p in "${pkgs[@]}"; do
            drop=0
            for g in $gone; do [ "$p" = "$g" ] && drop=1; done
            if [ $drop = 1 ]; then missing+=("$p"); else keep+=("$p"); fi
        done
        [ ${#keep[@]} -lt ${#pkgs[@]} ] || { echo "fail $(($(now) - t0)) debootstrap could not find: $gone" >"$res"; return 0; }
        pkgs=("${keep[@]}")
        : >"$log.retry"; cat "$log" >>"$log.retry"; : >"$log"
    done
    # No daemons, no mounts; just what a workload needs that minbase lacks.
    [ -s "$tmp/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
    rm -f "$tmp"/var/cache/apt/archives/*.deb
    { stamp_of "$suite" "$(printf '%s ' "$@")"; printf 'missing=%s\nmirror=%s\n' "${missing[*]:-}" "$MIRROR"; } >"$tmp/.pyaudit-matrix-stamp"
    safe_rm "$dest"
    mv -T "$tmp" "$dest"
    echo "ok $(($(now) - t0)) ${missing[*]:-}" >"$res"
}

# build_stripped: copy the pyenv prefix (minus test/ and site-packages/), strip exe and
# libpython, point the exe's RUNPATH at the copy's lib dir.
build_stripped() {
    local dest=$MATRIX_DIR/$STRIPPED tmp=$MATRIX_DIR/$STRIPPED.partial
    local log=$LOGS/$STRIPPED.log res=$LOGS/$STRIPPED.result t0
    t0=$(now)
    : >"$log"
    safe_rm "$tmp"
    (
        set -e
        mkdir -p "$tmp/bin" "$tmp/lib"
        cp -a "$PYENV_PREFIX/bin/python3.11" "$tmp/bin/"
        ln -s python3.11 "$tmp/bin/python3"
        cp -a "$PYENV_PREFIX/lib/libpython3.11.so.1.0" "$tmp/lib/"
        ln -s libpython3.11.so.1.0 "$tmp/lib/libpython3.11.so"
        tar -C "$PYENV_PREFIX/lib" --exclude=python3.11/test --exclude='python3.11/site-packages/*' \
            --exclude='python3.11/config-*' -cf - python3.11 | tar -C "$tmp/lib" -xf -
        mkdir -p "$tmp/lib/python3.11/site-packages"
        # strip first, patchelf last (strip can undo/garble patchelf's layout changes)
        strip --strip-all "$tmp/lib/libpython3.11.so.1.0" "$tmp/bin/python3.11"
        patchelf --set-rpath "$dest/lib" "$tmp/bin/python3.11"
        printf 'source=%s\nsource_lib=%s\ndest=%s\n' "$PYENV_PREFIX" \
            "$(stat -c '%s %Y' "$PYENV_PREFIX/lib/libpython3.11.so.1.0")" "$dest" >"$tmp/.pyaudit-matrix-stamp"
    ) >>"$log" 2>&1 || { echo "fail $(($(now) - t0)) see $log" >"$res"; return 0; }
    safe_rm "$dest"
    mv -T "$tmp" "$dest"
    echo "ok $(($(now) - t0))" >"$res"
}

# build_nonotes ROOT EXE: ROOT/usr/bin/EXE-nonotes = EXE without its stapsdt notes, made
# again whenever the original is newer than the copy.
build_nonotes() {
    local src=$1/usr/bin/$2 dest=$1/usr/bin/$2-nonotes
    [ -f "$dest" ] && [ "$dest" -nt "$src" ] && return 0
    objcopy --remove-section=.note.stapsdt "$src" "$dest.partial" >>"$LOGS/nonotes-$2.log" 2>&1 &&
        mv -f "$dest.partial" "$dest"
}

# pyenv_prefix 3.X -> the install of row pyenv-3.X: PYENV_PREFIX for 3.11, else the newest
# PYENV_ROOT/3.X.N (N digits only: no 3.X.Nt, -dev or -debug build) with its executable
# and shared libpython; nothing (status 1) when there is none.
pyenv_prefix() {
    local v=$1 d n
    local -a found=()
    if [ "$v" = 3.11 ]; then
        [ $HAVE_PYENV = 1 ] || return 1
        printf '%s' "$PYENV_PREFIX"
        return 0
    fi
    for d in "$PYENV_ROOT/$v".*; do
        n=${d##*/}; n=${n#"$v".}
        [[ $n =~ ^[0-9]+$ ]] || continue
        [ -x "$d/bin/python$v" ] && [ -f "$d/lib/libpython$v.so.1.0" ] || continue
        found+=("$d")
    done
    [ ${#found[@]} -gt 0 ] || return 1
    printf '%s\n' "${found[@]}" | sort -V | tail -n 1 | tr -d '\n'
}

stripped_stamp_ok() {
    local dest=$MATRIX_DIR/$STRIPPED
    [ -f "$dest/.pyaudit-matrix-stamp" ] || return 1
    [ "$(cat "$dest/.pyaudit-matrix-stamp")" = "$(printf 'source=%s\nsource_lib=%s\ndest=%s' "$PYENV_PREFIX" \
        "$(stat -c '%s %Y' "$PYENV_PREFIX/lib/libpython3.11.so.1.0")" "$dest")" ]
}

suite_stamp_ok() { # suite "pkg pkg " -> 0 if roots/<suite> was built for exactly these packages
    local sf=$MATRIX_DIR/roots/$1/.pyaudit-matrix-stamp
    [ -f "$sf" ] && [ "$(head -n 3 "$sf")" = "$(stamp_of "$1" "$2")" ]
}

# ---------------------------------------------------------------- plan
SELECT=("$@")
if [ ${#SELECT[@]} -gt 0 ]; then
    for s in "${SELECT[@]}"; do
        ok=0
        for r in "${ROWS[@]}"; do
            [ "$s" = "$(field "$r" 0)" ] || [ "$s" = "$(field "$r" 2)" ] && ok=1
        done
        [ $ok = 1 ] || die "unknown row or suite: $s"
    done
fi

declare -A SUITE_PKGS=() BUILD_SUITE=()
SUITES=()
for r in "${ROWS[@]}"; do
    [ "$(field "$r" 1)" = chroot ] || continue
    s=$(field "$r" 2)
    [ -n "${SUITE_PKGS[$s]+x}" ] || SUITES+=("$s")
    SUITE_PKGS[$s]="${SUITE_PKGS[$s]:-}$(field "$r" 3) "
done

HAVE_PYENV=0
[ -x "$PYENV_PREFIX/bin/python3.11" ] && [ -f "$PYENV_PREFIX/lib/libpython3.11.so.1.0" ] && HAVE_PYENV=1

BUILD_STRIPPED=0
for r in "${ROWS[@]}"; do
    selected "$r" || continue
    case $(field "$r" 1) in
        chroot)
            s=$(field "$r" 2)
            if [ "$REFRESH" = 1 ] || ! suite_stamp_ok "$s" "${SUITE_PKGS[$s]}"; then BUILD_SUITE[$s]=1; fi ;;
        host)
            py=$(field "$r" 3)
            # python3.X full (the -stdlib has sqlite3, ctypes, ...), not only -minimal
            if ! dpkg-query -W -f '${Status}' "$(basename "$py")" 2>/dev/null | grep -q 'ok installed'; then
                apt_install "$(basename "$py")"
            fi ;;
        stripped)
            if [ $HAVE_PYENV = 1 ] && { [ "$REFRESH" = 1 ] || ! stripped_stamp_ok; }; then BUILD_STRIPPED=1; fi ;;
    esac
done

need_cmd readelf binutils
need_cmd unshare util-linux
if [ ${#BUILD_SUITE[@]} -gt 0 ]; then
    need_cmd debootstrap debootstrap
    MIRROR=$(detect_mirror)
    say "matrix: $MATRIX_DIR  mirror: $MIRROR  building: ${!BUILD_SUITE[*]}"
fi
if [ $BUILD_STRIPPED = 1 ]; then
    need_cmd patchelf patchelf
    need_cmd strip binutils
fi

# ---------------------------------------------------------------- build (in parallel)
PIDS=()
for s in "${SUITES[@]}"; do
    [ -n "${BUILD_SUITE[$s]:-}" ] || continue
    rm -f "$LOGS/$s.result"
    # shellcheck disable=SC2086
    build_suite "$s" ${SUITE_PKGS[$s]} &
    PIDS+=($!)
done
if [ $BUILD_STRIPPED = 1 ]; then
    rm -f "$LOGS/$STRIPPED.result"
    build_stripped &
    PIDS+=($!)
fi
for p in "${PIDS[@]}"; do wait "$p" || true; done

# ---------------------------------------------------------------- check every row, write manifest
# check_row NAME PYTHON ROOT -> sets VERSION ELF USDT SYMS NOTES, or returns 1 (reason in CHECK_ERR)
check_row() {
    local name=$1 py=$2 root=$3 out
    local log=$LOGS/check-$name.log
    if [ "$root" = - ]; then
        out=$("$py" - <"$SMOKE" 2>"$log") || { CHECK_ERR="smoke run failed, see $log"; return 1; }
    else
        out=$("$RUN" "$root" "$py" - <"$SMOKE" 2>"$log") || { CHECK_ERR="smoke run in chroot failed, see $log"; return 1; }
    fi
    local exe lib
    VERSION=$(sed -n 's/.*version=\([^ ]*\).*/\1/p' <<<"$out")
    exe=$(sed -n 's/.*exe=\([^ ]*\).*/\1/p' <<<"$out")
    lib=$(sed -n 's/.*libpython=\([^ ]*\).*/\1/p' <<<"$out")
    [ -n "$VERSION" ] && [ -n "$exe" ] && [ -n "$lib" ] || { CHECK_ERR="unexpected smoke output: $out"; return 1; }
    local prefix=""
    [ "$root" = - ] || prefix=$root
    if [ "$lib" = - ]; then ELF=$prefix$exe; else ELF=$prefix$lib; fi
    [ -f "$ELF" ] || { CHECK_ERR="interpreter ELF $ELF not found"; return 1; }
    NOTES=$(readelf -n "$ELF" 2>/dev/null | awk '/Provider: python/ { p = 1; next } p && /Name: audit$/ { n++ } { p = 0 } END { print n + 0 }')
    if [ "$NOTES" -gt 0 ]; then USDT=usdt; else USDT=no-usdt; fi
    if readelf -SW "$ELF" 2>/dev/null | grep ' \.symtab ' >/dev/null; then SYMS=symbols; else SYMS=stripped; fi
    return 0
}

MANIFEST_TMP=$MATRIX_DIR/manifest.tmp
{
    printf '# pyaudit-trace CPython test matrix manifest v1 (written by scripts/provision-matrix.sh, %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '# name\tversion\tpython\troot\telf\tusdt\tsymbols\n'
} >"$MANIFEST_TMP"

FAILED=0
for r in "${ROWS[@]}"; do
    name=$(field "$r" 0); kind=$(field "$r" 1); src=$(field "$r" 2); py=$(field "$r" 3)
    root=- took="" st="" secs="" rest=""
    case $kind in
        chroot)
            root=$MATRIX_DIR/roots/$src
            py=/usr/bin/$py
            if [ -n "${BUILD_SUITE[$src]:-}" ]; then
                read -r st secs rest <"$LOGS/$src.result" || st=fail
                if [ "$st" != ok ]; then
                    selected "$r" && FAILED=1
                    say "FAIL  $name: debootstrap $src failed after ${secs:-?}s: ${rest:-}"
                    continue
                fi
                took="debootstrap $src ${secs}s"
            else
                took=cached
            fi
            if [ ! -f "$root/.pyaudit-matrix-stamp" ]; then
                say "-     $name: not provisioned (run: $0 $name)"
                continue
            fi
            if grep -q "^missing=.*\\b$(basename "$py")\\b" "$root/.pyaudit-matrix-stamp"; then
                say "SKIP  $name: Debian $src has no package $(basename "$py") (checked $(date -u -r "$root/.pyaudit-matrix-stamp" +%Y-%m-%d))"
                continue
            fi ;;
        host) took=host ;;
        nonotes)
            root=$MATRIX_DIR/roots/$src
            if [ ! -f "$root/.pyaudit-matrix-stamp" ] || [ ! -x "$root/usr/bin/$py" ]; then
                say "-     $name: not provisioned (run: $0 $name)"
                continue
            fi
            need_cmd objcopy binutils
            if ! build_nonotes "$root" "$py"; then
                selected "$r" && FAILED=1
                say "FAIL  $name: objcopy failed, see $LOGS/nonotes-$py.log"
                continue
            fi
            py=/usr/bin/$py-nonotes
            took=objcopy ;;
        pyenv|stripped)
            if [ "$kind" = pyenv ]; then
                if ! prefix=$(pyenv_prefix "$py"); then
                    if [ "$py" = 3.11 ]; then
                        say "SKIP  $name: no pyenv Python at $PYENV_PREFIX"
                    else
                        say "SKIP  $name: no pyenv Python $py under $PYENV_ROOT (none of $PYENV_ROOT/$py.N with bin/python$py and lib/libpython$py.so.1.0)"
                    fi
                    continue
                fi
                py=$prefix/bin/python$py; took=host
            elif [ $HAVE_PYENV = 0 ]; then
                say "SKIP  $name: no pyenv Python at $PYENV_PREFIX"
                continue
            else
                py=$MATRIX_DIR/$STRIPPED/$py
                if [ $BUILD_STRIPPED = 1 ]; then
                    read -r st secs rest <"$LOGS/$STRIPPED.result" || st=fail
                    if [ "$st" != ok ]; then
                        selected "$r" && FAILED=1
                        say "FAIL  $name: building the stripped copy failed: ${rest:-}"
                        continue
                    fi
                    took="copy+strip ${secs}s"
                else
                    took=cached
                fi
                if [ ! -x "$py" ]; then
                    say "-     $name: not provisioned (run: $0 $name)"
                    continue
                fi
                # the copy must load ITS libpython, not the original's (ldd's whole output
                # first: `ldd | grep -q` under pipefail fails when grep quits before ldd ends)
                deps=$(ldd "$py" 2>/dev/null || true)
                if [[ "$deps" != *"=> $MATRIX_DIR/$STRIPPED/lib/libpython3.11.so.1.0 "* ]]; then
                    selected "$r" && FAILED=1
                    say "FAIL  $name: $py does not load its own libpython (ldd); rerun with PYAUDIT_MATRIX_REFRESH=1"
                    continue
                fi
            fi ;;
    esac
    if ! check_row "$name" "$py" "$root"; then
        selected "$r" && FAILED=1
        say "FAIL  $name: $CHECK_ERR"
        continue
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$VERSION" "$py" "$root" "$ELF" "$USDT" "$SYMS" >>"$MANIFEST_TMP"
    say "ok    $(printf '%-20s %-8s %-7s notes=%-2s %-8s %s  [%s]' "$name" "$VERSION" "$USDT" "$NOTES" "$SYMS" "$ELF" "$took")"
done
mv -f "$MANIFEST_TMP" "$MATRIX_DIR/manifest"
say "matrix: $(grep -vc '^#' "$MATRIX_DIR/manifest") rows in $MATRIX_DIR/manifest ($(($(now) - T0))s)"
exit $FAILED
