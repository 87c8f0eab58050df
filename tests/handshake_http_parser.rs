//! The bounded HTTP/1.1 head parser: every prefix is Partial, every split point gives the same
//! result, strict syntax, and incremental feeding agrees with one-shot parsing on any bytes.
use proptest::prelude::*;
use sockwire::handshake::http::{
    HeadConfig, HeadParser, Header, HttpError, ListIter, Status, parse_request, parse_response,
};

const REQ: &[u8] = b"GET /chat?room=a&x=1 HTTP/1.1\r\n\
Host: example.com:8080\r\n\
Upgrade: websocket\r\n\
Connection:   keep-alive,  Upgrade \t\r\n\
X-Empty:\r\n\
Content-Length: 0\r\n\
\r\n";

const RESP: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
\r\n";

/// A comparable summary of a request parse.
#[derive(Debug, PartialEq)]
enum Summary {
    Partial,
    Complete {
        first: String,
        headers: Vec<(String, Vec<u8>)>,
        head_len: usize,
    },
    Error(HttpError),
}

fn summarize_req(
    r: Result<Status<sockwire::handshake::http::Request<'_, '_>>, HttpError>,
) -> Summary {
    match r {
        Err(e) => Summary::Error(e),
        Ok(Status::Partial) => Summary::Partial,
        Ok(Status::Complete(req)) => Summary::Complete {
            first: format!("{} {} {}", req.method(), req.target(), req.version_minor()),
            headers: req
                .headers()
                .iter()
                .map(|h| (h.name().to_string(), h.value().to_vec()))
                .collect(),
            head_len: req.head_len(),
        },
    }
}

fn summarize_resp(
    r: Result<Status<sockwire::handshake::http::Response<'_, '_>>, HttpError>,
) -> Summary {
    match r {
        Err(e) => Summary::Error(e),
        Ok(Status::Partial) => Summary::Partial,
        Ok(Status::Complete(resp)) => Summary::Complete {
            first: format!(
                "{} {} {}",
                resp.version_minor(),
                resp.status(),
                String::from_utf8_lossy(resp.reason())
            ),
            headers: resp
                .headers()
                .iter()
                .map(|h| (h.name().to_string(), h.value().to_vec()))
                .collect(),
            head_len: resp.head_len(),
        },
    }
}

fn one_shot_req(buf: &[u8], cfg: HeadConfig) -> Summary {
    let mut slots = [Header::EMPTY; 64];
    summarize_req(parse_request(buf, &mut slots, &cfg))
}

/// Feeds `buf` in the given chunk lengths (the rest at the end), returning the final result and
/// the parser (for its work counter). Stops at the first non-Partial result.
fn chunked_req(buf: &[u8], cuts: &[usize], cfg: HeadConfig) -> (Summary, HeadParser) {
    let mut parser = HeadParser::new(cfg);
    let mut ends: Vec<usize> = cuts.iter().copied().filter(|&c| c < buf.len()).collect();
    ends.sort_unstable();
    ends.push(buf.len());
    let mut last = Summary::Partial;
    for end in ends {
        let mut slots = [Header::EMPTY; 64];
        last = summarize_req(parser.parse_request(&buf[..end], &mut slots));
        if last != Summary::Partial {
            break;
        }
    }
    (last, parser)
}

#[test]
fn request_fields() {
    let mut slots = [Header::EMPTY; 16];
    let req = parse_request(REQ, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(req.method(), "GET");
    assert_eq!(req.target(), "/chat?room=a&x=1");
    assert_eq!(req.path(), "/chat");
    assert_eq!(req.query(), Some("room=a&x=1"));
    assert_eq!(req.version_minor(), 1);
    assert_eq!(req.head_len(), REQ.len());
    assert_eq!(req.headers().len(), 5);
    assert_eq!(req.header("HOST"), Some(&b"example.com:8080"[..]));
    // Optional whitespace is trimmed on both sides.
    assert_eq!(req.header("connection"), Some(&b"keep-alive,  Upgrade"[..]));
    assert_eq!(req.header("x-empty"), Some(&b""[..]));
    assert!(req.has_token("Connection", "upgrade"));
    assert!(!req.has_token("Connection", "close"));
    assert_eq!(req.content_length(), Ok(Some(0)));
}

#[test]
fn every_prefix_of_a_request_is_partial() {
    for n in 0..REQ.len() {
        assert_eq!(
            one_shot_req(&REQ[..n], HeadConfig::default()),
            Summary::Partial,
            "prefix {n}"
        );
    }
}

#[test]
fn every_prefix_of_a_response_is_partial() {
    for n in 0..RESP.len() {
        let mut slots = [Header::EMPTY; 16];
        assert!(
            parse_response(&RESP[..n], &mut slots, &HeadConfig::default())
                .unwrap()
                .is_partial(),
            "prefix {n}"
        );
    }
}

#[test]
fn every_split_point_gives_the_same_request() {
    let whole = one_shot_req(REQ, HeadConfig::default());
    assert!(matches!(whole, Summary::Complete { .. }));
    for cut in 0..=REQ.len() {
        let (got, _) = chunked_req(REQ, &[cut], HeadConfig::default());
        assert_eq!(got, whole, "split at {cut}");
    }
}

#[test]
fn every_split_point_gives_the_same_response() {
    let mut slots = [Header::EMPTY; 16];
    let whole = summarize_resp(parse_response(RESP, &mut slots, &HeadConfig::default()));
    for cut in 0..=RESP.len() {
        let mut p = HeadParser::new(HeadConfig::default());
        let mut slots = [Header::EMPTY; 16];
        let first = summarize_resp(p.parse_response(&RESP[..cut], &mut slots));
        let got = if first == Summary::Partial {
            let mut slots = [Header::EMPTY; 16];
            summarize_resp(p.parse_response(RESP, &mut slots))
        } else {
            first
        };
        assert_eq!(got, whole, "split at {cut}");
    }
}

#[test]
fn byte_at_a_time_matches_and_is_linear() {
    let cuts: Vec<usize> = (1..REQ.len()).collect();
    let (got, parser) = chunked_req(REQ, &cuts, HeadConfig::default());
    assert_eq!(got, one_shot_req(REQ, HeadConfig::default()));
    assert!(parser.bytes_examined() <= 3 * REQ.len() as u64);
}

#[test]
fn bytes_after_the_head_are_not_consumed() {
    let mut buf = REQ.to_vec();
    buf.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    let mut slots = [Header::EMPTY; 16];
    let req = parse_request(&buf, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(req.head_len(), REQ.len());
    assert_eq!(&buf[req.head_len()..][..2], b"\x81\x85");
}

fn err(input: &[u8]) -> HttpError {
    match one_shot_req(input, HeadConfig::default()) {
        Summary::Error(e) => e,
        other => panic!(
            "expected an error for {:?}, got {other:?}",
            input.escape_ascii().to_string()
        ),
    }
}

#[test]
fn strict_syntax() {
    assert_eq!(
        err(b"GET / HTTP/1.1\nHost: a\r\n\r\n"),
        HttpError::LineEnding
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a\n\r\n"),
        HttpError::LineEnding
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a\r\n\n"),
        HttpError::LineEnding
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"),
        HttpError::LineEnding
    );
    assert_eq!(err(b"\r\nGET / HTTP/1.1\r\n\r\n"), HttpError::LineEnding);
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost : a\r\n\r\n"),
        HttpError::HeaderName
    );
    assert_eq!(err(b"GET / HTTP/1.1\r\n: a\r\n\r\n"), HttpError::HeaderName);
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n"),
        HttpError::HeaderName
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"),
        HttpError::ObsFold
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n"),
        HttpError::HeaderValue
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a\x7fb\r\n\r\n"),
        HttpError::HeaderValue
    );
    assert_eq!(err(b"G(T / HTTP/1.1\r\n\r\n"), HttpError::Method);
    assert_eq!(err(b" / HTTP/1.1\r\n\r\n"), HttpError::Method);
    assert_eq!(err(b"GET  / HTTP/1.1\r\n\r\n"), HttpError::Target);
    assert_eq!(err(b"GET /\x80 HTTP/1.1\r\n\r\n"), HttpError::Target);
    assert_eq!(err(b"GET / HTTP/2.0\r\n\r\n"), HttpError::Version);
    assert_eq!(err(b"GET / HTTP/1.x\r\n\r\n"), HttpError::Version);
    assert_eq!(err(b"GET / HTTP/1.1 \r\n\r\n"), HttpError::LineEnding);
    // Tabs and obs-text are allowed inside values.
    let mut slots = [Header::EMPTY; 4];
    let req = parse_request(
        b"GET / HTTP/1.1\r\nX: a\tb \xff\r\n\r\n",
        &mut slots,
        &HeadConfig::default(),
    )
    .unwrap()
    .complete()
    .unwrap();
    assert_eq!(req.header("x"), Some(&b"a\tb \xff"[..]));
}

#[test]
fn responses() {
    let mut slots = [Header::EMPTY; 4];
    let r = parse_response(b"HTTP/1.1 101\r\n\r\n", &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!((r.status(), r.reason()), (101, &b""[..]));
    let mut slots = [Header::EMPTY; 4];
    let r = parse_response(
        b"HTTP/1.0 302 Found\r\nLocation: /x\r\n\r\n",
        &mut slots,
        &HeadConfig::default(),
    )
    .unwrap()
    .complete()
    .unwrap();
    assert_eq!((r.version_minor(), r.status()), (0, 302));
    assert_eq!(r.header("location"), Some(&b"/x"[..]));
    for bad in [
        &b"HTTP/1.1 10 x\r\n\r\n"[..],
        b"HTTP/1.1 0999 x\r\n\r\n",
        b"HTTP/1.1 abc x\r\n\r\n",
        b"HTTP/1.1 099 x\r\n\r\n",
        b"HTTP/1.1  101 x\r\n\r\n",
    ] {
        let mut slots = [Header::EMPTY; 4];
        assert!(
            parse_response(bad, &mut slots, &HeadConfig::default()).is_err(),
            "{}",
            bad.escape_ascii()
        );
    }
}

#[test]
fn content_length() {
    let cl = |head: &[u8]| {
        let mut slots = [Header::EMPTY; 8];
        let req = parse_request(head, &mut slots, &HeadConfig::default())
            .unwrap()
            .complete()
            .unwrap();
        req.content_length()
    };
    assert_eq!(cl(b"POST / HTTP/1.1\r\n\r\n"), Ok(None));
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length: 42\r\n\r\n"),
        Ok(Some(42))
    );
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length: 42\r\ncontent-length: 42, 42\r\n\r\n"),
        Ok(Some(42))
    );
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length: 42\r\nContent-Length: 43\r\n\r\n"),
        Err(HttpError::ContentLength)
    );
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
        Err(HttpError::ContentLength)
    );
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n"),
        Err(HttpError::ContentLength)
    );
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n"),
        Ok(Some(u64::MAX))
    );
    assert_eq!(
        cl(b"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n"),
        Err(HttpError::ContentLength)
    );
}

#[test]
fn lists_span_repeated_headers_and_skip_empty_elements() {
    let mut slots = [Header::EMPTY; 8];
    let req = parse_request(
        b"GET / HTTP/1.1\r\nConnection: keep-alive\r\nX: 1\r\nconnection: ,, Upgrade ,\r\n\r\n",
        &mut slots,
        &HeadConfig::default(),
    )
    .unwrap()
    .complete()
    .unwrap();
    let items: Vec<&[u8]> = req.list("connection").collect();
    assert_eq!(items, [&b"keep-alive"[..], b"Upgrade"]);
    assert_eq!(ListIter::value(b" a ,b,, c").count(), 3);
}

#[test]
fn errors_are_sticky_and_reset_starts_over() {
    let mut p = HeadParser::new(HeadConfig::default());
    let mut slots = [Header::EMPTY; 4];
    let e = p
        .parse_request(b"GET / HTTP/1.1\n", &mut slots)
        .unwrap_err();
    let mut slots = [Header::EMPTY; 4];
    assert_eq!(p.parse_request(b"GET / HTTP/1.1\n\r\n", &mut slots), Err(e));
    p.reset();
    let mut slots = [Header::EMPTY; 4];
    assert!(
        p.parse_request(b"GET / HTTP/1.1\r\n\r\n", &mut slots)
            .unwrap()
            .is_complete()
    );
}

fn arb_head() -> impl Strategy<Value = Vec<u8>> {
    // Mostly well-formed heads with random corruption, so that all paths are exercised.
    let line = prop_oneof![
        Just(b"Host: a\r\n".to_vec()),
        Just(b"X-Y:  v v \r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b" folded\r\n".to_vec()),
        Just(b"Bad Name: x\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ];
    (
        prop_oneof![
            Just(b"GET / HTTP/1.1\r\n".to_vec()),
            Just(b"POST /x?y HTTP/1.0\r\n".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..20)
        ],
        proptest::collection::vec(line, 0..12),
        any::<bool>(),
    )
        .prop_map(|(first, lines, end)| {
            let mut v = first;
            for l in lines {
                v.extend(l);
            }
            if end {
                v.extend_from_slice(b"\r\n");
            }
            v
        })
}

proptest! {
    /// Incremental feeding in arbitrary chunks gives exactly the one-shot result, whatever the
    /// bytes, with small caps so they are hit too, and linear work.
    #[test]
    fn chunking_never_changes_the_result(
        head in arb_head(),
        cuts in proptest::collection::vec(0usize..200, 0..6),
        max_len in 8usize..120,
        max_headers in 0usize..6,
    ) {
        let cfg = HeadConfig::new().max_head_len(max_len).max_headers(max_headers);
        let whole = one_shot_req(&head, cfg);
        let (got, parser) = chunked_req(&head, &cuts, cfg);
        prop_assert_eq!(&got, &whole);
        let bytes: Vec<usize> = (1..head.len()).collect();
        let (got1, parser1) = chunked_req(&head, &bytes, cfg);
        prop_assert_eq!(&got1, &whole);
        prop_assert!(parser.bytes_examined() <= 3 * head.len().min(max_len) as u64 + 3);
        prop_assert!(parser1.bytes_examined() <= 3 * head.len().min(max_len) as u64 + 3);
    }
}
