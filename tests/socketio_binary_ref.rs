#![cfg(feature = "std")]
//! `Decoder::feed_binary_ref` (last attachment borrowed, buffers reused between packets) gives
//! exactly what `feed_binary` (everything copied into an `OwnedPacket`) gives, packet after
//! packet on one decoder, with the same errors and caps.
use proptest::prelude::*;
use sockwire::socketio::{DecodeConfig, Decoder, SocketIoError, Value, packet};

/// A binary event with `n` attachments (sizes from `sizes`) and its encoded text.
fn binary_packet(sizes: &[usize], ack: Option<u64>) -> (String, Vec<Vec<u8>>) {
    let atts: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| (0..n).map(|i| (i * 31 + k * 7) as u8).collect())
        .collect();
    let args: Vec<Value<'_>> = atts.iter().map(|a| Value::Binary(a)).collect();
    let mut text = String::new();
    let mut out = Vec::new();
    packet::encode_event(&mut text, &mut out, "/up", ack, "file", &args).unwrap();
    (text, atts)
}

proptest! {
    #[test]
    fn borrowed_equals_owned(
        packets in prop::collection::vec(
            (prop::collection::vec(0usize..300, 1..5), prop::option::of(0u64..100)),
            1..6,
        ),
    ) {
        let cfg = DecodeConfig::new();
        let mut by_ref = Decoder::new(cfg);
        let mut owned = Decoder::new(cfg);
        for (sizes, ack) in &packets {
            let (text, atts) = binary_packet(sizes, *ack);
            prop_assert!(by_ref.feed_text(&text).unwrap().is_none());
            prop_assert!(owned.feed_text(&text).unwrap().is_none());
            for (k, a) in atts.iter().enumerate() {
                let want = owned.feed_binary(a).unwrap();
                let got = by_ref.feed_binary_ref(a).unwrap();
                prop_assert_eq!(want.is_some(), k + 1 == atts.len());
                match (got, &want) {
                    (None, None) => {}
                    (Some(g), Some(w)) => {
                        prop_assert_eq!(g.to_owned_packet(), w.clone());
                        prop_assert_eq!(g.packet(), w.packet());
                        prop_assert_eq!(g.attachment_count(), atts.len());
                        for (n, a) in atts.iter().enumerate() {
                            prop_assert_eq!(g.attachment(n), Some(&a[..]));
                        }
                        prop_assert_eq!(g.attachment(atts.len()), None);
                        for arg in g.packet().args() {
                            prop_assert_eq!(g.binary(arg), w.binary(arg));
                        }
                    }
                    _ => prop_assert!(false, "completion differs"),
                }
                prop_assert_eq!(by_ref.is_pending(), want.is_none());
            }
        }
    }
}

#[test]
fn errors_and_caps_match() {
    let (text, atts) = binary_packet(&[10, 20], None);
    // Binary without a header.
    let mut d = Decoder::new(DecodeConfig::new());
    assert!(matches!(
        d.feed_binary_ref(&atts[0]),
        Err(SocketIoError::UnexpectedBinary)
    ));
    // The size cap counts the borrowed attachment too, and resets the decoder.
    let cap = text.len() + 10 + 19;
    let mut d = Decoder::new(DecodeConfig::new().with_max_packet_bytes(cap));
    assert!(d.feed_text(&text).unwrap().is_none());
    assert!(d.feed_binary_ref(&atts[0]).unwrap().is_none());
    assert!(matches!(
        d.feed_binary_ref(&atts[1]),
        Err(SocketIoError::TooLarge { .. })
    ));
    assert!(!d.is_pending());
    // A text packet after a completed borrowed packet decodes normally; a text packet while
    // attachments are awaited is refused.
    let mut d = Decoder::new(DecodeConfig::new());
    assert!(d.feed_text(&text).unwrap().is_none());
    assert!(d.feed_binary_ref(&atts[0]).unwrap().is_none());
    assert!(matches!(
        d.feed_text(r#"2["x"]"#),
        Err(SocketIoError::UnexpectedText)
    ));
    assert!(d.feed_text(&text).unwrap().is_none());
    assert!(d.feed_binary_ref(&atts[0]).unwrap().is_none());
    assert!(d.feed_binary_ref(&atts[1]).unwrap().is_some());
    let p = d.feed_text(r#"2["x",1]"#).unwrap().unwrap();
    assert_eq!(p.event_name().as_deref(), Some("x"));
    // Buffers reused by an owned header afterwards.
    assert!(d.feed_text_owned(text.clone()).unwrap().is_none());
    assert!(d.feed_binary(&atts[0]).unwrap().is_none());
    let w = d.feed_binary(&atts[1]).unwrap().unwrap();
    assert_eq!(w.attachments(), &atts[..]);
}
