//! Property tests of the JSON scanner against a naive recursive-descent reference.
#![cfg(feature = "std")]

use proptest::prelude::*;
use sockwire::json;

/// Naive reference: a direct transcription of the RFC 8259 grammar.
struct Ref<'a> {
    b: &'a [u8],
    i: usize,
}

impl Ref<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn value(&mut self, depth: usize) -> bool {
        if depth > 128 {
            return false;
        }
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.eat(b'}') {
                    return true;
                }
                loop {
                    self.ws();
                    if !self.string() {
                        return false;
                    }
                    self.ws();
                    if !self.eat(b':') || !self.value(depth + 1) {
                        return false;
                    }
                    self.ws();
                    if self.eat(b'}') {
                        return true;
                    }
                    if !self.eat(b',') {
                        return false;
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.eat(b']') {
                    return true;
                }
                loop {
                    if !self.value(depth + 1) {
                        return false;
                    }
                    self.ws();
                    if self.eat(b']') {
                        return true;
                    }
                    if !self.eat(b',') {
                        return false;
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.lit(b"true"),
            Some(b'f') => self.lit(b"false"),
            Some(b'n') => self.lit(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => false,
        }
    }
    fn lit(&mut self, l: &[u8]) -> bool {
        if self.b[self.i..].starts_with(l) {
            self.i += l.len();
            true
        } else {
            false
        }
    }
    fn digits(&mut self) -> usize {
        let s = self.i;
        while self.b.get(self.i).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - s
    }
    fn number(&mut self) -> bool {
        self.eat(b'-');
        if self.eat(b'0') {
            // a lone zero
        } else if self
            .b
            .get(self.i)
            .is_some_and(|c| (b'1'..=b'9').contains(c))
        {
            self.digits();
        } else {
            return false;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return false;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return false;
            }
        }
        true
    }
    fn string(&mut self) -> bool {
        if !self.eat(b'"') {
            return false;
        }
        loop {
            match self.b.get(self.i) {
                None => return false,
                Some(b'"') => {
                    self.i += 1;
                    return true;
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.b.get(self.i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                if !self.b.get(self.i).is_some_and(|c| c.is_ascii_hexdigit()) {
                                    return false;
                                }
                                self.i += 1;
                            }
                        }
                        _ => return false,
                    }
                }
                Some(&c) if c < 0x20 => return false,
                Some(_) => self.i += 1,
            }
        }
    }
}

fn reference_valid(s: &str) -> bool {
    let mut r = Ref {
        b: s.as_bytes(),
        i: 0,
    };
    if !r.value(1) {
        return false;
    }
    r.ws();
    r.i == s.len()
}

/// Strings over an alphabet dense in JSON syntax, so random inputs are often nearly valid.
fn jsonish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{", "}", "[", "]", ",", ":", " ", "\"", "\\", "\\u", "00e9", "d83d", "a", "0", "1", "-",
        ".", "e", "+", "true", "false", "null", "\"k\"", "\t", "\u{1}", "é", "\\n",
    ]);
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

#[derive(Debug, Clone)]
enum V {
    Null,
    Bool(bool),
    Num(i64),
    Str(String),
    Arr(Vec<V>),
    Obj(Vec<(String, V)>),
}

fn value() -> impl Strategy<Value = V> {
    let leaf = prop_oneof![
        Just(V::Null),
        any::<bool>().prop_map(V::Bool),
        any::<i64>().prop_map(V::Num),
        any::<String>().prop_map(V::Str),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(V::Arr),
            prop::collection::vec((any::<String>(), inner), 0..6).prop_map(V::Obj),
        ]
    })
}

fn write(v: &V, out: &mut String) {
    match v {
        V::Null => out.push_str("null"),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Num(n) => out.push_str(&n.to_string()),
        V::Str(s) => json::write_str(out, s).unwrap(),
        V::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        V::Obj(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::write_str(out, k).unwrap();
                out.push(':');
                write(x, out);
            }
            out.push('}');
        }
    }
}

proptest! {
    #[test]
    fn validate_agrees_with_reference(s in jsonish()) {
        prop_assert_eq!(json::validate(&s).is_ok(), reference_valid(&s), "{:?}", s);
    }

    #[test]
    fn validate_never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = json::validate(&s);
        let _ = json::value_end(&s, 0);
        if let Ok(items) = json::array_items(&s) { for _ in items {} }
        if let Ok(members) = json::object_members(&s) { for _ in members {} }
    }

    #[test]
    fn written_documents_validate_and_iterate(v in value()) {
        let mut s = String::new();
        write(&v, &mut s);
        prop_assert!(json::validate(&s).is_ok(), "{}", s);
        prop_assert_eq!(json::value_end(&s, 0), Ok(s.len()));
        if let V::Arr(a) = &v {
            let items: Vec<&str> = json::array_items(&s).unwrap().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(items.len(), a.len());
            for (raw, x) in items.iter().zip(a) {
                let mut one = String::new();
                write(x, &mut one);
                prop_assert_eq!(*raw, one.as_str());
            }
        }
        if let V::Obj(m) = &v {
            let members: Vec<(&str, &str)> =
                json::object_members(&s).unwrap().collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(members.len(), m.len());
            for ((k, _), (key, _)) in members.iter().zip(m) {
                prop_assert!(json::string_eq(k, key));
                prop_assert_eq!(json::unescape(k).unwrap(), key.as_str());
            }
        }
    }

    #[test]
    fn string_round_trip(s in any::<String>()) {
        let mut out = String::new();
        json::write_str(&mut out, &s).unwrap();
        prop_assert_eq!(out.len(), json::escaped_len(&s));
        prop_assert!(json::validate(&out).is_ok());
        prop_assert_eq!(json::unescape(&out).unwrap(), s.as_str());
        prop_assert!(json::string_eq(&out, &s));
        let mut v = Vec::new();
        json::push_str(&mut v, &s);
        prop_assert_eq!(v, out.as_bytes());
    }

    #[test]
    fn tokens_cover_the_document(v in value()) {
        let mut s = String::new();
        write(&v, &mut s);
        let mut last = 0;
        for t in json::Tokenizer::new(&s) {
            let t = t.unwrap();
            prop_assert!(t.start >= last && t.end > t.start);
            prop_assert!(s[last..t.start].bytes().all(|b| b == b',' || b == b':'));
            last = t.end;
        }
        prop_assert_eq!(last, s.len());
    }
}

/// A compact document (the fast path's input) with one edit: an atom of `jsonish` inserted at,
/// or replacing the byte at, a position (`edit` 0: unchanged, 1: insert, 2: replace, 3: delete).
fn edited_compact() -> impl Strategy<Value = String> {
    let atom = prop::sample::select(vec![
        "{", "}", "[", "]", ",", ":", " ", "\"", "\\", "\\u", "0", "-", ".", "e", "\u{1}", "x",
    ]);
    (value(), any::<prop::sample::Index>(), 0u8..4, atom).prop_map(|(v, at, edit, atom)| {
        let mut s = String::new();
        write(&v, &mut s);
        let mut i = at.index(s.len() + 1);
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        let next = s[i..].chars().next().map_or(0, char::len_utf8);
        match edit {
            1 => s.insert_str(i, atom),
            2 => s.replace_range(i..i + next, atom),
            3 => s.replace_range(i..i + next, ""),
            _ => {}
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    /// `validate` tries the one-shot compact validator first: compact text, valid or one edit
    /// away from it, must get the reference's answer, and errors the tokenizer's offset.
    #[test]
    fn compact_fast_path_agrees_with_reference(s in edited_compact()) {
        prop_assert_eq!(json::validate(&s).is_ok(), reference_valid(&s), "{:?}", s);
        let mut tokens_ok = true;
        for t in json::Tokenizer::new(&s) {
            if t.is_err() {
                tokens_ok = false;
                prop_assert_eq!(json::validate(&s), t.map(|_| ()));
                break;
            }
        }
        prop_assert_eq!(tokens_ok, json::validate(&s).is_ok());
    }
}

/// The fast path follows 64 levels; deeper compact text and smaller caps go to the tokenizer.
#[test]
fn compact_fast_path_depth_cap() {
    for depth in [1usize, 63, 64, 65, 128, 129] {
        let s = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        for cap in [1usize, 63, 64, 65, 128, 200] {
            assert_eq!(
                json::validate_with_depth(&s, cap).is_ok(),
                depth <= cap,
                "{depth} {cap}"
            );
        }
        let o = format!("{}1{}", "{\"k\":".repeat(depth), "}".repeat(depth));
        assert_eq!(json::validate(&o).is_ok(), depth <= 128, "{depth}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    /// Numbers with long digit runs (the integer part is scanned 16 digits at a time), valid or
    /// not, bare and inside compact containers at every offset: the reference decides.
    #[test]
    fn long_numbers_agree_with_reference(
        num in "-?[0-9]{0,40}(\\.[0-9]{0,20})?([eE][+-]?[0-9]{0,20})?[0-9x.]?",
        pad in "[a-z]{0,20}",
        shape in 0u8..4,
    ) {
        let s = match shape {
            0 => num.clone(),
            1 => format!("[{num},\"{pad}\"]"),
            2 => format!("{{\"{pad}\":{num}}}"),
            _ => format!("[\"{pad}\",{num}]"),
        };
        prop_assert_eq!(json::validate(&s).is_ok(), reference_valid(&s), "{:?}", s);
    }
}
