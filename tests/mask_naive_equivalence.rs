//! The fast masking paths equal the naive byte loop for every length 0..=300, every phase 0..4
//! and every start offset 0..16 (exhaustively), and for random larger inputs.
use sockwire::mask::{apply_mask, apply_mask_naive, next_phase};

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn every_length_phase_and_offset() {
    let keys = [[0x37, 0xfa, 0x21, 0x3d], [0xFF, 0x00, 0x80, 0x01]];
    // A backing buffer aligned arbitrarily; offsets 0..16 and a canary on both sides.
    let mut backing = vec![0u8; 300 + 64 + 64];
    let base = 32 - (backing.as_ptr() as usize % 32); // first 32-byte-aligned index
    for key in keys {
        for len in 0..=300usize {
            let src = data(len, len as u8);
            for phase in 0..4 {
                let mut expect = src.clone();
                apply_mask_naive(&mut expect, key, phase);
                for off in 0..16 {
                    backing.fill(0xC5);
                    let start = base + off;
                    backing[start..start + len].copy_from_slice(&src);
                    apply_mask(&mut backing[start..start + len], key, phase);
                    assert_eq!(
                        &backing[start..start + len],
                        &expect[..],
                        "len {len} phase {phase} off {off}"
                    );
                    assert!(
                        backing[..start].iter().all(|&b| b == 0xC5),
                        "write before the slice"
                    );
                    assert!(
                        backing[start + len..].iter().all(|&b| b == 0xC5),
                        "write after the slice"
                    );
                }
            }
        }
    }
}

#[test]
fn large_phases_and_next_phase() {
    let key = [1, 2, 3, 4];
    let src = data(1000, 7);
    for phase in [4usize, 5, 1001, usize::MAX, usize::MAX - 1] {
        let mut a = src.clone();
        let mut b = src.clone();
        apply_mask(&mut a, key, phase);
        apply_mask(&mut b, key, phase % 4);
        assert_eq!(a, b);
    }
    assert_eq!(next_phase(3, 5), 0);
    assert_eq!(next_phase(usize::MAX, 1), 0); // usize::MAX % 4 == 3
    assert_eq!(next_phase(0, usize::MAX), 3);
}

#[test]
fn big_buffers_match() {
    let key = [0xde, 0xad, 0xbe, 0xef];
    for len in [1024usize, 4096 + 3, 16384, 65536 + 17] {
        for off in [0usize, 1, 7, 31] {
            let mut backing = data(len + 64, 3);
            let mut expect = backing.clone();
            apply_mask(&mut backing[off..off + len], key, 2);
            apply_mask_naive(&mut expect[off..off + len], key, 2);
            assert_eq!(backing, expect);
        }
    }
}
