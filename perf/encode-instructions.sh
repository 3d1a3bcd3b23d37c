#!/usr/bin/env bash
# Instructions per encode of the encode bench's cases, counted by
# callgrind (deterministic, where this machine's times drift by more than
# the differences worth measuring): plain struct, bare JsonResponse, one
# u32 typed header, the target's two headers (u32 + String) and the same
# with a borrowed id, each against the plain struct. Builds
# perf/probes/encode-ab on the system allocator and on mimalloc.
#
# usage: bash perf/encode-instructions.sh     (needs valgrind)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
N=10000
for alloc in system mimalloc; do
    features=()
    [ "$alloc" = mimalloc ] && features=(--features mimalloc)
    cargo build -q --release --manifest-path "$ROOT/perf/Cargo.toml" -p encode-ab "${features[@]}"
    cp "$ROOT/perf/target/release/encode-ab" "$out/$alloc"
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
