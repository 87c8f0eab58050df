//! Property: decode(encode(h)) == h for every valid header, and the header bytes agree with
//! `encode`, `encoded_len` and a hand-written reference encoder.
#![cfg(feature = "std")]
use proptest::prelude::*;
use sockwire::Role;
use sockwire::frame::{DecodeConfig, Decoded, FrameHeader, OpCode, decode_header};

fn opcode() -> impl Strategy<Value = OpCode> {
    prop_oneof![
        Just(OpCode::Continuation),
        Just(OpCode::Text),
        Just(OpCode::Binary),
        Just(OpCode::Close),
        Just(OpCode::Ping),
        Just(OpCode::Pong),
    ]
}

fn length() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..=130,
        65530u64..=65540,
        any::<u64>().prop_map(|v| v >> 1),
        any::<u16>().prop_map(u64::from),
        any::<u32>().prop_map(u64::from),
    ]
}

prop_compose! {
    fn header()(op in opcode(), fin in any::<bool>(), rsv in 0u8..8, mask in any::<Option<[u8; 4]>>(), len in length()) -> FrameHeader {
        let (fin, len) = if op.is_control() { (true, len % 126) } else { (fin, len) };
        FrameHeader { fin, rsv, opcode: op, mask, payload_len: len }
    }
}

/// Straightforward reference encoder (RFC 6455 §5.2 figure).
fn reference(h: &FrameHeader) -> Vec<u8> {
    let mut v = vec![(u8::from(h.fin) << 7) | (h.rsv << 4) | h.opcode.as_u8()];
    let m = if h.mask.is_some() { 0x80 } else { 0 };
    if h.payload_len <= 125 {
        v.push(m | h.payload_len as u8);
    } else if h.payload_len <= 65535 {
        v.push(m | 126);
        v.extend_from_slice(&(h.payload_len as u16).to_be_bytes());
    } else {
        v.push(m | 127);
        v.extend_from_slice(&h.payload_len.to_be_bytes());
    }
    if let Some(k) = h.mask {
        v.extend_from_slice(&k);
    }
    v
}

proptest! {
    #[test]
    fn decode_encode_is_identity(h in header(), trailing in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut out = [0u8; 14];
        let n = h.encode(&mut out).unwrap();
        prop_assert_eq!(n, h.encoded_len());
        prop_assert_eq!(&out[..n], &reference(&h)[..]);
        let hb = h.header_bytes().unwrap();
        prop_assert_eq!(&out[..n], hb.as_slice());
        let role = if h.mask.is_some() { Role::Server } else { Role::Client };
        let cfg = DecodeConfig::new(role).max_payload(u64::MAX).allowed_rsv(0b111);
        let mut wire = out[..n].to_vec();
        wire.extend_from_slice(&trailing);
        prop_assert_eq!(decode_header(&wire, &cfg).unwrap(), Decoded::Header { header: h, header_len: n });
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_reencode(bytes in proptest::collection::vec(any::<u8>(), 0..16), server in any::<bool>(), lenient in any::<bool>()) {
        let role = if server { Role::Server } else { Role::Client };
        let cfg = DecodeConfig::new(role).max_payload(u64::MAX).allowed_rsv(0b111).reject_non_minimal(!lenient);
        if let Ok(Decoded::Header { header, header_len }) = decode_header(&bytes, &cfg) {
            prop_assert!(header_len <= bytes.len());
            let again = header.header_bytes().unwrap();
            prop_assert_eq!(decode_header(&again, &cfg).unwrap(), Decoded::Header { header, header_len: again.len() });
            if !lenient {
                // Strict decoding only accepts the minimal form, which is what we write.
                prop_assert_eq!(again.as_slice(), &bytes[..header_len]);
            }
        }
    }
}
