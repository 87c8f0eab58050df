#![no_main]
//! Client side of the opening handshake on arbitrary response bytes, split at arbitrary points.
//!
//! Input: bytes 0 and 1 pick split points, the rest is the response to a fixed request (key of
//! RFC 6455 §1.3, subprotocols `chat`/`superchat`, `permessage-deflate` offered).
//! Checks: never panics; chunking never changes the result; work stays linear; the audit agrees.
use libfuzzer_sys::fuzz_target;
use sockwire::handshake::http::{HeadConfig, Header, Status, parse_request};
use sockwire::handshake::{
    ClientHandshake, ClientOptions, HandshakeError, ServerResponse, audit_response,
};

const PROTOCOLS: &[&str] = &["chat", "superchat"];

fn client() -> ClientHandshake<'static> {
    ClientHandshake::new(
        ClientOptions::new("server.example.com", "/chat", *b"the sample nonce")
            .subprotocols(PROTOCOLS)
            .extensions(Some("permessage-deflate; client_max_window_bits")),
    )
    .expect("valid options")
}

type Summary = Result<Option<(bool, u16, usize, Option<String>)>, HandshakeError>;

fn summary(r: Result<Status<ServerResponse<'_, '_>>, HandshakeError>) -> Summary {
    r.map(|s| {
        s.complete().map(|s| match s {
            ServerResponse::Accepted(a) => (
                true,
                a.response().status(),
                a.head_len(),
                a.subprotocol().map(str::to_owned),
            ),
            ServerResponse::NotUpgraded(r) => (false, r.status(), r.head_len(), None),
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let [a, b, input @ ..] = data else {
        return;
    };
    let len = input.len();
    let mut cuts = [usize::from(*a) * len / 256, usize::from(*b) * len / 256];
    cuts.sort_unstable();

    let mut one = client();
    let mut slots = [Header::EMPTY; 32];
    let whole = summary(one.parse_response(input, &mut slots));

    let mut inc = client();
    let mut last = Ok(None);
    for end in [cuts[0], cuts[1], len] {
        let mut slots = [Header::EMPTY; 32];
        last = summary(inc.parse_response(&input[..end], &mut slots));
        if !matches!(last, Ok(None)) {
            break;
        }
    }
    assert_eq!(last, whole);
    let bound = 3 * len.min(HeadConfig::default().max_head_len) as u64 + 3;
    assert!(one.bytes_examined() <= bound && inc.bytes_examined() <= bound);

    // The audit of a complete 101 head agrees with the verification.
    let mut req_bytes = [0u8; 512];
    let c = client();
    let n = c.encode(&mut req_bytes).expect("fits");
    let mut req_slots = [Header::EMPTY; 16];
    let req = parse_request(&req_bytes[..n], &mut req_slots, &HeadConfig::default())
        .expect("own request parses")
        .complete()
        .expect("complete");
    let mut slots = [Header::EMPTY; 32];
    if let Ok(Status::Complete(resp)) =
        sockwire::handshake::http::parse_response(input, &mut slots, &HeadConfig::default())
    {
        let verdicts = audit_response(&resp, &req);
        let first = verdicts.iter().find_map(|v| v.result.err());
        match (&whole, first) {
            (Ok(Some((true, ..))), None) => {}
            (Ok(Some((false, ..))), Some(HandshakeError::NotSwitching { .. })) => {}
            (Err(e), Some(f)) => assert_eq!(*e, f),
            (w, f) => panic!("verification {w:?} but audit {f:?}"),
        }
    }
});
