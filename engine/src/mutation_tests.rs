//! Mutation tests of the two parsers that read what clients send: the
//! request-head parser and the chunked-body decoder.
//!
//! Valid requests are mutated many thousand times over (bytes replaced,
//! inserted and deleted, lines repeated, framing headers spliced in) by a
//! fixed pseudo-random sequence, so every run covers the same cases and a
//! failure names the input that caused it. The unit tests next to each
//! parser check one input each; these check properties every input must
//! keep:
//!
//! * the parsers never panic, and refuse with one of the documented
//!   statuses;
//! * a head that parses is self-consistent: its spans lie inside it, it
//!   parses the same without the bytes after it, its framing agrees with
//!   its `Content-Length` and `Transfer-Encoding` fields, and an HTTP/1.1
//!   head has exactly one `Host`;
//! * every proper prefix of a valid head is "incomplete", never an error
//!   and never a request;
//! * the chunked decoder gives the same result (body, bytes left over, or
//!   error) however its input is split across reads, decodes what a
//!   reference encoder produced, and never passes its body limit.

use bytes::BytesMut;

use crate::chunked::ChunkedDecoder;
use crate::config::Limits;
use crate::parse::{check_partial, parse_head, Framing, ParseError};
use crate::request::{Span, Version};

/// xorshift64*: a fixed sequence, so every run tests the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Requests the mutations start from: every framing, both versions, the
/// target forms, a browser-sized head.
const SEEDS: &[&[u8]] = &[
    b"GET /plaintext HTTP/1.1\r\nHost: localhost:8000\r\n\r\n",
    b"POST /movies HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\
      Content-Length: 13\r\nAuthorization: Bearer token\r\n\r\n{\"title\":\"x\"}",
    b"POST /uploads HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\
      Expect: 100-continue\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET /widgets?limit=5&offset=2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
    b"GET http://example.com:80/a/b HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    b"GET /collections/a%2Fb/items/x HTTP/1.1\r\nHost: example.com\r\n\
      User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n\
      Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n\
      Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n\
      Cookie: session_id=abc; theme=dark\r\nCookie: other=1\r\n\
      X-Trace-Id: t-1\r\nDNT: 1\r\nUpgrade-Insecure-Requests: 1\r\n\
      Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n\
      If-None-Match: \"abc\"\r\nCache-Control: max-age=0\r\n\r\n",
];

/// Bytes that sit on the parsers' decision points.
const INTERESTING: &[u8] = b"\r\n\0\t :;,=\"/?%*-0123456789aAfFxX\x7f\x80\xc3\xff";

/// Whole pieces of headers whose meaning the framing rules decide on.
const SPLICES: &[&[u8]] = &[
    b"Content-Length: 5\r\n",
    b"Content-Length: 0\r\n",
    b"Content-Length: -1\r\n",
    b"Content-Length: 5, 5\r\n",
    b"Content-Length: 99999999999999999999\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Transfer-Encoding: chunked, gzip\r\n",
    b"Transfer-Encoding: \r\n",
    b"Host: b\r\n",
    b"Host: \r\n",
    b"Connection: close\r\n",
    b"Connection: keep-alive, close\r\n",
    b"Expect: 100-continue\r\n",
    b"Expect: nothing\r\n",
    b" folded\r\n",
    b"\r\n",
    b"\n",
    b"HTTP/1.1",
    b"HTTP/2.0",
];

/// Statuses a refused head may carry.
const HEAD_STATUSES: &[u16] = &[400, 414, 417, 431, 501, 505];

/// Applies one to four random edits to `input`.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if at < out.len() => out[at] = *rng.pick(INTERESTING),
            1 if at < out.len() => out[at] = rng.next() as u8,
            2 => out.insert(at, *rng.pick(INTERESTING)),
            3 => {
                let end = (at + 1 + rng.below(8)).min(out.len());
                out.drain(at..end);
            }
            4 => {
                // Repeat the line that `at` falls in.
                let start = out[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let end = out[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(out.len(), |i| at + i + 1);
                let line = out[start..end].to_vec();
                out.splice(end..end, line);
            }
            5 => {
                // Splice a framing piece in at a line start.
                let start = out[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                out.splice(start..start, rng.pick(SPLICES).iter().copied());
            }
            _ => out.truncate(at),
        }
    }
    out
}

fn bytes_of(buf: &[u8], span: Span) -> &[u8] {
    &buf[span.start as usize..span.end as usize]
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Parses `buf` and checks every property a head must keep, whatever
/// `buf` holds.
fn check_head(buf: &[u8], limits: &Limits) {
    let show = || String::from_utf8_lossy(buf).into_owned();
    let parsed = match parse_head(buf, limits) {
        Err(ParseError { status, reason }) => {
            assert!(
                HEAD_STATUSES.contains(&status),
                "status {status} ({reason}) for {:?}",
                show()
            );
            assert!(!reason.is_empty());
            return;
        }
        Ok(None) => {
            // Empty lines before the request line are skipped (RFC 9112
            // section 2.2), so a blank line only ends a head after them.
            let start = buf
                .iter()
                .position(|&b| b != b'\r' && b != b'\n')
                .unwrap_or(buf.len());
            assert!(
                !buf[start..].windows(4).any(|w| w == b"\r\n\r\n"),
                "a complete head was taken for a partial one: {:?}",
                show()
            );
            assert_eq!(check_partial(buf, limits), Ok(()), "{:?}", show());
            return;
        }
        Ok(Some(head)) => head,
    };
    let head = &buf[..parsed.head_len];
    assert!(
        head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n"),
        "{:?}",
        show()
    );

    // The same head without what follows it parses the same.
    let again = parse_head(head, limits)
        .unwrap_or_else(|e| panic!("{e} once the bytes after the head are gone: {:?}", show()))
        .unwrap_or_else(|| panic!("incomplete once the bytes after the head are gone: {:?}", show()));
    assert_eq!(again.head_len, parsed.head_len);
    assert_eq!(again.method, parsed.method);
    assert_eq!(again.framing, parsed.framing);
    assert_eq!(again.keep_alive, parsed.keep_alive);
    assert_eq!(again.version, parsed.version);
    assert_eq!(again.headers.len(), parsed.headers.len());

    // Spans lie inside the head, in order, and hold what they should.
    let method = bytes_of(head, parsed.method_span);
    assert!(
        !method.is_empty() && method.iter().all(|&b| b.is_ascii_graphic()),
        "{:?}",
        show()
    );
    let target = bytes_of(head, parsed.target);
    assert!(!target.is_empty(), "{:?}", show());
    assert!(
        target.iter().all(|&b| b > b' ' && b != 0x7f),
        "target {target:?} in {:?}",
        show()
    );
    assert!(parsed.target.start >= parsed.method_span.end);
    let (path_start, path_end) = (parsed.path_start as usize, parsed.path_end as usize);
    assert!(parsed.target.start as usize <= path_start && path_start <= path_end);
    assert!(path_end <= parsed.target.end as usize);
    assert!(parsed.headers.len() <= limits.max_headers);

    let mut hosts = 0;
    let mut lengths = Vec::new();
    let mut codings = Vec::new();
    let mut previous_end = parsed.target.end;
    for h in &parsed.headers {
        assert!(
            h.name.start >= previous_end && h.value.start >= h.name.end,
            "{:?}",
            show()
        );
        previous_end = h.value.end;
        let (name, value) = (bytes_of(head, h.name), bytes_of(head, h.value));
        assert!(
            !name.is_empty() && name.iter().all(|&b| b.is_ascii_graphic() && b != b':'),
            "{:?}",
            show()
        );
        assert!(
            !value.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)),
            "value {value:?} in {:?}",
            show()
        );
        if name.eq_ignore_ascii_case(b"host") {
            hosts += 1;
        } else if name.eq_ignore_ascii_case(b"content-length") {
            lengths.push(value);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            codings.push(value);
        }
    }
    assert!(hosts <= 1, "{hosts} Host fields accepted: {:?}", show());
    if parsed.version == Version::Http11 {
        assert_eq!(hosts, 1, "HTTP/1.1 without Host accepted: {:?}", show());
    }

    // The framing is the one the fields call for, and never ambiguous.
    match parsed.framing {
        Framing::Chunked => {
            assert!(lengths.is_empty() && !codings.is_empty(), "{:?}", show());
            assert_eq!(parsed.version, Version::Http11);
            let mut all = codings.iter().flat_map(|v| v.split(|&b| b == b',')).map(trim);
            let last = all.rfind(|c| !c.is_empty()).unwrap_or_default();
            assert!(last.eq_ignore_ascii_case(b"chunked"), "{:?}", show());
        }
        Framing::Length(n) => {
            assert!(codings.is_empty() && lengths.len() == 1, "{:?}", show());
            let declared = std::str::from_utf8(lengths[0])
                .ok()
                .and_then(|v| v.parse::<u64>().ok());
            assert_eq!(declared, Some(n), "{:?}", show());
        }
        Framing::Empty => {
            assert!(codings.is_empty() && lengths.len() <= 1, "{:?}", show());
            if let [value] = lengths[..] {
                assert!(value.iter().all(|&b| b == b'0'), "{:?}", show());
            }
        }
    }
}

#[test]
fn mutated_heads_parse_consistently_or_are_refused() {
    let limits = Limits::default();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut outcomes = [0usize; 3];
    for seed in SEEDS {
        check_head(seed, &limits);
        for _ in 0..12_000 {
            let input = mutate(&mut rng, seed);
            check_head(&input, &limits);
            outcomes[match parse_head(&input, &limits) {
                Ok(Some(_)) => 0,
                Ok(None) => 1,
                Err(_) => 2,
            }] += 1;
        }
    }
    // The mutations must reach all three outcomes often, or the test
    // checks less than it claims to.
    assert!(
        outcomes.iter().all(|&n| n > 2_000),
        "parsed, partial, refused: {outcomes:?}"
    );
}

#[test]
fn mutated_heads_within_tight_limits() {
    // Small limits put the 414 and 431 checks on the mutated paths too.
    let limits = Limits {
        max_request_line: 40,
        max_head_size: 200,
        max_headers: 4,
        ..Limits::default()
    };
    let mut rng = Rng(0xfeed_f00d_dead_beef);
    let mut statuses = std::collections::BTreeSet::new();
    for seed in SEEDS {
        for _ in 0..4_000 {
            let input = mutate(&mut rng, seed);
            check_head(&input, &limits);
            if let Err(e) = parse_head(&input, &limits) {
                statuses.insert(e.status);
            }
        }
    }
    for status in [400, 414, 431] {
        assert!(statuses.contains(&status), "no {status} among {statuses:?}");
    }
}

#[test]
fn every_proper_prefix_of_a_valid_head_is_incomplete() {
    let limits = Limits::default();
    for seed in SEEDS {
        let head_len = match parse_head(seed, &limits) {
            Ok(Some(head)) => head.head_len,
            other => panic!("seed does not parse: {other:?}"),
        };
        for end in 0..head_len {
            let prefix = &seed[..end];
            assert!(
                matches!(parse_head(prefix, &limits), Ok(None)),
                "prefix {:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
}

/// What decoding a chunked body came to.
#[derive(Debug, PartialEq)]
enum Decoded {
    /// The body, and the bytes after it.
    Done(Vec<u8>, Vec<u8>),
    /// More input needed (the body so far).
    Incomplete(Vec<u8>),
    Refused(u16),
}

/// Decodes `input` fed in pieces that end at `cuts`.
fn decode_split(input: &[u8], cuts: &[usize], limit: usize) -> Decoded {
    let mut dec = ChunkedDecoder::new(limit, 256);
    let mut src = BytesMut::new();
    let mut dst = BytesMut::new();
    let mut fed = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        src.extend_from_slice(&input[fed..cut]);
        fed = cut;
        match dec.decode(&mut src, &mut dst) {
            Err(e) => {
                assert!(
                    dst.len() <= limit,
                    "{} bytes decoded past a limit of {limit}",
                    dst.len()
                );
                return Decoded::Refused(e.status);
            }
            Ok(true) => {
                src.extend_from_slice(&input[fed..]);
                return Decoded::Done(dst.to_vec(), src.to_vec());
            }
            Ok(false) => assert!(src.is_empty(), "input left unread while incomplete"),
        }
    }
    assert!(dst.len() <= limit);
    Decoded::Incomplete(dst.to_vec())
}

/// A chunked encoding of `body` in random chunk sizes, with random
/// extensions, hex case, leading zeros and trailers.
fn encode_chunked(rng: &mut Rng, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let n = (1 + rng.below(40)).min(rest.len());
        let size = format!("{n:x}");
        let size = match rng.below(3) {
            0 => size.to_uppercase(),
            1 => format!("00{size}"),
            _ => size,
        };
        out.extend_from_slice(size.as_bytes());
        if rng.below(3) == 0 {
            const EXTENSIONS: &[&[u8]] = &[b";a=b", b";name=\"v;x\"", b" ;x", b"\t;y=1"];
            let extension = *rng.pick(EXTENSIONS);
            out.extend_from_slice(extension);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&rest[..n]);
        out.extend_from_slice(b"\r\n");
        rest = &rest[n..];
    }
    out.extend_from_slice(b"0\r\n");
    for _ in 0..rng.below(3) {
        out.extend_from_slice(b"X-Checksum: abc\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Random cut points in `0..=len`, in order.
fn cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
    let mut c: Vec<usize> = (0..rng.below(6)).map(|_| rng.below(len + 1)).collect();
    c.sort_unstable();
    c
}

#[test]
fn chunked_bodies_decode_the_same_however_they_are_split() {
    let mut rng = Rng(0x5eed_5eed_1234_5678);
    let mut outcomes = [0usize; 3];
    for round in 0..20_000 {
        let body: Vec<u8> = (0..rng.below(120)).map(|_| rng.next() as u8).collect();
        let encoded = encode_chunked(&mut rng, &body);
        let next_request = b"GET / HTTP/1.1\r\n";
        let mut input = [&encoded[..], &next_request[..]].concat();
        let valid = round % 3 == 0;
        if !valid {
            input = mutate(&mut rng, &input);
        }
        let limit = if round % 5 == 0 { rng.below(130) } else { 1 << 20 };
        let whole = decode_split(&input, &[], limit);
        if valid {
            let expected = if body.len() > limit {
                Decoded::Refused(413)
            } else {
                Decoded::Done(body.clone(), next_request.to_vec())
            };
            assert_eq!(whole, expected, "{:?}", String::from_utf8_lossy(&input));
        }
        if let Decoded::Refused(status) = whole {
            assert!([400, 413, 431].contains(&status));
        }
        outcomes[match whole {
            Decoded::Done(..) => 0,
            Decoded::Incomplete(_) => 1,
            Decoded::Refused(_) => 2,
        }] += 1;
        for _ in 0..3 {
            let cut = cuts(&mut rng, input.len());
            assert_eq!(
                decode_split(&input, &cut, limit),
                whole,
                "cut at {cut:?}: {:?}",
                String::from_utf8_lossy(&input)
            );
        }
        let bytewise: Vec<usize> = (1..input.len()).collect();
        assert_eq!(decode_split(&input, &bytewise, limit), whole);
    }
    assert!(
        outcomes.iter().all(|&n| n > 1_000),
        "done, incomplete, refused: {outcomes:?}"
    );
}
