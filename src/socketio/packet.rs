//! The Socket.IO v5 packet codec: `<type>[<attachments>-][<nsp>,][<ack id>][<JSON>]`.
//!
//! Decoding borrows from the input and allocates nothing; the payload stays raw JSON (validated
//! strictly) and events expose their name and an iterator over raw argument slices. Encoding
//! appends `JSON.stringify`-identical text to a caller's `String` and collects the binary
//! attachments (as borrowed slices) in a caller's `Vec`.
//!
//! Binary attachments and their reassembly across Engine.IO messages are handled by
//! [`Decoder`](super::Decoder); this module only decodes one text packet and, for a binary header,
//! checks its placeholders against the announced attachment count.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::SocketIoError;
use super::json::{self, ScanError};

/// The seven Socket.IO v5 packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: connect to a namespace (client → server, with an optional auth object), or its
    /// acceptance (server → client, with `{"sid":...}`).
    Connect,
    /// `1`: leave a namespace (either side); never carries a payload.
    Disconnect,
    /// `2`: an event, `[name, ...args]`, optionally asking for an acknowledgement.
    Event,
    /// `3`: the acknowledgement of an event, `[...args]`, with the event's id.
    Ack,
    /// `4`: the server refused a namespace connection (a string or an object payload).
    ConnectError,
    /// `5`: an event with binary attachments.
    BinaryEvent,
    /// `6`: an acknowledgement with binary attachments.
    BinaryAck,
}

impl PacketType {
    /// The type for the wire digit `0`–`6`.
    pub const fn from_digit(d: u8) -> Option<Self> {
        Some(match d {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit (`b'0'`–`b'6'`).
    pub const fn digit(self) -> u8 {
        match self {
            PacketType::Connect => b'0',
            PacketType::Disconnect => b'1',
            PacketType::Event => b'2',
            PacketType::Ack => b'3',
            PacketType::ConnectError => b'4',
            PacketType::BinaryEvent => b'5',
            PacketType::BinaryAck => b'6',
        }
    }

    /// `true` for [`BinaryEvent`](Self::BinaryEvent) and [`BinaryAck`](Self::BinaryAck).
    pub const fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// `true` for [`Event`](Self::Event) and [`BinaryEvent`](Self::BinaryEvent).
    pub const fn is_event(self) -> bool {
        matches!(self, PacketType::Event | PacketType::BinaryEvent)
    }

    /// `true` for [`Ack`](Self::Ack) and [`BinaryAck`](Self::BinaryAck).
    pub const fn is_ack(self) -> bool {
        matches!(self, PacketType::Ack | PacketType::BinaryAck)
    }
}

/// Event names an application may not emit and a peer may not send (they name lifecycle events
/// of the reference implementation).
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// `true` if `name` is one of [`RESERVED_EVENTS`].
pub fn is_reserved_event(name: &str) -> bool {
    RESERVED_EVENTS.contains(&name)
}

/// [`is_reserved_event`] on the inside of a raw JSON string token.
fn is_reserved_raw(raw: &[u8]) -> bool {
    match raw {
        b"connect" | b"connect_error" | b"disconnect" | b"disconnecting" | b"newListener"
        | b"removeListener" => true,
        _ if crate::json::has_backslash(raw) => {
            RESERVED_EVENTS.iter().any(|r| json::raw_eq(raw, r))
        }
        _ => false,
    }
}

/// Limits applied when decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeConfig {
    /// Most binary attachments one packet may announce (default 10, as the reference server).
    pub max_attachments: usize,
    /// Deepest JSON nesting accepted in a payload (default 128).
    pub max_depth: usize,
    /// Largest packet accepted: the text plus all its attachments, in bytes (default 1 000 000,
    /// the Engine.IO `maxPayload` default).
    pub max_packet_bytes: usize,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeConfig {
    /// The defaults: 10 attachments, depth 128, 1 000 000 bytes.
    pub const fn new() -> Self {
        DecodeConfig {
            max_attachments: 10,
            max_depth: 128,
            max_packet_bytes: 1_000_000,
        }
    }

    /// Sets [`max_attachments`](Self::max_attachments).
    pub const fn with_max_attachments(mut self, n: usize) -> Self {
        self.max_attachments = n;
        self
    }

    /// Sets [`max_depth`](Self::max_depth).
    pub const fn with_max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }

    /// Sets [`max_packet_bytes`](Self::max_packet_bytes).
    pub const fn with_max_packet_bytes(mut self, n: usize) -> Self {
        self.max_packet_bytes = n;
        self
    }
}

/// Byte offsets of a decoded packet's parts inside its text (internal, `Copy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) kind: PacketType,
    pub(crate) attachments: usize,
    /// `None` means the main namespace `/` (nothing written).
    pub(crate) nsp: Option<(usize, usize)>,
    pub(crate) id: Option<u64>,
    pub(crate) data: Option<(usize, usize)>,
    /// For events: the raw first element (the name) and where the arguments start.
    pub(crate) name: (usize, usize),
    pub(crate) args_at: usize,
    /// The first argument, found while validating (saves a rescan when iterating).
    pub(crate) first_arg: Option<(usize, usize)>,
    /// The members of the first argument when it is a small flat object (see
    /// [`Packet::first_arg_members`]).
    pub(crate) flat: json::FlatMembers,
}

/// A decoded text packet, borrowing from its input.
///
/// For a binary packet ([`PacketType::BinaryEvent`] / [`PacketType::BinaryAck`]) the data still
/// holds the `{"_placeholder":true,"num":N}` objects; [`Decoder`](super::Decoder) pairs it with its
/// attachments into an [`OwnedPacket`](super::OwnedPacket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'b> {
    pub(crate) src: &'b str,
    pub(crate) meta: Meta,
}

impl<'b> Packet<'b> {
    /// The packet type as written on the wire (binary types are kept).
    pub fn kind(&self) -> PacketType {
        self.meta.kind
    }

    /// The announced number of binary attachments (0 for non-binary packets).
    pub fn attachments(&self) -> usize {
        self.meta.attachments
    }

    /// The namespace (`/` when none was written).
    pub fn nsp(&self) -> &'b str {
        match self.meta.nsp {
            Some((s, e)) => &self.src[s..e],
            None => "/",
        }
    }

    /// The acknowledgement id, if any.
    pub fn id(&self) -> Option<u64> {
        self.meta.id
    }

    /// The raw JSON payload (validated), if any.
    pub fn data(&self) -> Option<&'b str> {
        self.meta.data.map(|(s, e)| &self.src[s..e])
    }

    /// The whole packet text this was decoded from.
    pub fn as_str(&self) -> &'b str {
        self.src
    }

    /// For events: the raw JSON first element (a string token with its quotes, or a number).
    pub fn event_name_raw(&self) -> Option<&'b str> {
        if self.meta.kind.is_event() {
            Some(&self.src[self.meta.name.0..self.meta.name.1])
        } else {
            None
        }
    }

    /// For events: the event name, unescaped (borrowed unless it contains escapes). A numeric
    /// name is returned as written (`2[1,"a"]` has the name `1`).
    pub fn event_name(&self) -> Option<Cow<'b, str>> {
        let raw = self.event_name_raw()?;
        Some(unquote(raw))
    }

    /// The arguments as raw JSON slices: for events every element after the name, for acks
    /// every element, otherwise nothing.
    pub fn args(&self) -> Args<'b> {
        if self.meta.kind.is_event() || self.meta.kind.is_ack() {
            Args {
                src: self.src,
                pos: self.meta.args_at,
                cached: self.meta.first_arg,
            }
        } else {
            Args {
                src: "",
                pos: 0,
                cached: None,
            }
        }
    }
}

impl<'b> Packet<'b> {
    /// The members of the first argument (as [`members`] would yield them for
    /// `self.args().next()`), when that argument is an object; nothing otherwise.
    ///
    /// For a small flat object (up to 8 members whose values are strings, numbers or literals,
    /// written without whitespace — the common shape of an event payload) the member ranges were
    /// recorded while the packet was validated, so this reads them without scanning again.
    pub fn first_arg_members(&self) -> FirstArgMembers<'b> {
        let flat = &self.meta.flat;
        let recorded = usize::from(flat.len);
        if flat.len != json::FLAT_NONE && self.meta.first_arg.is_some() {
            FirstArgMembers {
                src: self.src,
                flat: flat.at,
                next: 0,
                len: recorded,
                rest: None,
            }
        } else {
            let arg = self.args().next().unwrap_or("");
            FirstArgMembers {
                src: self.src,
                flat: flat.at,
                next: 0,
                len: 0,
                rest: Some(members(arg)),
            }
        }
    }
}

/// Iterator returned by [`Packet::first_arg_members`]: `(raw key, raw value)` pairs.
#[derive(Debug, Clone)]
pub struct FirstArgMembers<'b> {
    src: &'b str,
    flat: [(u16, u16, u16); json::FLAT_CAP],
    next: usize,
    len: usize,
    rest: Option<Members<'b>>,
}

impl<'b> Iterator for FirstArgMembers<'b> {
    type Item = (&'b str, &'b str);

    #[inline]
    fn next(&mut self) -> Option<(&'b str, &'b str)> {
        if let Some(m) = &mut self.rest {
            return m.next();
        }
        let &(k, v, e) = self.flat[..self.len].get(self.next)?;
        self.next += 1;
        let (k, v, e) = (k as usize, v as usize, e as usize);
        Some((self.src.get(k..v - 1)?, self.src.get(v..e)?))
    }
}

/// The unescaped content of a raw JSON string token, or the token itself if it is not a string.
pub fn unquote(raw: &str) -> Cow<'_, str> {
    if raw.len() >= 2 && raw.starts_with('"') {
        let inner = &raw[1..raw.len() - 1];
        if crate::json::has_backslash(inner.as_bytes()) {
            let mut s = String::with_capacity(inner.len());
            json::unescape_into(inner, &mut s);
            Cow::Owned(s)
        } else {
            Cow::Borrowed(inner)
        }
    } else {
        Cow::Borrowed(raw)
    }
}

/// The members of a JSON object taken from a decoded packet (an argument from
/// [`Packet::args`], or any value nested in one), as `(raw key, raw value)` pairs; keys keep their
/// quotes (decode them with [`unquote`]).
///
/// The text was validated when the packet was decoded, so this only matches brackets and
/// strings: it is much cheaper than a validating iterator. On text that is not an object (or
/// not valid JSON) it yields nothing, or stops early; it never panics.
///
/// ```
/// use sockwire::socketio::{packet, DecodeConfig};
/// let p = packet::decode(r#"2["chat",{"user":"ann","ts":17}]"#, &DecodeConfig::new()).unwrap();
/// let arg = p.args().next().unwrap();
/// let m: Vec<_> = packet::members(arg).collect();
/// assert_eq!(m, [(r#""user""#, r#""ann""#), (r#""ts""#, "17")]);
/// assert_eq!(packet::unquote(m[0].1), "ann");
/// ```
pub fn members(object: &str) -> Members<'_> {
    let b = object.as_bytes();
    let pos = if b.first() == Some(&b'{') {
        json::skip_ws(b, 1)
    } else {
        b.len()
    };
    Members { src: object, pos }
}

/// Iterator returned by [`members`].
#[derive(Debug, Clone)]
pub struct Members<'b> {
    src: &'b str,
    pos: usize,
}

impl<'b> Iterator for Members<'b> {
    type Item = (&'b str, &'b str);

    fn next(&mut self) -> Option<(&'b str, &'b str)> {
        let b = self.src.as_bytes();
        let k = self.pos;
        if b.get(k) != Some(&b'"') {
            self.pos = b.len();
            return None;
        }
        let key_end = json::skip_value(b, k);
        let colon = json::skip_ws(b, key_end);
        if b.get(colon) != Some(&b':') {
            self.pos = b.len();
            return None;
        }
        let v = json::skip_ws(b, colon + 1);
        let v_end = json::skip_value(b, v);
        if v_end <= v {
            self.pos = b.len();
            return None;
        }
        let mut next = json::skip_ws(b, v_end);
        if b.get(next) == Some(&b',') {
            next = json::skip_ws(b, next + 1);
        } else {
            next = b.len();
        }
        self.pos = next;
        Some((&self.src[k..key_end], &self.src[v..v_end]))
    }
}

/// Iterator over the raw JSON arguments of an event or ack (see [`Packet::args`]).
#[derive(Debug, Clone)]
pub struct Args<'b> {
    src: &'b str,
    pos: usize,
    cached: Option<(usize, usize)>,
}

impl<'b> Iterator for Args<'b> {
    type Item = &'b str;

    fn next(&mut self) -> Option<&'b str> {
        let b = self.src.as_bytes();
        if let Some((s, e)) = self.cached.take() {
            let mut next = json::skip_ws(b, e);
            if b.get(next) == Some(&b',') {
                next = json::skip_ws(b, next + 1);
            }
            self.pos = next;
            return Some(&self.src[s..e]);
        }
        let start = json::skip_ws(b, self.pos);
        match b.get(start) {
            None | Some(b']') => {
                self.pos = b.len();
                return None;
            }
            _ => {}
        }
        // The payload was validated when it was decoded: only match brackets and strings.
        let end = json::skip_value(b, start);
        if end <= start {
            self.pos = b.len();
            return None;
        }
        let mut next = json::skip_ws(b, end);
        if b.get(next) == Some(&b',') {
            next = json::skip_ws(b, next + 1);
        }
        self.pos = next;
        Some(&self.src[start..end])
    }
}

/// The error for raw JSON given to an encoder (offsets counted in that text).
#[cold]
fn arg_err(e: ScanError, json_text: &str) -> SocketIoError {
    let cfg = DecodeConfig {
        max_depth: MAX_ENCODE_DEPTH,
        ..DecodeConfig::new()
    };
    scan_err(e, json_text, 0, &cfg)
}

/// The error for a payload starting at `start` that the fast scanner refused. For a syntax
/// error the strict scanner of [`crate::json`] runs once more over the payload (error path only)
/// to say what is wrong and where, in packet-text offsets.
#[cold]
fn scan_err(e: ScanError, text: &str, start: usize, cfg: &DecodeConfig) -> SocketIoError {
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
///   [`RESERVED_EVENTS`]; ACK an array. EVENT and ACK *require* their array: `2` and `31` are
///   errors here (the reference skips validation when there is no payload);
/// - in a binary packet every object whose `_placeholder` member is `true` must have a `num`
///   that is a plain non-negative integer below the attachment count, without duplicate keys
///   (socket.io-parser CVE-2022-2421 / CVE-2023-32695).
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
fn push_u64(out: &mut String, mut n: u64) {
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

fn write_value<'a>(
    out: &mut String,
    atts: &mut Vec<&'a [u8]>,
    v: &Value<'a>,
) -> Result<(), SocketIoError> {
    match *v {
        Value::Json(j) => {
            // Fast path: a compact flat object, validated in one tight pass and copied as is.
            if j.as_bytes().first() == Some(&b'{') {
                let mut ignore = json::FlatMembers::NONE;
                if json::flat_object(j.as_bytes(), 0, &mut ignore) == Some(j.len()) {
                    out.push_str(j);
                    return Ok(());
                }
            }
            let j = j.trim_start_matches([' ', '\t', '\n', '\r']);
            let (end, info) =
                json::validate(j.as_bytes(), MAX_ENCODE_DEPTH, None).map_err(|e| arg_err(e, j))?;
            let j = &j[..end];
            if info.whitespace {
                json::write_minified(out, j);
            } else {
                out.push_str(j);
            }
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

fn check_nsp(nsp: &str) -> Result<(), SocketIoError> {
    if !nsp.starts_with('/') || nsp.contains(',') {
        return Err(SocketIoError::InvalidNamespace);
    }
    Ok(())
}

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
/// `id` asks the peer for an acknowledgement. Reserved names ([`RESERVED_EVENTS`]) are refused.
/// On error nothing is appended.
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
    let mut bins = 0;
    for a in args {
        bins += count_binary(a, 1)?;
    }
    let kind = match (bins, base) {
        (0, k) => k,
        (_, PacketType::Event) => PacketType::BinaryEvent,
        _ => PacketType::BinaryAck,
    };
    // One reserve for the common case (raw JSON and string arguments).
    let mut guess = 24 + nsp.len() + name.map_or(0, |n| n.len() + 2);
    for a in args {
        guess += match a {
            Value::Json(j) | Value::JsonUnchecked(j) => j.len() + 1,
            Value::Str(s) => s.len() + 3,
            _ => 16,
        };
    }
    out.reserve(guess);
    let mark = out.len();
    let att_mark = atts.len();
    write_prefix(out, kind, bins, nsp, id);
    out.push('[');
    let mut first = true;
    if let Some(n) = name {
        json::write_str(out, n);
        first = false;
    }
    for a in args {
        if !first {
            out.push(',');
        }
        first = false;
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
