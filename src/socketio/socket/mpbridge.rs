//! The bridge between the machines' packet form (Socket.IO text plus attachments) and the
//! msgpack parser's form (one binary message, [`crate::socketio::msgpack`]).
//!
//! The machines keep one internal representation whatever the [`Parser`](super::Parser): a
//! packet is its JSON text and its binary attachments ([`OwnedPacket`]), so the application
//! reads events the same way with either parser. With the msgpack parser:
//!
//! * **Out**: the packet is encoded as text first, then its JSON payload is rewritten as
//!   msgpack, each placeholder becoming the `bin` value of its attachment. Numbers follow
//!   `notepack`: integral values below 2<sup>53</sup> in magnitude take the shortest integer form,
//!   every other number a float 64.
//! * **In**: the msgpack packet is checked ([`decode_packet`]) and written as the equivalent
//!   text packet — `bin` and ext type 0 values become placeholders and attachments (so a
//!   packet with binary reads as a BINARY_EVENT / BINARY_ACK), `undefined` becomes `null` in
//!   arrays and is left out of maps (as `JSON.stringify` does), a `Date` becomes its ISO 8601
//!   string (`JSON.stringify` again), NaN and infinities `null`, integer and boolean map keys
//!   their decimal or literal spelling. Other extension types and container keys are refused.
//!   The text packet then goes through the same [`Decoder`](crate::socketio::Decoder) as a
//!   received text packet, so every check and cap of the text parser applies too.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use crate::json::{self, TokenKind, Tokenizer};
use crate::msgpack::{self, Limits, Value as Mp};
use crate::socketio::msgpack::{PacketError, decode_packet};
use crate::socketio::{DecodeConfig, PacketType, SocketIoError};

fn invalid(what: &'static str) -> SocketIoError {
    SocketIoError::InvalidPayload { at: 0, what }
}

/// Rewrites one encoded text packet (`text`, without the Engine.IO prefix) and its attachments
/// as one msgpack message.
pub(crate) fn text_to_msgpack(text: &str, atts: &[&[u8]]) -> Result<Vec<u8>, SocketIoError> {
    let b = text.as_bytes();
    let kind = match b.first() {
        Some(b'0') => 0u8,
        Some(b'1') => 1,
        Some(b'2' | b'5') => 2,
        Some(b'3' | b'6') => 3,
        Some(b'4') => 4,
        _ => return Err(SocketIoError::Empty),
    };
    let mut i = 1;
    let binary = matches!(b[0], b'5' | b'6');
    if binary {
        while i < b.len() && b[i] != b'-' {
            i += 1;
        }
        i += 1;
    }
    let mut nsp = "/";
    if b.get(i) == Some(&b'/') {
        let end = text[i..].find(',').map_or(b.len(), |c| i + c);
        nsp = &text[i..end];
        i = (end + 1).min(b.len());
    }
    let id_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let id = if i > id_start {
        Some(
            text[id_start..i]
                .parse::<u64>()
                .map_err(|_| SocketIoError::InvalidAckId)?,
        )
    } else {
        None
    };
    let data = &text[i..];
    let n = 2 + usize::from(!data.is_empty()) + usize::from(id.is_some());
    let mut out = Vec::with_capacity(text.len() + 16);
    out.push(0x80 | n as u8);
    msgpack::encode(&Mp::Str("type"), &mut out);
    out.push(kind);
    if !data.is_empty() {
        msgpack::encode(&Mp::Str("data"), &mut out);
        json_to_msgpack(data, binary, atts, &mut out)?;
    }
    if let Some(id) = id {
        msgpack::encode(&Mp::Str("id"), &mut out);
        msgpack::encode(&Mp::UInt(id), &mut out);
    }
    msgpack::encode(&Mp::Str("nsp"), &mut out);
    msgpack::encode(&Mp::Str(nsp), &mut out);
    Ok(out)
}

/// `{"_placeholder":true,"num":<n>}` as this crate's encoder writes it.
fn placeholder(raw: &str) -> Option<usize> {
    let digits = raw
        .strip_prefix("{\"_placeholder\":true,\"num\":")?
        .strip_suffix('}')?;
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Writes the JSON value `data` as msgpack, placeholders as `bin` (in a binary packet only: in
/// a plain one a `{"_placeholder":true,...}` object is just an object, as for the reference).
pub(crate) fn json_to_msgpack(
    data: &str,
    binary: bool,
    atts: &[&[u8]],
    out: &mut Vec<u8>,
) -> Result<(), SocketIoError> {
    let mut toks = Vec::new();
    for t in Tokenizer::new(data) {
        toks.push(t.map_err(SocketIoError::InvalidJson)?);
    }
    // For every container start: its child count and the index of its end token.
    let mut info = alloc::vec![(0usize, 0usize); toks.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (k, t) in toks.iter().enumerate() {
        match t.kind {
            TokenKind::ObjectEnd | TokenKind::ArrayEnd => {
                if let Some(open) = stack.pop() {
                    info[open].1 = k;
                }
            }
            TokenKind::Key => {}
            _ => {
                if let Some(&parent) = stack.last() {
                    info[parent].0 += 1;
                }
                if matches!(t.kind, TokenKind::ObjectStart | TokenKind::ArrayStart) {
                    stack.push(k);
                }
            }
        }
    }
    let mut k = 0;
    while k < toks.len() {
        let t = toks[k];
        let raw = t.text(data);
        match t.kind {
            TokenKind::ObjectStart => {
                let end = info[k].1;
                let ph = if binary {
                    placeholder(&data[t.start..toks[end].end])
                } else {
                    None
                };
                if let Some(num) = ph {
                    let bytes = atts.get(num).ok_or(SocketIoError::InvalidPlaceholder)?;
                    msgpack::encode(&Mp::Bin(bytes), out);
                    k = end + 1;
                    continue;
                }
                let n = info[k].0;
                write_len(n, 0x80, 0xde, out);
            }
            TokenKind::ArrayStart => write_len(info[k].0, 0x90, 0xdc, out),
            TokenKind::ObjectEnd | TokenKind::ArrayEnd => {}
            TokenKind::Key | TokenKind::String => {
                let s = json::unescape(raw).map_err(SocketIoError::InvalidJson)?;
                msgpack::encode(&Mp::Str(&s), out);
            }
            TokenKind::Number => msgpack::encode(&js_number(raw), out),
            TokenKind::True => out.push(0xc3),
            TokenKind::False => out.push(0xc2),
            TokenKind::Null => out.push(0xc0),
        }
        k += 1;
    }
    Ok(())
}

fn write_len(n: usize, fix: u8, base16: u8, out: &mut Vec<u8>) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(base16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(base16 + 1);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// A JSON number as `notepack` writes the JavaScript number it parses to.
fn js_number(raw: &str) -> Mp<'static> {
    let f: f64 = raw.parse().unwrap_or(f64::NAN);
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    // Integral and below 2^53 in magnitude (no `f64::fract` / `abs` without std).
    if f > -SAFE && f < SAFE && (f as i64) as f64 == f {
        if f >= 0.0 {
            Mp::UInt(f as u64)
        } else {
            Mp::Int(f as i64)
        }
    } else {
        Mp::F64(f)
    }
}

/// Rewrites one received msgpack message as the equivalent text packet and attachments.
pub(crate) fn msgpack_to_text(
    msg: &[u8],
    cfg: &DecodeConfig,
) -> Result<(String, Vec<Vec<u8>>), SocketIoError> {
    if msg.len() > cfg.max_packet_bytes {
        return Err(SocketIoError::TooLarge {
            limit: cfg.max_packet_bytes,
        });
    }
    let limits = Limits {
        max_input: cfg.max_packet_bytes,
        max_depth: cfg.max_depth.saturating_add(2),
        max_values: Limits::default().max_values,
    };
    let p = decode_packet(msg, &limits).map_err(|e| {
        invalid(match e {
            PacketError::Msgpack(_) => "not a well-formed msgpack value",
            PacketError::NotAMap => "a msgpack packet must be a map",
            PacketError::BadType => "`type` must be an integer 0-4",
            PacketError::BadNamespace => "`nsp` must be a string",
            PacketError::BadId => "`id` must be an integer",
            _ => "`data` does not fit the packet type",
        })
    })?;
    let mut json = String::new();
    let mut atts: Vec<Vec<u8>> = Vec::new();
    if let Some(d) = &p.data {
        write_json(d, &mut json, &mut atts, cfg.max_attachments)?;
    }
    let binary = !atts.is_empty();
    let ty = match (p.kind, binary) {
        (PacketType::Connect, _) => '0',
        (PacketType::Disconnect, _) => '1',
        (PacketType::Event, false) => '2',
        (PacketType::Event, true) => '5',
        (PacketType::Ack, false) => '3',
        (PacketType::Ack, true) => '6',
        _ => '4',
    };
    let mut text = String::with_capacity(json.len() + p.nsp.len() + 24);
    text.push(ty);
    if binary {
        let _ = write!(text, "{}-", atts.len());
    }
    if p.nsp != "/" {
        if !p.nsp.starts_with('/') || p.nsp.contains(',') {
            return Err(SocketIoError::InvalidNamespace);
        }
        text.push_str(p.nsp);
        text.push(',');
    }
    if let Some(id) = p.id {
        let _ = write!(text, "{id}");
    }
    text.push_str(&json);
    Ok((text, atts))
}

pub(crate) fn write_json(
    v: &Mp<'_>,
    out: &mut String,
    atts: &mut Vec<Vec<u8>>,
    max_atts: usize,
) -> Result<(), SocketIoError> {
    match v {
        Mp::Nil | Mp::Undefined => out.push_str("null"),
        Mp::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Mp::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Mp::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Mp::F32(f) => write_float(f64::from(*f), out),
        Mp::F64(f) => write_float(*f, out),
        Mp::Str(s) => json::push_string(out, s),
        Mp::Bin(b) | Mp::Ext(0, b) => {
            if atts.len() >= max_atts {
                return Err(SocketIoError::TooManyAttachments { max: max_atts });
            }
            let _ = write!(out, "{{\"_placeholder\":true,\"num\":{}}}", atts.len());
            atts.push(Vec::from(*b));
        }
        Mp::Array(items) => {
            out.push('[');
            for (k, x) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_json(x, out, atts, max_atts)?;
            }
            out.push(']');
        }
        Mp::Map(pairs) => {
            out.push('{');
            let mut first = true;
            for (k, x) in pairs {
                if x.is_undefined() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                match k {
                    Mp::Str(s) => json::push_string(out, s),
                    Mp::UInt(u) => {
                        let _ = write!(out, "\"{u}\"");
                    }
                    Mp::Int(i) => {
                        let _ = write!(out, "\"{i}\"");
                    }
                    Mp::Bool(b) => out.push_str(if *b { "\"true\"" } else { "\"false\"" }),
                    Mp::Nil => out.push_str("\"null\""),
                    _ => return Err(invalid("a msgpack map key must be a string or a number")),
                }
                out.push(':');
                write_json(x, out, atts, max_atts)?;
            }
            out.push('}');
        }
        Mp::Date(ms) => {
            out.push('"');
            iso8601(*ms, out);
            out.push('"');
        }
        _ => return Err(invalid("unsupported msgpack extension type")),
    }
    Ok(())
}

fn write_float(f: f64, out: &mut String) {
    if f.is_finite() {
        let _ = write!(out, "{f}");
    } else {
        out.push_str("null");
    }
}

/// `Date.prototype.toISOString` of `ms` milliseconds since 1970 (years 0–9999 as four digits,
/// others with a sign and six digits).
fn iso8601(ms: i64, out: &mut String) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Days to civil date (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if (0..=9999).contains(&y) {
        let _ = write!(out, "{y:04}");
    } else if y < 0 {
        let _ = write!(out, "-{:06}", -y);
    } else {
        let _ = write!(out, "+{y:06}");
    }
    let _ = write!(
        out,
        "-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        let mut s = String::new();
        iso8601(0, &mut s);
        assert_eq!(s, "1970-01-01T00:00:00.000Z");
        s.clear();
        iso8601(1_700_000_000_123, &mut s);
        assert_eq!(s, "2023-11-14T22:13:20.123Z");
        s.clear();
        iso8601(-1, &mut s);
        assert_eq!(s, "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn numbers_like_notepack() {
        assert_eq!(js_number("1"), Mp::UInt(1));
        assert_eq!(js_number("-1"), Mp::Int(-1));
        assert_eq!(js_number("1e3"), Mp::UInt(1000));
        assert_eq!(js_number("1.5"), Mp::F64(1.5));
        assert_eq!(
            js_number("9007199254740992"),
            Mp::F64(9_007_199_254_740_992.0)
        );
    }

    #[test]
    fn text_round_trip() {
        let cfg = DecodeConfig::new();
        for (text, atts) in [
            ("0", &[][..]),
            ("0/admin,{\"token\":\"x\"}", &[]),
            ("1/admin,", &[]),
            ("2[\"hello\",1,{\"a\":[true,null,-3,2.5]}]", &[]),
            ("2/admin,13[\"hello\",\"w\\u00e9\"]", &[]),
            ("3/admin,13[]", &[]),
            ("4{\"message\":\"no\"}", &[]),
            ("2[\"x\",{\"_placeholder\":true,\"num\":0}]", &[]),
            (
                "51-[\"file\",{\"_placeholder\":true,\"num\":0}]",
                &[&[1u8, 2, 3][..]][..],
            ),
        ] {
            let mp = text_to_msgpack(text, atts).unwrap();
            let (back, batts) = msgpack_to_text(&mp, &cfg).unwrap();
            let unescaped = text.replace("\\u00e9", "é");
            assert_eq!(back, unescaped, "{text}");
            assert_eq!(batts.len(), atts.len());
        }
    }
}
