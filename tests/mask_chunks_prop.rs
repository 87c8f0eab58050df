//! Properties: masking in random chunks with the phase carried equals masking at once;
//! masking twice is the identity; random inputs equal the naive loop.
#![cfg(feature = "std")]
use proptest::prelude::*;
use sockwire::mask::{apply_mask, apply_mask_naive, next_phase};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn chunked_equals_one_shot(
        data in proptest::collection::vec(any::<u8>(), 0..2000),
        key in any::<[u8; 4]>(),
        phase in 0usize..4,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut once = data.clone();
        apply_mask(&mut once, key, phase);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
        points.push(0);
        points.push(data.len());
        points.sort_unstable();
        let mut chunked = data.clone();
        let mut p = phase;
        for w in points.windows(2) {
            apply_mask(&mut chunked[w[0]..w[1]], key, p);
            p = next_phase(p, w[1] - w[0]);
        }
        prop_assert_eq!(&chunked, &once);
    }

    #[test]
    fn twice_is_identity(data in proptest::collection::vec(any::<u8>(), 0..3000), key in any::<[u8; 4]>(), phase in any::<usize>(), off in 0usize..64) {
        let off = off.min(data.len());
        let mut buf = data.clone();
        apply_mask(&mut buf[off..], key, phase);
        apply_mask(&mut buf[off..], key, phase);
        prop_assert_eq!(buf, data);
    }

    #[test]
    fn random_equals_naive(data in proptest::collection::vec(any::<u8>(), 0..5000), key in any::<[u8; 4]>(), phase in any::<usize>(), off in 0usize..64) {
        let off = off.min(data.len());
        let mut a = data.clone();
        let mut b = data;
        apply_mask(&mut a[off..], key, phase);
        apply_mask_naive(&mut b[off..], key, phase);
        prop_assert_eq!(a, b);
    }
}
