#!/usr/bin/env bash
# Alternates servers on one route, round after round, to compare their
# server-core cost per request across the machine's noise modes.
#
# usage: bash perf/alternate.sh DURATION ROUNDS "label|command with PORT" ...
#   PIPE=16 pipelines (perf/pipeline.lua); ROUTE=/plaintext by default.
#
# Each server is started in turn on core 0 (its command's PORT replaced by a
# fresh port), warmed with a 1 s wrk run, then loaded with
# `wrk -t1 -c64 -dDURATION` on core 1; core 0's busy jiffies from
# /proc/stat and the server's utime/stime over the load, divided by the
# requests served, give core/user/sys µs per request. Only 127.0.0.1 is
# targeted; every server started is stopped by its PID. Prints one line per
# sample (round label req/s core user sys) and, per server, the medians of
# all rounds and of its fast-mode rounds (core below FAST, default 6.2 µs).
#
# Example (the probe modes against the engine and hyper):
#   L=perf/target/release/uring-loop
#   bash perf/alternate.sh 2 12 "single|$L --addr 127.0.0.1:PORT --mode single" \
#     "multi|$L --addr 127.0.0.1:PORT --mode multi" \
#     "hello-uring|JERO_DRIVER=uring target/release/hello --addr 127.0.0.1:PORT --workers 1" \
#     "hyper|perf/target/release/peer-hyper --addr 127.0.0.1:PORT --workers 1"
set -euo pipefail
D=$1; R=$2; shift 2
ROUTE=${ROUTE:-/plaintext}
FAST=${FAST:-6.2}
HERE=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -f "$out"' EXIT
extra=()
[ -n "${PIPE:-}" ] && extra=(-s "$HERE/pipeline.lua")
pipe_args=()
[ -n "${PIPE:-}" ] && pipe_args=(-- "$PIPE")
jiffies() { awk '/^cpu0 /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
port=18700
for r in $(seq 1 "$R"); do
  for spec in "$@"; do
    label=${spec%%|*}; cmd=${spec#*|}
    port=$((port + 1))
    # shellcheck disable=SC2086 # the command is split on purpose
    taskset -c 0 env ${cmd//PORT/$port} >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    timeout 10 taskset -c 1 wrk -t1 -c64 -d1s "${extra[@]}" "http://127.0.0.1:$port$ROUTE" "${pipe_args[@]}" >/dev/null
    b0=$(jiffies); read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
    res=$(timeout $((D + 10)) taskset -c 1 wrk -t1 -c64 -d"${D}s" "${extra[@]}" "http://127.0.0.1:$port$ROUTE" "${pipe_args[@]}")
    b1=$(jiffies); read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    reqs=$(awk '/requests in/{print $1}' <<<"$res")
    # One jiffy is 10 ms: µs per request = jiffies * 10000 / requests.
    awk -v r="$r" -v l="$label" -v n="$reqs" -v d="$D" -v b="$((b1 - b0))" -v u="$((u1 - u0))" -v s="$((s1 - s0))" \
      'BEGIN { printf "%s %s %d %.3f %.3f %.3f\n", r, l, n / d, b * 10000 / n, u * 10000 / n, s * 10000 / n }' | tee -a "$out"
  done
done
python3 - "$out" "$FAST" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
fast = float(sys.argv[2])
labels = []
for r in rows:
    if r[1] not in labels:
        labels.append(r[1])
print(f"{'server':14s} {'req/s':>9s} {'core':>7s} {'user':>7s} {'sys':>7s} {'fast core':>10s} {'fast n':>7s}   (medians; µs per request)")
for l in labels:
    rs = [r for r in rows if r[1] == l]
    med = lambda i: st.median(float(r[i]) for r in rs)
    f = [float(r[3]) for r in rs if float(r[3]) < fast]
    fm = f"{st.median(f):10.3f}" if f else f"{'-':>10s}"
    print(f"{l:14s} {med(2):9.0f} {med(3):7.3f} {med(4):7.3f} {med(5):7.3f} {fm} {len(f):4d}/{len(rs)}")
PY
