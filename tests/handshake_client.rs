//! Client side (RFC 6455 §4.1): the request it builds, and verification of the response.
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{ClientHandshake, ClientOptions, HandshakeError, ServerResponse};

/// The RFC 6455 §1.3 nonce: "the sample nonce".
const NONCE: [u8; 16] = *b"the sample nonce";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn client<'a>(protocols: &'a [&'a str], ext: Option<&'a str>) -> ClientHandshake<'a> {
    ClientHandshake::new(
        ClientOptions::new("server.example.com", "/chat", NONCE)
            .subprotocols(protocols)
            .extensions(ext),
    )
    .unwrap()
}

fn response(lines: &[&str]) -> Vec<u8> {
    let mut v = Vec::new();
    for l in lines {
        v.extend_from_slice(l.as_bytes());
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"\r\n");
    v
}

fn ok_lines() -> Vec<String> {
    vec![
        "HTTP/1.1 101 Switching Protocols".into(),
        "Upgrade: websocket".into(),
        "Connection: Upgrade".into(),
        format!("Sec-WebSocket-Accept: {ACCEPT}"),
    ]
}

fn verify(
    c: &mut ClientHandshake<'_>,
    input: &[u8],
) -> Result<Option<&'static str>, HandshakeError> {
    let mut slots = [Header::EMPTY; 32];
    match c.parse_response(input, &mut slots)? {
        Status::Partial => panic!("partial"),
        Status::Complete(ServerResponse::Accepted(a)) => {
            Ok(a.subprotocol().map(|p| &*String::from(p).leak()))
        }
        Status::Complete(ServerResponse::NotUpgraded(r)) => {
            Err(HandshakeError::NotSwitching { status: r.status() })
        }
    }
}

#[test]
fn request_is_byte_exact() {
    let extra = [("Authorization", "Bearer t")];
    let c = ClientHandshake::new(
        ClientOptions::new("server.example.com", "/chat?x=1", NONCE)
            .subprotocols(&["chat", "superchat"])
            .extensions(Some("permessage-deflate; client_max_window_bits"))
            .origin(Some("http://example.com"))
            .headers(&extra),
    )
    .unwrap();
    assert_eq!(c.key(), "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(c.expected_accept(), ACCEPT);
    let expected: &[u8] = b"GET /chat?x=1 HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
Origin: http://example.com\r\n\
Authorization: Bearer t\r\n\
\r\n";
    assert_eq!(c.encoded_len(), expected.len());
    let mut small = [7u8; 100];
    assert_eq!(
        c.encode(&mut small),
        Err(HandshakeError::InsufficientSize {
            required: expected.len()
        })
    );
    assert!(small.iter().all(|&b| b == 7));
    let mut out = [0u8; 1024];
    let n = c.encode(&mut out).unwrap();
    assert_eq!(&out[..n], expected);
    #[cfg(feature = "alloc")]
    {
        let mut v = Vec::new();
        assert_eq!(c.encode_to_vec(&mut v), expected.len());
        assert_eq!(v, expected);
    }
}

#[test]
fn invalid_options_are_refused() {
    let bad = [
        ClientOptions::new("", "/", NONCE),
        ClientOptions::new("a b", "/", NONCE),
        ClientOptions::new("a\r\nX: y", "/", NONCE),
        ClientOptions::new("a", "chat", NONCE),
        ClientOptions::new("a", "/a b", NONCE),
        ClientOptions::new("a", "/", NONCE).subprotocols(&["a b"]),
        ClientOptions::new("a", "/", NONCE).subprotocols(&["chat", "chat"]),
        ClientOptions::new("a", "/", NONCE).extensions(Some("x;")),
        ClientOptions::new("a", "/", NONCE).headers(&[("Sec-WebSocket-Key", "x")]),
        ClientOptions::new("a", "/", NONCE).headers(&[("X", "a\nb")]),
    ];
    for o in bad {
        assert!(
            matches!(
                ClientHandshake::new(o),
                Err(HandshakeError::InvalidArgument(_))
            ),
            "{o:?}"
        );
    }
}

#[test]
fn a_correct_response_verifies() {
    let mut c = client(&[], None);
    let lines = ok_lines();
    let all: Vec<&str> = lines.iter().map(String::as_str).collect();
    assert_eq!(verify(&mut c, &response(&all)), Ok(None));
    // Case-insensitive tokens, lists.
    let mut c = client(&[], None);
    let input = response(&[
        "HTTP/1.1 101 Switching Protocols",
        "upgrade: WebSocket",
        "connection: keep-alive, upgrade",
        &format!("sec-websocket-accept: {ACCEPT}"),
    ]);
    assert_eq!(verify(&mut c, &input), Ok(None));
}

#[test]
fn wrong_accept_fails() {
    for accept in [
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo",
        "Sec-WebSocket-Accept: S3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Accept:",
    ] {
        let mut c = client(&[], None);
        let input = response(&[
            ok_lines()[0].as_str(),
            "Upgrade: websocket",
            "Connection: Upgrade",
            accept,
        ]);
        assert_eq!(
            verify(&mut c, &input),
            Err(HandshakeError::AcceptMismatch),
            "{accept}"
        );
        assert_eq!(HandshakeError::AcceptMismatch.response(), None);
    }
    let mut c = client(&[], None);
    let input = response(&[
        ok_lines()[0].as_str(),
        "Upgrade: websocket",
        "Connection: Upgrade",
    ]);
    assert_eq!(verify(&mut c, &input), Err(HandshakeError::MissingAccept));
    let mut c = client(&[], None);
    let lines = ok_lines();
    let mut all: Vec<&str> = lines.iter().map(String::as_str).collect();
    all.push(&lines[3]);
    assert_eq!(
        verify(&mut c, &response(&all)),
        Err(HandshakeError::MissingAccept)
    );
}

#[test]
fn upgrade_and_connection_are_required() {
    let lines = ok_lines();
    let mut c = client(&[], None);
    let input = response(&[&lines[0], "Connection: Upgrade", &lines[3]]);
    assert_eq!(verify(&mut c, &input), Err(HandshakeError::Upgrade));
    let mut c = client(&[], None);
    let input = response(&[&lines[0], "Upgrade: websocket", &lines[3]]);
    assert_eq!(verify(&mut c, &input), Err(HandshakeError::Connection));
}

#[test]
fn subprotocol_only_if_offered() {
    let lines = ok_lines();
    let base: Vec<&str> = lines.iter().map(String::as_str).collect();
    let with = |extra: &[&str]| {
        let mut v = base.clone();
        v.extend_from_slice(extra);
        response(&v)
    };
    let mut c = client(&["chat", "superchat"], None);
    assert_eq!(
        verify(&mut c, &with(&["Sec-WebSocket-Protocol: superchat"])),
        Ok(Some("superchat"))
    );
    let mut c = client(&["chat", "superchat"], None);
    assert_eq!(verify(&mut c, &with(&[])), Ok(None));
    for bad in [
        &["Sec-WebSocket-Protocol: other"][..],
        &["Sec-WebSocket-Protocol: Chat"],
        &["Sec-WebSocket-Protocol: chat, superchat"],
        &[
            "Sec-WebSocket-Protocol: chat",
            "Sec-WebSocket-Protocol: chat",
        ],
    ] {
        let mut c = client(&["chat", "superchat"], None);
        assert_eq!(
            verify(&mut c, &with(bad)),
            Err(HandshakeError::UnofferedSubprotocol),
            "{bad:?}"
        );
    }
    // Nothing offered: any subprotocol is a failure.
    let mut c = client(&[], None);
    assert_eq!(
        verify(&mut c, &with(&["Sec-WebSocket-Protocol: chat"])),
        Err(HandshakeError::UnofferedSubprotocol)
    );
}

#[test]
fn extensions_only_if_offered() {
    let lines = ok_lines();
    let base: Vec<&str> = lines.iter().map(String::as_str).collect();
    let with = |extra: &[&str]| {
        let mut v = base.clone();
        v.extend_from_slice(extra);
        response(&v)
    };
    let offer = Some("permessage-deflate; client_max_window_bits");
    let mut c = client(&[], offer);
    let input = with(&["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10"]);
    let mut slots = [Header::EMPTY; 16];
    match c.parse_response(&input, &mut slots).unwrap() {
        Status::Complete(ServerResponse::Accepted(a)) => {
            let e: Vec<_> = a.extensions().map(|e| e.unwrap().name()).collect();
            assert_eq!(e, ["permessage-deflate"]);
            assert_eq!(a.head_len(), input.len());
        }
        other => panic!("{other:?}"),
    }
    let mut c = client(&[], offer);
    assert_eq!(
        verify(
            &mut c,
            &with(&["Sec-WebSocket-Extensions: x-webkit-deflate-frame"])
        ),
        Err(HandshakeError::UnofferedExtension)
    );
    let mut c = client(&[], None);
    assert_eq!(
        verify(
            &mut c,
            &with(&["Sec-WebSocket-Extensions: permessage-deflate"])
        ),
        Err(HandshakeError::UnofferedExtension)
    );
    let mut c = client(&[], offer);
    assert_eq!(
        verify(
            &mut c,
            &with(&["Sec-WebSocket-Extensions: permessage-deflate; a=\"\""])
        ),
        Err(HandshakeError::Extensions)
    );
}

#[test]
fn redirects_and_errors_are_reported_with_their_headers() {
    let mut c = client(&[], None);
    let input = response(&[
        "HTTP/1.1 302 Found",
        "Location: wss://other.example/chat",
        "Content-Length: 0",
    ]);
    let mut slots = [Header::EMPTY; 16];
    match c.parse_response(&input, &mut slots).unwrap() {
        Status::Complete(ServerResponse::NotUpgraded(r)) => {
            assert_eq!(r.status(), 302);
            assert_eq!(r.header("location"), Some(&b"wss://other.example/chat"[..]));
            assert_eq!(r.head_len(), input.len());
        }
        other => panic!("{other:?}"),
    }
    let mut c = client(&[], None);
    let input = response(&[
        "HTTP/1.1 401 Unauthorized",
        "WWW-Authenticate: Basic realm=\"x\"",
    ]);
    let mut slots = [Header::EMPTY; 16];
    match c.parse_response(&input, &mut slots).unwrap() {
        Status::Complete(ServerResponse::NotUpgraded(r)) => {
            assert_eq!(r.status(), 401);
            assert!(r.header("www-authenticate").is_some());
        }
        other => panic!("{other:?}"),
    }
    // A 101 from an HTTP/1.0 server is not a valid switch.
    let mut c = client(&[], None);
    let lines = ok_lines();
    let input = response(&[
        "HTTP/1.0 101 Switching Protocols",
        &lines[1],
        &lines[2],
        &lines[3],
    ]);
    assert_eq!(
        verify(&mut c, &input),
        Err(HandshakeError::NotSwitching { status: 101 })
    );
}

#[test]
fn every_prefix_partial_every_split_same_and_trailing_frames_untouched() {
    let lines = ok_lines();
    let all: Vec<&str> = lines.iter().map(String::as_str).collect();
    let head = response(&all);
    let mut input = head.clone();
    input.extend_from_slice(b"\x81\x05Hello");
    for n in 0..head.len() {
        let mut c = client(&[], None);
        let mut slots = [Header::EMPTY; 16];
        assert!(
            c.parse_response(&input[..n], &mut slots)
                .unwrap()
                .is_partial()
        );
    }
    for cut in 0..=input.len() {
        let mut c = client(&[], None);
        let mut slots = [Header::EMPTY; 16];
        let first = c.parse_response(&input[..cut], &mut slots).unwrap();
        let len = match first {
            Status::Complete(ServerResponse::Accepted(a)) => a.head_len(),
            Status::Partial => {
                let mut slots = [Header::EMPTY; 16];
                match c.parse_response(&input, &mut slots).unwrap() {
                    Status::Complete(ServerResponse::Accepted(a)) => a.head_len(),
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(len, head.len());
        assert_eq!(&input[len..], b"\x81\x05Hello");
    }
}

#[test]
fn huge_response_is_capped() {
    let mut c = ClientHandshake::with_config(
        ClientOptions::new("a", "/", NONCE),
        HeadConfig::new().max_head_len(1024),
    )
    .unwrap();
    let mut input = b"HTTP/1.1 101 Switching Protocols\r\nX: ".to_vec();
    input.resize(4096, b'a');
    let mut slots = [Header::EMPTY; 16];
    assert!(matches!(
        c.parse_response(&input, &mut slots),
        Err(HandshakeError::Http(
            sockwire::handshake::http::HttpError::HeadTooLarge { limit: 1024 }
        ))
    ));
    assert!(c.bytes_examined() <= 2048);
}
