//! The decoder: one text packet, checked strictly and in one pass, into a borrowed [`Packet`].

use super::types::is_reserved_raw;
use super::{DecodeConfig, Meta, Packet, PacketType};
use crate::json::fast::{self as json, ScanError};
use crate::socketio::SocketIoError;

/// The error for a payload starting at `start` that the fast scanner refused. For a syntax
/// error the strict scanner of [`crate::json`] runs once more over the payload (error path only)
/// to say what is wrong and where, in packet-text offsets.
#[cold]
pub(super) fn scan_err(
    e: ScanError,
    text: &str,
    start: usize,
    cfg: &DecodeConfig,
) -> SocketIoError {
    match e {
        ScanError::Syntax => {
            let payload = text.get(start..).unwrap_or("");
            let e = match crate::json::validate_with_depth(payload, cfg.max_depth) {
                Err(e) => crate::json::JsonError {
                    offset: start + e.offset,
                    kind: e.kind,
                },
                // The two scanners agree on the grammar; should they not, point at the start.
                Ok(()) => crate::json::JsonError {
                    offset: start,
                    kind: crate::json::JsonErrorKind::UnexpectedByte(
                        text.as_bytes().get(start).copied().unwrap_or(0),
                    ),
                },
            };
            SocketIoError::InvalidJson(e)
        }
        ScanError::TooDeep => SocketIoError::JsonTooDeep,
        ScanError::Placeholder => SocketIoError::InvalidPlaceholder,
    }
}

/// Decodes one text packet (the Engine.IO message with its `4` already stripped).
///
/// Rules, and where they deliberately differ from socket.io-parser 4.2.7:
/// - the type is one digit `0`–`6`; `""` is an error (the reference reads it as CONNECT);
/// - binary types need `<digits>-` with a count in `1..=max_attachments` (`0` is rejected, as
///   the reference does);
/// - a namespace starts with `/` and runs to the first `,`, or to the end of the input (so
///   `0/admin` is accepted);
/// - the ack id is ASCII digits only and must fit a `u64` (overflow is an error; the reference
///   reads a space as id `0` in `2 ["x"]` and rounds ids above 2^53 — both rejected here:
///   whitespace may not start the payload);
/// - the payload is one strict JSON value (trailing whitespace allowed, as `JSON.parse` does);
/// - per type: CONNECT an object or nothing; DISCONNECT nothing; CONNECT_ERROR a string, an
///   object or nothing; EVENT a non-empty array whose first element is a number or a string not in
///   [`RESERVED_EVENTS`](super::RESERVED_EVENTS); ACK an array. EVENT and ACK *require* their
///   array: `2` and `31` are
///   errors here (the reference skips validation when there is no payload);
/// - in a binary packet every object whose `_placeholder` member is `true` must have a `num`
///   that is a plain non-negative integer below the attachment count, without duplicate keys
///   (socket.io-parser CVE-2022-2421 / CVE-2023-32695).
#[inline]
pub fn decode<'b>(text: &'b str, cfg: &DecodeConfig) -> Result<Packet<'b>, SocketIoError> {
    let b = text.as_bytes();
    if b.len() > cfg.max_packet_bytes {
        return Err(SocketIoError::TooLarge {
            limit: cfg.max_packet_bytes,
        });
    }
    let Some(&first) = b.first() else {
        return Err(SocketIoError::Empty);
    };
    let kind = PacketType::from_digit(first).ok_or(SocketIoError::UnknownPacketType(first))?;
    let mut i = 1;
    let mut attachments = 0;
    if kind.is_binary() {
        let start = i;
        let mut n: usize = 0;
        let mut overflow = false;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            match n
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(c - b'0')))
            {
                Some(v) => n = v,
                None => overflow = true,
            }
            i += 1;
        }
        if i == start || b.get(i) != Some(&b'-') {
            return Err(SocketIoError::IllegalAttachments);
        }
        i += 1;
        if overflow || n > cfg.max_attachments {
            return Err(SocketIoError::TooManyAttachments {
                max: cfg.max_attachments,
            });
        }
        if n == 0 {
            return Err(SocketIoError::IllegalAttachments);
        }
        attachments = n;
    }
    let mut nsp = None;
    if b.get(i) == Some(&b'/') {
        let start = i;
        while i < b.len() && b[i] != b',' {
            i += 1;
        }
        nsp = Some((start, i));
        if i < b.len() {
            i += 1; // the comma
        }
    }
    let mut id = None;
    if matches!(b.get(i), Some(b'0'..=b'9')) {
        let mut n: u64 = 0;
        while let Some(&c) = b.get(i) {
            if !c.is_ascii_digit() {
                break;
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(c - b'0')))
                .ok_or(SocketIoError::InvalidAckId)?;
            i += 1;
        }
        id = Some(n);
    }
    let mut data = None;
    let mut elems = [None; 2];
    let mut flat = json::FlatMembers::NONE;
    let mut first_escaped = true;
    if i < b.len() {
        if json::is_ws(b[i]) {
            return Err(SocketIoError::InvalidPayload {
                at: i,
                what: "whitespace before the payload",
            });
        }
        let ph = if kind.is_binary() {
            Some(attachments)
        } else {
            None
        };
        if b[i] == b'[' && (kind.is_event() || kind.is_ack()) {
            // Validate the array and note its first elements on the way.
            let mut sc = json::Scanner::new(b, cfg.max_depth, ph);
            let rec = usize::from(kind.is_event());
            let end = sc
                .array_head(i, &mut elems, rec, &mut flat)
                .map_err(|e| scan_err(e, text, i, cfg))?;
            first_escaped = sc.info.first_escaped;
            let k = json::skip_ws(b, end);
            if k != b.len() {
                return Err(SocketIoError::InvalidJson(crate::json::JsonError {
                    offset: k,
                    kind: crate::json::JsonErrorKind::TrailingCharacters,
                }));
            }
            data = Some((i, end));
        } else {
            let (end, _) = json::validate(&b[i..], cfg.max_depth, ph)
                .map_err(|e| scan_err(e, text, i, cfg))?;
            data = Some((i, i + end));
        }
    }
    let mut meta = Meta {
        kind,
        attachments,
        nsp,
        id,
        data,
        name: (0, 0),
        name_plain: false,
        args_at: 0,
        first_arg: None,
        flat,
    };
    let first_byte = data.map(|(s, _)| b[s]);
    let ok = match kind {
        PacketType::Connect => matches!(first_byte, None | Some(b'{')),
        PacketType::Disconnect => first_byte.is_none(),
        PacketType::ConnectError => matches!(first_byte, None | Some(b'"' | b'{')),
        PacketType::Ack | PacketType::BinaryAck => {
            if let (Some(b'['), Some((s, _))) = (first_byte, data) {
                meta.args_at = s + 1;
                meta.first_arg = elems[0];
                true
            } else {
                false
            }
        }
        PacketType::Event | PacketType::BinaryEvent => match data {
            Some((s, _)) if b[s] == b'[' => {
                let Some((j, end)) = elems[0] else {
                    return Err(SocketIoError::InvalidPayload {
                        at: s,
                        what: "an EVENT needs an event name (the array is empty)",
                    });
                };
                match b[j] {
                    b'"' => {
                        meta.name_plain = !first_escaped;
                        if is_reserved_raw(&b[j + 1..end - 1]) {
                            return Err(SocketIoError::InvalidPayload {
                                at: j,
                                what: "reserved event name",
                            });
                        }
                    }
                    b'-' | b'0'..=b'9' => {}
                    _ => {
                        return Err(SocketIoError::InvalidPayload {
                            at: j,
                            what: "the event name must be a string or a number",
                        });
                    }
                }
                meta.name = (j, end);
                let mut k = json::skip_ws(b, end);
                if b.get(k) == Some(&b',') {
                    k += 1;
                }
                meta.args_at = k;
                meta.first_arg = elems[1];
                true
            }
            _ => false,
        },
    };
    if !ok {
        let what = match kind {
            PacketType::Connect => "a CONNECT payload must be a JSON object",
            PacketType::Disconnect => "a DISCONNECT packet has no payload",
            PacketType::ConnectError => "a CONNECT_ERROR payload must be a string or an object",
            PacketType::Ack | PacketType::BinaryAck => "an ACK payload must be an array",
            PacketType::Event | PacketType::BinaryEvent => "an EVENT payload must be an array",
        };
        let at = data.map_or(b.len(), |(s, _)| s);
        return Err(SocketIoError::InvalidPayload { at, what });
    }
    Ok(Packet { src: text, meta })
}
