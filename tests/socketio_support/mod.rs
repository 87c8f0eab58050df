//! Test helpers shared by the `socketio_*` tests: a tiny owned JSON tree and reader (written
//! for the tests, independent of the crate's scanner), hex, and conversions to and from the
//! codec's types.
#![allow(dead_code)]

use sockwire::socketio::{OwnedPacket, Packet, Value};

/// An owned JSON value; `Bin` stands for `{"$bin":"hex"}` / a resolved attachment.
#[derive(Debug, Clone, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    /// Kept as written, compared numerically when both parse as f64.
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
    Bin(Vec<u8>),
}

impl J {
    pub fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            J::Num(n) => n.parse().ok(),
            _ => None,
        }
    }

    /// Structural equality with objects compared as maps.
    pub fn same(&self, other: &J) -> bool {
        match (self, other) {
            (J::Num(a), J::Num(b)) => a == b || a.parse::<f64>().ok() == b.parse::<f64>().ok(),
            (J::Arr(a), J::Arr(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y)),
            (J::Obj(a), J::Obj(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| other.get(k).is_some_and(|w| v.same(w)))
            }
            _ => self == other,
        }
    }

    /// `JSON.stringify` form (keys in order, strings escaped like JSON.stringify).
    pub fn stringify(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => stringify_str(s, out),
            J::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.stringify(out);
                }
                out.push(']');
            }
            J::Obj(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    stringify_str(k, out);
                    out.push(':');
                    v.stringify(out);
                }
                out.push('}');
            }
            J::Bin(b) => {
                out.push_str("{\"$bin\":\"");
                out.push_str(&hex(b));
                out.push_str("\"}");
            }
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = String::new();
        self.stringify(&mut s);
        s
    }
}

pub fn stringify_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// Parses JSON (trusted test input); `{"$bin":"hex"}` becomes `J::Bin`.
pub fn parse(s: &str) -> J {
    let b = s.as_bytes();
    let mut i = 0;
    let v = value(b, &mut i);
    ws(b, &mut i);
    assert_eq!(i, b.len(), "trailing data in {s}");
    v
}

fn ws(b: &[u8], i: &mut usize) {
    while *i < b.len() && b" \t\r\n".contains(&b[*i]) {
        *i += 1;
    }
}

fn value(b: &[u8], i: &mut usize) -> J {
    ws(b, i);
    match b[*i] {
        b'n' => {
            *i += 4;
            J::Null
        }
        b't' => {
            *i += 4;
            J::Bool(true)
        }
        b'f' => {
            *i += 5;
            J::Bool(false)
        }
        b'"' => J::Str(string(b, i)),
        b'[' => {
            *i += 1;
            let mut v = Vec::new();
            ws(b, i);
            if b[*i] == b']' {
                *i += 1;
                return J::Arr(v);
            }
            loop {
                v.push(value(b, i));
                ws(b, i);
                let c = b[*i];
                *i += 1;
                if c == b']' {
                    return J::Arr(v);
                }
            }
        }
        b'{' => {
            *i += 1;
            let mut m = Vec::new();
            ws(b, i);
            if b[*i] == b'}' {
                *i += 1;
                return J::Obj(m);
            }
            loop {
                ws(b, i);
                let k = string(b, i);
                ws(b, i);
                *i += 1; // ':'
                let v = value(b, i);
                m.push((k, v));
                ws(b, i);
                let c = b[*i];
                *i += 1;
                if c == b'}' {
                    break;
                }
            }
            if m.len() == 1 && m[0].0 == "$bin" {
                if let J::Str(h) = &m[0].1 {
                    if h.len() % 2 == 0 && h.bytes().all(|c| c.is_ascii_hexdigit()) {
                        return J::Bin(unhex(h));
                    }
                }
            }
            J::Obj(m)
        }
        _ => {
            let s = *i;
            while *i < b.len() && b"+-.0123456789eE".contains(&b[*i]) {
                *i += 1;
            }
            J::Num(String::from_utf8(b[s..*i].to_vec()).unwrap())
        }
    }
}

fn string(b: &[u8], i: &mut usize) -> String {
    *i += 1;
    let mut out: Vec<u16> = Vec::new();
    let mut s = String::new();
    let flush = |out: &mut Vec<u16>, s: &mut String| {
        s.push_str(&String::from_utf16_lossy(out));
        out.clear();
    };
    loop {
        let c = b[*i];
        if c == b'"' {
            *i += 1;
            flush(&mut out, &mut s);
            return s;
        }
        if c == b'\\' {
            let e = b[*i + 1];
            *i += 2;
            let ch = match e {
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'u' => {
                    let h = u16::from_str_radix(std::str::from_utf8(&b[*i..*i + 4]).unwrap(), 16)
                        .unwrap();
                    *i += 4;
                    out.push(h);
                    continue;
                }
                c => c as char,
            };
            flush(&mut out, &mut s);
            s.push(ch);
            continue;
        }
        flush(&mut out, &mut s);
        let len = match c {
            0..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        s.push_str(std::str::from_utf8(&b[*i..*i + len]).unwrap());
        *i += len;
    }
}

/// Converts to the codec's value tree (leaking the storage: tests only). Scalars become raw JSON.
pub fn to_value(j: &J) -> Value<'static> {
    match j {
        J::Bin(b) => Value::Binary(Box::leak(b.clone().into_boxed_slice())),
        J::Str(s) => Value::Str(Box::leak(s.clone().into_boxed_str())),
        J::Arr(a) => Value::Array(Box::leak(
            a.iter()
                .map(to_value)
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )),
        J::Obj(m) => Value::Object(Box::leak(
            m.iter()
                .map(|(k, v)| (&*Box::leak(k.clone().into_boxed_str()), to_value(v)))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )),
        other => Value::Json(Box::leak(other.to_json().into_boxed_str())),
    }
}

/// Parses raw JSON from a packet, resolving placeholders of a binary packet.
pub fn resolve(raw: &str, atts: Option<&[Vec<u8>]>) -> J {
    let j = parse(raw);
    match atts {
        Some(a) => resolve_tree(j, a),
        None => j,
    }
}

fn resolve_tree(j: J, atts: &[Vec<u8>]) -> J {
    match j {
        J::Obj(m) => {
            let is_ph = m
                .iter()
                .any(|(k, v)| k == "_placeholder" && *v == J::Bool(true));
            if is_ph {
                let n = m
                    .iter()
                    .find(|(k, _)| k == "num")
                    .and_then(|(_, v)| v.as_u64())
                    .unwrap();
                J::Bin(atts[n as usize].clone())
            } else {
                J::Obj(
                    m.into_iter()
                        .map(|(k, v)| (k, resolve_tree(v, atts)))
                        .collect(),
                )
            }
        }
        J::Arr(a) => J::Arr(a.into_iter().map(|v| resolve_tree(v, atts)).collect()),
        other => other,
    }
}

/// The reference decoder's output shape: type (binary types reported as 2/3), nsp, id, data.
pub fn packet_to_j(p: &Packet<'_>, atts: Option<&[Vec<u8>]>) -> J {
    let ty = match p.kind().digit() {
        b'5' => 2,
        b'6' => 3,
        d => d - b'0',
    };
    let mut m = vec![
        ("type".to_string(), J::Num(ty.to_string())),
        ("nsp".to_string(), J::Str(p.nsp().to_string())),
    ];
    if let Some(id) = p.id() {
        m.push(("id".to_string(), J::Num(id.to_string())));
    }
    if let Some(d) = p.data() {
        m.push(("data".to_string(), resolve(d, atts)));
    }
    J::Obj(m)
}

pub fn owned_to_j(p: &OwnedPacket) -> J {
    packet_to_j(&p.packet(), Some(p.attachments()))
}

/// Reads the committed copy of the reference vectors (`tests/socketio_support/sio5-vectors.jsonl`,
/// the `sio5*` lines of the shared set), or the file named by `$SOCKWIRE_VECTORS` (for example a
/// held-back set), keeping the lines whose layer starts with `prefix`.
pub fn vectors(prefix: &str) -> Vec<J> {
    let path = std::env::var("SOCKWIRE_VECTORS").unwrap_or_else(|_| {
        format!(
            "{}/tests/socketio_support/sio5-vectors.jsonl",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse)
        .filter(|v| {
            v.get("layer")
                .and_then(J::as_str)
                .is_some_and(|l| l.starts_with(prefix))
        })
        .collect()
}
