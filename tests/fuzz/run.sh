#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Runs the libFuzzer targets built under OUT/fuzz for SECONDS each.
#
#   tests/fuzz/run.sh OUT SECONDS [TARGET...]     (TARGET: elf, decode; default both)
#
# For each target: first every committed input of tests/fuzz/regressions/TARGET
# and tests/fuzz/corpus/TARGET is run once (a crash or hang found earlier must
# stay fixed), then libFuzzer fuzzes for SECONDS from the seeds:
#  - elf: the Python binaries of this machine and of the CPython matrix are the
#    base files (FUZZ_ELF_BASES, read when the run starts; nothing multi-MB is
#    committed); an input is a list of changes to one of them (fuzz_elf.c);
#  - decode: records written by seed_records, and the committed corpus.
# New inputs go to OUT/fuzz/corpus-TARGET, kept between runs.  A finding is
# left in OUT/fuzz/findings/ (crash-*,
# timeout-*, oom-*) and makes the script fail; minimise it with
#   OUT/fuzz/fuzz_TARGET -minimize_crash=1 -runs=10000 FILE
# and commit it under tests/fuzz/regressions/TARGET/.
set -euo pipefail

out=${1:?usage: run.sh OUT SECONDS [TARGET...]}
secs=${2:?usage: run.sh OUT SECONDS [TARGET...]}
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(elf decode)
here=$(cd "$(dirname "$0")" && pwd)
fz="$out/fuzz"
mkdir -p "$fz/findings"

# An analysis is bounded (about a second without sanitizers, see elf.c's work
# budget); one taking this long under ASan/UBSan counts as a hang.
timeout_elf=30
timeout_decode=5

# The base files, one a line, sorted (an input's first byte picks one by index).
elf_bases() {
	local f p lib manifest=/var/cache/pyaudit-trace/matrix/manifest
	{
		for p in /usr/bin/python3 /usr/bin/python3.*; do echo "$p"; done
		lib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")' 2>/dev/null || true)
		[ -n "$lib" ] && ls "$lib"/libpython3*.so* 2>/dev/null
		command -v python3 >/dev/null && {
			lib=$(python3 -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR") or "")' 2>/dev/null || true)
			[ -n "$lib" ] && ls "$lib"/libpython3*.so* 2>/dev/null
		}
		[ -r "$manifest" ] && awk -F'\t' '!/^#/ && NF >= 5 { print $5 }' "$manifest"
		true
	} | while read -r f; do
		f=$(readlink -f "$f" 2>/dev/null) || continue
		[ -f "$f" ] && head -c4 "$f" 2>/dev/null | grep -q ELF && echo "$f"
	done | sort -u
}

FUZZ_ELF_BASES=${FUZZ_ELF_BASES:-$(elf_bases | paste -sd: || true)}
export FUZZ_ELF_BASES

fail=0
for t in "${targets[@]}"; do
	bin="$fz/fuzz_$t"
	[ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; exit 2; }
	tmo=timeout_$t
	tmo=${!tmo}
	committed=()
	for d in "$here/regressions/$t" "$here/corpus/$t"; do
		[ -d "$d" ] && [ -n "$(ls -A "$d")" ] && committed+=("$d")
	done
	if [ ${#committed[@]} -gt 0 ]; then
		# every committed input once (libFuzzer runs files given by name one by one)
		if ! find "${committed[@]}" -type f -print0 | xargs -0 -r "$bin" -timeout="$tmo" \
			-rss_limit_mb=4096 >"$fz/regressions-$t.log" 2>&1; then
			echo "fuzz $t: a committed input fails again (see $fz/regressions-$t.log)" >&2
			fail=1
			continue
		fi
	fi
	seeds="$fz/seeds-$t"
	case $t in
	elf)
		rm -rf "$seeds"
		mkdir -p "$seeds"
		n=$(echo "$FUZZ_ELF_BASES" | tr ':' '\n' | grep -c . || true)
		for ((i = 0; i < n; i++)); do
			printf "\\x$(printf %02x $i)" >"$seeds/base-$i"
			# the same without section headers (e_shoff, e_shnum, e_shstrndx 0):
			# what is analysed is then what PT_DYNAMIC and the PT_LOADs say
			/usr/bin/python3 -c 'import struct, sys
sys.stdout.buffer.write(bytes([int(sys.argv[1])]) + struct.pack("<IBQ", 0x28, 3, 0) +
    struct.pack("<IBQ", 0x3c, 1, 0) + struct.pack("<IBQ", 0x3e, 1, 0))' "$i" \
				>"$seeds/no-shdrs-$i"
		done
		maxlen=4096
		;;
	decode)
		rm -rf "$seeds"
		mkdir -p "$seeds"
		"$fz/seed_records" "$seeds" >/dev/null
		maxlen=16400
		;;
	esac
	scratch="$fz/corpus-$t"
	mkdir -p "$scratch"
	echo "fuzz $t: ${secs}s from $(ls "$seeds" | wc -l) seeds and ${#committed[@]} committed dir(s)"
	if "$bin" -max_total_time="$secs" -timeout="$tmo" -rss_limit_mb=4096 -max_len="$maxlen" \
		-print_final_stats=1 -artifact_prefix="$fz/findings/$t-" \
		"$scratch" "$seeds" "${committed[@]}" >"$fz/fuzz-$t.log" 2>&1; then
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$fz/fuzz-$t.log" |
			sed "s/^/fuzz $t: /"
	else
		echo "fuzz $t: FINDING (log: $fz/fuzz-$t.log, input in $fz/findings/)" >&2
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$fz/fuzz-$t.log" | head -5 >&2
		fail=1
	fi
done
exit $fail
