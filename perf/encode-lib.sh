# Shared by the encode scripts (perf/encode-pairs.sh, perf/encode-vs-commit.sh,
# perf/encode-instructions.sh): where cargo put a binary it built, read from
# its JSON messages (always an absolute path, CARGO_TARGET_DIR or not), or a
# stop with cargo's own output when the build failed. Source it; needs
# python3.

# The executable cargo reports for target $1 in the JSON messages on stdin.
_executable_of() {
    python3 -c '
import json, sys
path = None
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == sys.argv[1]:
        path = msg.get("executable") or path
if not path:
    sys.exit("no executable for " + sys.argv[1])
print(path)
' "$1"
}

# bench_bin DIR [CARGO ARGS...]: builds the encode bench of the checkout in
# DIR and prints the path of its executable.
bench_bin() {
    local dir=$1 log
    shift
    log=$(mktemp)
    if ! (cd "$dir" && cargo bench -p jero-benches --bench encode --no-run \
        --message-format=json "$@" 2>"$log") | _executable_of encode; then
        cat "$log" >&2
        rm -f "$log"
        echo "building the encode bench in $dir failed (cargo's output above)" >&2
        return 1
    fi
    rm -f "$log"
}

# probe_bin DIR [CARGO ARGS...]: builds perf/probes/encode-ab of the
# checkout in DIR and prints the path of its executable.
probe_bin() {
    local dir=$1 log
    shift
    log=$(mktemp)
    if ! cargo build --release --manifest-path "$dir/perf/Cargo.toml" -p encode-ab \
        --message-format=json "$@" 2>"$log" | _executable_of encode-ab; then
        cat "$log" >&2
        rm -f "$log"
        echo "building encode-ab in $dir failed (cargo's output above)" >&2
        return 1
    fi
    rm -f "$log"
}
