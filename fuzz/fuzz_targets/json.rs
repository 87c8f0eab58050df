#![no_main]
//! The JSON scanner: never panics; `validate`, the tokenizer, `value_end` and the container
//! iterators agree with each other; every string token round-trips through unescape/write.
use libfuzzer_sys::fuzz_target;
use sockwire::json::{self, TokenKind, Tokenizer};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    let valid = json::validate(s).is_ok();
    let mut tokens_ok = true;
    for t in Tokenizer::new(s) {
        match t {
            Ok(t) => {
                if matches!(t.kind, TokenKind::String | TokenKind::Key) {
                    let raw = t.text(s);
                    if let Ok(v) = json::unescape(raw) {
                        assert!(json::string_eq(raw, &v));
                        let mut out = String::new();
                        json::write_str(&mut out, &v).unwrap();
                        assert_eq!(json::unescape(&out).unwrap(), v);
                    }
                }
            }
            Err(_) => tokens_ok = false,
        }
    }
    assert_eq!(valid, tokens_ok);
    if valid {
        let start = s.len() - s.trim_start_matches([' ', '\t', '\n', '\r']).len();
        let end = json::value_end(s, 0).unwrap();
        assert_eq!(s[end..].trim_matches([' ', '\t', '\n', '\r']), "");
        assert!(end > start);
        if let Ok(items) = json::array_items(s) {
            for item in items {
                json::validate(item.unwrap()).unwrap();
            }
        }
        if let Ok(members) = json::object_members(s) {
            for m in members {
                let (k, v) = m.unwrap();
                json::validate(k).unwrap();
                json::validate(v).unwrap();
            }
        }
    }
});
