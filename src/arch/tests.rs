//! Tests of the CPU-specific fast paths, each against its portable reference.

use super::*;
use std::eprintln;

fn reference(key: &[u8]) -> [u8; 20] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(super::WS_GUID);
    sha.digest().bytes()
}

/// Runs only where the CPU has the SHA extensions (it says so when it skips); the callers'
/// property tests then cover this path through the dispatch.
#[test]
fn sha1_matches_the_reference() {
    let Some(d) = sha1_key_guid(b"dGhlIHNhbXBsZSBub25jZQ==") else {
        eprintln!("no SHA extensions on this CPU: the portable path is the one in use");
        return;
    };
    assert_eq!(d, reference(b"dGhlIHNhbXBsZSBub25jZQ=="));
    for bit in 0..24 * 8 {
        let mut key = [0u8; 24];
        key[bit / 8] = 1 << (bit % 8);
        assert_eq!(sha1_key_guid(&key), Some(reference(&key)), "bit {bit}");
    }
    // Random keys: `handshake::sha1`'s tests run the dispatching digest (this path, on
    // such a CPU) beside the portable one against the reference.
}

/// The reference for [`header_stops`], one byte at a time.
fn header_stops_portable(chunk: &[u8; 16]) -> (u32, u32) {
    let (mut stop, mut name_stop) = (0, 0);
    for (i, &b) in chunk.iter().enumerate() {
        if (b < 0x20 && b != b'\t') || b == 0x7f {
            stop |= 1 << i;
        }
        if b < 0x20 || b == b':' {
            name_stop |= 1 << i;
        }
    }
    (stop, name_stop)
}

/// The reference for [`target_stops`], one byte at a time.
fn target_stops_portable(chunk: &[u8; 16]) -> u32 {
    let mut m = 0;
    for (i, &b) in chunk.iter().enumerate() {
        if !(0x21..0x7f).contains(&b) {
            m |= 1 << i;
        }
    }
    m
}

#[test]
#[cfg(target_arch = "x86_64")]
fn byte_classes_match_the_reference() {
    // Every byte value in every lane, next to every other lane content class.
    for b in 0..=255u8 {
        for fill in [0u8, b' ', b'\t', b':', 0x7f, 0x80, b'a'] {
            for lane in 0..16 {
                let mut chunk = [fill; 16];
                chunk[lane] = b;
                assert_eq!(
                    header_stops(&chunk),
                    header_stops_portable(&chunk),
                    "{b:#x} in lane {lane} among {fill:#x}"
                );
                assert_eq!(
                    target_stops(&chunk),
                    target_stops_portable(&chunk),
                    "{b:#x} in lane {lane} among {fill:#x}"
                );
            }
        }
    }
}

/// The first `"`, `\\` or control byte at or after `i`, byte by byte.
fn json_string_stop_reference(b: &[u8], i: usize) -> usize {
    (i..b.len())
        .find(|&k| matches!(b[k], b'"' | b'\\' | 0..=0x1f))
        .unwrap_or(b.len())
}

fn digit_run_end_reference(b: &[u8], i: usize) -> usize {
    (i..b.len())
        .find(|&k| !b[k].is_ascii_digit())
        .unwrap_or(b.len())
}

#[test]
fn digit_run_end_matches_the_reference() {
    // Every byte value at every position in runs of digits around the chunk boundaries.
    for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 47, 50] {
        for at in 0..len {
            for b in 0..=255u8 {
                let mut v = std::vec![b'7'; len];
                v[at] = b;
                for i in 0..=len {
                    match digit_run_end(&v, i) {
                        Some(k) => assert_eq!(
                            k,
                            digit_run_end_reference(&v, i),
                            "len {len} byte {b:#x} at {at} from {i}"
                        ),
                        None => assert!(
                            len < 16 || !cfg!(target_arch = "x86_64"),
                            "no fast path for {len} bytes"
                        ),
                    }
                }
            }
        }
    }
}

#[test]
fn json_string_stop_matches_the_reference() {
    // Every byte value at every position of lengths around the 16-byte chunk and tail
    // boundaries, from every start offset, in otherwise plain text.
    for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 47, 50] {
        for at in 0..len {
            for b in 0..=255u8 {
                let mut v = std::vec![b'a'; len];
                v[at] = b;
                for i in 0..=len {
                    match json_string_stop(&v, i) {
                        Some((k, quote)) => {
                            assert_eq!(
                                k,
                                json_string_stop_reference(&v, i),
                                "len {len} byte {b:#x} at {at} from {i}"
                            );
                            assert_eq!(quote, v.get(k) == Some(&b'"'), "quote flag at {k}");
                        }
                        None => assert!(
                            len < 16 || !cfg!(target_arch = "x86_64"),
                            "no fast path for {len} bytes"
                        ),
                    }
                }
            }
        }
    }
}

/// The reference for [`json_plain_quotes`], one byte at a time.
fn json_plain_quotes_reference(b: &[u8]) -> Option<[u64; 4]> {
    if !(16..=PLAIN_QUOTES_MAX).contains(&b.len()) {
        return None;
    }
    let mut q = [0u64; 4];
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'\\' | 0..=0x1f => return None,
            b'"' => q[k / 64] |= 1 << (k % 64),
            _ => {}
        }
    }
    Some(q)
}

#[test]
fn json_plain_quotes_matches_the_reference() {
    // Every byte value at every position of lengths around the chunk, word and size
    // boundaries, in plain text and among quotes.
    for len in [
        0usize, 1, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129, 200, 255, 256, 257,
        300,
    ] {
        for fill in [b'a', b'"'] {
            let mut v = std::vec![fill; len];
            let want = json_plain_quotes_reference(&v);
            if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
                let mut q = [0; 4];
                let got = json_plain_quotes(&v, &mut q).then_some(q);
                assert_eq!(got, want, "len {len} fill {fill}");
            }
            // Every position of short texts; around chunk and word boundaries and the tail
            // in longer ones.
            let ats: std::vec::Vec<usize> = if len <= 65 {
                (0..len).collect()
            } else {
                [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 191, 192, 255]
                    .into_iter()
                    .chain(len.saturating_sub(17)..len)
                    .filter(|&k| k < len)
                    .collect()
            };
            for at in ats {
                for b in 0..=255u8 {
                    v[at] = b;
                    let mut q = [0; 4];
                    if json_plain_quotes(&v, &mut q) {
                        assert_eq!(Some(q), json_plain_quotes_reference(&v), "len {len}");
                    } else if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
                        assert_eq!(
                            json_plain_quotes_reference(&v),
                            None,
                            "len {len} {b:#x} at {at}"
                        );
                    }
                }
                v[at] = fill;
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn digit_run_end_matches_the_reference_on_random_text(
        v in proptest::collection::vec(
            proptest::prop_oneof![
                8 => proptest::sample::select(b"0123456789".to_vec()),
                1 => proptest::sample::select(b"/:\x00\xd0\xff.e-".to_vec()),
            ],
            0..80,
        ),
        i in 0usize..80,
    ) {
        let i = i.min(v.len());
        if let Some(k) = digit_run_end(&v, i) {
            proptest::prop_assert_eq!(k, digit_run_end_reference(&v, i));
        }
    }

    #[test]
    fn json_plain_quotes_matches_the_reference_on_random_text(
        v in proptest::collection::vec(
            proptest::prop_oneof![
                16 => proptest::sample::select(b"ab{}[]:,0 \x7f\xc3\xa9".to_vec()),
                4 => proptest::strategy::Just(b'"'),
                1 => proptest::sample::select(b"\\\x00\x1f\x20\t".to_vec()),
            ],
            0..300,
        ),
    ) {
        let mut q = [0; 4];
        if json_plain_quotes(&v, &mut q) {
            proptest::prop_assert_eq!(Some(q), json_plain_quotes_reference(&v));
        } else if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
            proptest::prop_assert_eq!(json_plain_quotes_reference(&v), None);
        }
    }

    #[test]
    fn json_string_stop_matches_the_reference_on_random_text(
        v in proptest::collection::vec(
            proptest::prop_oneof![
                8 => proptest::sample::select(b"ab \x7f\xc3\xa9".to_vec()),
                1 => proptest::sample::select(b"\"\\\x00\x1f\x20".to_vec()),
            ],
            0..80,
        ),
        i in 0usize..80,
    ) {
        let i = i.min(v.len());
        if let Some((k, quote)) = json_string_stop(&v, i) {
            proptest::prop_assert_eq!(k, json_string_stop_reference(&v, i));
            proptest::prop_assert_eq!(quote, v.get(k) == Some(&b'"'));
        }
    }
}

#[test]
fn with_avx2_runs_the_closure_only_where_the_cpu_has_avx2() {
    let mut ran = false;
    let r = with_avx2(|| {
        ran = true;
        7
    });
    assert_eq!(r.is_some(), ran);
    if let Some(v) = r {
        assert_eq!(v, 7);
    } else {
        eprintln!("no AVX2 on this CPU: the portable path is the one in use");
    }
    // `mask`'s own tests run the long-slice loop through this against a byte loop.
}
