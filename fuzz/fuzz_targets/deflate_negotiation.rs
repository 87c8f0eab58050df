#![no_main]
//! permessage-deflate negotiation on arbitrary `Sec-WebSocket-Extensions` values: byte 0 picks
//! the server policy and the client offer, the rest (split at the first NUL) is the request's
//! offer list and the server's response. Checks: nothing panics; every accepted configuration
//! has windows of 8..=15 and an answer that the offer it came from parses back; the client
//! side only accepts windows of 8..=15 and never a response that accepts twice.
use libfuzzer_sys::fuzz_target;
use sockwire::Role;
use sockwire::deflate::{DeflateOffer, DeflatePolicy};
use sockwire::handshake::http::Extensions;

fuzz_target!(|data: &[u8]| {
    let Some((&b0, rest)) = data.split_first() else {
        return;
    };
    let (offers, response) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[..0]),
    };
    let policy = match b0 & 3 {
        0 => DeflatePolicy::default(),
        n => DeflatePolicy::context_takeover(7 + 3 * n),
    };
    if let Some(pmd) = policy.negotiate(Extensions::value(offers)) {
        for role in [Role::Server, Role::Client] {
            assert!((8..=15).contains(&pmd.send_window_bits(role)));
            assert!((8..=15).contains(&pmd.receive_window_bits(role)));
        }
        let answer = pmd.response();
        // The answer is well-formed for a client that offered everything.
        let open = DeflateOffer {
            client_max_window_bits: Some(None),
            ..DeflateOffer::default()
        };
        let back = open
            .accept_response(Extensions::value(answer.as_bytes()))
            .expect("our answer parses")
            .expect("and accepts");
        assert_eq!(back.server_max_window_bits, pmd.server_max_window_bits);
    }
    let offer = DeflateOffer {
        server_no_context_takeover: b0 & 4 != 0,
        client_no_context_takeover: b0 & 8 != 0,
        server_max_window_bits: (b0 & 16 != 0).then_some(8 + (b0 >> 5)),
        client_max_window_bits: match b0 >> 6 {
            0 => None,
            1 => Some(None),
            _ => Some(Some(8 + (b0 & 7))),
        },
    };
    if let Ok(Some(pmd)) = offer.accept_response(Extensions::value(response)) {
        assert!((8..=15).contains(&pmd.receive_window_bits(Role::Client)));
        assert!((8..=15).contains(&pmd.send_window_bits(Role::Client)));
        if let Some(asked) = offer.server_max_window_bits {
            assert!(pmd.receive_window_bits(Role::Client) <= asked);
        }
    }
});
