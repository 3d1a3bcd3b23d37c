#!/usr/bin/env bash
# The encode bench's target ids (plain struct, JsonResponse with two typed
# headers) measured for this checkout and for another commit side by side:
# each commit's criterion bench binary is built (the other one in a
# temporary `git worktree`), then, ROUNDS times, each binary runs each id
# in its own process (1 s after a 1 s warm-up, pinned to one core), the
# order of the binaries and of the ids flipping every round. Prints each
# binary's medians over the rounds, the ratio of the medians and the
# median of the per-round ratios.
#
# With PROBE=1 it also builds perf/probes/encode-ab at both commits (on
# mimalloc) and alternates `encode-ab time` runs of the two, which time
# every case in one process (a second opinion: criterion's one id per
# process and the probe have disagreed, see perf/README.md, session 7).
#
# usage: bash perf/encode-vs-commit.sh COMMIT [ROUNDS]   (default 12 rounds,
#        about 10 s a round; PROBE=1 adds about 15 s a round)
set -euo pipefail
BASE=${1:?usage: bash perf/encode-vs-commit.sh COMMIT [ROUNDS]}
ROUNDS=${2:-12}
CPU=${CPU:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
tree="$out/tree"
cleanup() {
    git -C "$ROOT" worktree remove --force "$tree" 2>/dev/null || true
    rm -rf "$out"
}
trap cleanup EXIT

. "$ROOT/perf/encode-lib.sh"

git -C "$ROOT" worktree add -q --detach "$tree" "$BASE"
cp "$(bench_bin "$ROOT")" "$out/this"
cp "$(bench_bin "$tree")" "$out/base"
if [ "${PROBE:-0}" = 1 ]; then
    for side in this base; do
        dir=$ROOT
        [ "$side" = base ] && dir=$tree
        cp "$(probe_bin "$dir" --features mimalloc)" "$out/probe-$side"
    done
fi

for round in $(seq 1 "$ROUNDS"); do
    bins="base this"
    ids="plain_struct json_response_two_typed_headers"
    if [ $((round % 2)) = 0 ]; then
        bins="this base"
        ids="json_response_two_typed_headers plain_struct"
    fi
    for bin in $bins; do
        for id in $ids; do
            median=$(taskset -c "$CPU" "$out/$bin" --bench --warm-up-time 1 --measurement-time 1 \
                --noplot "encode_response/$id\$" 2>&1 | awk '/time:/ {print $4; exit}')
            echo "$round $bin $id $median" >>"$out/samples"
        done
        if [ "${PROBE:-0}" = 1 ]; then
            taskset -c "$CPU" "$out/probe-$bin" time 3000 \
                | awk -v r="$round" -v b="$bin" '{print r, b, "probe-" $1, $2}' >>"$out/samples"
        fi
    done
done

python3 - "$out/samples" "$BASE" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    rnd, binary, ident, value = line.split()
    runs[(binary, int(rnd))][ident] = float(value)
for binary, name in (("base", sys.argv[2]), ("this", "this checkout")):
    rows = [runs[k] for k in sorted(runs) if k[0] == binary]
    for prefix, label in (("", "criterion"), ("probe-", "probe")):
        plain_id = prefix + ("plain_struct" if not prefix else "plain")
        two_id = prefix + ("json_response_two_typed_headers" if not prefix else "two")
        if not rows or plain_id not in rows[0]:
            continue
        plain = [r[plain_id] for r in rows]
        two = [r[two_id] for r in rows]
        ratios = [t / p for p, t in zip(plain, two)]
        print(f"{name:14} {label:9}  plain {statistics.median(plain):7.2f} ns   "
              f"two typed headers {statistics.median(two):7.2f} ns   "
              f"ratio of medians {statistics.median(two) / statistics.median(plain):.3f}   "
              f"median round ratio {statistics.median(ratios):.3f}")
PY
