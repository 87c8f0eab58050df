#![no_main]
//! Engine.IO packet / payload / open-packet decoders on arbitrary bytes: never panic, and every
//! packet decoded before the first error re-encodes into a payload that decodes the same.
use libfuzzer_sys::fuzz_target;
use sockwire::engineio::OpenPacket;
use sockwire::engineio::packet::{Packet, PacketData};
use sockwire::engineio::payload::{decode_payload, encode_payload_to_vec};

fuzz_target!(|data: &[u8]| {
    let _ = Packet::decode_binary(data).binary_to_vec();
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let _ = OpenPacket::parse(text);
    if let Ok(p) = Packet::decode_text(text) {
        let mut v = Vec::new();
        p.encode_to_vec(&mut v);
        assert_eq!(v.len(), p.encoded_len());
    }
    let mut packets = Vec::new();
    for p in decode_payload(text) {
        match p {
            Ok(p) => packets.push(p),
            Err(_) => break,
        }
    }
    if packets.is_empty() {
        return;
    }
    // Base64 data is re-encoded canonically (padded): compare decoded bytes, not text.
    let mut body = Vec::new();
    encode_payload_to_vec(&packets, &mut body).expect("decoded packets re-encode");
    let again: Vec<_> = decode_payload(core::str::from_utf8(&body).unwrap())
        .map(|r| r.expect("re-encoded payload decodes"))
        .collect();
    assert_eq!(again.len(), packets.len());
    for (a, b) in again.iter().zip(&packets) {
        assert_eq!(a.packet_type(), b.packet_type());
        match (a.data(), b.data()) {
            (PacketData::Text(x), PacketData::Text(y)) => assert_eq!(x, y),
            _ => assert_eq!(a.binary_to_vec(), b.binary_to_vec()),
        }
    }
});
