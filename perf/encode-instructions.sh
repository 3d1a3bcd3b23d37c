#!/usr/bin/env bash
# Instructions per encode of the encode bench's cases, counted by
# callgrind (deterministic, where this machine's times drift by more than
# the differences worth measuring): plain struct, bare JsonResponse, one
# u32 typed header, the target's two headers (u32 + String) and the same
# with a borrowed id, each against the plain struct. Builds
# perf/probes/encode-ab on the system allocator and on mimalloc.
#
# Then the same count in the criterion bench binary itself (the bench
# profile, thin LTO, where the probe has fat LTO like the release
# profile): each id of `benches/encode` runs under callgrind in criterion's
# `--profile-time` mode, and the instructions of its calls of
# `encode_into` (never inlined) are divided by the number of calls.
#
# usage: bash perf/encode-instructions.sh     (needs valgrind, python3)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/perf/encode-lib.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
N=10000
for alloc in system mimalloc; do
    features=()
    [ "$alloc" = mimalloc ] && features=(--features mimalloc)
    cp "$(probe_bin "$ROOT" "${features[@]}")" "$out/$alloc"
    line="$alloc:"
    plain=0
    for case in plain bare one two cow; do
        total=$(valgrind --tool=callgrind --toggle-collect='encode_ab::timed*' \
            --callgrind-out-file="$out/cg" "$out/$alloc" "$case" "$N" 2>&1 \
            | awk '/Collected/ {print $4}')
        per=$((total / N))
        [ "$case" = plain ] && plain=$per
        line="$line  $case $per ($(awk -v a="$per" -v b="$plain" 'BEGIN {printf "%+.1f %%", (a / b - 1) * 100}'))"
    done
    echo "$line"
done

# Inclusive instructions per call of the functions whose name contains
# $2, in the callgrind output $1 (name compression on, its default).
per_call() {
    python3 - "$1" "$2" <<'EOF'
import re, sys
names, calls, total, callee = {}, 0, 0, None
lines = open(sys.argv[1]).read().splitlines()
for i, line in enumerate(lines):
    m = re.match(r'^(c?)fn=\((\d+)\)(?: (.*))?$', line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        if m.group(1):
            callee = names.get(m.group(2), '')
    elif line.startswith('calls=') and callee and sys.argv[2] in callee:
        calls += int(line.split('=')[1].split()[0])
        total += int(lines[i + 1].split()[-1])
if not calls:
    sys.exit("no calls of " + sys.argv[2] + " in " + sys.argv[1] + ": is it still #[inline(never)]?")
print(total // calls)
EOF
}
bench=$(bench_bin "$ROOT")
line="criterion binary (mimalloc):"
plain=0
for id in plain_struct json_response_no_headers json_response_one_typed_header json_response_two_typed_headers; do
    valgrind --tool=callgrind --callgrind-out-file="$out/bench" "$bench" --bench --profile-time 2 \
        "encode_response/$id\$" >/dev/null 2>&1
    per=$(per_call "$out/bench" encode_cases::encode_into)
    [ "$id" = plain_struct ] && plain=$per
    line="$line  ${id#json_response_} $per ($(awk -v a="$per" -v b="$plain" 'BEGIN {printf "%+.1f %%", (a / b - 1) * 100}'))"
done
echo "$line"
