#!/usr/bin/env bash
# The encode bench's target (JsonResponse with two typed headers at most
# 10 % over the plain struct), measured so that the machine's drift cannot
# decide it: the two ids run in separate criterion invocations, one after
# the other, pinned to one core, ROUNDS times, on mimalloc (the benches'
# default) and on the system allocator; each id's median over the rounds
# and the median of the per-round ratios are printed.
#
# The order of the two ids flips every round, so that a steady drift
# does not favour either. MEASURE (seconds of criterion measurement per
# run, default 3) and ALLOCS (default "mimalloc system") trade time for
# rounds: MEASURE=1 ALLOCS=mimalloc bash perf/encode-pairs.sh 24 runs
# short rounds, closer together, in about as long as 6 default ones.
#
# usage: bash perf/encode-pairs.sh [ROUNDS]   (default 6; about 16 s a round)
set -euo pipefail
ROUNDS=${1:-6}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
. "$ROOT/perf/encode-lib.sh"
cp "$(bench_bin "$ROOT")" "$out/mimalloc"
cp "$(bench_bin "$ROOT" --no-default-features)" "$out/system"
CPU=${CPU:-1}
MEASURE=${MEASURE:-3}
ALLOCS=${ALLOCS:-mimalloc system}
for round in $(seq 1 "$ROUNDS"); do
    ids="plain_struct json_response_two_typed_headers"
    [ $((round % 2)) = 0 ] && ids="json_response_two_typed_headers plain_struct"
    for alloc in $ALLOCS; do
        for id in $ids; do
            median=$(taskset -c "$CPU" "$out/$alloc" --bench --warm-up-time 1 --measurement-time "$MEASURE" \
                --noplot "encode_response/$id\$" 2>&1 | awk '/time:/ {print $4; exit}')
            echo "$round $alloc $id $median" >>"$out/samples"
        done
    done
done
python3 - "$out/samples" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    rnd, alloc, ident, median = line.split()
    runs[(alloc, int(rnd))][ident] = float(median)
for alloc in ("mimalloc", "system"):
    rows = [runs[k] for k in sorted(runs) if k[0] == alloc]
    if not rows:
        continue
    plain = [r["plain_struct"] for r in rows]
    two = [r["json_response_two_typed_headers"] for r in rows]
    ratios = [t / p for p, t in zip(plain, two)]
    print(f"{alloc:8}  plain_struct {statistics.median(plain):7.2f} ns   "
          f"json_response_two_typed_headers {statistics.median(two):7.2f} ns   "
          f"ratio of medians {statistics.median(two) / statistics.median(plain):.3f}   "
          f"median round ratio {statistics.median(ratios):.3f}   "
          f"rounds {' '.join(f'{r:.3f}' for r in ratios)}")
PY
