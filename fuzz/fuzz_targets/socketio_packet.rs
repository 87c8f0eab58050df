#![no_main]
//! Socket.IO packet decoding never panics, and every packet that decodes re-encodes to a packet
//! that decodes to the same fields. Input: the first byte picks plain decoding or a binary
//! sequence (text header, then attachments split on 0xff).
use libfuzzer_sys::fuzz_target;
use sockwire::socketio::{DecodeConfig, Decoder, OwnedPacket, PacketType, Value, packet};

fn reencode(p: &packet::Packet<'_>, atts: &[Vec<u8>]) {
    let mut out = String::new();
    let mut bins = Vec::new();
    let kind = p.kind();
    let args: Vec<Value<'_>> = p
        .args()
        .map(|a| {
            if kind.is_binary() {
                Value::WithAttachments(a, atts)
            } else {
                Value::Json(a)
            }
        })
        .collect();
    let r = match kind {
        PacketType::Event | PacketType::BinaryEvent => {
            let name = p.event_name().unwrap();
            if p.event_name_raw().unwrap().starts_with('"') {
                packet::encode_event(&mut out, &mut bins, p.nsp(), p.id(), &name, &args)
            } else {
                return; // numeric names are decoded but never emitted
            }
        }
        PacketType::Ack | PacketType::BinaryAck => match p.id() {
            Some(id) => packet::encode_ack(&mut out, &mut bins, p.nsp(), id, &args),
            None => return,
        },
        _ => return,
    };
    if p.nsp().contains(',') {
        assert!(r.is_err());
        return;
    }
    r.expect("a decoded packet re-encodes");
    let cfg = DecodeConfig::new()
        .with_max_attachments(usize::MAX)
        .with_max_packet_bytes(usize::MAX);
    let q = packet::decode(&out, &cfg).expect("re-encoded packet decodes");
    assert_eq!(q.nsp(), p.nsp());
    assert_eq!(q.id(), p.id());
    assert_eq!(q.event_name(), p.event_name());
    assert_eq!(q.args().count(), p.args().count());
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(s) = core::str::from_utf8(rest) {
            if let Ok(p) = packet::decode(s, &DecodeConfig::new()) {
                // Members recorded while validating agree with a rescan of the first argument.
                let fast: Vec<_> = p.first_arg_members().collect();
                let slow: Vec<_> = p
                    .args()
                    .next()
                    .map_or(Vec::new(), |a| packet::members(a).collect());
                assert_eq!(fast, slow);
                if !p.kind().is_binary() {
                    reencode(&p, &[]);
                }
            }
        }
        return;
    }
    let mut parts = rest.split(|&b| b == 0xff);
    let Some(head) = parts.next().and_then(|h| core::str::from_utf8(h).ok()) else {
        return;
    };
    let mut d = Decoder::new(DecodeConfig::new());
    let done: Option<OwnedPacket> = match d.feed_text(head) {
        Ok(Some(p)) => {
            reencode(&p, &[]);
            return;
        }
        Ok(None) => {
            let mut done = None;
            for a in parts {
                match d.feed_binary(a) {
                    Ok(Some(p)) => {
                        done = Some(p);
                        break;
                    }
                    Ok(None) => {}
                    Err(_) => return,
                }
            }
            done
        }
        Err(_) => return,
    };
    if let Some(p) = done {
        let view = p.packet();
        reencode(&view, p.attachments());
        for a in view.args() {
            let _ = p.binary(a);
        }
        let _ = p.arg_values();
    }
});
