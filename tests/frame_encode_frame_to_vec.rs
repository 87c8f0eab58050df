//! `FrameHeader::encode_frame_to_vec` appends exactly what `encode_to_vec` + the payload
//! (masked with the naive loop when there is a key) appends, for every small length (the
//! exact-size fast path) and across the switch to the general path.
#![cfg(feature = "std")]

use proptest::prelude::*;
use sockwire::frame::{FrameError, FrameHeader, OpCode};
use sockwire::mask::apply_mask_naive;

fn reference(h: &FrameHeader, payload: &[u8], out: &mut Vec<u8>) -> usize {
    let n = h.encode_to_vec(out).unwrap();
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = h.mask {
        apply_mask_naive(&mut out[start..], key, 0);
    }
    n + payload.len()
}

const OPCODES: [OpCode; 6] = [
    OpCode::Continuation,
    OpCode::Text,
    OpCode::Binary,
    OpCode::Close,
    OpCode::Ping,
    OpCode::Pong,
];

#[test]
fn every_small_length_and_header_matches_reference() {
    let payload: Vec<u8> = (0..70_000u32).map(|i| (i * 37 + 11) as u8).collect();
    for len in (0..=130).chain([200, 255, 256, 300, 65535, 65536, 70000]) {
        for (i, &op) in OPCODES.iter().enumerate() {
            for mask in [None, Some([0x37, 0xfa, 0x21, 0x3d])] {
                let h = FrameHeader::new(op, len as u64)
                    .with_fin(i % 2 == 0)
                    .with_rsv((i % 8) as u8)
                    .with_mask(mask);
                // Appends after existing bytes, with and without spare capacity.
                for cap in [0, 1024] {
                    let mut got = Vec::with_capacity(cap);
                    got.extend_from_slice(b"prefix");
                    let mut want = got.clone();
                    let n = h.encode_frame_to_vec(&payload[..len], &mut got).unwrap();
                    assert_eq!(n, reference(&h, &payload[..len], &mut want));
                    assert_eq!(got, want, "len {len} op {op:?} mask {mask:?}");
                }
            }
        }
    }
}

#[test]
fn rfc_6455_examples() {
    let mut out = Vec::new();
    FrameHeader::new(OpCode::Text, 5)
        .encode_frame_to_vec(b"Hello", &mut out)
        .unwrap();
    assert_eq!(out, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    out.clear();
    FrameHeader::new(OpCode::Text, 5)
        .with_mask(Some([0x37, 0xfa, 0x21, 0x3d]))
        .encode_frame_to_vec(b"Hello", &mut out)
        .unwrap();
    assert_eq!(
        out,
        [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
        ]
    );
}

#[test]
fn length_mismatch_and_unencodable_append_nothing() {
    let mut out = b"keep".to_vec();
    for len in [0usize, 5, 16, 32, 33, 200] {
        let h = FrameHeader::new(OpCode::Binary, len as u64 + 1);
        assert_eq!(
            h.encode_frame_to_vec(&vec![0; len], &mut out),
            Err(FrameError::Unencodable)
        );
        let h = FrameHeader::new(OpCode::Binary, len as u64).with_rsv(8);
        assert_eq!(
            h.encode_frame_to_vec(&vec![0; len], &mut out),
            Err(FrameError::Unencodable)
        );
    }
    assert_eq!(out, b"keep");
}

proptest! {
    #[test]
    fn matches_reference(
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        op in 0usize..6,
        fin: bool,
        rsv in 0u8..8,
        mask: Option<[u8; 4]>,
        prefix in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let h = FrameHeader::new(OPCODES[op], payload.len() as u64)
            .with_fin(fin)
            .with_rsv(rsv)
            .with_mask(mask);
        let mut got = prefix.clone();
        let mut want = prefix;
        let n = h.encode_frame_to_vec(&payload, &mut got).unwrap();
        prop_assert_eq!(n, reference(&h, &payload, &mut want));
        prop_assert_eq!(got, want);
    }
}
