#![no_main]
//! Server side of the opening handshake on arbitrary bytes, split at arbitrary points.
//!
//! Input: byte 0 and 1 pick two split points, byte 2 picks the caps, the rest is the request.
//! Checks: never panics; feeding in three chunks gives exactly the one-shot result; the parser's
//! work stays linear; a valid request's accessors, audit and 101 encoding are consistent.
use libfuzzer_sys::fuzz_target;
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{AcceptOptions, ServerHandshake, audit_request};

fn summary(
    r: Result<
        Status<sockwire::handshake::UpgradeRequest<'_, '_>>,
        sockwire::handshake::HandshakeError,
    >,
) -> Result<Option<(usize, [u8; 28], usize)>, sockwire::handshake::HandshakeError> {
    r.map(|s| {
        s.complete()
            .map(|r| (r.head_len(), r.accept_key(), r.headers().len()))
    })
}

fuzz_target!(|data: &[u8]| {
    let [a, b, c, input @ ..] = data else {
        return;
    };
    let cfg = if c & 1 == 0 {
        HeadConfig::default()
    } else {
        HeadConfig::new()
            .max_head_len(usize::from(*c) * 4)
            .max_headers(usize::from(c >> 4))
    };
    let len = input.len();
    let mut cuts = [usize::from(*a) * len / 256, usize::from(*b) * len / 256];
    cuts.sort_unstable();

    let mut slots = [Header::EMPTY; 32];
    let mut one = ServerHandshake::new(cfg);
    let whole = one.parse(input, &mut slots);
    let whole_summary = summary(whole);

    let mut inc = ServerHandshake::new(cfg);
    let mut last = Ok(None);
    for end in [cuts[0], cuts[1], len] {
        let mut slots = [Header::EMPTY; 32];
        last = summary(inc.parse(&input[..end], &mut slots));
        if !matches!(last, Ok(None)) {
            break;
        }
    }
    assert_eq!(last, whole_summary);
    let bound = 3 * len.min(cfg.max_head_len) as u64 + 3;
    assert!(one.bytes_examined() <= bound);
    assert!(inc.bytes_examined() <= bound);

    if let Err(e) = whole_summary {
        if let Some(r) = e.response() {
            assert!(r.starts_with(b"HTTP/1.1 4"));
        }
    }

    let mut slots = [Header::EMPTY; 32];
    if let Ok(Status::Complete(req)) = ServerHandshake::new(cfg).parse(input, &mut slots) {
        assert!(
            audit_request(req.request())
                .iter()
                .all(|v| v.result.is_ok())
        );
        let _ = (req.path(), req.query(), req.host(), req.origin(), req.key());
        let first = req.subprotocols().next();
        for e in req.extensions() {
            let e = e.expect("validated");
            for p in e.params() {
                let _ = (p.name(), p.raw_value(), p.value_bytes().map(|v| v.count()));
            }
        }
        let accept = req
            .accept(&AcceptOptions::new().subprotocol(first))
            .expect("offered");
        let mut out = [0u8; 1024];
        match accept.encode(&mut out) {
            Ok(n) => assert_eq!(n, accept.encoded_len()),
            Err(_) => assert!(accept.encoded_len() > out.len()),
        }
    }
});
