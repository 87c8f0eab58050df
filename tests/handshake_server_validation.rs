//! Server-side validation (RFC 6455 §4.2.1): each violation is a typed error carrying the
//! response to send; the pitfalls of DESIGN.md each have a case here.
use sockwire::handshake::http::{HeadConfig, Header, HttpError, Status};
use sockwire::handshake::{
    AcceptOptions, HandshakeError, Rejection, ServerHandshake, UpgradeRequest, parse_request,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// A valid request with `extra` header lines (each ending in CRLF) and the given standard
/// lines replaced: pass `None` to drop one.
fn request(lines: &[&str]) -> Vec<u8> {
    let mut v = b"GET /chat?room=1 HTTP/1.1\r\n".to_vec();
    for l in lines {
        v.extend_from_slice(l.as_bytes());
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"\r\n");
    v
}

fn std_lines() -> Vec<String> {
    vec![
        "Host: example.com".into(),
        "Upgrade: websocket".into(),
        "Connection: Upgrade".into(),
        format!("Sec-WebSocket-Key: {KEY}"),
        "Sec-WebSocket-Version: 13".into(),
    ]
}

fn with(replace: &[(&str, Option<&str>)], extra: &[&str]) -> Vec<u8> {
    let mut lines = std_lines();
    for (prefix, new) in replace {
        let i = lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .expect("known line");
        match new {
            Some(n) => lines[i] = n.to_string(),
            None => {
                lines.remove(i);
            }
        }
    }
    let mut all: Vec<&str> = lines.iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    request(&all)
}

fn check(input: &[u8]) -> Result<(), HandshakeError> {
    let mut slots = [Header::EMPTY; 64];
    match parse_request(input, &mut slots, &HeadConfig::default())? {
        Status::Complete(_) => Ok(()),
        Status::Partial => panic!("partial"),
    }
}

fn rejects(input: &[u8], e: HandshakeError, status: u16) {
    assert_eq!(check(input), Err(e), "{}", input.escape_ascii());
    assert_eq!(e.status(), Some(status));
    let resp = e.response().unwrap();
    let prefix = format!("HTTP/1.1 {status} ");
    assert!(resp.starts_with(prefix.as_bytes()));
    assert!(resp.windows(19).any(|w| w == b"Connection: close\r\n"));
}

#[test]
fn the_baseline_request_is_valid() {
    assert_eq!(check(&with(&[], &[])), Ok(()));
}

#[test]
fn method_and_version() {
    let mut r = with(&[], &[]);
    r.splice(0..3, *b"POST");
    rejects(&r, HandshakeError::Method, 400);
    let mut r = with(&[], &[]);
    r.splice(0..3, *b"get");
    rejects(&r, HandshakeError::Method, 400);
    let r = String::from_utf8(with(&[], &[]))
        .unwrap()
        .replace("HTTP/1.1", "HTTP/1.0");
    rejects(r.as_bytes(), HandshakeError::HttpVersion, 400);
    let r = String::from_utf8(with(&[], &[]))
        .unwrap()
        .replace("HTTP/1.1", "HTTP/1.9");
    assert_eq!(check(r.as_bytes()), Ok(()));
}

#[test]
fn host_exactly_once() {
    rejects(&with(&[("Host", None)], &[]), HandshakeError::Host, 400);
    rejects(
        &with(&[], &["Host: example.com"]),
        HandshakeError::Host,
        400,
    );
    rejects(
        &with(&[], &["host: other.example"]),
        HandshakeError::Host,
        400,
    );
    rejects(
        &with(&[("Host", Some("Host:"))], &[]),
        HandshakeError::Host,
        400,
    );
}

#[test]
fn upgrade_token_case_insensitive() {
    assert_eq!(
        check(&with(&[("Upgrade", Some("Upgrade: WebSocket"))], &[])),
        Ok(())
    );
    assert_eq!(
        check(&with(&[("Upgrade", Some("upgrade: WEBSOCKET"))], &[])),
        Ok(())
    );
    assert_eq!(
        check(&with(&[("Upgrade", Some("Upgrade: h2c, websocket"))], &[])),
        Ok(())
    );
    rejects(
        &with(&[("Upgrade", None)], &[]),
        HandshakeError::Upgrade,
        400,
    );
    rejects(
        &with(&[("Upgrade", Some("Upgrade: websockets"))], &[]),
        HandshakeError::Upgrade,
        400,
    );
    rejects(
        &with(&[("Upgrade", Some("Upgrade: h2c"))], &[]),
        HandshakeError::Upgrade,
        400,
    );
}

#[test]
fn connection_token_lists() {
    for line in [
        "Connection: keep-alive, Upgrade",
        "Connection: Upgrade, keep-alive",
        "connection: UPGRADE",
        "Connection: keep-alive,Upgrade",
        "Connection:  ,keep-alive ,  upgrade  ,",
    ] {
        assert_eq!(
            check(&with(&[("Connection", Some(line))], &[])),
            Ok(()),
            "{line}"
        );
    }
    // Split over two header lines.
    assert_eq!(
        check(&with(
            &[("Connection", Some("Connection: keep-alive"))],
            &["Connection: Upgrade"]
        )),
        Ok(())
    );
    rejects(
        &with(&[("Connection", None)], &[]),
        HandshakeError::Connection,
        400,
    );
    rejects(
        &with(&[("Connection", Some("Connection: keep-alive"))], &[]),
        HandshakeError::Connection,
        400,
    );
    rejects(
        &with(&[("Connection", Some("Connection: upgrades"))], &[]),
        HandshakeError::Connection,
        400,
    );
}

#[test]
fn version_8_and_other_versions_are_426_with_the_supported_version() {
    for line in [
        Some("Sec-WebSocket-Version: 8"),
        Some("Sec-WebSocket-Version: 13, 8"),
        Some("Sec-WebSocket-Version: 013"),
        Some("Sec-WebSocket-Version:"),
        None,
    ] {
        let r = with(&[("Sec-WebSocket-Version", line)], &[]);
        rejects(&r, HandshakeError::Version, 426);
    }
    rejects(
        &with(&[], &["Sec-WebSocket-Version: 13"]),
        HandshakeError::Version,
        426,
    );
    let resp = HandshakeError::Version.response().unwrap();
    assert!(resp.starts_with(b"HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(
        resp.windows(27)
            .any(|w| w == b"\r\nSec-WebSocket-Version: 13")
    );
}

#[test]
fn key_exactly_once_and_base64_of_16_bytes() {
    rejects(
        &with(&[("Sec-WebSocket-Key", None)], &[]),
        HandshakeError::MissingKey,
        400,
    );
    rejects(
        &with(&[], &["Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw=="]),
        HandshakeError::MissingKey,
        400,
    );
    rejects(
        &with(&[], &[&format!("Sec-WebSocket-Key: {KEY}")]),
        HandshakeError::MissingKey,
        400,
    );
    for bad in [
        "",
        "dGhlIHNhbXBsZSBub25jZQ=",              // 23 chars
        "dGhlIHNhbXBsZSBub25jZQ===",            // 25 chars
        "dGhlIHNhbXBsZSBub25jZQ",               // unpadded
        "dGhlIHNhbXBsZSBub25j",                 // 15 bytes
        "dGhlIHNhbXBsZSBub25jZWVl",             // 18 bytes, no padding
        "dGhlIHNhbXBsZSBub25jZR==",             // stray bits in the last character
        "dGhlIHNhbXBsZSBub25jZQ!=",             // bad padding
        "dGhlIHNhbXBsZSBub25j*Q==",             // not base64
        "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXA=", // 26 bytes
        "dGhl IHNhbXBsZSBub25jZQ==",
    ] {
        let line = format!("Sec-WebSocket-Key: {bad}");
        rejects(
            &with(&[("Sec-WebSocket-Key", Some(&line))], &[]),
            HandshakeError::InvalidKey,
            400,
        );
    }
    // Every key made from 16 bytes is accepted (cross-checked with the base64 crate).
    use base64::Engine;
    for seed in 0u8..=255 {
        let nonce: [u8; 16] =
            core::array::from_fn(|i| seed.wrapping_mul(31).wrapping_add(i as u8 * 7));
        let mut buf = [0u8; 24];
        base64::engine::general_purpose::STANDARD
            .encode_slice(nonce, &mut buf)
            .unwrap();
        let key = core::str::from_utf8(&buf).unwrap();
        let line = format!("Sec-WebSocket-Key: {key}");
        assert_eq!(
            check(&with(&[("Sec-WebSocket-Key", Some(&line))], &[])),
            Ok(())
        );
        assert_eq!(
            sockwire::handshake::key_for_nonce(&nonce).as_slice(),
            &buf[..]
        );
    }
}

#[test]
fn origin_at_most_once() {
    assert_eq!(check(&with(&[], &["Origin: http://example.com"])), Ok(()));
    rejects(
        &with(
            &[],
            &["Origin: http://a.example", "Origin: http://b.example"],
        ),
        HandshakeError::Origin,
        400,
    );
    rejects(
        &with(&[], &["Origin: http://\u{e9}.example"]),
        HandshakeError::Origin,
        400,
    );
}

#[test]
fn subprotocol_and_extension_grammar() {
    assert_eq!(
        check(&with(&[], &["Sec-WebSocket-Protocol: chat, superchat"])),
        Ok(())
    );
    rejects(
        &with(&[], &["Sec-WebSocket-Protocol: chat, super chat"]),
        HandshakeError::Subprotocols,
        400,
    );
    rejects(
        &with(&[], &["Sec-WebSocket-Protocol: \"chat\""]),
        HandshakeError::Subprotocols,
        400,
    );
    assert_eq!(
        check(&with(
            &[],
            &[
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo; a=\"1\""
            ]
        )),
        Ok(())
    );
    rejects(
        &with(&[], &["Sec-WebSocket-Extensions: permessage-deflate;"]),
        HandshakeError::Extensions,
        400,
    );
    rejects(
        &with(&[], &["Sec-WebSocket-Extensions: a; b=\"c d\""]),
        HandshakeError::Extensions,
        400,
    );
}

#[test]
fn malformed_http_is_400() {
    let r = with(&[], &["Bad Header: x"]);
    let e = check(&r).unwrap_err();
    assert_eq!(e, HandshakeError::Http(HttpError::HeaderName));
    assert_eq!(e.status(), Some(400));
}

#[test]
fn exposes_request_details_borrowed() {
    let input = with(
        &[],
        &[
            "Origin: http://example.com",
            "Sec-WebSocket-Protocol: chat",
            "Sec-WebSocket-Protocol: superchat, v2.chat",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=10",
            "Sec-WebSocket-Extensions: x-webkit-deflate-frame",
            "Cookie: a=b",
        ],
    );
    let mut slots = [Header::EMPTY; 32];
    let req = parse_request(&input, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(req.path(), "/chat");
    assert_eq!(req.query(), Some("room=1"));
    assert_eq!(req.target(), "/chat?room=1");
    assert_eq!(req.host(), "example.com");
    assert_eq!(req.origin(), Some("http://example.com"));
    assert_eq!(req.key(), KEY);
    assert!(req.subprotocols().eq(["chat", "superchat", "v2.chat"]));
    assert!(req.offers_subprotocol("superchat"));
    assert!(!req.offers_subprotocol("Chat"));
    let exts: Vec<_> = req.extensions().map(|e| e.unwrap()).collect();
    assert_eq!(exts.len(), 2);
    assert_eq!(exts[0].name(), "permessage-deflate");
    let params: Vec<_> = exts[0]
        .params()
        .map(|p| (p.name(), p.raw_value()))
        .collect();
    assert_eq!(
        params,
        [
            ("client_max_window_bits", None),
            ("server_max_window_bits", Some("10"))
        ]
    );
    assert_eq!(exts[1].name(), "x-webkit-deflate-frame");
    assert!(req.offers_extension("PerMessage-Deflate"));
    assert_eq!(req.request().header("cookie"), Some(&b"a=b"[..]));
    assert_eq!(req.head_len(), input.len());
}

#[test]
fn trailing_bytes_after_the_head_belong_to_the_frame_layer() {
    let head = with(&[], &[]);
    let mut input = head.clone();
    input.extend_from_slice(b"\x81\x85\x37\xfa\x21\x3dHELLO");
    let mut slots = [Header::EMPTY; 16];
    let req = parse_request(&input, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(req.head_len(), head.len());
    assert_eq!(&input[req.head_len()..], b"\x81\x85\x37\xfa\x21\x3dHELLO");
    // Also when the head arrived in pieces and the frame bytes came with the last one.
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut slots = [Header::EMPTY; 16];
    assert!(server.parse(&input[..10], &mut slots).unwrap().is_partial());
    let mut slots = [Header::EMPTY; 16];
    let req = server
        .parse(&input, &mut slots)
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(req.head_len(), head.len());
}

#[test]
fn every_prefix_is_partial_and_every_split_is_equal() {
    let input = with(&[], &["Sec-WebSocket-Protocol: chat"]);
    for n in 0..input.len() {
        let mut slots = [Header::EMPTY; 16];
        assert!(
            parse_request(&input[..n], &mut slots, &HeadConfig::default())
                .unwrap()
                .is_partial()
        );
    }
    for cut in 0..=input.len() {
        let mut server = ServerHandshake::new(HeadConfig::default());
        let mut slots = [Header::EMPTY; 16];
        let first = server.parse(&input[..cut], &mut slots).unwrap();
        let accept = match first {
            Status::Complete(r) => r.accept_key(),
            Status::Partial => {
                let mut slots = [Header::EMPTY; 16];
                let r = server
                    .parse(&input, &mut slots)
                    .unwrap()
                    .complete()
                    .unwrap();
                assert_eq!(r.head_len(), input.len());
                assert!(r.subprotocols().eq(["chat"]));
                r.accept_key()
            }
        };
        assert_eq!(&accept, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}

fn parsed(input: &[u8], f: impl FnOnce(UpgradeRequest<'_, '_>)) {
    let mut slots = [Header::EMPTY; 32];
    f(parse_request(input, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap())
}

#[test]
fn accept_response_options() {
    let input = with(
        &[],
        &[
            "Sec-WebSocket-Protocol: chat, superchat",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        ],
    );
    parsed(&input, |req| {
        // Subprotocol must be offered.
        assert_eq!(
            req.accept(&AcceptOptions::new().subprotocol(Some("other")))
                .unwrap_err(),
            HandshakeError::SubprotocolNotOffered
        );
        // Extensions must be offered and well-formed.
        assert_eq!(
            req.accept(&AcceptOptions::new().extensions(Some("x-other")))
                .unwrap_err(),
            HandshakeError::ExtensionNotOffered
        );
        assert_eq!(
            req.accept(&AcceptOptions::new().extensions(Some("permessage-deflate;")))
                .unwrap_err(),
            HandshakeError::ExtensionNotOffered
        );
        // Extra headers may not corrupt the head or override managed ones.
        for bad in [
            &[("X-A", "a\r\nInjected: 1")][..],
            &[("X A", "1")],
            &[("Sec-WebSocket-Accept", "x")],
        ] {
            assert!(matches!(
                req.accept(&AcceptOptions::new().headers(bad)),
                Err(HandshakeError::InvalidArgument(_))
            ));
        }
        let extra = [("Set-Cookie", "sid=1"), ("X-Server", "sockwire")];
        let a = req
            .accept(
                &AcceptOptions::new()
                    .subprotocol(Some("superchat"))
                    .extensions(Some("permessage-deflate; server_no_context_takeover"))
                    .headers(&extra),
            )
            .unwrap();
        let expected: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\
Set-Cookie: sid=1\r\n\
X-Server: sockwire\r\n\
\r\n";
        assert_eq!(a.encoded_len(), expected.len());
        // Too small: reports the size and leaves the buffer untouched.
        let mut small = [0xAAu8; 64];
        assert_eq!(
            a.encode(&mut small),
            Err(HandshakeError::InsufficientSize {
                required: expected.len()
            })
        );
        assert!(small.iter().all(|&b| b == 0xAA));
        let mut out = [0u8; 512];
        let n = a.encode(&mut out).unwrap();
        assert_eq!(&out[..n], expected);
        #[cfg(feature = "alloc")]
        {
            let mut v = b"prefix".to_vec();
            assert_eq!(a.encode_to_vec(&mut v), expected.len());
            assert_eq!(&v[6..], expected);
        }
    });
}

#[test]
fn rejection_builder() {
    let r = Rejection::forbidden()
        .headers(&[("Content-Type", "text/plain")])
        .body(b"origin not allowed");
    let expected: &[u8] = b"HTTP/1.1 403 Forbidden\r\n\
Content-Type: text/plain\r\n\
Content-Length: 18\r\n\
Connection: close\r\n\
\r\n\
origin not allowed";
    assert_eq!(r.encoded_len(), expected.len());
    let mut out = [0u8; 256];
    let n = r.encode(&mut out).unwrap();
    assert_eq!(&out[..n], expected);
    let mut small = [0u8; 10];
    assert_eq!(
        r.encode(&mut small),
        Err(HandshakeError::InsufficientSize {
            required: expected.len()
        })
    );
    let empty = Rejection::new(401, "Unauthorized").headers(&[("WWW-Authenticate", "Basic")]);
    let n = empty.encode(&mut out).unwrap();
    assert_eq!(
        &out[..n],
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert!(matches!(
        Rejection::new(403, "Forbidden\r\nX: y").encode(&mut out),
        Err(HandshakeError::InvalidArgument(_))
    ));
    assert!(matches!(
        Rejection::new(42, "x").encode(&mut out),
        Err(HandshakeError::InvalidArgument(_))
    ));
    #[cfg(feature = "alloc")]
    {
        let mut v = Vec::new();
        assert_eq!(r.encode_to_vec(&mut v), Ok(expected.len()));
        assert_eq!(v, expected);
    }
}
