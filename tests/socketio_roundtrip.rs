//! Property tests: decode(encode(p)) == p for events and acks with arbitrary namespaces, ids,
//! JSON trees and binary placement; the text equals an independent `JSON.stringify` model; and
//! the decoder never panics on arbitrary input.
#![cfg(feature = "std")]

mod socketio_support;

use proptest::prelude::*;
use socketio_support::{J, owned_to_j, packet_to_j, to_value};
use sockwire::socketio::{DecodeConfig, Decoder, OwnedPacket, PacketType, packet};

fn leaf() -> impl Strategy<Value = J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(|n| J::Num(n.to_string())),
        (any::<i32>(), 1u32..1000).prop_map(|(a, b)| J::Num(format!("{a}.{b}"))),
        any::<String>().prop_map(J::Str),
        "[a-z\"\\\\\n\t\u{0}-\u{1f}é😀]{0,8}".prop_map(J::Str),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(J::Bin),
    ]
}

fn tree() -> impl Strategy<Value = J> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
            proptest::collection::vec(("[a-z_$é\"]{0,6}", inner), 0..4).prop_map(|m| {
                let mut seen = std::collections::HashSet::new();
                J::Obj(
                    m.into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

fn nsp() -> impl Strategy<Value = String> {
    prop_oneof![Just("/".to_string()), "/[a-zA-Z0-9_/.:é-]{1,12}"]
}

fn name() -> impl Strategy<Value = String> {
    any::<String>().prop_filter("reserved", |n| !packet::is_reserved_event(n))
}

fn has_bin(j: &J) -> bool {
    match j {
        J::Bin(_) => true,
        J::Arr(a) => a.iter().any(has_bin),
        J::Obj(m) => m.iter().any(|(_, v)| has_bin(v)),
        _ => false,
    }
}

/// Feeds text + attachments through a decoder; returns the reference-shaped tree.
fn decode_all(text: &str, atts: &[&[u8]]) -> (PacketType, J) {
    let mut d = Decoder::new(DecodeConfig::new().with_max_attachments(1000));
    match d.feed_text(text).unwrap() {
        Some(p) => {
            assert!(atts.is_empty());
            (p.kind(), packet_to_j(&p, None))
        }
        None => {
            let mut done: Option<OwnedPacket> = None;
            for (i, a) in atts.iter().enumerate() {
                done = d.feed_binary(a).unwrap();
                assert_eq!(done.is_some(), i + 1 == atts.len());
            }
            let p = done.expect("complete");
            (p.packet().kind(), owned_to_j(&p))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn event_roundtrip(nsp in nsp(), id in proptest::option::of(any::<u64>()), name in name(),
                       args in proptest::collection::vec(tree(), 0..4)) {
        let values: Vec<_> = args.iter().map(to_value).collect();
        let mut text = String::new();
        let mut atts = Vec::new();
        let kind = packet::encode_event(&mut text, &mut atts, &nsp, id, &name, &values).unwrap();
        let binary = args.iter().any(has_bin);
        prop_assert_eq!(kind, if binary { PacketType::BinaryEvent } else { PacketType::Event });
        let (dkind, j) = decode_all(&text, &atts);
        prop_assert_eq!(dkind, kind);
        let mut data = vec![J::Str(name.clone())];
        data.extend(args.iter().cloned());
        prop_assert_eq!(j.get("nsp").and_then(J::as_str), Some(nsp.as_str()));
        prop_assert_eq!(j.get("id").and_then(J::as_u64), id);
        let got = j.get("data").unwrap();
        prop_assert!(got.same(&J::Arr(data.clone())), "{} vs {}", got.to_json(), J::Arr(data).to_json());
        if !binary {
            // JSON.stringify-identical text.
            let mut want = String::from("2");
            if nsp != "/" { want.push_str(&nsp); want.push(','); }
            if let Some(id) = id { want.push_str(&id.to_string()); }
            want.push_str(&J::Arr(data).to_json());
            prop_assert_eq!(text, want);
        }
    }

    #[test]
    fn ack_roundtrip(nsp in nsp(), id in any::<u64>(), args in proptest::collection::vec(tree(), 0..4)) {
        let values: Vec<_> = args.iter().map(to_value).collect();
        let mut text = String::new();
        let mut atts = Vec::new();
        let kind = packet::encode_ack(&mut text, &mut atts, &nsp, id, &values).unwrap();
        let (dkind, j) = decode_all(&text, &atts);
        prop_assert_eq!(dkind, kind);
        prop_assert_eq!(kind.is_binary(), args.iter().any(has_bin));
        prop_assert_eq!(j.get("id").and_then(J::as_u64), Some(id));
        prop_assert!(j.get("data").unwrap().same(&J::Arr(args)));
    }

    /// Re-emitting what was received (Value::WithAttachments / Binary) reproduces the data.
    #[test]
    fn forward_roundtrip(args in proptest::collection::vec(tree(), 1..4)) {
        let values: Vec<_> = args.iter().map(to_value).collect();
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_event(&mut text, &mut atts, "/", None, "m", &values).unwrap();
        let mut d = Decoder::new(DecodeConfig::new().with_max_attachments(1000));
        let owned = match d.feed_text_owned(text.clone()).unwrap() {
            Some(p) => p,
            None => {
                let mut done = None;
                for a in &atts { done = d.feed_binary(a).unwrap(); }
                done.unwrap()
            }
        };
        let fwd = owned.arg_values();
        let mut text2 = String::new();
        let mut atts2 = Vec::new();
        packet::encode_event(&mut text2, &mut atts2, "/", None, "m", &fwd).unwrap();
        prop_assert_eq!(text2, text);
        prop_assert_eq!(atts2, atts);
    }

    #[test]
    fn connect_roundtrip(nsp in nsp(), auth in proptest::option::of(proptest::collection::vec(("[a-z]{1,5}", tree()), 0..4))) {
        let auth = auth.map(|m| {
            let mut seen = std::collections::HashSet::new();
            let m: Vec<_> = m.into_iter().filter(|(k, v)| !has_bin(v) && seen.insert(k.clone())).collect();
            J::Obj(m).to_json()
        });
        let mut text = String::new();
        packet::encode_connect(&mut text, &nsp, auth.as_deref()).unwrap();
        let p = packet::decode(&text, &DecodeConfig::new()).unwrap();
        prop_assert_eq!(p.kind(), PacketType::Connect);
        prop_assert_eq!(p.nsp(), nsp.as_str());
        prop_assert_eq!(p.data(), auth.as_deref());
    }

    /// Arbitrary text never panics; whatever decodes re-decodes identically from its own text.
    #[test]
    fn decode_never_panics(s in "[0-6]?[0-9-]{0,3}(/[a-z,]{0,4})?[0-9]{0,3}[\\[\\]{}\":,0-9a-z_ .-]{0,24}") {
        let cfg = DecodeConfig::new();
        if let Ok(p) = packet::decode(&s, &cfg) {
            let _ = p.args().count();
            let _ = p.event_name();
        }
    }
}
