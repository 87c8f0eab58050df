//! Error values: display text, statuses, ready responses, and the `crate::Error` wrapper.
use sockwire::handshake::http::{HeadConfig, Header, HttpError, Status, parse_request};
use sockwire::handshake::{HandshakeError, UpgradeRequest};

#[test]
fn every_peer_error_has_a_status_and_a_complete_response() {
    let peer = [
        HandshakeError::Http(HttpError::HeadTooLarge { limit: 8192 }),
        HandshakeError::Http(HttpError::TooManyHeaders { limit: 64 }),
        HandshakeError::Http(HttpError::LineEnding),
        HandshakeError::Http(HttpError::Method),
        HandshakeError::Http(HttpError::Target),
        HandshakeError::Http(HttpError::Version),
        HandshakeError::Http(HttpError::HeaderName),
        HandshakeError::Http(HttpError::HeaderValue),
        HandshakeError::Http(HttpError::ObsFold),
        HandshakeError::Method,
        HandshakeError::HttpVersion,
        HandshakeError::Host,
        HandshakeError::Upgrade,
        HandshakeError::Connection,
        HandshakeError::Version,
        HandshakeError::MissingKey,
        HandshakeError::InvalidKey,
        HandshakeError::Origin,
        HandshakeError::Subprotocols,
        HandshakeError::Extensions,
    ];
    for e in peer {
        let status = e.status().expect("peer errors have a status");
        let resp = e.response().expect("peer errors have a response");
        assert!(
            resp.starts_with(format!("HTTP/1.1 {status} ").as_bytes()),
            "{e}"
        );
        assert!(!e.to_string().is_empty());
        // The response is a complete, well-formed head with a matching Content-Length.
        let mut slots = [Header::EMPTY; 8];
        let r = sockwire::handshake::http::parse_response(resp, &mut slots, &HeadConfig::default())
            .unwrap()
            .complete()
            .unwrap();
        assert_eq!(r.status(), status);
        assert_eq!(
            r.content_length(),
            Ok(Some((resp.len() - r.head_len()) as u64))
        );
        assert!(r.has_token("connection", "close"));
    }
    let not_peer = [
        HandshakeError::NotSwitching { status: 302 },
        HandshakeError::MissingAccept,
        HandshakeError::AcceptMismatch,
        HandshakeError::UnofferedSubprotocol,
        HandshakeError::UnofferedExtension,
        HandshakeError::InsufficientSize { required: 10 },
        HandshakeError::SubprotocolNotOffered,
        HandshakeError::ExtensionNotOffered,
        HandshakeError::InvalidArgument("x"),
    ];
    for e in not_peer {
        assert_eq!((e.status(), e.response()), (None, None), "{e}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn wraps_into_the_crate_error() {
    let e: sockwire::Error = HandshakeError::Version.into();
    assert!(e.to_string().contains("Sec-WebSocket-Version"));
    let e: HandshakeError = HttpError::ObsFold.into();
    assert_eq!(e, HandshakeError::Http(HttpError::ObsFold));
    use core::error::Error as _;
    assert!(e.source().is_some());
}

#[test]
fn validate_an_already_parsed_request() {
    // E.g. the Engine.IO layer parses `GET /engine.io/?EIO=4&transport=websocket` itself and
    // then asks whether it is a valid WebSocket upgrade.
    let input = b"GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: a\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let mut slots = [Header::EMPTY; 16];
    let Status::Complete(req) = parse_request(input, &mut slots, &HeadConfig::default()).unwrap()
    else {
        panic!()
    };
    assert_eq!(req.path(), "/engine.io/");
    assert_eq!(req.query(), Some("EIO=4&transport=websocket"));
    let up = UpgradeRequest::validate(req).unwrap();
    assert_eq!(&up.accept_key(), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // A plain polling GET is not an upgrade.
    let input = b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut slots = [Header::EMPTY; 16];
    let req = parse_request(input, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(
        UpgradeRequest::validate(req).unwrap_err(),
        HandshakeError::Upgrade
    );
}

#[test]
fn status_helpers() {
    let s: Status<u8> = Status::Complete(3);
    assert!(s.is_complete() && !s.is_partial());
    assert_eq!(s.map(|x| x * 2), Status::Complete(6));
    assert_eq!(Status::<u8>::Partial.complete(), None);
}
