//! Engine.IO packet and payload codec: edge cases, the open packet, and property tests against a
//! naive reference (split on `\x1e`, decode each record).
#![cfg(feature = "std")]

use std::time::Duration;

use proptest::prelude::*;
use sockwire::engineio::packet::{Packet, PacketData, PacketType};
use sockwire::engineio::payload::{
    PayloadWriter, decode_payload, encode_payload, encode_payload_to_vec, payload_len,
};
use sockwire::engineio::{EngineIoError, OpenPacket};

#[test]
fn every_type_digit_decodes_with_and_without_data() {
    for (d, t) in (b'0'..=b'6').zip([
        PacketType::Open,
        PacketType::Close,
        PacketType::Ping,
        PacketType::Pong,
        PacketType::Message,
        PacketType::Upgrade,
        PacketType::Noop,
    ]) {
        let s = String::from_utf8(vec![d]).unwrap();
        assert_eq!(Packet::decode_text(&s).unwrap(), Packet::bare(t));
        let s = format!("{s}data é");
        assert_eq!(Packet::decode_text(&s).unwrap(), Packet::text(t, "data é"));
        assert_eq!(PacketType::from_byte(d), Some(t));
        assert_eq!(t.as_byte(), d);
    }
}

#[test]
fn unknown_types_and_empty_are_errors() {
    assert_eq!(Packet::decode_text(""), Err(EngineIoError::EmptyPacket));
    for s in ["7", "9x", "a", "B", " 4", "\u{1e}", "é"] {
        assert!(
            matches!(
                Packet::decode_text(s),
                Err(EngineIoError::UnknownPacketType { .. })
            ),
            "{s:?}"
        );
    }
}

#[test]
fn base64_forms() {
    let p = Packet::decode_text("bAQIDBA==").unwrap();
    assert_eq!(p.binary_to_vec(), [1, 2, 3, 4]);
    assert_eq!(p.binary_len(), 4);
    // Padding is optional on input (Node accepts both)...
    assert_eq!(
        Packet::decode_text("bAQIDBA").unwrap().binary_to_vec(),
        [1, 2, 3, 4]
    );
    assert_eq!(Packet::decode_text("b").unwrap().binary_to_vec(), []);
    // ...but not wrong padding, bad characters, impossible lengths or dirty trailing bits.
    for bad in [
        "bA",
        "bAQIDBA=",
        "bAQ=IDBA",
        "bAQID*A==",
        "bAQIDBB==",
        "bA===",
        "b====",
        "bAQ-_",
    ] {
        assert_eq!(
            Packet::decode_text(bad),
            Err(EngineIoError::InvalidBase64),
            "{bad}"
        );
    }
    let mut out = [0u8; 3];
    assert_eq!(
        p.decode_binary_into(&mut out),
        Err(EngineIoError::InsufficientSize { required: 4 })
    );
    let mut out = [0u8; 4];
    assert_eq!(p.decode_binary_into(&mut out), Ok(4));
    assert_eq!(out, [1, 2, 3, 4]);
}

#[test]
fn encode_reports_required_size_without_writing() {
    let p = Packet::message("hello");
    let mut small = [0xAAu8; 5];
    assert_eq!(
        p.encode(&mut small),
        Err(EngineIoError::InsufficientSize { required: 6 })
    );
    assert_eq!(small, [0xAA; 5]);
    let b = Packet::binary(&[1, 2, 3, 4, 5]);
    assert_eq!(b.encoded_len(), 9);
    let mut out = [0u8; 9];
    assert_eq!(b.encode(&mut out), Ok(9));
    assert_eq!(&out, b"bAQIDBAU=");
}

#[test]
fn payload_rejects_record_separator_in_text_and_empty() {
    let mut v = Vec::new();
    assert_eq!(
        encode_payload_to_vec(&[Packet::message("a\u{1e}b")], &mut v),
        Err(EngineIoError::RecordSeparatorInText)
    );
    assert!(v.is_empty());
    assert_eq!(
        encode_payload_to_vec(&[], &mut v),
        Err(EngineIoError::EmptyPayload)
    );
    let mut w = PayloadWriter::new(&mut v);
    assert!(w.push(&Packet::message("ok")).is_ok());
    assert_eq!(
        w.push(&Packet::text(PacketType::Ping, "\u{1e}")),
        Err(EngineIoError::RecordSeparatorInText)
    );
    assert_eq!(v, b"4ok");
}

#[test]
fn payload_errors_follow_the_reference() {
    let got: Vec<_> = decode_payload("4a\u{1e}\u{1e}4b").collect();
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert_eq!(got[1], Err(EngineIoError::EmptyPacket));
    let got: Vec<_> = decode_payload("").collect();
    assert_eq!(got, vec![Err(EngineIoError::EmptyPacket)]);
    // Decoding stops at the first error.
    let got: Vec<_> = decode_payload("x\u{1e}4a").collect();
    assert_eq!(got.len(), 1);
}

#[test]
fn open_packet_exact_order_and_parse() {
    let o = OpenPacket {
        sid: "a\"b",
        upgrade_websocket: true,
        ping_interval: Duration::from_millis(25000),
        ping_timeout: Duration::from_millis(20000),
        max_payload: 1_000_000,
    };
    let s = o.to_packet_string();
    assert_eq!(
        s,
        r#"0{"sid":"a\"b","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#
    );
    let ws = OpenPacket {
        upgrade_websocket: false,
        sid: "x",
        ..o
    };
    assert!(ws.to_packet_string().contains(r#""upgrades":[]"#));
    let parsed = OpenPacket::parse(
        r#"{"maxPayload":5,"sid":"abc","pingTimeout":2,"pingInterval":1,"upgrades":["websocket","x"],"extra":{"a":[1]}}"#,
    )
    .unwrap();
    assert_eq!(parsed.sid, "abc");
    assert!(parsed.upgrade_websocket);
    assert_eq!(parsed.ping_interval, Duration::from_millis(1));
    assert_eq!(parsed.ping_timeout, Duration::from_millis(2));
    assert_eq!(parsed.max_payload, 5);
    for bad in [
        "",
        "{}",
        r#"{"sid":"","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
        r#"{"sid":"a","upgrades":[],"pingInterval":1.5,"pingTimeout":1,"maxPayload":1}"#,
        r#"{"sid":"a","upgrades":[],"pingInterval":-1,"pingTimeout":1,"maxPayload":1}"#,
        r#"{"sid":"a","upgrades":[1],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
        r#"{"sid":"a","sid":"b","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}"#,
        r#"{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1}"#,
        r#"{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1,}"#,
        r#"{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":99999999999999999}"#,
    ] {
        assert_eq!(
            OpenPacket::parse(bad),
            Err(EngineIoError::InvalidHandshake),
            "{bad}"
        );
    }
}

/// A packet in owned form for property tests.
#[derive(Debug, Clone)]
enum Owned {
    Text(PacketType, String),
    Binary(Vec<u8>),
}

impl Owned {
    fn packet(&self) -> Packet<'_> {
        match self {
            Owned::Text(t, s) => Packet::text(*t, s),
            Owned::Binary(b) => Packet::binary(b),
        }
    }
}

fn packet_type() -> impl Strategy<Value = PacketType> {
    (0u8..7).prop_map(|d| PacketType::from_byte(b'0' + d).unwrap())
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (packet_type(), "[^\u{1e}]{0,20}").prop_map(|(t, s)| Owned::Text(t, s)),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Owned::Binary),
    ]
}

/// Naive reference decoder: split, then decode each record by hand.
fn naive(body: &str) -> Vec<Result<Owned, ()>> {
    let mut out = vec![];
    for rec in body.split('\u{1e}') {
        let r = match rec.as_bytes().first() {
            Some(b'b') => {
                use base64::Engine as _;
                let mut v = vec![0u8; rec.len()];
                base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT
                    .decode_slice(&rec[1..], &mut v)
                    .map(|n| {
                        v.truncate(n);
                        Owned::Binary(v)
                    })
                    .map_err(|_| ())
            }
            Some(&d) if (b'0'..=b'6').contains(&d) => Ok(Owned::Text(
                PacketType::from_byte(d).unwrap(),
                rec[1..].to_string(),
            )),
            _ => Err(()),
        };
        let stop = r.is_err();
        out.push(r);
        if stop {
            break;
        }
    }
    out
}

proptest! {
    #[test]
    fn payload_round_trip(packets in proptest::collection::vec(owned(), 1..12)) {
        let ps: Vec<Packet<'_>> = packets.iter().map(Owned::packet).collect();
        let mut v = Vec::new();
        let n = encode_payload_to_vec(&ps, &mut v).unwrap();
        prop_assert_eq!(n, v.len());
        prop_assert_eq!(n, payload_len(&ps));
        let mut buf = vec![0u8; n];
        prop_assert_eq!(encode_payload(&ps, &mut buf).unwrap(), n);
        prop_assert_eq!(&buf, &v);
        let body = std::str::from_utf8(&v).unwrap();
        let decoded: Vec<_> = decode_payload(body).collect();
        prop_assert_eq!(decoded.len(), packets.len());
        for (d, o) in decoded.iter().zip(&packets) {
            let d = d.as_ref().unwrap();
            match o {
                Owned::Text(t, s) => {
                    prop_assert_eq!(d.packet_type(), *t);
                    prop_assert_eq!(d.data(), PacketData::Text(s));
                }
                Owned::Binary(b) => {
                    prop_assert!(d.is_binary());
                    prop_assert_eq!(&d.binary_to_vec(), b);
                }
            }
        }
    }

    #[test]
    fn decoder_matches_naive_reference(body in "[0-7b4A-Za-z=+/\u{1e}é]{0,40}") {
        let ours: Vec<_> = decode_payload(&body).collect();
        let theirs = naive(&body);
        prop_assert_eq!(ours.len(), theirs.len(), "{:?}", body);
        for (a, b) in ours.iter().zip(&theirs) {
            match (a, b) {
                (Ok(p), Ok(Owned::Text(t, s))) => {
                    prop_assert_eq!(p.packet_type(), *t);
                    prop_assert_eq!(p.as_text(), Some(s.as_str()));
                }
                (Ok(p), Ok(Owned::Binary(v))) => prop_assert_eq!(&p.binary_to_vec(), v),
                (Err(_), Err(())) => {}
                other => prop_assert!(false, "{:?}: {:?}", body, other),
            }
        }
    }

    #[test]
    fn decoding_arbitrary_text_never_panics(body in "\\PC{0,64}") {
        for p in decode_payload(&body).flatten() {
            let _ = p.binary_to_vec();
            let _ = p.encoded_len();
        }
    }
}

proptest! {
    #[test]
    fn fast_separator_search_matches_position(
        mut v in proptest::collection::vec(prop_oneof![Just(0x1eu8), Just(0x1f), Just(0x9e), any::<u8>()], 0..80),
        zap in any::<bool>(),
    ) {
        if zap {
            v.retain(|&c| c != 0x1e);
        }
        prop_assert_eq!(
            sockwire::engineio::payload::find_record_separator(&v),
            v.iter().position(|&c| c == 0x1e)
        );
    }
}

proptest! {
    #[test]
    fn base64_decoder_matches_the_base64_crate(data in proptest::collection::vec(any::<u8>(), 0..200), pad in any::<bool>()) {
        use base64::Engine as _;
        let mut enc = vec![0u8; data.len().div_ceil(3) * 4];
        let n = base64::engine::general_purpose::STANDARD.encode_slice(&data, &mut enc).unwrap();
        let mut s = String::from("b");
        s.push_str(std::str::from_utf8(&enc[..n]).unwrap());
        if !pad {
            while s.ends_with('=') {
                s.pop();
            }
        }
        let p = Packet::decode_text(&s).unwrap();
        prop_assert_eq!(p.binary_len(), data.len());
        prop_assert_eq!(p.binary_to_vec(), data.clone());
        let mut out = vec![0u8; data.len()];
        prop_assert_eq!(p.decode_binary_into(&mut out).unwrap(), data.len());
        prop_assert_eq!(out, data);
    }
}

proptest! {
    // The tail of the fast search re-reads the last sixteen bytes (overlapping bytes already
    // searched): one separator anywhere, or two in the last chunk, in bodies of any length.
    #[test]
    fn fast_separator_search_tail_overlap(
        len in 0usize..100,
        at in any::<proptest::sample::Index>(),
        second in proptest::option::of(any::<proptest::sample::Index>()),
        fill in any::<u8>(),
    ) {
        let fill = if fill == 0x1e { b'a' } else { fill };
        let mut v = vec![fill; len];
        if len > 0 {
            v[at.index(len)] = 0x1e;
            if let Some(s) = second {
                let from = len.saturating_sub(16);
                v[from + s.index(len - from)] = 0x1e;
            }
        }
        prop_assert_eq!(
            sockwire::engineio::payload::find_record_separator(&v),
            v.iter().position(|&c| c == 0x1e)
        );
    }
}
