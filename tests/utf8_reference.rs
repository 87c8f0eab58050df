#![cfg(feature = "std")]
//! The incremental validator agrees with `core::str::from_utf8` for arbitrary bytes, whole and
//! split at every point, and fails exactly at the first byte that no valid text could contain.

use proptest::prelude::*;
use sockwire::utf8::{Utf8Validator, validate};

/// Naive reference: the index of the first byte `j` such that `bytes[..=j]` is not a prefix of
/// any valid UTF-8 text, or `None` if every prefix is (the text may still be truncated).
fn first_bad_byte(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find(|&j| match core::str::from_utf8(&bytes[..=j]) {
        Ok(_) => false,
        Err(e) => e.error_len().is_some(),
    })
}

/// Feeds `chunks` and returns the global offset of the failure, `Err(None)` if only `finish`
/// failed, `Ok` otherwise.
fn run(chunks: &[&[u8]]) -> Result<(), Option<usize>> {
    let mut v = Utf8Validator::new();
    let mut base = 0;
    for c in chunks {
        if let Err(e) = v.feed(c) {
            return Err(Some(
                base + e.offset().expect("feed errors carry an offset"),
            ));
        }
        base += c.len();
    }
    v.finish().map_err(|e| {
        assert!(e.is_incomplete());
        None
    })
}

fn expected(bytes: &[u8]) -> Result<(), Option<usize>> {
    match core::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(_) => Err(first_bad_byte(bytes)),
    }
}

/// Bytes biased towards the interesting parts of UTF-8: lead bytes, continuation bytes, ASCII.
fn utf8ish() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        4 => 0x00u8..0x80,
        3 => 0x80u8..0xC0,
        1 => 0xC0u8..0xC2,
        2 => 0xC2u8..0xE0,
        1 => Just(0xE0u8),
        1 => Just(0xEDu8),
        2 => 0xE1u8..0xF0,
        1 => Just(0xF0u8),
        1 => 0xF1u8..0xF4,
        1 => Just(0xF4u8),
        1 => 0xF5u8..=0xFF,
    ];
    prop_oneof![
        proptest::collection::vec(byte, 0..48),
        // Valid text with one byte possibly changed.
        (any::<String>(), any::<usize>(), any::<u8>()).prop_map(|(s, i, b)| {
            let mut v = s.into_bytes();
            if !v.is_empty() {
                let n = v.len();
                v[i % n] = b;
            }
            v
        }),
        any::<String>().prop_map(String::into_bytes),
    ]
}

proptest! {
    #[test]
    fn whole_matches_reference(bytes in utf8ish()) {
        prop_assert_eq!(run(&[&bytes]), expected(&bytes));
        prop_assert_eq!(validate(&bytes).is_ok(), core::str::from_utf8(&bytes).is_ok());
    }

    #[test]
    fn every_split_matches_reference(bytes in utf8ish()) {
        let want = expected(&bytes);
        for k in 0..=bytes.len() {
            prop_assert_eq!(run(&[&bytes[..k], &bytes[k..]]), want, "split at {}", k);
        }
    }

    #[test]
    fn random_chunks_match_reference(bytes in utf8ish(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts {
            chunks.push(&bytes[prev..c]);
            prev = c;
        }
        chunks.push(&bytes[prev..]);
        prop_assert_eq!(run(&chunks), expected(&bytes));
    }

    #[test]
    fn byte_at_a_time_matches_reference(bytes in utf8ish()) {
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(run(&chunks), expected(&bytes));
    }

    #[test]
    fn long_ascii_runs_with_one_bad_byte(len in 0usize..200, pos in any::<usize>(), bad in 0x80u8..=0xFF) {
        let mut bytes = vec![b'x'; len];
        if len > 0 {
            bytes[pos % len] = bad;
        }
        prop_assert_eq!(run(&[&bytes]), expected(&bytes));
    }
}
