#!/usr/bin/env bash
# Load-test jero against peer servers, one core each.
#
#   bash perf/run.sh                                   # SUITE=app: bench_app vs the peers, 10 s per load
#   SUITE=engine bash perf/run.sh                      # the engine alone (hello) vs hyper and may-minihttp
#   SUITE=uring bash perf/run.sh                       # receiving on io_uring: hello, peers and the uring-loop probe
#   SERVERS="bench_app peer-axum" ROUTES="json movies" DURATION=3 bash perf/run.sh
#   BUILD=0 bash perf/run.sh
#
# Knobs (environment):
#   SUITE       app | engine | uring: the default SERVERS and ROUTES (default app)
#   DURATION    seconds per wrk run                         (default 10)
#   REPEAT      rounds: every server runs every route once per round, the
#               servers interleaved; the tables give each figure's median
#               over the rounds (default 1)
#   SERVERS     space-separated server names, any suite     (default: the suite's, in order)
#   ROUTES      space-separated route names, any suite      (default: the suite's, in order)
#   CONNS       wrk connections                             (default 64)
#   IDLE_CONNS  idle keep-alive connections for the memory test, 0 skips it (default 10000)
#   IDLE_HOLD   seconds idle-conns holds them               (default 3)
#   PORT_BASE   server i listens on 127.0.0.1:PORT_BASE+i   (default 18080)
#   BUILD       0 skips the cargo builds                    (default 1)
#   RESULTS     markdown file the tables are appended to    (default perf/RESULTS.md)
#
# Every server runs on core 0 (taskset -c 0, --workers 1); wrk and idle-conns
# run on core 1. Only 127.0.0.1 is ever targeted, every load is bounded in
# time, and only the processes this script started are stopped (by PID).
# See perf/README.md for what each column means.
set -euo pipefail

PERF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$PERF_DIR")
HOST=127.0.0.1

SUITE=${SUITE:-app}
DURATION=${DURATION:-10}
REPEAT=${REPEAT:-1}
CONNS=${CONNS:-64}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_HOLD=${IDLE_HOLD:-3}
PORT_BASE=${PORT_BASE:-18080}
BUILD=${BUILD:-1}
RESULTS=${RESULTS:-$PERF_DIR/RESULTS.md}
SERVER_CORE=0
CLIENT_CORE=1

# The exact command, for the results header.
COMMAND=""
for var in SUITE DURATION REPEAT SERVERS ROUTES CONNS IDLE_CONNS IDLE_HOLD PORT_BASE BUILD RESULTS; do
    val=$(printenv "$var" || true)
    [[ -n "$val" ]] && COMMAND+="$var=$(printf '%q' "$val") "
done
COMMAND+="bash perf/run.sh${*:+ $*}"

# --------------------------------------------------------------------------
# Servers, routes and suites. Adding a server or a route is one line here.
#
#   server NAME BUILD_DIR "CARGO_BUILD_ARGS" BINARY [ENV=VALUE...]
#     BUILD_DIR/CARGO_BUILD_ARGS: `cargo build --release ARGS` is run once per
#     distinct pair in BUILD_DIR. The binary is started as
#     `env ENV... taskset -c 0 BINARY --workers 1 --addr 127.0.0.1:PORT`.
#   route NAME METHOD PATH STATUS CONTENT_TYPE EXPECTED_BODY [OPTION...]
#     The route is checked once with curl (method, status, media type, body),
#     then loaded with wrk. EXPECTED_BODY is the exact body, or `~REGEX` (a
#     bash extended regex, anchor it yourself) for bodies that vary.
#     Options, one argument each:
#       wrk='SCRIPT [ARGS...]'  load with `wrk -s perf/SCRIPT URL -- ARGS`
#                               (needed for anything but a plain GET)
#       header='NAME: VALUE'    the response must carry this header (name
#                               case-insensitive, value exact)
#       auth=TOKEN              the check sends `Authorization: Bearer TOKEN`
#       data=FILE               the check sends perf/FILE as a JSON body
#       noauth=STATUS           without the Authorization header the same
#                               request must answer STATUS
#       invalid='STATUS BODY'   with BODY as the JSON body instead, the
#                               request must answer STATUS
# --------------------------------------------------------------------------
SERVER_NAMES=() ; declare -A S_DIR S_ARGS S_BIN S_ENV
ROUTE_NAMES=()  ; declare -A R_METHOD R_PATH R_STATUS R_CTYPE R_BODY R_OPT
server() {
    local name=$1
    SERVER_NAMES+=("$name"); S_DIR[$name]=$2; S_ARGS[$name]=$3; S_BIN[$name]=$4
    shift 4; S_ENV[$name]="$*"
}
route() {
    local name=$1 opt key
    ROUTE_NAMES+=("$name"); R_METHOD[$name]=$2; R_PATH[$name]=$3; R_STATUS[$name]=$4
    R_CTYPE[$name]=$5; R_BODY[$name]=$6
    shift 6
    for opt in "$@"; do
        key=${opt%%=*}
        case $key in
            wrk|header|auth|data|noauth|invalid) R_OPT["$name|$key"]=${opt#*=} ;;
            *) echo "run.sh: route $name: unknown option '$opt'" >&2; exit 1 ;;
        esac
    done
}

# The engine alone: jero-engine's hello example (no framework).
server hello-uring        "$ROOT"     "-p jero-examples --bin hello" "$ROOT/target/release/hello" JERO_DRIVER=uring
server hello-epoll        "$ROOT"     "-p jero-examples --bin hello" "$ROOT/target/release/hello" JERO_DRIVER=epoll
# The framework: perf/bench_app, a jero app.
server bench_app          "$PERF_DIR" "-p bench_app"         "$PERF_DIR/target/release/bench_app" JERO_DRIVER=uring
server bench_app-epoll    "$PERF_DIR" "-p bench_app"         "$PERF_DIR/target/release/bench_app" JERO_DRIVER=epoll
# Probes (perf/probes/*): not servers, measuring aids. uring-loop answers
# every request head with the same plaintext response (routes plaintext and
# plaintext-p16 only), receiving one recv per request or multishot.
server probe-uring-single "$PERF_DIR" "-p uring-loop"        "$PERF_DIR/target/release/uring-loop" URING_LOOP_MODE=single
server probe-uring-multi  "$PERF_DIR" "-p uring-loop"        "$PERF_DIR/target/release/uring-loop" URING_LOOP_MODE=multi
# Peers (perf/peers/*).
server peer-axum          "$PERF_DIR" "-p peer-axum"         "$PERF_DIR/target/release/peer-axum"
server peer-actix         "$PERF_DIR" "-p peer-actix"        "$PERF_DIR/target/release/peer-actix"
server peer-hyper         "$PERF_DIR" "-p peer-hyper"        "$PERF_DIR/target/release/peer-hyper"
server peer-may-minihttp  "$PERF_DIR" "-p peer-may-minihttp" "$PERF_DIR/target/release/peer-may-minihttp"

MOVIE_RE='~^\{"id":"[^"]+","title":"Alien","year":1979,"director":"Ridley Scott","rating":8\.5,"genres":\["horror","sci-fi"\]\}$'
INFO_RE='~^\{"name":"bench","version":"1\.0","uptimeSeconds":[0-9]+,"healthy":true,"region":"local"\}$'

route plaintext      GET  /plaintext      200 text/plain       'Hello, World!'
route plaintext-p16  GET  /plaintext      200 text/plain       'Hello, World!'                   wrk='pipeline.lua 16'
route json           GET  /json           200 application/json '{"message":"Hello, World!"}'
route info           GET  /info           200 application/json "$INFO_RE"                       header='x-app-version: 1.0'
route widgets        GET  /widgets/abc123 200 application/json '{"id":"abc123","name":"gizmo"}'
route movies         POST /movies         201 application/json "$MOVIE_RE" \
    wrk='movies.lua movie.json token' auth=token data=movie.json noauth=401 invalid='422 {"title":"Alien"}'

declare -A SUITE_SERVERS SUITE_ROUTES SUITE_TITLE
SUITE_TITLE[app]="the framework: bench_app (jero) against peer frameworks"
SUITE_SERVERS[app]="bench_app bench_app-epoll peer-axum peer-actix peer-hyper peer-may-minihttp"
SUITE_ROUTES[app]="plaintext plaintext-p16 json info widgets movies"
SUITE_TITLE[engine]="the engine alone: hello (jero-engine, no framework) against hyper and may-minihttp"
SUITE_SERVERS[engine]="hello-uring hello-epoll peer-hyper peer-may-minihttp"
SUITE_ROUTES[engine]="plaintext plaintext-p16 json"
SUITE_TITLE[uring]="receiving on io_uring: hello on both drivers, hyper and may-minihttp, and the uring-loop probe (one recv per request vs multishot)"
SUITE_SERVERS[uring]="hello-uring hello-epoll peer-hyper peer-may-minihttp probe-uring-single probe-uring-multi"
SUITE_ROUTES[uring]="plaintext plaintext-p16"

# --------------------------------------------------------------------------

log()  { printf '[run.sh] %s\n' "$*" >&2; }
die()  { log "error: $*"; exit 1; }

# select_names OUT_ARRAY KIND "requested names" all-names...
select_names() {
    local -n sel=$1; local kind=$2 requested=$3; shift 3
    local n
    sel=()
    if [[ -z "$requested" ]]; then sel=("$@"); return; fi
    for n in $requested; do
        [[ " $* " == *" $n "* ]] || die "unknown $kind '$n' (known: $*)"
        sel+=("$n")
    done
}
[[ -n "${SUITE_SERVERS[$SUITE]:-}" ]] || die "unknown SUITE '$SUITE' (known: ${!SUITE_SERVERS[*]})"
select_names SERVERS_RUN server "${SERVERS:-${SUITE_SERVERS[$SUITE]}}" "${SERVER_NAMES[@]}"
select_names ROUTES_RUN  route  "${ROUTES:-${SUITE_ROUTES[$SUITE]}}"  "${ROUTE_NAMES[@]}"
[[ ${#SERVERS_RUN[@]} -gt 0 ]] || die "no servers selected"
[[ ${#ROUTES_RUN[@]} -gt 0 ]] || die "no routes selected"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -gt 0 ]] || die "DURATION must be a positive integer"
[[ "$REPEAT" =~ ^[0-9]+$ && "$REPEAT" -gt 0 ]] || die "REPEAT must be a positive integer"
[[ $(nproc) -ge 2 ]] || die "needs at least 2 cores (server on core $SERVER_CORE, client on core $CLIENT_CORE)"

RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
LOG_DIR="$PERF_DIR/target/run-logs/$RUN_ID"
mkdir -p "$LOG_DIR"
log "logs: $LOG_DIR"

# ---- cleanup: only what we started, by PID -------------------------------
declare -A LIVE_PIDS=()   # children started here and not yet reaped
stop_pid() {
    local pid=$1
    [[ -n "${LIVE_PIDS[$pid]:-}" ]] || return 0
    unset "LIVE_PIDS[$pid]"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local pid
    for pid in "${!LIVE_PIDS[@]}"; do stop_pid "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- tools ----------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    log "installing wrk"
    apt-get update && apt-get install -y wrk
fi
for tool in curl taskset getconf awk; do
    command -v "$tool" >/dev/null || die "$tool is required"
done
CLK_TCK=$(getconf CLK_TCK)
# Servers must be able to hold IDLE_CONNS sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( IDLE_CONNS > 0 )) && (( $(ulimit -n) < IDLE_CONNS + 64 )); then
    log "warning: ulimit -n is $(ulimit -n), below IDLE_CONNS=$IDLE_CONNS"
fi

# ---- builds ---------------------------------------------------------------
declare -A BUILD_STATUS=()   # "dir|args" -> ok | failed
declare -A SKIP_REASON=()    # server -> why it was not run
if [[ "$BUILD" != 0 ]]; then
    # idle-conns is always built. Every server is built with its own `-p`,
    # so one that does not compile (say, bench_app while the framework is
    # being edited) only skips that server, and each peer gets exactly the
    # dependency features it asks for.
    log "building idle-conns (cargo build --release -p idle-conns in perf/)"
    (cd "$PERF_DIR" && cargo build --release -p idle-conns) || die "idle-conns build failed"
    BUILD_STATUS["$PERF_DIR|-p idle-conns"]=ok
    for s in "${SERVERS_RUN[@]}"; do
        key="${S_DIR[$s]}|${S_ARGS[$s]}"
        [[ -n "${BUILD_STATUS[$key]:-}" ]] && continue
        log "building: (cd ${S_DIR[$s]} && cargo build --release ${S_ARGS[$s]})"
        # shellcheck disable=SC2086 # S_ARGS is a word list by design
        if (cd "${S_DIR[$s]}" && cargo build --release ${S_ARGS[$s]}) >"$LOG_DIR/build-$s.log" 2>&1; then
            BUILD_STATUS[$key]=ok
        else
            BUILD_STATUS[$key]=failed
            log "warning: build failed (see $LOG_DIR/build-$s.log); skipping servers built by it"
        fi
    done
fi
IDLE_BIN="$PERF_DIR/target/release/idle-conns"
for s in "${SERVERS_RUN[@]}"; do
    key="${S_DIR[$s]}|${S_ARGS[$s]}"
    if [[ "${BUILD_STATUS[$key]:-}" == failed ]]; then
        SKIP_REASON[$s]="build failed"
    elif [[ ! -x "${S_BIN[$s]}" ]]; then
        SKIP_REASON[$s]="no binary ${S_BIN[$s]#"$ROOT/"}"
    fi
done

# ---- helpers --------------------------------------------------------------
# "total idle" jiffies of the server core; busy = total - idle - iowait.
# (guest/guest_nice are already counted in user/nice, so fields 2..9 only.)
cpu_jiffies() {
    awk -v c="cpu$SERVER_CORE" '$1 == c { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat
}
# "utime stime" (fields 14 and 15 of /proc/PID/stat, all threads), in clock
# ticks; comm (field 2) may contain spaces, so split after its ")".
proc_times() {
    local stat; stat=$(<"/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086
    set -- $stat
    echo "${12} ${13}"
}
# "busy% busy%" of the server and client cores over $1 seconds, with nothing
# of ours running on them: anything above a few percent is someone else's work.
cores_busy_pct() {
    local a b
    a=$(awk '{ printf "%s %d %d ", $1, $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat)
    sleep "$1"
    b=$(awk '{ printf "%s %d %d ", $1, $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat)
    awk -v a="$a" -v b="$b" -v c0="cpu$SERVER_CORE" -v c1="cpu$CLIENT_CORE" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (k = 1; k <= n; k += 3) {
            t = y[k+1] - x[k+1]; i = y[k+2] - x[k+2]
            pct[x[k]] = t > 0 ? (t - i) * 100 / t : 0
        }
        printf "%.0f %.0f", pct[c0], pct[c1] }'
}
# quiet_check KEY: samples the cores for 1 s (this also lets the previous
# run's connections close) and records/warns when they are busy.
quiet_check() {
    local n0 n1
    read -r n0 n1 <<<"$(cores_busy_pct 1)"
    if (( n0 > 5 || n1 > 5 )); then
        NOISE[$1]+="${NOISE[$1]:+; }core $SERVER_CORE $n0%, core $CLIENT_CORE $n1%"
        log "warning: other work is running (${NOISE[$1]} busy just before $1)"
    fi
}
vm_rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
http_code() { curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://$HOST:$1/" 2>/dev/null || true; }

# start_server NAME PORT -> sets SERVER_PID
start_server() {
    local name=$1 port=$2
    port_in_use "$port" && { log "port $port is already in use"; return 1; }
    # shellcheck disable=SC2086 # S_ENV is a list of VAR=VALUE words
    env ${S_ENV[$name]} taskset -c "$SERVER_CORE" "${S_BIN[$name]}" \
        --workers 1 --addr "$HOST:$port" >"$LOG_DIR/server-$name.log" 2>&1 &
    SERVER_PID=$!
    LIVE_PIDS[$SERVER_PID]=1
    for _ in $(seq 1 100); do   # up to ~10 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            log "$name exited during startup:"; tail -5 "$LOG_DIR/server-$name.log" >&2
            return 1
        fi
        [[ "$(http_code "$port")" != 000 ]] && return 0
        sleep 0.1
    done
    log "$name did not accept connections on $HOST:$port within 10 s"
    return 1
}

# request PORT ROUTE AUTH DATA -> sets REQ_CODE and REQ_CTYPE (media type only);
# the body goes to $LOG_DIR/check.body and the headers to $LOG_DIR/check.head.
# AUTH is a bearer token ("" for none), DATA a curl --data-binary value ("" for none).
request() {
    local port=$1 r=$2 auth=$3 data=$4 line
    local -a args=(-s --max-time 5 -X "${R_METHOD[$r]}" -o "$LOG_DIR/check.body"
                   -D "$LOG_DIR/check.head" -w '%{http_code} %{content_type}\n')
    [[ -n "$auth" ]] && args+=(-H "Authorization: Bearer $auth")
    [[ -n "$data" ]] && args+=(-H "Content-Type: application/json" --data-binary "$data")
    : >"$LOG_DIR/check.body"; : >"$LOG_DIR/check.head"
    line=$(curl "${args[@]}" "http://$HOST:$port${R_PATH[$r]}" 2>/dev/null | head -1 || true)
    read -r REQ_CODE REQ_CTYPE <<<"${line:-000 -}"
    REQ_CTYPE=${REQ_CTYPE%%;*}
}

# check_route PORT ROUTE -> returns 0 when everything the route expects holds; else prints why
check_route() {
    local port=$1 r=$2 body want name value auth data status
    auth=${R_OPT[$r|auth]:-}
    data=${R_OPT[$r|data]:-}
    [[ -n "$data" ]] && data="@$PERF_DIR/$data"
    request "$port" "$r" "$auth" "$data"
    body=$(cat "$LOG_DIR/check.body"; echo x); body=${body%x}   # keep trailing newlines, if any
    if [[ "$REQ_CODE" != "${R_STATUS[$r]}" ]]; then echo "status $REQ_CODE"; return 1; fi
    if [[ "${REQ_CTYPE,,}" != "${R_CTYPE[$r],,}" ]]; then echo "content-type '$REQ_CTYPE'"; return 1; fi
    want=${R_BODY[$r]}
    if [[ "$want" == "~"* ]]; then
        [[ "$body" =~ ${want#"~"} ]] || { echo "body $(printf '%q' "${body:0:80}")"; return 1; }
    elif [[ "$body" != "$want" ]]; then
        echo "body $(printf '%q' "${body:0:80}")"; return 1
    fi
    if [[ -n "${R_OPT[$r|header]:-}" ]]; then
        name=${R_OPT[$r|header]%%:*}; value=${R_OPT[$r|header]#*:}; value=${value# }
        if ! tr -d '\r' <"$LOG_DIR/check.head" | awk -v n="${name,,}" -v v="$value" '
                { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
                    h = substr($0, i + 1); sub(/^[ \t]+/, "", h); sub(/[ \t]+$/, "", h)
                    if (h == v) found = 1 } }
                END { exit !found }'; then
            echo "no header '${R_OPT[$r|header]}'"; return 1
        fi
    fi
    if [[ -n "${R_OPT[$r|noauth]:-}" ]]; then
        request "$port" "$r" "" "$data"
        [[ "$REQ_CODE" == "${R_OPT[$r|noauth]}" ]] || { echo "without a token: status $REQ_CODE"; return 1; }
        request "$port" "$r" "wrong-$auth" "$data"
        [[ "$REQ_CODE" == "${R_OPT[$r|noauth]}" ]] || { echo "with a wrong token: status $REQ_CODE"; return 1; }
    fi
    if [[ -n "${R_OPT[$r|invalid]:-}" ]]; then
        status=${R_OPT[$r|invalid]%% *}
        request "$port" "$r" "$auth" "${R_OPT[$r|invalid]#* }"
        [[ "$REQ_CODE" == "$status" ]] || { echo "invalid body: status $REQ_CODE"; return 1; }
    fi
    return 0
}

# per_req_us TICKS REQUESTS -> microseconds per request
per_req_us() { awk -v t="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }'; }

# wrk's latency like "1.23ms" / "850.00us" / "1.02s" -> milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
        else print "?" }'
}

declare -A RPS P99 CORE_US USER_US SYS_US ERRS NOTE NOISE MEM_BEFORE MEM_AFTER MEM_PER MEM_NOTE

# run_load NAME PID PORT ROUTE
run_load() {
    local s=$1 pid=$2 port=$3 r=$4 key="$1|$4" out script_args=() cpu0 cpu1 u0 u1 t0 i0 t1 i1 ut0 st0 ut1 st1
    local -a script
    read -ra script <<<"${R_OPT[$r|wrk]:-}"
    if [[ ${#script[@]} -gt 0 ]]; then
        script_args=(-s "$PERF_DIR/${script[0]}" "http://$HOST:$port${R_PATH[$r]}" -- "${script[@]:1}")
    else
        script_args=("http://$HOST:$port${R_PATH[$r]}")
    fi
    out="$LOG_DIR/wrk-$s-$r${ROUND_TAG:-}.txt"
    log "$s $r: wrk -t1 -c$CONNS -d${DURATION}s ${script_args[*]}"
    cpu0=$(cpu_jiffies); u0=$(proc_times "$pid")
    # timeout is a backstop only; wrk stops by itself after DURATION.
    timeout --foreground --kill-after=5 $((DURATION + 30)) \
        taskset -c "$CLIENT_CORE" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "${script_args[@]}" >"$out" 2>&1 || {
        NOTE[$key]="wrk failed (exit $?)"; return 0; }
    cpu1=$(cpu_jiffies); u1=$(proc_times "$pid")
    kill -0 "$pid" 2>/dev/null || { NOTE[$key]="server died"; return 0; }

    local reqs rps p99 errs
    reqs=$(awk '/requests in/ { print $1; exit }' "$out")
    rps=$(awk '/^Requests\/sec:/ { print $2; exit }' "$out")
    p99=$(awk '$1 == "99%" { print $2; exit }' "$out")
    # wrk's coordinated-omission correction corrupts its percentiles when it
    # pipelines (wg/wrk#236: they come out 0 or non-monotonic), so pipelined
    # runs and any inconsistent distribution get no p99.
    if [[ "${script[0]:-}" == pipeline.lua ]] || ! awk '
        $1 ~ /^(50|75|90|99)%$/ { v = $2; ms = v + 0
            if (v ~ /us$/) ms /= 1000; else if (v !~ /ms$/ && v ~ /s$/) ms *= 1000
            if (ms <= 0 || ms < last) bad = 1; last = ms; n++ }
        END { exit (bad || n != 4) }' "$out"; then
        p99="n/a"
    fi
    errs=$(awk '
        /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
        /Non-2xx or 3xx responses:/ { n += $NF }
        END { print n + 0 }' "$out")
    if [[ -z "$reqs" || -z "$rps" || "$reqs" == 0 ]]; then
        NOTE[$key]="no requests completed"; return 0
    fi
    RPS[$key]=$rps
    if [[ "$p99" == n/a ]]; then P99[$key]=n/a; else P99[$key]=$(to_ms "$p99"); fi
    ERRS[$key]=$errs
    read -r t0 i0 <<<"$cpu0"; read -r t1 i1 <<<"$cpu1"
    read -r ut0 st0 <<<"$u0"; read -r ut1 st1 <<<"$u1"
    CORE_US[$key]=$(per_req_us $(( (t1 - i1) - (t0 - i0) )) "$reqs")
    USER_US[$key]=$(per_req_us $(( ut1 - ut0 )) "$reqs")
    SYS_US[$key]=$(per_req_us $(( st1 - st0 )) "$reqs")
}

# measure_memory NAME PID PORT
measure_memory() {
    local s=$1 pid=$2 port=$3 before after out idle_pid
    out="$LOG_DIR/idle-$s.txt"
    before=$(vm_rss_kb "$pid")
    log "$s: holding $IDLE_CONNS idle keep-alive connections for ${IDLE_HOLD}s"
    : >"$out"   # exists before the polling below, whenever the child opens it
    taskset -c "$CLIENT_CORE" "$IDLE_BIN" --addr "$HOST:$port" --conns "$IDLE_CONNS" \
        --hold "$IDLE_HOLD" --setup-deadline 60 >"$out" 2>&1 &
    idle_pid=$!
    LIVE_PIDS[$idle_pid]=1
    for _ in $(seq 1 700); do   # setup deadline is 60 s; poll up to ~70 s
        grep -q '^holding' "$out" && break
        kill -0 "$idle_pid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '^holding' "$out"; then
        MEM_NOTE[$s]="idle-conns failed: $(tail -1 "$out")"
        stop_pid "$idle_pid"; return 0
    fi
    sleep 0.5   # let the server finish its bookkeeping for the last connections
    after=$(vm_rss_kb "$pid")
    unset "LIVE_PIDS[$idle_pid]"
    wait "$idle_pid" || MEM_NOTE[$s]="idle-conns exit $?"
    grep -q '^note:' "$out" && MEM_NOTE[$s]=$(grep '^note:' "$out")
    MEM_BEFORE[$s]=$before
    MEM_AFTER[$s]=$after
    MEM_PER[$s]=$(( (after - before) * 1024 / IDLE_CONNS ))
    sleep 1     # let the server reap the closed connections before the next test
}

# ---- the runs -------------------------------------------------------------
# Per-round figures, keyed "server|route#round"; the tables show medians.
declare -A ROUND_RPS ROUND_P99 ROUND_CORE ROUND_USER ROUND_SYS ROUND_ERRS
for round in $(seq 1 "$REPEAT"); do
    ROUND_TAG=""
    (( REPEAT > 1 )) && { ROUND_TAG="-round$round"; log "round $round of $REPEAT"; }
    for idx in "${!SERVERS_RUN[@]}"; do
        s=${SERVERS_RUN[$idx]}
        [[ -n "${SKIP_REASON[$s]:-}" ]] && { log "skipping $s: ${SKIP_REASON[$s]}"; continue; }
        port=$((PORT_BASE + idx))
        log "starting $s on $HOST:$port (core $SERVER_CORE${S_ENV[$s]:+, ${S_ENV[$s]}})"
        if ! start_server "$s" "$port"; then
            SKIP_REASON[$s]="did not start"; continue
        fi
        pid=$SERVER_PID
        for r in "${ROUTES_RUN[@]}"; do
            key="$s|$r"
            if ! why=$(check_route "$port" "$r"); then
                NOTE[$key]="check failed: $why"; log "$s $r: check failed: $why"; continue
            fi
            # Other work on the measured cores inflates "core µs/req"; note it.
            quiet_check "$s $r"
            unset "RPS[$key]"
            run_load "$s" "$pid" "$port" "$r"
            if [[ -n "${RPS[$key]:-}" ]]; then
                ROUND_RPS[$key#$round]=${RPS[$key]}; ROUND_P99[$key#$round]=${P99[$key]}
                ROUND_CORE[$key#$round]=${CORE_US[$key]}; ROUND_USER[$key#$round]=${USER_US[$key]}
                ROUND_SYS[$key#$round]=${SYS_US[$key]}; ROUND_ERRS[$key#$round]=${ERRS[$key]}
            fi
        done
        # Memory once, in the last round.
        if (( round == REPEAT && IDLE_CONNS > 0 )) && kill -0 "$pid" 2>/dev/null; then
            measure_memory "$s" "$pid" "$port"
        fi
        stop_pid "$pid"
    done
done

# median VALUES... -> the median ("n/a" when any value is n/a)
median() {
    printf '%s\n' "$@" | sort -g | awk '
        $1 == "n/a" { na = 1 } { v[NR] = $1 + 0 }
        END {
            if (na || NR == 0) { print "n/a"; exit }
            n = NR
            if (n % 2) m = v[(n + 1) / 2]; else m = (v[n / 2] + v[n / 2 + 1]) / 2
            printf "%.3f", m
        }'
}

# Each figure's median over the rounds that produced numbers.
for s in "${SERVERS_RUN[@]}"; do
    for r in "${ROUTES_RUN[@]}"; do
        key="$s|$r"
        rps=() p99=() core=() user=() sys=() errs=0 missing=0
        for round in $(seq 1 "$REPEAT"); do
            if [[ -z "${ROUND_RPS[$key#$round]:-}" ]]; then missing=$((missing + 1)); continue; fi
            rps+=("${ROUND_RPS[$key#$round]}"); p99+=("${ROUND_P99[$key#$round]}")
            core+=("${ROUND_CORE[$key#$round]}"); user+=("${ROUND_USER[$key#$round]}")
            sys+=("${ROUND_SYS[$key#$round]}"); errs=$((errs + ROUND_ERRS[$key#$round]))
        done
        if (( ${#rps[@]} == 0 )); then unset "RPS[$key]"; continue; fi
        RPS[$key]=$(median "${rps[@]}"); P99[$key]=$(median "${p99[@]}")
        CORE_US[$key]=$(median "${core[@]}"); USER_US[$key]=$(median "${user[@]}")
        SYS_US[$key]=$(median "${sys[@]}"); ERRS[$key]=$errs
        (( missing > 0 )) && NOISE["$s $r"]+="${NOISE["$s $r"]:+, }$missing of $REPEAT rounds failed: ${NOTE[$key]:-?}"
    done
done

# ---- report ---------------------------------------------------------------
BASE=${SERVERS_RUN[0]}
fmt_int() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
# The rounds paired: in each round every server ran every route once, close
# together in time, so the ratio of two servers' figures within a round is
# the side-by-side comparison least moved by the machine's slow mode (which
# comes and goes between rounds). Prints, per route and server, the median
# over the rounds of BASE's core µs/req over the server's and of BASE's
# req/s over the server's, and in how many rounds BASE used less core.
paired() {
    local s r round a b core_ratios rps_ratios lower n
    local cheaper="$BASE cheaper" w dash
    w=$(( ${#cheaper} > 14 ? ${#cheaper} : 14 ))
    dash=$(printf "%${w}s" "" | tr ' ' -)
    echo
    echo "### Paired by round: $BASE against each server (medians of per-round ratios)"
    echo
    echo "Below 1.00 in the core column, $BASE used less of the server core per request."
    echo
    # "µ" is two bytes, so its header gets one more byte of padding.
    printf "| %-18s | %-14s | %18s | %16s | %${w}s |\n" server route "core µs/req ratio" "req/s ratio" "$cheaper"
    echo "|--------------------|----------------|------------------:|-----------------:|-$dash:|"
    for r in "${ROUTES_RUN[@]}"; do
        for s in "${SERVERS_RUN[@]}"; do
            [[ "$s" == "$BASE" ]] && continue
            core_ratios=() rps_ratios=() lower=0 n=0
            for round in $(seq 1 "$REPEAT"); do
                a="$BASE|$r#$round"; b="$s|$r#$round"
                [[ -n "${ROUND_CORE[$a]:-}" && -n "${ROUND_CORE[$b]:-}" ]] || continue
                [[ "${ROUND_CORE[$a]}" == n/a || "${ROUND_CORE[$b]}" == n/a ]] && continue
                core_ratios+=("$(awk -v x="${ROUND_CORE[$a]}" -v y="${ROUND_CORE[$b]}" 'BEGIN { printf "%.4f", x / y }')")
                rps_ratios+=("$(awk -v x="${ROUND_RPS[$a]}" -v y="${ROUND_RPS[$b]}" 'BEGIN { printf "%.4f", x / y }')")
                n=$((n + 1))
                awk -v x="${ROUND_CORE[$a]}" -v y="${ROUND_CORE[$b]}" 'BEGIN { exit !(x < y) }' && lower=$((lower + 1))
            done
            (( n > 0 )) || continue
            printf "| %-18s | %-14s | %17s | %16s | %${w}s |\n" "$s" "$r" \
                "$(median "${core_ratios[@]}")" "$(median "${rps_ratios[@]}")" "$lower of $n"
        done
    done
}

report() {
    local s r key ratio vs="vs $BASE" w
    w=$(( ${#vs} > 10 ? ${#vs} : 10 ))
    local row="| %-18s | %-14s | %10s | %9s | %12s | %12s | %12s | %${w}s | %6s |\n"
    local dash; dash=$(printf "%${w}s" "" | tr ' ' -)
    local rounds=""
    (( REPEAT > 1 )) && rounds="; medians of $REPEAT interleaved rounds"
    echo "### Throughput and CPU (wrk -t1 -c$CONNS -d${DURATION}s; server on core $SERVER_CORE, wrk on core $CLIENT_CORE$rounds)"
    echo
    # "µ" is two bytes, so its headers get one more byte of padding.
    printf "| %-18s | %-14s | %10s | %9s | %13s | %13s | %13s | %${w}s | %6s |\n" \
        server route req/s "p99 ms" "core µs/req" "user µs/req" "sys µs/req" "$vs" errors
    echo "|--------------------|----------------|-----------:|----------:|-------------:|-------------:|-------------:|-$dash:|-------:|"
    for r in "${ROUTES_RUN[@]}"; do
        for s in "${SERVERS_RUN[@]}"; do
            key="$s|$r"
            if [[ -n "${RPS[$key]:-}" ]]; then
                ratio="–"
                [[ -n "${RPS[$BASE|$r]:-}" ]] && ratio=$(awk -v a="${RPS[$key]}" -v b="${RPS[$BASE|$r]}" 'BEGIN { printf "%.2f", a / b }')
                # shellcheck disable=SC2059 # the format is built above
                printf "$row" "$s" "$r" "$(fmt_int "${RPS[$key]}")" "${P99[$key]}" "${CORE_US[$key]}" \
                    "${USER_US[$key]}" "${SYS_US[$key]}" "$ratio" "${ERRS[$key]}"
            else
                printf '| %-18s | %-14s | %s |\n' "$s" "$r" "${NOTE[$key]:-${SKIP_REASON[$s]:-not run}}"
            fi
        done
    done
    local noisy=""
    for r in "${ROUTES_RUN[@]}"; do
        for s in "${SERVERS_RUN[@]}"; do
            [[ -n "${NOISE[$s $r]:-}" ]] && noisy+=" $s $r (${NOISE[$s $r]});"
        done
    done
    if [[ -n "$noisy" ]]; then
        echo
        echo "**Noisy run:** other work was using the cores just before:${noisy%;}. Those rows' core µs/req and req/s are suspect; re-run on a quiet machine."
    fi
    if (( REPEAT > 1 )); then
        echo
        echo "### Rounds: req/s and core µs/req of each round, in order"
        echo
        echo "The machine's noise is bimodal; the rounds show which mode each sample caught."
        echo
        printf '| %-18s | %-14s |' server route
        for round in $(seq 1 "$REPEAT"); do printf ' %18s |' "round $round"; done
        echo
        printf '|--------------------|----------------|'
        for _ in $(seq 1 "$REPEAT"); do printf -- '-------------------:|'; done
        echo
        for r in "${ROUTES_RUN[@]}"; do
            for s in "${SERVERS_RUN[@]}"; do
                printf '| %-18s | %-14s |' "$s" "$r"
                for round in $(seq 1 "$REPEAT"); do
                    key="$s|$r#$round"
                    if [[ -n "${ROUND_RPS[$key]:-}" ]]; then
                        printf ' %9s / %6s |' "$(fmt_int "${ROUND_RPS[$key]}")" "${ROUND_CORE[$key]}"
                    else
                        printf ' %18s |' "n/a"
                    fi
                done
                echo
            done
        done
    fi
    if (( REPEAT > 1 )); then
        paired
    fi
    if (( IDLE_CONNS > 0 )); then
        echo
        echo "### Memory: RSS with $IDLE_CONNS idle keep-alive connections (each served one GET /plaintext)"
        echo
        printf '| %-18s | %12s | %16s | %10s |\n' server "RSS before" "RSS at $IDLE_CONNS" "bytes/conn"
        echo "|--------------------|-------------:|-----------------:|-----------:|"
        for s in "${SERVERS_RUN[@]}"; do
            if [[ -n "${MEM_PER[$s]:-}" ]]; then
                printf '| %-18s | %12s | %16s | %10s |%s\n' "$s" "${MEM_BEFORE[$s]} KiB" \
                    "${MEM_AFTER[$s]} KiB" "${MEM_PER[$s]}" "${MEM_NOTE[$s]:+ ${MEM_NOTE[$s]}}"
            else
                printf '| %-18s | %s |\n' "$s" "${MEM_NOTE[$s]:-${SKIP_REASON[$s]:-not run}}"
            fi
        done
    fi
}

TABLES=$(report)
echo
echo "$TABLES"
HEADER=""
[[ -s "$RESULTS" ]] || HEADER=$'# perf results\n\nAppended by perf/run.sh; see perf/README.md for the columns.\n'
{
    [[ -n "$HEADER" ]] && printf '%s' "$HEADER"
    echo
    echo "## $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo
    echo "Suite: \`$SUITE\`, ${SUITE_TITLE[$SUITE]}$( [[ -n "${SERVERS:-}${ROUTES:-}" ]] && echo " (servers/routes chosen by hand)")"
    echo
    echo "Command: \`$COMMAND\`"
    echo
    echo "Machine: $(nproc) cores, $(uname -sr), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')," \
         "jero $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '(no commit)')"
    echo
    echo "$TABLES"
} >>"$RESULTS"
log "appended to ${RESULTS#"$ROOT/"}"

# Non-zero exit when anything selected did not produce its numbers.
failed=0
for s in "${SERVERS_RUN[@]}"; do
    [[ -n "${SKIP_REASON[$s]:-}" ]] && failed=1
    for r in "${ROUTES_RUN[@]}"; do [[ -n "${RPS[$s|$r]:-}" ]] || failed=1; done
done
exit "$failed"
