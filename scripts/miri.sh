#!/usr/bin/env bash
# Runs, under Miri, the tests that exercise the engine's `unsafe` blocks
# that Miri can run (the `send(2)` call cannot run there; the tests call it
# on real sockets):
#
# * `encode::words_valid`: the SSE2 check of short header values, through
#   `value_ok` (every response value check) and through `ResponseBuf`;
# * `BodyWriter::advance`: a framed body's bytes written into the spare
#   capacity (as sonic-rs writes), then made part of the body;
# * `response::append_line` and `append_last_line`: header lines (a
#   `ResponseBuf`'s, its content type and blank line, the engine's
#   `content-length`) written into spare capacity that was never zeroed,
#   then made part of the buffer;
# * `request::text`: request text handed out after an ASCII check.
#
# Needs a nightly toolchain with the miri component
# (`rustup toolchain install nightly --component miri`); about two minutes.
# Not part of `.ci/run`, which runs on stable.
#
# usage: bash scripts/miri.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo +nightly miri test -p jero-engine --lib -- \
    encode::tests::value_ok \
    encode::tests::length_line \
    response::tests::response_buf_values_around \
    framed::tests::body_writer \
    framed::tests::lines_written_into_unzeroed_spare_capacity \
    framed::tests::content_type_and_blank_line \
    request::tests::is_ascii \
    request::tests::text_validates \
    request::tests::non_ascii_targets
