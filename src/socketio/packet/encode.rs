//! The encoders: CONNECT, DISCONNECT, CONNECT_ERROR, EVENT and ACK packets (and bare values)
//! written `JSON.stringify`-identically, binary nodes replaced by placeholders and collected as
//! attachments.

use alloc::string::String;
use alloc::vec::Vec;

use super::decode::scan_err;
use super::{DecodeConfig, PacketType, decode, is_reserved_event};
use crate::json::fast::{self as json, ScanError};
use crate::socketio::SocketIoError;

/// The error for raw JSON given to an encoder (offsets counted in that text).
#[cold]
fn arg_err(e: ScanError, json_text: &str) -> SocketIoError {
    let cfg = DecodeConfig {
        max_depth: MAX_ENCODE_DEPTH,
        ..DecodeConfig::new()
    };
    scan_err(e, json_text, 0, &cfg)
}

/// An argument (or any node of an argument tree) to encode.
///
/// Binary nodes anywhere in the tree make the packet binary: each becomes
/// `{"_placeholder":true,"num":N}` with `N` counted depth-first from 0, and its bytes are appended
/// to the attachment list in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Raw JSON text, validated strictly; whitespace outside strings is removed, string escapes
    /// and number spellings are kept as written (the peer parses them identically).
    Json(&'a str),
    /// Raw JSON text written exactly as given, *not validated*: for text the caller already
    /// knows to be compact valid JSON (a serializer's output, a value cached from an earlier
    /// encode). Invalid text here produces a packet the peer will reject; nothing worse.
    JsonUnchecked(&'a str),
    /// A string, escaped exactly like `JSON.stringify`.
    Str(&'a str),
    /// Binary data (an attachment).
    Binary(&'a [u8]),
    /// An array of values.
    Array(&'a [Value<'a>]),
    /// An object: keys (escaped like `JSON.stringify`) and values, in order.
    Object(&'a [(&'a str, Value<'a>)]),
    /// Raw JSON from a received binary packet, whose placeholders refer to `attachments`
    /// (for forwarding what was received). Placeholders are renumbered depth-first on write.
    WithAttachments(&'a str, &'a [Vec<u8>]),
}

/// Deepest [`Value`] tree accepted by the encoder.
const MAX_ENCODE_DEPTH: usize = 128;

fn count_binary(v: &Value<'_>, depth: usize) -> Result<usize, SocketIoError> {
    if depth > MAX_ENCODE_DEPTH {
        return Err(SocketIoError::JsonTooDeep);
    }
    Ok(match v {
        Value::Json(_) | Value::JsonUnchecked(_) | Value::Str(_) => 0,
        Value::Binary(_) => 1,
        Value::Array(items) => {
            let mut n = 0;
            for v in items.iter() {
                n += count_binary(v, depth + 1)?;
            }
            n
        }
        Value::Object(members) => {
            let mut n = 0;
            for (_, v) in members.iter() {
                n += count_binary(v, depth + 1)?;
            }
            n
        }
        Value::WithAttachments(j, atts) => {
            let (_, info) = json::validate(j.as_bytes(), MAX_ENCODE_DEPTH, Some(atts.len()))
                .map_err(|e| arg_err(e, j))?;
            info.placeholders
        }
    })
}

/// Appends the decimal digits of `n` (faster than `core::fmt` on this hot path).
#[inline]
fn push_u64(out: &mut String, mut n: u64) {
    // Ack ids and attachment counts are mostly small: one or two digits without the buffer.
    if n < 100 {
        if n >= 10 {
            out.push(char::from(b'0' + (n / 10) as u8));
        }
        out.push(char::from(b'0' + (n % 10) as u8));
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

fn write_placeholder(out: &mut String, n: usize) {
    out.push_str("{\"_placeholder\":true,\"num\":");
    push_u64(out, n as u64);
    out.push('}');
}

/// [`Value::Json`] text the compact validator refused: the general scanner decides, and
/// whitespace outside strings is removed.
#[cold]
fn write_json_general(out: &mut String, j: &str) -> Result<(), SocketIoError> {
    let j = j.trim_start_matches([' ', '\t', '\n', '\r']);
    let (end, info) =
        json::validate(j.as_bytes(), MAX_ENCODE_DEPTH, None).map_err(|e| arg_err(e, j))?;
    let j = &j[..end];
    if info.whitespace {
        json::write_minified(out, j);
    } else {
        out.push_str(j);
    }
    Ok(())
}

fn write_value<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    v: &Value<'a>,
) -> Result<(), SocketIoError> {
    match *v {
        Value::Json(j) => {
            // Fast path: compact JSON (what serializers write), validated in one tight pass
            // and copied as is. Anything else (whitespace, deep nesting, an error) goes through
            // the general scanner, which decides.
            if json::compact_whole(j.as_bytes()) {
                out.push_str(j);
                return Ok(());
            }
            write_json_general(out, j)?;
        }
        Value::JsonUnchecked(j) => out.push_str(j),
        Value::Str(s) => json::write_str(out, s),
        Value::Binary(bytes) => {
            write_placeholder(out, atts.len());
            atts.push(bytes);
        }
        Value::Array(items) => {
            out.push('[');
            for (k, v) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                write_value(out, atts, v)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            for (k, (key, v)) in members.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                json::write_str(out, key);
                out.push(':');
                write_value(out, atts, v)?;
            }
            out.push('}');
        }
        Value::WithAttachments(j, src) => {
            forward(out, atts, j, 0, src)?;
        }
    }
    Ok(())
}

/// Copies the (already validated) JSON value at `i` minified, renumbering placeholders.
fn forward<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    j: &str,
    i: usize,
    src: &'a [Vec<u8>],
) -> Result<usize, SocketIoError> {
    let b = j.as_bytes();
    let i = json::skip_ws(b, i);
    let end = json::Scanner::new(b, usize::MAX, None)
        .value(i)
        .map_err(|e| arg_err(e, j))?;
    match b[i] {
        b'{' => {
            if let Some(num) = json::placeholder_num(&b[i..end]) {
                let data = num
                    .and_then(|n| src.get(n))
                    .ok_or(SocketIoError::InvalidPlaceholder)?;
                write_placeholder(out, atts.len());
                atts.push(data);
                return Ok(end);
            }
            out.push('{');
            let mut k = json::skip_ws(b, i + 1);
            let mut first = true;
            while b.get(k) == Some(&b'"') {
                if !first {
                    out.push(',');
                }
                first = false;
                let key_end = json::string_end(b, k).map_err(|e| arg_err(e, j))?;
                out.push_str(&j[k..key_end]);
                out.push(':');
                k = json::skip_ws(b, key_end) + 1;
                k = forward(out, atts, j, k, src)?;
                k = json::skip_ws(b, k);
                if b.get(k) == Some(&b',') {
                    k = json::skip_ws(b, k + 1);
                }
            }
            out.push('}');
        }
        b'[' => {
            out.push('[');
            let mut k = json::skip_ws(b, i + 1);
            let mut first = true;
            while k < end - 1 {
                if !first {
                    out.push(',');
                }
                first = false;
                k = forward(out, atts, j, k, src)?;
                k = json::skip_ws(b, k);
                if b.get(k) == Some(&b',') {
                    k = json::skip_ws(b, k + 1);
                }
            }
            out.push(']');
        }
        _ => out.push_str(&j[i..end]),
    }
    Ok(end)
}

#[inline]
fn check_nsp(nsp: &str) -> Result<(), SocketIoError> {
    let b = nsp.as_bytes();
    if b.first() != Some(&b'/') {
        return Err(SocketIoError::InvalidNamespace);
    }
    // Namespaces are short: a plain loop (`contains` is a call to `memchr`).
    for &c in &b[1..] {
        if c == b',' {
            return Err(SocketIoError::InvalidNamespace);
        }
    }
    Ok(())
}

#[inline]
fn write_prefix(
    out: &mut String,
    kind: PacketType,
    attachments: usize,
    nsp: &str,
    id: Option<u64>,
) {
    out.push(char::from(kind.digit()));
    if kind.is_binary() {
        push_u64(out, attachments as u64);
        out.push('-');
    }
    if nsp != "/" {
        out.push_str(nsp);
        out.push(',');
    }
    if let Some(id) = id {
        push_u64(out, id);
    }
}

/// Appends a CONNECT packet; `auth` (raw JSON) must be an object.
///
/// A server accepts a namespace with `{"sid":"..."}` as the payload; a client sends its auth.
pub fn encode_connect(
    out: &mut String,
    nsp: &str,
    auth: Option<&str>,
) -> Result<(), SocketIoError> {
    check_nsp(nsp)?;
    if let Some(a) = auth {
        if !a.starts_with('{') {
            return Err(SocketIoError::InvalidPayload {
                at: 0,
                what: "the CONNECT auth must be a JSON object",
            });
        }
    }
    let mark = out.len();
    write_prefix(out, PacketType::Connect, 0, nsp, None);
    if let Some(a) = auth {
        let mut ignore = Vec::new();
        if let Err(e) = write_value(out, &mut ignore, &Value::Json(a)) {
            out.truncate(mark);
            return Err(e);
        }
    }
    Ok(())
}

/// Appends a DISCONNECT packet.
pub fn encode_disconnect(out: &mut String, nsp: &str) -> Result<(), SocketIoError> {
    check_nsp(nsp)?;
    write_prefix(out, PacketType::Disconnect, 0, nsp, None);
    Ok(())
}

/// Appends a CONNECT_ERROR packet `{"message":<message>[,"data":<data>]}` (`data` raw JSON).
pub fn encode_connect_error(
    out: &mut String,
    nsp: &str,
    message: &str,
    data: Option<&str>,
) -> Result<(), SocketIoError> {
    check_nsp(nsp)?;
    let mark = out.len();
    write_prefix(out, PacketType::ConnectError, 0, nsp, None);
    out.push_str("{\"message\":");
    json::write_str(out, message);
    if let Some(d) = data {
        out.push_str(",\"data\":");
        let mut ignore = Vec::new();
        if let Err(e) = write_value(out, &mut ignore, &Value::Json(d)) {
            out.truncate(mark);
            return Err(e);
        }
    }
    out.push('}');
    Ok(())
}

/// Appends an EVENT (or, if any argument holds binary, a BINARY_EVENT) packet
/// `[<name>, ...args]` and pushes the attachments to `atts`; returns the type written.
///
/// `id` asks the peer for an acknowledgement. Reserved names
/// ([`RESERVED_EVENTS`](super::RESERVED_EVENTS)) are refused. On error nothing is appended.
#[inline]
pub fn encode_event<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    nsp: &str,
    id: Option<u64>,
    name: &str,
    args: &[Value<'a>],
) -> Result<PacketType, SocketIoError> {
    if is_reserved_event(name) {
        return Err(SocketIoError::ReservedEvent);
    }
    encode_array(out, atts, PacketType::Event, nsp, id, Some(name), args)
}

/// Appends an ACK (or, with binary, BINARY_ACK) packet `[...args]` for the event `id`.
pub fn encode_ack<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    nsp: &str,
    id: u64,
    args: &[Value<'a>],
) -> Result<PacketType, SocketIoError> {
    encode_array(out, atts, PacketType::Ack, nsp, Some(id), None, args)
}

#[inline]
fn encode_array<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    base: PacketType,
    nsp: &str,
    id: Option<u64>,
    name: Option<&str>,
    args: &[Value<'a>],
) -> Result<PacketType, SocketIoError> {
    check_nsp(nsp)?;
    // One pass over the arguments: the binary nodes (which decide the type) and one reserve
    // for the common case (raw JSON and string arguments).
    let mut bins = 0;
    let mut guess = 24 + nsp.len() + name.map_or(0, |n| n.len() + 2);
    for a in args {
        guess += match a {
            Value::Json(j) | Value::JsonUnchecked(j) => j.len() + 1,
            Value::Str(s) => s.len() + 3,
            _ => {
                bins += count_binary(a, 1)?;
                16
            }
        };
    }
    let kind = match (bins, base) {
        (0, k) => k,
        (_, PacketType::Event) => PacketType::BinaryEvent,
        _ => PacketType::BinaryAck,
    };
    out.reserve(guess);
    let mark = out.len();
    let att_mark = atts.len();
    write_prefix(out, kind, bins, nsp, id);
    out.push('[');
    let mut first = true;
    if let Some(n) = name {
        // Event names rarely need escapes: then the name goes between quotes as it is (the
        // reserve above covers it).
        if crate::json::is_plain(n) {
            out.push('"');
            out.push_str(n);
            out.push('"');
        } else {
            json::write_str(out, n);
        }
        first = false;
    }
    for a in args {
        if !first {
            out.push(',');
        }
        first = false;
        // Raw compact JSON (the common argument) inline, without the call into `write_value`.
        if let Value::Json(j) = *a {
            if json::compact_whole(j.as_bytes()) {
                out.push_str(j);
                continue;
            }
            if let Err(e) = write_json_general(out, j) {
                out.truncate(mark);
                atts.truncate(att_mark);
                return Err(e);
            }
            continue;
        }
        if let Err(e) = write_value(out, atts, a) {
            out.truncate(mark);
            atts.truncate(att_mark);
            return Err(e);
        }
    }
    out.push(']');
    Ok(kind)
}

/// Appends a packet whose payload (if any) is given as one [`Value`] (used to encode decoded
/// test vectors and arbitrary packets): `kind` must be a non-binary type; EVENT / ACK become
/// their binary forms when `data` holds binary. Payload shapes are checked as on decode.
pub fn encode_value<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    kind: PacketType,
    nsp: &str,
    id: Option<u64>,
    data: Option<&Value<'a>>,
) -> Result<PacketType, SocketIoError> {
    check_nsp(nsp)?;
    let bins = match data {
        Some(d) => count_binary(d, 0)?,
        None => 0,
    };
    let kind = match (bins, kind) {
        (_, PacketType::BinaryEvent | PacketType::BinaryAck) => {
            return Err(SocketIoError::InvalidPayload {
                at: 0,
                what: "encode EVENT or ACK; the binary type follows from the arguments",
            });
        }
        (0, k) => k,
        (_, PacketType::Event) => PacketType::BinaryEvent,
        (_, PacketType::Ack) => PacketType::BinaryAck,
        _ => {
            return Err(SocketIoError::InvalidPayload {
                at: 0,
                what: "only EVENT and ACK packets carry binary arguments",
            });
        }
    };
    let mark = out.len();
    let att_mark = atts.len();
    write_prefix(out, kind, bins, nsp, id);
    let body = out.len();
    if let Some(d) = data {
        if let Err(e) = write_value(out, atts, d) {
            out.truncate(mark);
            atts.truncate(att_mark);
            return Err(e);
        }
    }
    // Check the shape by decoding what was written (placeholders included).
    let cfg = DecodeConfig::new()
        .with_max_attachments(usize::MAX)
        .with_max_packet_bytes(usize::MAX)
        .with_max_depth(MAX_ENCODE_DEPTH + 2);
    let _ = body;
    if let Err(e) = decode(&out[mark..], &cfg) {
        out.truncate(mark);
        atts.truncate(att_mark);
        return Err(e);
    }
    Ok(kind)
}

/// The one-shot compact validator of [`Value::Json`] against the general path it short-cuts.
#[cfg(test)]
mod prop_tests {
    use super::*;
    use proptest::prelude::*;

    /// What `Value::Json` wrote before the compact fast path: the strict scanner, then the
    /// text minified when it had whitespace.
    fn reference(j: &str) -> Result<String, SocketIoError> {
        let mut out = String::new();
        let j = j.trim_start_matches([' ', '\t', '\n', '\r']);
        let (end, info) =
            json::validate(j.as_bytes(), MAX_ENCODE_DEPTH, None).map_err(|e| arg_err(e, j))?;
        let j = &j[..end];
        if info.whitespace {
            json::write_minified(&mut out, j);
        } else {
            out.push_str(j);
        }
        Ok(out)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn json_arg_matches_the_general_path(j in json::tests::prop_tests::text()) {
            let mut out = String::new();
            let mut atts = Vec::new();
            let got = write_value(&mut out, &mut atts, &Value::Json(&j)).map(|()| out);
            prop_assert_eq!(got, reference(&j));
        }
    }
}
