//! `decode_frames` changes nothing but the payloads: after it, the whole buffer equals the
//! input with each complete frame's payload unmasked (headers, earlier frames and the partial
//! tail untouched), for every short payload length and every start offset of the frames.
#![cfg(feature = "std")]

use proptest::prelude::*;
use sockwire::Role;
use sockwire::frame::{DecodeConfig, FrameHeader, HeaderDecoder, OpCode};
use sockwire::mask::apply_mask_naive;

/// The wire bytes of masked frames after `lead` filler bytes, the expected buffer once every
/// frame is unmasked, and the length of the frames.
fn build(lead: usize, frames: &[(usize, [u8; 4])], tail: &[u8]) -> (Vec<u8>, Vec<u8>, usize) {
    let mut wire = vec![0xA5u8; lead];
    let mut want = wire.clone();
    for (i, &(len, key)) in frames.iter().enumerate() {
        let h = FrameHeader::new(OpCode::Binary, len as u64).with_mask(Some(key));
        let hb = h.header_bytes().unwrap();
        wire.extend_from_slice(&hb);
        want.extend_from_slice(&hb);
        let payload: Vec<u8> = (0..len).map(|j| (j * 13 + i * 7) as u8).collect();
        want.extend_from_slice(&payload);
        let mut masked = payload;
        apply_mask_naive(&mut masked, key, 0);
        wire.extend_from_slice(&masked);
    }
    let consumed = wire.len() - lead;
    wire.extend_from_slice(tail);
    want.extend_from_slice(tail);
    (wire, want, consumed)
}

fn run(wire: &mut [u8], lead: usize) -> (usize, Vec<Vec<u8>>) {
    let dec = HeaderDecoder::new(DecodeConfig::new(Role::Server));
    let mut seen = Vec::new();
    let n = dec
        .decode_frames(&mut wire[lead..], |_, p| seen.push(p.to_vec()))
        .unwrap();
    (n, seen)
}

#[test]
fn every_short_length_after_every_lead() {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for lead in 0..20 {
        for len in 0..=40 {
            let frames = [(len, key), (len / 2, [1, 2, 3, 4]), (len, key)];
            let (mut wire, want, consumed) = build(lead, &frames, &[0x81, 0x85, 9]);
            let (n, seen) = run(&mut wire, lead);
            assert_eq!(n, consumed, "lead {lead} len {len}");
            assert_eq!(wire, want, "lead {lead} len {len}");
            assert_eq!(seen.len(), 3);
        }
    }
}

proptest! {
    #[test]
    fn only_payloads_change(
        lead in 0usize..24,
        frames in proptest::collection::vec((0usize..40, any::<[u8; 4]>()), 0..12),
        tail_len in 0usize..6,
    ) {
        // The tail is an incomplete header: it stays undecoded and untouched.
        let tail = &[0x82, 0x85, 1, 2, 3][..tail_len];
        let (mut wire, want, consumed) = build(lead, &frames, tail);
        let (n, seen) = run(&mut wire, lead);
        prop_assert_eq!(n, consumed);
        prop_assert_eq!(seen.len(), frames.len());
        prop_assert_eq!(wire, want);
    }
}
