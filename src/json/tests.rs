//! Unit tests of the JSON scanner, tokenizer, readers and writer.

use super::*;

#[test]
fn parse_u64_matches_the_standard_parser_on_json_integers() {
    let cases: [&str; 14] = [
        "0",
        "7",
        "00",
        "01",
        "-1",
        "+1",
        "1e3",
        "1.0",
        "",
        " 1",
        "9999999999999999999",
        "10000000000000000000",
        "18446744073709551615",
        "18446744073709551616",
    ];
    for raw in cases {
        // JSON integers: no sign, no leading zero (except "0" itself).
        let json_ok = !raw.is_empty()
            && raw.bytes().all(|c| c.is_ascii_digit())
            && !(raw.len() > 1 && raw.starts_with('0'));
        let want = if json_ok {
            raw.parse::<u64>().ok()
        } else {
            None
        };
        assert_eq!(parse_u64(raw), want, "{raw:?}");
    }
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..10_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = x >> (x % 64);
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut m = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        let raw = core::str::from_utf8(&buf[i..]).unwrap_or("");
        assert_eq!(parse_u64(raw), Some(n), "{raw}");
    }
}

#[test]
#[cfg(feature = "alloc")]
fn has_backslash_finds_it_anywhere() {
    // Every length to 40 with one backslash at every position, none, and the neighbours
    // of `\\` in value (0x5b, 0x5d) and bytes that differ from it in one bit.
    for len in 0..=40 {
        let plain = [b'a'; 40];
        assert!(!has_backslash(&plain[..len]));
        for near in [0x5b_u8, 0x5d, 0x5c ^ 0x80, 0x5c ^ 0x01, 0x5c ^ 0x40, 0] {
            let mut b = [near; 40];
            assert!(!has_backslash(&b[..len]), "{near:#x} len {len}");
            for at in 0..len {
                b[at] = b'\\';
                assert!(has_backslash(&b[..len]), "len {len} at {at}");
                b[at] = near;
            }
        }
    }
}

#[test]
fn accepts_valid_documents() {
    for ok in [
        "0",
        "-0",
        "1.5e-3",
        "1E+2",
        "\"\"",
        "\"\\u00e9\\ud83d\\ude00\"",
        "[]",
        "{}",
        " [ 1 , { \"a\" : [ null , true , false ] } ] ",
        "\"\\ud800\"",
    ] {
        assert_eq!(validate(ok), Ok(()), "{ok}");
    }
}

#[test]
fn rejects_invalid_documents() {
    for bad in [
        "",
        " ",
        "01",
        "-",
        "1.",
        ".1",
        "1e",
        "+1",
        "[1,]",
        "[,1]",
        "{\"a\":1,}",
        "{,}",
        "{\"a\" 1}",
        "{1:2}",
        "[1 2]",
        "tru",
        "nul",
        "\"a",
        "\"\\x\"",
        "\"\\u12g4\"",
        "\"\t\"",
        "[]]",
        "{}x",
        "NaN",
        "'a'",
        "[",
        "{\"a\":",
        "1 2",
    ] {
        assert!(validate(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn depth_is_capped() {
    let deep: alloc_free::Buf = alloc_free::nested(200);
    assert_eq!(
        validate(deep.as_str()).unwrap_err().kind,
        JsonErrorKind::TooDeep
    );
    assert!(validate_with_depth(deep.as_str(), 256).is_ok());
}

mod alloc_free {
    pub(super) struct Buf([u8; 512], usize);
    impl Buf {
        pub(super) fn as_str(&self) -> &str {
            core::str::from_utf8(&self.0[..self.1]).unwrap()
        }
    }
    pub(super) fn nested(n: usize) -> Buf {
        let mut b = [0u8; 512];
        for i in 0..n {
            b[i] = b'[';
            b[2 * n - 1 - i] = b']';
        }
        Buf(b, 2 * n)
    }
}

#[test]
fn string_helpers() {
    assert!(string_eq("\"a\\\"b\"", "a\"b"));
    assert!(string_eq("\"\\ud83d\\ude00\"", "😀"));
    assert!(!string_eq("\"\\ud83d\"", "\u{fffd}"));
    assert!(!string_eq("\"ab\"", "a"));
    assert!(!string_eq("\"a\"", "ab"));
    assert_eq!(str_borrowed("\"plain\""), Some("plain"));
    assert_eq!(str_borrowed("\"esc\\n\""), None);
}

#[test]
fn items_and_members() {
    let v: Result<(), JsonError> = array_items("[1,]").unwrap().try_for_each(|r| r.map(drop));
    assert!(v.is_err());
    let v: Result<(), JsonError> = array_items("[1] x").unwrap().try_for_each(|r| r.map(drop));
    assert_eq!(v.unwrap_err().kind, JsonErrorKind::TrailingCharacters);
    assert_eq!(array_items("[]").unwrap().count(), 0);
    assert_eq!(array_items(" [ ] ").unwrap().count(), 0);
    assert_eq!(
        array_items("{}").unwrap_err().kind,
        JsonErrorKind::WrongType
    );
    let v: Result<(), JsonError> = object_members("{\"a\":1,}")
        .unwrap()
        .try_for_each(|r| r.map(drop));
    assert!(v.is_err());
    assert_eq!(object_members("{ }").unwrap().count(), 0);
}

#[test]
fn writer_matches_json_stringify() {
    let mut out = [0u8; 64];
    let n = write_str_to_slice("\u{0}\u{1f}\u{7f}\u{2028}\\/", &mut out).unwrap();
    assert_eq!(
        core::str::from_utf8(&out[..n]).unwrap(),
        "\"\\u0000\\u001f\u{7f}\u{2028}\\\\/\""
    );
    assert_eq!(escaped_len("ab"), 4);
    assert_eq!(write_str_to_slice("abc", &mut out[..4]), None);
}

/// The writer (plain bytes skipped a word at a time) against a byte-by-byte reference of
/// `JSON.stringify`'s escaping, on strings of every length and every special byte position.
#[cfg(feature = "alloc")]
mod writer_props {
    use alloc::string::String;
    use proptest::prelude::*;

    fn reference(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{8}' => out.push_str("\\b"),
                '\u{9}' => out.push_str("\\t"),
                '\u{a}' => out.push_str("\\n"),
                '\u{c}' => out.push_str("\\f"),
                '\u{d}' => out.push_str("\\r"),
                c if (c as u32) < 0x20 => {
                    out.push_str(&alloc::format!("\\u{:04x}", c as u32));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn push_string_matches_reference(s in "(\\PC|[\"\\\\\u{0}-\u{1f}\u{7f}]){0,40}") {
            let want = reference(&s);
            let mut out = String::from("x");
            super::push_string(&mut out, &s);
            prop_assert_eq!(&out[1..], want.as_str());
            let mut v = alloc::vec::Vec::new();
            super::push_str(&mut v, &s);
            prop_assert_eq!(v.as_slice(), want.as_bytes());
            prop_assert_eq!(super::escaped_len(&s), want.len());
            let mut w = String::new();
            super::write_str(&mut w, &s).unwrap();
            prop_assert_eq!(w, want);
        }
    }
}
