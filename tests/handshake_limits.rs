//! Caps: huge heads fed one byte at a time (tungstenite CVE-2023-43669 class) and floods of tiny
//! headers (ws CVE-2024-37890) end in a 431 after bounded, linear work. Work is measured with the
//! parser's own counter, never with a clock.
use sockwire::handshake::http::{HeadConfig, HeadParser, Header, HttpError, Status};
use sockwire::handshake::{HandshakeError, ServerHandshake};

const SIXTEEN_MIB: usize = 16 << 20;

/// An endless request head: a request line then one header whose value never ends.
fn endless_head() -> impl Iterator<Item = u8> {
    b"GET / HTTP/1.1\r\nX-Long: "
        .iter()
        .copied()
        .chain(core::iter::repeat(b'a'))
        .take(SIXTEEN_MIB)
}

#[test]
fn sixteen_mib_head_one_byte_at_a_time_is_431_after_linear_work() {
    let cfg = HeadConfig::default();
    let mut server = ServerHandshake::new(cfg);
    let mut buf = Vec::new();
    let mut calls = 0u64;
    let mut error = None;
    let mut bytes = endless_head();
    for b in &mut bytes {
        buf.push(b);
        calls += 1;
        let mut slots = [Header::EMPTY; 64];
        match server.parse(&buf, &mut slots) {
            Ok(Status::Partial) => {}
            Ok(Status::Complete(_)) => panic!("an endless head cannot complete"),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    let e = error.expect("the cap must trigger");
    assert_eq!(
        e,
        HandshakeError::Http(HttpError::HeadTooLarge {
            limit: cfg.max_head_len
        })
    );
    assert_eq!(e.status(), Some(431));
    assert!(e.response().unwrap().starts_with(b"HTTP/1.1 431 "));
    // Stopped at the cap: the caller never needed more than max_head_len bytes of buffer...
    assert_eq!(buf.len(), cfg.max_head_len);
    assert_eq!(calls, cfg.max_head_len as u64);
    // ...and the parser looked at each byte a bounded number of times (linear, not quadratic:
    // a re-scanning parser would have examined ~n²/2 = 33 million bytes here).
    let work = server.bytes_examined();
    assert!(work <= 2 * cfg.max_head_len as u64, "work {work}");
    // Feeding the rest of the 16 MiB afterwards costs nothing more: the error is sticky.
    for b in bytes.take(1 << 20) {
        buf.push(b);
    }
    let mut slots = [Header::EMPTY; 64];
    assert_eq!(server.parse(&buf, &mut slots).unwrap_err(), e);
    assert_eq!(server.bytes_examined(), work);
}

#[test]
fn sixteen_mib_head_in_one_read_is_431_after_bounded_work() {
    let buf: Vec<u8> = endless_head().collect();
    assert_eq!(buf.len(), SIXTEEN_MIB);
    let mut p = HeadParser::new(HeadConfig::default());
    let mut slots = [Header::EMPTY; 64];
    assert_eq!(
        p.parse_request(&buf, &mut slots).unwrap_err(),
        HttpError::HeadTooLarge { limit: 8192 }
    );
    assert!(p.bytes_examined() <= 2 * 8192);
}

#[test]
fn many_lines_one_byte_at_a_time_is_linear() {
    // Short complete header lines, each fed byte by byte.
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    while head.len() < 60_000 {
        head.extend_from_slice(b"X-A: b\r\n");
    }
    let cfg = HeadConfig::new().max_head_len(1 << 20).max_headers(100_000);
    let mut p = HeadParser::new(cfg);
    let mut slots = vec![Header::EMPTY; 100_000];
    let mut last = Ok(Status::Partial);
    for n in 1..=head.len() {
        last = p
            .parse_request(&head[..n], &mut slots)
            .map(|s| s.map(|_| ()));
        assert_eq!(last, Ok(Status::Partial));
    }
    assert_eq!(last, Ok(Status::Partial));
    assert!(p.bytes_examined() <= 2 * head.len() as u64);
}

#[test]
fn thousands_of_tiny_headers_are_431() {
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    for _ in 0..5000 {
        head.extend_from_slice(b"a:\r\n");
    }
    head.extend_from_slice(b"\r\n");
    // One read.
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut slots = [Header::EMPTY; 64];
    let e = server.parse(&head, &mut slots).unwrap_err();
    assert_eq!(
        e,
        HandshakeError::Http(HttpError::TooManyHeaders { limit: 64 })
    );
    assert_eq!(e.status(), Some(431));
    assert!(server.bytes_examined() <= 2 * (16 + 66 * 4));
    // One byte at a time: the same error, after the same bounded work.
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut got = None;
    for n in 1..=head.len() {
        let mut slots = [Header::EMPTY; 64];
        if let Err(e) = server.parse(&head[..n], &mut slots) {
            got = Some((n, e));
            break;
        }
    }
    let (n, e2) = got.unwrap();
    assert_eq!(e2, e);
    assert!(n <= 16 + 65 * 4, "stopped at {n}");
    assert!(server.bytes_examined() <= 2 * n as u64);
}

#[test]
fn caps_are_configurable_and_slots_cap_too() {
    let head = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    let parse = |cfg: HeadConfig, nslots: usize| {
        let mut slots = vec![Header::EMPTY; nslots];
        HeadParser::new(cfg)
            .parse_request(head, &mut slots)
            .map(|s| s.map(|r| r.headers().len()))
    };
    assert_eq!(parse(HeadConfig::default(), 3), Ok(Status::Complete(3)));
    assert_eq!(
        parse(HeadConfig::default(), 2),
        Err(HttpError::TooManyHeaders { limit: 2 })
    );
    assert_eq!(
        parse(HeadConfig::new().max_headers(2), 10),
        Err(HttpError::TooManyHeaders { limit: 2 })
    );
    assert_eq!(
        parse(HeadConfig::new().max_head_len(head.len()), 10),
        Ok(Status::Complete(3))
    );
    assert_eq!(
        parse(HeadConfig::new().max_head_len(head.len() - 1), 10),
        Err(HttpError::HeadTooLarge {
            limit: head.len() - 1
        })
    );
}

/// A valid Upgrade request behind a proxy chain can carry far more than 64 headers in a few KiB.
/// The default caps accept what the most trusted peers accept (Python `websockets` 128,
/// tungstenite 124, hyper 100) and still answer 431 one header past the cap.
#[test]
fn default_caps_accept_an_upgrade_with_128_headers() {
    use sockwire::handshake::AcceptOptions;
    use sockwire::http::DEFAULT_MAX_HEADERS;
    let request = |extra: usize| {
        let mut head = b"GET /chat HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n"
            .to_vec();
        for i in 0..extra {
            head.extend_from_slice(format!("X-Forwarded-Hop-{i}: 10.0.0.{i}\r\n").as_bytes());
        }
        head.extend_from_slice(b"\r\n");
        head
    };
    assert_eq!(DEFAULT_MAX_HEADERS, 128);
    let ok = request(DEFAULT_MAX_HEADERS - 5); // five fixed headers: exactly at the cap
    assert!(ok.len() > 3 * 1024 && ok.len() < 8 * 1024, "{}", ok.len());
    let mut slots = [Header::EMPTY; DEFAULT_MAX_HEADERS];
    let mut server = ServerHandshake::new(HeadConfig::default());
    match server.parse(&ok, &mut slots) {
        Ok(Status::Complete(req)) => {
            assert_eq!(req.head_len(), ok.len());
            assert!(req.accept(&AcceptOptions::new()).is_ok());
        }
        other => panic!("{other:?}"),
    }
    let over = request(DEFAULT_MAX_HEADERS - 4);
    let mut slots = [Header::EMPTY; DEFAULT_MAX_HEADERS + 8];
    let e = ServerHandshake::new(HeadConfig::default())
        .parse(&over, &mut slots)
        .unwrap_err();
    assert_eq!(
        e,
        HandshakeError::Http(HttpError::TooManyHeaders {
            limit: DEFAULT_MAX_HEADERS
        })
    );
    assert_eq!(e.status(), Some(431));
}
