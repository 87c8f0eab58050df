#![no_main]
//! `apply_mask` equals the naive byte loop for any input, key, phase and start offset, never
//! touches bytes outside the slice, and chunked masking with the phase carried equals one shot.
use libfuzzer_sys::fuzz_target;
use sockwire::mask::{apply_mask, apply_mask_naive, next_phase};

fuzz_target!(|data: &[u8]| {
    if data.len() < 7 {
        return;
    }
    let key = [data[0], data[1], data[2], data[3]];
    let phase = usize::from(data[4]);
    let off = usize::from(data[5] % 64);
    let cut = usize::from(data[6]);
    let payload = &data[7..];

    // Place the payload at an arbitrary offset inside canaries.
    let mut fast = vec![0xA5u8; off + payload.len() + 64];
    fast[off..off + payload.len()].copy_from_slice(payload);
    let mut slow = fast.clone();
    apply_mask(&mut fast[off..off + payload.len()], key, phase);
    apply_mask_naive(&mut slow[off..off + payload.len()], key, phase);
    assert_eq!(fast, slow);

    // Two chunks with the phase carried.
    let cut = cut.min(payload.len());
    let mut chunked = payload.to_vec();
    let (a, b) = chunked.split_at_mut(cut);
    apply_mask(a, key, phase);
    apply_mask(b, key, next_phase(phase, cut));
    assert_eq!(&chunked[..], &fast[off..off + payload.len()]);

    // Twice is the identity.
    apply_mask(&mut fast[off..off + payload.len()], key, phase);
    assert_eq!(&fast[off..off + payload.len()], payload);
});
