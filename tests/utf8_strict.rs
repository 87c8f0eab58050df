#![cfg(feature = "std")]
//! Fail-fast cases (Autobahn 6.x style): the validator fails at the offending byte, even in the
//! middle of a code point, and stays failed until reset.

use sockwire::utf8::{Utf8Validator, validate};

/// Feeds one byte at a time; returns the index of the byte whose feed failed.
fn fail_index(bytes: &[u8]) -> Option<usize> {
    let mut v = Utf8Validator::new();
    for (i, b) in bytes.iter().enumerate() {
        if v.feed(core::slice::from_ref(b)).is_err() {
            return Some(i);
        }
    }
    None
}

#[test]
fn rejects_at_the_offending_byte() {
    let cases: &[(&[u8], usize)] = &[
        (&[0x80], 0),                   // stray continuation
        (&[0xBF], 0),                   // stray continuation
        (&[0xC0, 0x80], 0),             // overlong lead C0
        (&[0xC1, 0xBF], 0),             // overlong lead C1
        (&[0xE0, 0x80, 0x80], 1),       // overlong 3-byte
        (&[0xE0, 0x9F, 0xBF], 1),       // overlong 3-byte
        (&[0xF0, 0x80, 0x80, 0x80], 1), // overlong 4-byte
        (&[0xF0, 0x8F, 0xBF, 0xBF], 1), // overlong 4-byte
        (&[0xED, 0xA0, 0x80], 1),       // surrogate U+D800
        (&[0xED, 0xBF, 0xBF], 1),       // surrogate U+DFFF
        (&[0xF4, 0x90, 0x80, 0x80], 1), // U+110000
        (&[0xF5, 0x80, 0x80, 0x80], 0), // lead > F4
        (&[0xFF], 0),
        (&[0xFE], 0),
        (&[0xC2, 0x41], 1),             // missing continuation
        (&[0xE2, 0x82, 0x41], 2),       // missing second continuation
        (&[0xF0, 0x9F, 0x98, 0x41], 3), // missing third continuation
        (
            &[
                b'H', b'i', 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xED,
                0xA0, 0x80, b'e',
            ],
            14,
        ), // Autobahn 6.4.1-like
        (
            &[
                0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xF4, 0x90, 0x80,
                0x80,
            ],
            12,
        ), // 6.4.2-like
        (
            &[
                0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xF4,
            ],
            usize::MAX,
        ), // valid prefix
    ];
    for &(bytes, want) in cases {
        let got = fail_index(bytes);
        if want == usize::MAX {
            assert_eq!(got, None, "{bytes:02X?}");
            continue;
        }
        assert_eq!(got, Some(want), "{bytes:02X?}");
        // Whole-chunk feeding reports the same offset.
        let mut v = Utf8Validator::new();
        assert_eq!(
            v.feed(bytes).unwrap_err().offset(),
            Some(want),
            "{bytes:02X?}"
        );
        assert!(validate(bytes).is_err());
    }
}

#[test]
fn boundaries_of_each_range_are_accepted() {
    for s in [
        "\u{0}",
        "\u{7F}",
        "\u{80}",
        "\u{7FF}",
        "\u{800}",
        "\u{D7FF}",
        "\u{E000}",
        "\u{FFFF}",
        "\u{10000}",
        "\u{10FFFF}",
        "κόσμε",
        "€",
        "𝄞",
    ] {
        assert_eq!(validate(s.as_bytes()), Ok(()), "{s:?}");
        assert_eq!(fail_index(s.as_bytes()), None);
    }
}

#[test]
fn truncated_text_fails_only_at_finish() {
    let mut v = Utf8Validator::new();
    v.feed(&[0xF0, 0x9F, 0x98]).unwrap();
    assert!(!v.is_boundary());
    let e = v.finish().unwrap_err();
    assert!(e.is_incomplete());
    assert_eq!(e.offset(), None);
    v.feed(&[0x80]).unwrap();
    assert!(v.is_boundary());
    v.finish().unwrap();
}

#[test]
fn stays_failed_until_reset() {
    let mut v = Utf8Validator::new();
    assert!(v.feed(&[0xFF]).is_err());
    assert!(v.is_failed());
    assert!(!v.is_boundary());
    assert_eq!(v.feed(b"ok").unwrap_err().offset(), Some(0));
    assert!(v.finish().is_err());
    v.reset();
    v.feed(b"ok").unwrap();
    v.finish().unwrap();
}

#[test]
fn empty_chunks_change_nothing() {
    let mut v = Utf8Validator::new();
    v.feed(&[]).unwrap();
    v.feed(&[0xE2]).unwrap();
    v.feed(&[]).unwrap();
    v.feed(&[0x82]).unwrap();
    v.feed(&[]).unwrap();
    v.feed(&[0xAC]).unwrap();
    v.finish().unwrap();
}

#[test]
fn long_ascii_then_error_position() {
    for len in 0..70 {
        let mut bytes = vec![b'a'; len];
        bytes.push(0xC0);
        bytes.extend_from_slice(b"tail");
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(&bytes).unwrap_err().offset(), Some(len));
    }
}
