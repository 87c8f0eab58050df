//! Byte-exact handshake vectors: the RFC 6455 §1.3 example and the lecture slides' request.
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{AcceptOptions, accept_key, parse_request};

#[test]
fn rfc_6455_section_1_3_example() {
    assert_eq!(
        &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

/// The request from the lecture slides (RFC 6455 §1.2's example, with version 13).
const LECTURE_REQUEST: &[u8] = b"GET /mychat HTTP/1.1\r\n\
Host: server.example.com\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
Sec-WebSocket-Protocol: chat\r\n\
Sec-WebSocket-Version: 13\r\n\
Origin: http://example.com\r\n\
\r\n";

const LECTURE_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\
Sec-WebSocket-Protocol: chat\r\n\
\r\n";

#[test]
fn lecture_request_byte_exact_with_chat_subprotocol() {
    let mut slots = [Header::EMPTY; 16];
    let Status::Complete(req) =
        parse_request(LECTURE_REQUEST, &mut slots, &HeadConfig::default()).unwrap()
    else {
        panic!("partial");
    };
    assert_eq!(req.path(), "/mychat");
    assert_eq!(req.query(), None);
    assert_eq!(req.host(), "server.example.com");
    assert_eq!(req.origin(), Some("http://example.com"));
    assert_eq!(req.key(), "x3JJHMbDL1EzLkh9GBhXDw==");
    assert_eq!(req.head_len(), LECTURE_REQUEST.len());
    assert!(req.subprotocols().eq(["chat"]));
    assert_eq!(&req.accept_key(), b"HSmrc0sMlYUkAGmm5OPpG2HaGWk=");

    let accept = req
        .accept(&AcceptOptions::new().subprotocol(Some("chat")))
        .unwrap();
    let mut out = [0u8; 512];
    let n = accept.encode(&mut out).unwrap();
    assert_eq!(n, accept.encoded_len());
    assert_eq!(&out[..n], LECTURE_RESPONSE);
}

/// The slides print `HSmrc0sM1YUkAGmm5OPpG2HaGWk=` with the digit one after `sM`: that is a
/// transcription error. The correct value has a lower-case L.
#[test]
fn lecture_slides_accept_with_digit_one_is_wrong() {
    let correct = accept_key(b"x3JJHMbDL1EzLkh9GBhXDw==");
    let slides = b"HSmrc0sM1YUkAGmm5OPpG2HaGWk=";
    assert_ne!(&correct, slides);
    let diff: Vec<usize> = (0..28).filter(|&i| correct[i] != slides[i]).collect();
    assert_eq!(diff, [8]);
    assert_eq!(correct[8], b'l');
    assert_eq!(slides[8], b'1');
}
