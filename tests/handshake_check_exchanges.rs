//! The checks behind `examples/handshake_check.rs`, run through the library API on the recorded
//! exchanges committed under `tests/data/handshake/`.
use sockwire::handshake::http::{HeadConfig, Header, Request, parse_request, parse_response};
use sockwire::handshake::{
    HandshakeError, REQUEST_CHECK_COUNT, RESPONSE_CHECK_COUNT, Verdict, accept_key, audit_request,
    audit_response,
};

fn failures(v: &[Verdict]) -> Vec<HandshakeError> {
    v.iter().filter_map(|v| v.result.err()).collect()
}

fn with_request(bytes: &[u8], f: impl FnOnce(&Request<'_, '_>)) {
    let mut slots = [Header::EMPTY; 64];
    let req = parse_request(bytes, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    f(&req)
}

fn audit(req: &[u8], resp: &[u8]) -> (Vec<HandshakeError>, Vec<HandshakeError>) {
    let mut out = (vec![], vec![]);
    with_request(req, |r| {
        let v = audit_request(r);
        assert_eq!(v.len(), REQUEST_CHECK_COUNT);
        assert!(v.iter().all(|v| v.section.starts_with("4.")));
        out.0 = failures(&v);
        let mut slots = [Header::EMPTY; 64];
        let resp = parse_response(resp, &mut slots, &HeadConfig::default())
            .unwrap()
            .complete()
            .unwrap();
        let v = audit_response(&resp, r);
        assert_eq!(v.len(), RESPONSE_CHECK_COUNT);
        assert!(v.iter().all(|v| v.section.starts_with("4.1")));
        out.1 = failures(&v);
    });
    out
}

const LECTURE_REQ: &[u8] = include_bytes!("data/handshake/lecture.request");
const LECTURE_RESP: &[u8] = include_bytes!("data/handshake/lecture.response");
const SLIDES_RESP: &[u8] = include_bytes!("data/handshake/lecture-slides-typo.response");
const RFC_REQ: &[u8] = include_bytes!("data/handshake/rfc6455.request");
const RFC_RESP: &[u8] = include_bytes!("data/handshake/rfc6455.response");
const BROKEN_REQ: &[u8] = include_bytes!("data/handshake/broken.request");
const BROKEN_RESP: &[u8] = include_bytes!("data/handshake/broken.response");

#[test]
fn lecture_exchange_holds() {
    assert_eq!(audit(LECTURE_REQ, LECTURE_RESP), (vec![], vec![]));
}

#[test]
fn rfc_exchange_holds() {
    assert_eq!(audit(RFC_REQ, RFC_RESP), (vec![], vec![]));
}

#[test]
fn the_slides_accept_value_fails_the_accept_check() {
    assert_eq!(
        audit(LECTURE_REQ, SLIDES_RESP),
        (vec![], vec![HandshakeError::AcceptMismatch])
    );
    // The example's key mode: the value differs at exactly one position.
    let good = accept_key(b"x3JJHMbDL1EzLkh9GBhXDw==");
    let slides = b"HSmrc0sM1YUkAGmm5OPpG2HaGWk=";
    let diff: Vec<(usize, char, char)> = (0..28)
        .filter(|&i| good[i] != slides[i])
        .map(|i| (i, good[i] as char, slides[i] as char))
        .collect();
    assert_eq!(diff, [(8, 'l', '1')]);
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    let (req, resp) = audit(BROKEN_REQ, BROKEN_RESP);
    assert_eq!(
        req,
        [
            HandshakeError::Host,
            HandshakeError::Connection,
            HandshakeError::Version,
            HandshakeError::InvalidKey,
        ]
    );
    assert_eq!(
        resp,
        [
            HandshakeError::Connection,
            HandshakeError::AcceptMismatch,
            HandshakeError::UnofferedExtension,
            HandshakeError::UnofferedSubprotocol,
        ]
    );
}

#[test]
fn audit_agrees_with_the_handshake() {
    // The first failing audit verdict is the error the server path reports.
    for input in [LECTURE_REQ, RFC_REQ, BROKEN_REQ] {
        let mut slots = [Header::EMPTY; 64];
        let server = sockwire::handshake::parse_request(input, &mut slots, &HeadConfig::default())
            .map(|s| s.is_complete());
        with_request(input, |r| {
            let first = failures(&audit_request(r)).first().copied();
            match first {
                None => assert_eq!(server, Ok(true)),
                Some(e) => assert_eq!(server, Err(e)),
            }
        });
    }
}
