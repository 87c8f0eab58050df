//! Unit and property tests of the fast scanner (against the general one and naive references).

#[cfg(test)]
mod unit {
    use super::super::*;
    use alloc::string::String;

    #[test]
    fn stringify_escapes() {
        let mut s = String::new();
        write_str(&mut s, "a\"\\\n\u{1}\u{7f}é\u{2028}");
        assert_eq!(s, "\"a\\\"\\\\\\n\\u0001\u{7f}é\u{2028}\"");
    }

    #[test]
    fn raw_key_compare() {
        assert!(raw_eq(b"_placeholder", "_placeholder"));
        assert!(raw_eq(br"_placeholde\u0072", "_placeholder"));
        assert!(!raw_eq(br"_placeholde\u0072x", "_placeholder"));
        assert!(raw_eq(br"\ud83d\ude00", "😀"));
    }

    #[test]
    fn scan() {
        for ok in [
            "1",
            "-0.5e+3",
            "\"\\u00e9\"",
            "[1, {\"a\" : [ ] }]",
            "{}",
            "true",
        ] {
            assert!(validate(ok.as_bytes(), 8, None).is_ok(), "{ok}");
        }
        for bad in [
            "01", "1.", "[1,]", "{\"a\"}", "\"\t\"", " 1", "nul", "[", "\"\\x\"", "1 2",
        ] {
            assert!(validate(bad.as_bytes(), 8, None).is_err(), "{bad}");
        }
        assert_eq!(
            validate(b"[[[]]]", 2, None).unwrap_err(),
            ScanError::TooDeep
        );
    }
}

/// Property tests of the fast paths against the general scanner and naive references.
#[cfg(test)]
pub(crate) mod prop_tests {
    use super::super::*;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    /// Fragments that make up mostly invalid, JSON-looking text: every escape (valid and not),
    /// whitespace, control and non-ASCII characters, partial literals and numbers.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(",".to_string()),
            Just(":".to_string()),
            Just("\"".to_string()),
            Just("\\".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\u{1}".to_string()),
            Just("\u{1f}".to_string()),
            Just("é".to_string()),
            Just("😀".to_string()),
            Just("true".to_string()),
            Just("fals".to_string()),
            Just("null".to_string()),
            Just("-".to_string()),
            Just("0".to_string()),
            Just("17".to_string()),
            Just(".5".to_string()),
            Just("e+".to_string()),
            Just("E9".to_string()),
            Just("\"k\"".to_string()),
            Just("\"k\":".to_string()),
            Just("\"plain text of some length\"".to_string()),
            prop::sample::select(
                &[
                    "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u00e9", "\\uD83D",
                    "\\ude00", "\\u12", "\\uzzzz", "\\x", "\\'", "\\0",
                ][..]
            )
            .prop_map(str::to_string),
            "[a-z0-9 ]{0,12}",
        ]
    }

    fn junk() -> impl Strategy<Value = String> {
        prop::collection::vec(fragment(), 0..24).prop_map(|v| v.concat())
    }

    /// Valid compact JSON values, strings drawn with every escape.
    fn compact_value() -> impl Strategy<Value = String> {
        let string = prop::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 ,:{}\\[\\]]{0,20}",
                prop::sample::select(
                    &[
                        "\\\"",
                        "\\\\",
                        "\\/",
                        "\\b",
                        "\\f",
                        "\\n",
                        "\\r",
                        "\\t",
                        "\\u00e9",
                        "\\uD83D\\uDE00",
                        "\\udc00",
                        "é",
                        "😀",
                        "\u{7f}",
                    ][..]
                )
                .prop_map(str::to_string),
            ],
            0..6,
        )
        .prop_map(|v| format!("\"{}\"", v.concat()));
        let leaf = prop_oneof![
            string.clone(),
            Just("true".to_string()),
            Just("false".to_string()),
            Just("null".to_string()),
            "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?",
        ];
        leaf.prop_recursive(5, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((string.clone(), inner), 0..6).prop_map(|v| {
                    let m: Vec<String> = v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", m.join(","))
                }),
            ]
        })
    }

    /// Valid values, sometimes cut or with one byte changed.
    fn mutated() -> impl Strategy<Value = String> {
        (compact_value(), any::<usize>(), 0u8..4, fragment()).prop_map(|(v, at, how, f)| {
            let mut cut = at % (v.len() + 1);
            while !v.is_char_boundary(cut) {
                cut -= 1;
            }
            match how {
                0 => v,
                1 => v[..cut].to_string(),
                2 => format!("{}{}{}", &v[..cut], f, &v[cut..]),
                _ => format!("{}{}", f, v),
            }
        })
    }

    /// Texts of 0 to ~400 bytes, mostly without backslashes (the case the classification pass
    /// of `compact_whole` takes): arrays of valid values and of mutated ones with their
    /// backslashes removed (which may leave them valid, or break a string), and junk.
    fn plain_text() -> impl Strategy<Value = String> {
        let item = prop_oneof![
            compact_value(),
            compact_value().prop_map(|v| v.replace('\\', "")),
            mutated().prop_map(|v| v.replace('\\', "")),
        ];
        prop_oneof![
            4 => prop::collection::vec(item, 1..10).prop_map(|v| format!("[{}]", v.join(","))),
            1 => junk(),
        ]
    }

    pub(crate) fn text() -> impl Strategy<Value = String> {
        prop_oneof![junk(), compact_value(), mutated()]
    }

    /// The flat-object scanner as it was before escapes were recorded (the reference).
    /// `(key start, value start, value end)` of each member.
    type Ranges = Vec<(usize, usize, usize)>;

    fn flat_object_reference(b: &[u8], i: usize) -> Option<(usize, Ranges)> {
        let mut j = i + 1;
        let mut rec = Vec::new();
        if b.get(j) == Some(&b'}') {
            return Some((j + 1, rec));
        }
        loop {
            if b.get(j) != Some(&b'"') {
                return None;
            }
            let k = j;
            let ke = crate::json::scan_string(b, j).ok()?;
            if b.get(ke) != Some(&b':') {
                return None;
            }
            let v = ke + 1;
            let ve = match b.get(v)? {
                b'"' => crate::json::scan_string(b, v).ok()?,
                b'-' | b'0'..=b'9' => number_end(b, v).ok()?,
                b't' => literal(b, v, b"true").ok()?,
                b'f' => literal(b, v, b"false").ok()?,
                b'n' => literal(b, v, b"null").ok()?,
                _ => return None,
            };
            rec.push((k, v, ve));
            match b.get(ve) {
                Some(b',') => j = ve + 1,
                Some(b'}') => return Some((ve + 1, rec)),
                _ => return None,
            }
        }
    }

    fn max_depth(b: &[u8]) -> usize {
        let (mut d, mut m, mut in_str, mut esc) = (0usize, 0usize, false, false);
        for &c in b {
            if in_str {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    in_str = false;
                }
            } else if c == b'"' {
                in_str = true;
            } else if c == b'[' || c == b'{' {
                d += 1;
                m = m.max(d);
            } else if c == b']' || c == b'}' {
                d = d.saturating_sub(1);
            }
        }
        m
    }

    fn check_compact(s: &str) {
        let b = s.as_bytes();
        let general = validate(b, 128, None);
        match compact_end(b, 0) {
            Some(e) => {
                // Accepted: the general scanner agrees on the value and its end, and it is
                // compact.
                let (ge, info) = validate(&b[..e], 128, None).expect("general accepts");
                assert_eq!(ge, e, "{s:?}");
                assert!(!info.whitespace, "{s:?}");
            }
            None => {
                // Refused: never a compact text the general scanner accepts (within 64 levels).
                if let Ok((ge, info)) = general {
                    assert!(
                        info.whitespace || ge != b.len() || max_depth(b) > 64,
                        "{s:?}"
                    );
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn str_end_esc_matches_the_strict_scanner(s in text()) {
            let q = format!("\"{s}");
            let b = q.as_bytes();
            let want = crate::json::scan_string(b, 0)
                .ok()
                .map(|e| (e, crate::json::has_backslash(&b[1..e - 1])));
            prop_assert_eq!(str_end_esc(b, 0), want);
        }

        #[test]
        fn compact_end_agrees_with_the_general_scanner(s in text()) {
            check_compact(&s);
        }

        #[test]
        fn compact_end_accepts_every_compact_value(s in compact_value()) {
            prop_assert_eq!(compact_end(s.as_bytes(), 0), Some(s.len()));
        }

        #[test]
        fn compact_whole_agrees_with_compact_end(s in prop_oneof![text(), plain_text()]) {
            let b = s.as_bytes();
            prop_assert_eq!(compact_whole(b), compact_end(b, 0) == Some(b.len()), "{:?}", s);
        }

        #[test]
        fn compact_whole_accepts_every_compact_value(
            v in prop::collection::vec(compact_value(), 0..12),
        ) {
            let s = format!("[{}]", v.join(","));
            prop_assert!(compact_whole(s.as_bytes()), "{:?}", s);
        }

        #[test]
        fn flat_object_matches_the_reference(s in text()) {
            let s = format!("{{{s}");
            let b = s.as_bytes();
            let mut rec = FlatMembers::NONE;
            let got = flat_object(b, 0, &mut rec);
            let want = flat_object_reference(b, 0);
            prop_assert_eq!(got, want.as_ref().map(|w| w.0));
            if let Some((_, members)) = want {
                if members.len() <= FLAT_CAP {
                    prop_assert_eq!(usize::from(rec.len), members.len());
                    for (n, &(k, v, e)) in members.iter().enumerate() {
                        prop_assert_eq!(rec.at[n], (k as u16, v as u16, e as u16));
                        let kesc = crate::json::has_backslash(&b[k + 1..v - 2]);
                        let vesc = b[v] == b'"' && crate::json::has_backslash(&b[v + 1..e - 1]);
                        prop_assert_eq!(rec.esc >> (2 * n) & 1 == 1, kesc);
                        prop_assert_eq!(rec.esc >> (2 * n + 1) & 1 == 1, vesc);
                    }
                } else {
                    prop_assert_eq!(rec.len, FLAT_NONE);
                }
            }
        }
    }

    /// Placeholder objects: canonical, spaced, reordered, duplicated, out of range, malformed.
    fn placeholder_text() -> impl Strategy<Value = String> {
        let num = prop_oneof![
            Just("0".to_string()),
            Just("1".to_string()),
            Just("2".to_string()),
            Just("01".to_string()),
            Just("1.0".to_string()),
            Just("-1".to_string()),
            Just("1e1".to_string()),
            Just("\"0\"".to_string()),
            Just("99999999999".to_string()),
            Just("4294967296".to_string()),
        ];
        let obj = (num, 0u8..6, text()).prop_map(|(n, how, extra)| match how {
            0 => format!("{{\"_placeholder\":true,\"num\":{n}}}"),
            1 => format!("{{\"num\":{n},\"_placeholder\":true}}"),
            2 => format!("{{ \"_placeholder\" : true , \"num\" : {n} }}"),
            3 => format!("{{\"_placeholder\":true,\"num\":{n},\"num\":0}}"),
            4 => format!("{{\"_placeholder\":true,\"num\":{n}{extra}"),
            _ => format!("{{\"_placeholder\":false,\"num\":{n}}}"),
        });
        prop::collection::vec(prop_oneof![obj, text()], 1..4)
            .prop_map(|v| format!("[\"e\",{}]", v.join(",")))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn canonical_placeholder_shortcut_matches_the_general_path(
            t in placeholder_text(),
            count in 1usize..4,
        ) {
            let b = t.as_bytes();
            let run = |fast: bool| {
                let mut s = Scanner::new(b, 32, Some(count));
                s.fast_placeholders = fast;
                s.value(0).map(|end| (end, s.info.placeholders))
            };
            prop_assert_eq!(run(true), run(false));
        }
    }

    #[test]
    fn compact_whole_cases() {
        // Accepted: escape-free text of 16 to 256 bytes (the quote-bit path), with escapes, and
        // outside those sizes (the per-string scan).
        let arg = r#"{"msg":"hello world, this is a chat message of about 100 bytes","ts":1732550000,"user":"ann"}"#;
        let long = format!("[{}]", [arg; 3].join(","));
        let yes = [
            arg,
            long.as_str(),
            r#"["a","b"]"#,
            r#"{"k":"with \" escape and more text"}"#,
            r#"["","","","","","","",""]"#,
            r#"[1,true,false,null,-0.5e+3,{}]"#,
        ];
        for t in yes {
            assert!(compact_whole(t.as_bytes()), "{t}");
            assert_eq!(compact_end(t.as_bytes(), 0), Some(t.len()), "{t}");
        }
        // Refused: a quote out of place, a control byte, whitespace, an unclosed string, a
        // trailing byte, a quote inside a number.
        let no = [
            r#"{"msg":"hello world""}"#,
            r#"{"msg":"hello"world"}"#,
            "{\"msg\":\"hello\tworld, tab\"}",
            r#"{"msg": "hello world, spaced"}"#,
            r#"{"msg":"hello world, unclosed}"#,
            r#"{"msg":"hello world, trailing"}x"#,
            r#"{"msg":"hello world","n":1"2"}"#,
            r#"["aaaaaaaaaaaaaaaaaaaa"x]"#,
        ];
        for t in no {
            assert!(!compact_whole(t.as_bytes()), "{t}");
            assert_ne!(compact_end(t.as_bytes(), 0), Some(t.len()), "{t}");
        }
    }

    #[test]
    fn deep_compact_falls_back() {
        // 65 open containers (an empty innermost one needs no stack entry).
        let deep = format!("{}1{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(compact_end(deep.as_bytes(), 0), None);
        let ok = format!("{}1{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(compact_end(ok.as_bytes(), 0), Some(ok.len()));
        check_compact(&deep);
    }
}
