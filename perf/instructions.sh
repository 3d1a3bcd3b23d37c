#!/usr/bin/env bash
# User-space instructions per request of an engine server, counted by
# callgrind: deterministic where the load runs' CPU times are not (the
# machine's noise, 10 ms jiffies), so small changes to the hot path can be
# compared commit to commit.
#
# usage: bash perf/instructions.sh [BINARY] [ROUTE]
#   BINARY  a server taking `--addr` and `--workers` (default: the
#           repository's target/release/hello; build it first with
#           `cargo build --release -p jero-examples --bin hello`)
#   ROUTE   default /plaintext
#   JERO_DRIVER is passed through (default uring).
#   WRK_ARGS    extra wrk arguments, e.g. for POST /movies:
#               WRK_ARGS="-s perf/movies.lua" bash perf/instructions.sh BIN /movies
#
# The server runs under callgrind on 127.0.0.1:18890 while
# `wrk -t1 -c16 -d4s` loads it; the counts are dumped, the server is
# stopped by its PID, and the total is divided by the number of responses
# encoded (calls of jero_engine::encode::encode). Prints that figure and the
# 25 costliest functions per request. Needs valgrind (apt-get install
# valgrind) and wrk.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/target/release/hello}
ROUTE=${2:-/plaintext}
PORT=18890
OUT=$(mktemp -d)
trap 'kill -9 "$pid" 2>/dev/null || true; rm -rf "$OUT"' EXIT
JERO_DRIVER=${JERO_DRIVER:-uring} valgrind --tool=callgrind --callgrind-out-file="$OUT/cg" \
    "$BIN" --addr 127.0.0.1:$PORT --workers 1 >"$OUT/log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
    grep -q "listening" "$OUT/log" 2>/dev/null && break
    sleep 0.1
done
# shellcheck disable=SC2086 # WRK_ARGS is split on purpose
timeout 20 wrk -t1 -c16 -d4s ${WRK_ARGS:-} "http://127.0.0.1:$PORT$ROUTE" >/dev/null
callgrind_control -d "$pid" >/dev/null 2>&1
sleep 2
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
F=$(ls "$OUT"/cg.* | head -1)
total=$(callgrind_annotate "$F" | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
n=$(callgrind_annotate --tree=calling "$F" | grep -E ">.*jero_engine::encode::encode \(" | head -1 \
    | sed -E 's/.*\(([0-9,]+)x\).*/\1/' | tr -d ,)
echo "$(basename "$BIN") $ROUTE: $total instructions / $n responses = $((total / n)) per request"
callgrind_annotate "$F" | grep -E '^ *[0-9,]+ \(' | sed -n 2,${TOP:-26}p \
    | sed -E 's/\( *[0-9.]+%\) +//' \
    | awk -v n="$n" '{x=$1; gsub(",","",x); $1=""; printf "%7.0f%s\n", x/n, $0}'
