use super::*;
use crate::handshake::http::Extensions;
use alloc::format;
use alloc::string::{String, ToString};

fn server(policy: DeflatePolicy, offer: &str) -> Option<PerMessageDeflate> {
    policy.negotiate(Extensions::value(offer.as_bytes()))
}

fn lean(offer: &str) -> Option<String> {
    server(DeflatePolicy::default(), offer).map(|p| p.response().as_str().to_string())
}

fn takeover(offer: &str) -> Option<String> {
    server(DeflatePolicy::context_takeover(15), offer).map(|p| p.response().as_str().to_string())
}

#[test]
fn server_answers_browser_and_library_offers() {
    assert_eq!(
        takeover("permessage-deflate; client_max_window_bits").as_deref(),
        Some("permessage-deflate")
    );
    assert_eq!(
        lean("permessage-deflate").as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );
    assert_eq!(
        takeover("permessage-deflate; server_max_window_bits=10; client_max_window_bits=12")
            .as_deref(),
        Some("permessage-deflate; server_max_window_bits=10; client_max_window_bits=12")
    );
    assert_eq!(
        takeover("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
            .as_deref(),
        Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    );
    // A smaller policy window is answered where the client allows it.
    let p = server(
        DeflatePolicy::context_takeover(10),
        "permessage-deflate; server_max_window_bits=12; client_max_window_bits",
    )
    .unwrap();
    assert_eq!(p.server_max_window_bits, Some(10));
    assert_eq!(p.client_max_window_bits, Some(10));
    assert_eq!(p.receive_window_bits(Role::Server), 10);
    assert_eq!(p.send_window_bits(Role::Client), 10);
    // Quoted values are unescaped before the check (RFC 6455 §9.1).
    assert_eq!(
        takeover("permessage-deflate; server_max_window_bits=\"9\"").as_deref(),
        Some("permessage-deflate; server_max_window_bits=9")
    );
}

#[test]
fn server_declines_invalid_offers_and_takes_the_next() {
    for bad in [
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=1a",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=true",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; unknown",
        "permessage-deflate; x=1",
        "x-webkit-deflate-frame",
        "",
    ] {
        assert_eq!(takeover(bad), None, "{bad}");
        let next = format!("{bad}, permessage-deflate; client_max_window_bits=11");
        assert_eq!(
            takeover(&next).as_deref(),
            Some("permessage-deflate; client_max_window_bits=11"),
            "{next}"
        );
    }
    // The first valid offer wins.
    assert_eq!(
        takeover("foo, permessage-deflate; server_max_window_bits=9, permessage-deflate")
            .as_deref(),
        Some("permessage-deflate; server_max_window_bits=9")
    );
}

#[test]
fn pathological_lists_are_linear() {
    // 100k bad offers then a good one: one pass (this would take minutes if quadratic).
    let mut s = String::new();
    for _ in 0..100_000 {
        s.push_str("permessage-deflate; x, ");
    }
    s.push_str("permessage-deflate");
    assert!(server(DeflatePolicy::default(), &s).is_some());
    let mut s = String::from("permessage-deflate");
    for _ in 0..100_000 {
        s.push_str("; client_no_context_takeover");
    }
    assert!(server(DeflatePolicy::default(), &s).is_none());
}

fn client(offer: DeflateOffer, resp: &str) -> Result<Option<PerMessageDeflate>, DeflateError> {
    offer.accept_response(Extensions::value(resp.as_bytes()))
}

#[test]
fn client_offer_and_response() {
    let o = DeflateOffer::default();
    assert_eq!(client(o, ""), Ok(None));
    assert_eq!(
        client(o, "permessage-deflate"),
        Ok(Some(PerMessageDeflate::default()))
    );
    let got = client(
        o,
        "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
    )
    .unwrap()
    .unwrap();
    assert!(got.server_no_context_takeover);
    assert_eq!(got.send_window_bits(Role::Client), 9);
    assert_eq!(
        client(o, "permessage-deflate, permessage-deflate"),
        Err(DeflateError::DuplicateExtension)
    );
    assert_eq!(
        client(o, "permessage-deflate; client_max_window_bits"),
        Err(DeflateError::InvalidValue)
    );
    assert_eq!(
        client(o, "permessage-deflate; foo"),
        Err(DeflateError::UnknownParameter)
    );
    assert_eq!(
        client(o, "permessage-deflate; server_max_window_bits=16"),
        Err(DeflateError::InvalidValue)
    );
    let plain = DeflateOffer {
        client_max_window_bits: None,
        ..DeflateOffer::default()
    };
    assert_eq!(plain.header_value().as_str(), "permessage-deflate");
    assert_eq!(
        client(plain, "permessage-deflate; client_max_window_bits=10"),
        Err(DeflateError::NotOffered)
    );
    let asks = DeflateOffer {
        server_no_context_takeover: true,
        server_max_window_bits: Some(10),
        client_max_window_bits: Some(Some(12)),
        ..DeflateOffer::default()
    };
    assert_eq!(
        asks.header_value().as_str(),
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
         client_max_window_bits=12"
    );
    assert_eq!(
        client(asks, "permessage-deflate; server_max_window_bits=10"),
        Err(DeflateError::NotOffered)
    );
    assert_eq!(
        client(
            asks,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11"
        ),
        Err(DeflateError::NotOffered)
    );
    // The asked limit must be answered.
    assert_eq!(
        client(asks, "permessage-deflate; server_no_context_takeover"),
        Err(DeflateError::NotOffered)
    );
    let got = client(
        asks,
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=8",
    )
    .unwrap()
    .unwrap();
    assert_eq!(got.receive_window_bits(Role::Client), 8);
    // Without a response value the client keeps the window it announced.
    assert_eq!(got.send_window_bits(Role::Client), 12);
}

#[test]
fn every_server_answer_is_accepted_by_the_matching_client_offer() {
    for snct in [false, true] {
        for cnct in [false, true] {
            for sb in [None, Some(8u8), Some(12), Some(15)] {
                for cb in [None, Some(None), Some(Some(9u8)), Some(Some(15))] {
                    let offer = DeflateOffer {
                        server_no_context_takeover: snct,
                        client_no_context_takeover: cnct,
                        server_max_window_bits: sb,
                        client_max_window_bits: cb,
                    };
                    for policy in [
                        DeflatePolicy::default(),
                        DeflatePolicy::context_takeover(8),
                        DeflatePolicy::context_takeover(15),
                    ] {
                        let hv = offer.header_value();
                        let pmd = server(policy, hv.as_str()).expect("valid offer");
                        let resp = pmd.response();
                        let back = client(offer, resp.as_str()).unwrap().unwrap();
                        assert_eq!(
                            back.receive_window_bits(Role::Client),
                            pmd.send_window_bits(Role::Server)
                        );
                        assert!(
                            back.send_window_bits(Role::Client)
                                <= pmd.receive_window_bits(Role::Server),
                            "{hv:?} -> {resp:?}"
                        );
                        assert_eq!(
                            back.server_no_context_takeover,
                            pmd.server_no_context_takeover
                        );
                    }
                }
            }
        }
    }
}
