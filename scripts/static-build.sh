#!/usr/bin/env bash
# Builds the example binaries as fully static executables (glibc, crt-static)
# and checks that they really are static. Usage: scripts/static-build.sh [bin...]
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-gnu
bins=("${@:-hello}")
args=()
for b in "${bins[@]}"; do args+=(--bin "$b"); done
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --target "$target" -p jero-examples "${args[@]}"
for b in "${bins[@]}"; do
  path="target/$target/release/$b"
  # A static executable has no PT_INTERP (no dynamic loader) and no NEEDED entries.
  if readelf -l "$path" | grep -q 'INTERP'; then
    echo "error: $path asks for a dynamic loader" >&2
    exit 1
  fi
  if readelf -d "$path" 2>/dev/null | grep -q 'NEEDED'; then
    echo "error: $path needs shared libraries:" >&2
    readelf -d "$path" | grep NEEDED >&2
    exit 1
  fi
  echo "static: $path ($(du -h "$path" | cut -f1))"
done
