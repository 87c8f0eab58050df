//! The messages of `@socket.io/redis-adapter` 8.3 and `@socket.io/redis-emitter` 5.1, decoded
//! and encoded byte-compatibly.
//!
//! * A **broadcast** (channel `<prefix>#<nsp>#` or `<prefix>#<nsp>#<room>#`) is the msgpack
//!   array `[uid, packet, opts]`: `packet` is the Socket.IO packet object
//!   `{type, data, nsp}` (binary arguments are msgpack `bin` values inside `data`), `opts` is
//!   `{rooms, except, flags}` (the emitter writes `{rooms, flags, except}`).
//! * A **request** (channel `<prefix>-request#<nsp>#`) is a JSON object, except BROADCAST
//!   (with acks), which is msgpack; a decoder tells them apart by the first byte (`{`).
//! * A **response** (channel `<prefix>-response#<nsp>#`, or `...#<uid>#` when the requester
//!   asked for specific channels) is JSON, except BROADCAST_ACK, which is msgpack.
//!
//! JSON messages are converted to msgpack first (the same conversion the msgpack Socket.IO
//! parser uses), so one bounded msgpack decoder reads every message.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::msgpack::{self, Limits, Value};

/// The `type` numbers of requests and responses between nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum RequestType {
    /// `fetchSockets` ids only (`sockets(rooms)`), 0.
    Sockets,
    /// Every room of every node, 1.
    AllRooms,
    /// `socketsJoin`, 2.
    RemoteJoin,
    /// `socketsLeave`, 3.
    RemoteLeave,
    /// `disconnectSockets`, 4.
    RemoteDisconnect,
    /// `fetchSockets`, 5.
    RemoteFetch,
    /// `serverSideEmit`, 6.
    ServerSideEmit,
    /// A broadcast with acknowledgements, 7.
    Broadcast,
    /// How many clients a node sent a broadcast with acks to, 8.
    BroadcastClientCount,
    /// One client's acknowledgement of a broadcast, 9.
    BroadcastAck,
}

impl RequestType {
    /// The type for its wire number.
    #[must_use]
    pub fn from_u64(n: u64) -> Option<Self> {
        Some(match n {
            0 => RequestType::Sockets,
            1 => RequestType::AllRooms,
            2 => RequestType::RemoteJoin,
            3 => RequestType::RemoteLeave,
            4 => RequestType::RemoteDisconnect,
            5 => RequestType::RemoteFetch,
            6 => RequestType::ServerSideEmit,
            7 => RequestType::Broadcast,
            8 => RequestType::BroadcastClientCount,
            9 => RequestType::BroadcastAck,
            _ => return None,
        })
    }

    /// Its wire number.
    #[must_use]
    pub fn number(self) -> u8 {
        self as u8
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    /// Longer than the configured cap.
    TooLarge,
    /// Not one well-formed, bounded msgpack value (or JSON object).
    Malformed,
    /// Well-formed, but a field is missing or has the wrong type.
    BadField(&'static str),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::TooLarge => f.write_str("cluster message too large"),
            WireError::Malformed => f.write_str("malformed cluster message"),
            WireError::BadField(n) => write!(f, "cluster message field `{n}` missing or invalid"),
        }
    }
}

impl core::error::Error for WireError {}

/// The `flags` of a broadcast that a receiving node acts on (others are kept on the wire only
/// by Node; they do not change delivery).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// `volatile`, if present.
    pub volatile: Option<bool>,
    /// `compress`, if present.
    pub compress: Option<bool>,
    /// `local`: never published (present only on messages a buggy peer sent).
    pub local: Option<bool>,
    /// `timeout` in milliseconds (broadcasts with acks).
    pub timeout: Option<u64>,
}

/// Where a broadcast or a request goes: the union of `rooms` (every socket when empty) minus
/// the members of `except`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opts<'a> {
    /// Rooms whose members are concerned; empty means the whole namespace.
    pub rooms: Vec<&'a str>,
    /// Rooms whose members are not (a socket id is a room).
    pub except: Vec<&'a str>,
    /// The flags.
    pub flags: Flags,
}

/// A decoded broadcast message `[uid, packet, opts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastMessage<'a> {
    /// The publishing node (`"emitter"` for the Redis emitter).
    pub uid: &'a str,
    /// The namespace of the packet (`"/"` when the packet has none).
    pub nsp: &'a str,
    /// The packet object, as it came.
    pub packet: Value<'a>,
    /// Addressing and flags.
    pub opts: Opts<'a>,
}

/// A decoded request or response: every field any type uses, `None` / empty when absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message<'a> {
    /// The `type` number, if it is one of [`RequestType`].
    pub kind: Option<RequestType>,
    /// The requesting node.
    pub uid: Option<&'a str>,
    /// The request id.
    pub request_id: Option<&'a str>,
    /// `opts` (REMOTE_JOIN / LEAVE / DISCONNECT / FETCH, BROADCAST).
    pub opts: Option<Opts<'a>>,
    /// `rooms` as a list (REMOTE_JOIN / LEAVE targets; ALL_ROOMS and SOCKETS answers).
    pub rooms: Vec<&'a str>,
    /// `room` (the single-socket form of REMOTE_JOIN / LEAVE).
    pub room: Option<&'a str>,
    /// `sid` (the single-socket forms).
    pub sid: Option<&'a str>,
    /// `close` (REMOTE_DISCONNECT).
    pub close: bool,
    /// `data` (SERVER_SIDE_EMIT: the event name and arguments; its answer's argument).
    pub data: Option<Value<'a>>,
    /// `packet` (BROADCAST: the packet object; BROADCAST_ACK: the client's answer).
    pub packet: Option<Value<'a>>,
    /// `sockets` (SOCKETS / REMOTE_FETCH answers).
    pub sockets: Option<Value<'a>>,
    /// `clientCount` (BROADCAST_CLIENT_COUNT).
    pub client_count: Option<u64>,
}

/// The top-level map of a bus message of at most `max` bytes, the one decoding path of every
/// message type: JSON (the message starts with `{`) is converted into `scratch` first, msgpack
/// is decoded in place under [`limits`].
///
/// # Errors
/// Too large, malformed, or not a map.
pub(crate) fn decode_map<'a>(
    msg: &'a [u8],
    scratch: &'a mut Vec<u8>,
    max: usize,
) -> Result<Vec<(Value<'a>, Value<'a>)>, WireError> {
    if msg.len() > max {
        return Err(WireError::TooLarge);
    }
    let bytes: &'a [u8] = if msg.first() == Some(&b'{') {
        let text = core::str::from_utf8(msg).map_err(|_| WireError::Malformed)?;
        scratch.clear();
        crate::socketio::mpbridge::json_to_msgpack(text, false, &[], scratch)
            .map_err(|_| WireError::Malformed)?;
        scratch
    } else {
        msg
    };
    match msgpack::decode(bytes, &limits(max.max(bytes.len()))) {
        Ok(Value::Map(m)) => Ok(m),
        Ok(_) => Err(WireError::BadField("message")),
        Err(_) => Err(WireError::Malformed),
    }
}

fn limits(max: usize) -> Limits {
    Limits {
        max_input: max,
        max_depth: 32,
        max_values: max.min(1 << 20),
    }
}

fn str_list<'a>(v: &Value<'a>, what: &'static str) -> Result<Vec<&'a str>, WireError> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|x| match x {
                Value::Str(s) => Ok(*s),
                _ => Err(WireError::BadField(what)),
            })
            .collect(),
        Value::Nil | Value::Undefined => Ok(Vec::new()),
        _ => Err(WireError::BadField(what)),
    }
}

fn get<'v, 'a>(map: &'v [(Value<'a>, Value<'a>)], key: &str) -> Option<&'v Value<'a>> {
    // A later duplicate wins, as in JavaScript; `undefined` counts as absent.
    map.iter()
        .rev()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
        .filter(|v| !v.is_undefined())
}

fn flags(v: Option<&Value<'_>>) -> Flags {
    let mut f = Flags::default();
    if let Some(Value::Map(m)) = v {
        let b = |k| match get(m, k) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        };
        f.volatile = b("volatile");
        f.compress = b("compress");
        f.local = b("local");
        f.timeout = get(m, "timeout")
            .and_then(Value::as_i64)
            .and_then(|t| u64::try_from(t).ok());
    }
    f
}

fn opts<'a>(v: &Value<'a>) -> Result<Opts<'a>, WireError> {
    let Value::Map(m) = v else {
        return Err(WireError::BadField("opts"));
    };
    Ok(Opts {
        rooms: get(m, "rooms").map_or(Ok(Vec::new()), |v| str_list(v, "rooms"))?,
        except: get(m, "except").map_or(Ok(Vec::new()), |v| str_list(v, "except"))?,
        flags: flags(get(m, "flags")),
    })
}

/// Reads an `opts` map (`{rooms, except, flags}`).
///
/// # Errors
/// Not a map, or rooms / except not lists of strings.
pub fn opts_of<'a>(v: &Value<'a>) -> Result<Opts<'a>, WireError> {
    opts(v)
}

/// Decodes a broadcast message of at most `max` bytes.
///
/// # Errors
/// [`WireError`] when it is too large, not msgpack, or not `[uid, packet, opts]` with a string
/// uid, a map packet and a map opts.
pub fn decode_broadcast(msg: &[u8], max: usize) -> Result<BroadcastMessage<'_>, WireError> {
    if msg.len() > max {
        return Err(WireError::TooLarge);
    }
    let v = msgpack::decode(msg, &limits(max)).map_err(|_| WireError::Malformed)?;
    let Value::Array(mut items) = v else {
        return Err(WireError::BadField("message"));
    };
    if items.len() < 3 {
        return Err(WireError::BadField("message"));
    }
    items.truncate(3);
    let o = items.pop().ok_or(WireError::Malformed)?;
    let packet = items.pop().ok_or(WireError::Malformed)?;
    let uid = match items.pop() {
        Some(Value::Str(s)) => s,
        _ => return Err(WireError::BadField("uid")),
    };
    let Value::Map(m) = &packet else {
        return Err(WireError::BadField("packet"));
    };
    let nsp = match get(m, "nsp") {
        None => "/",
        Some(Value::Str(s)) => s,
        Some(_) => return Err(WireError::BadField("nsp")),
    };
    Ok(BroadcastMessage {
        uid,
        nsp,
        opts: opts(&o)?,
        packet,
    })
}

/// Decodes a request or response of at most `max` bytes: JSON when it starts with `{`
/// (converted into `scratch`), msgpack otherwise.
///
/// # Errors
/// [`WireError`] when it is too large, malformed, not an object, or a known field has the
/// wrong type.
pub fn decode_message<'a>(
    msg: &'a [u8],
    scratch: &'a mut Vec<u8>,
    max: usize,
) -> Result<Message<'a>, WireError> {
    let m = decode_map(msg, scratch, max)?;
    let s = |k: &'static str| -> Result<Option<&'a str>, WireError> {
        match get(&m, k) {
            None | Some(Value::Nil) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(*s)),
            Some(_) => Err(WireError::BadField(k)),
        }
    };
    let kind = get(&m, "type")
        .and_then(Value::as_i64)
        .and_then(|n| u64::try_from(n).ok())
        .and_then(RequestType::from_u64);
    let out = Message {
        kind,
        uid: s("uid")?,
        request_id: s("requestId")?,
        room: s("room")?,
        sid: s("sid")?,
        opts: get(&m, "opts").map(opts).transpose()?,
        rooms: match get(&m, "rooms") {
            Some(Value::Array(_)) => str_list(get(&m, "rooms").unwrap_or(&Value::Nil), "rooms")?,
            _ => Vec::new(),
        },
        close: matches!(get(&m, "close"), Some(Value::Bool(true))),
        data: get(&m, "data").cloned(),
        packet: get(&m, "packet").cloned(),
        sockets: get(&m, "sockets").cloned(),
        client_count: get(&m, "clientCount")
            .and_then(Value::as_i64)
            .and_then(|n| u64::try_from(n).ok()),
    };
    Ok(out)
}

fn push_list(out: &mut Vec<u8>, items: &[&str]) {
    push_array_len(out, items.len());
    for r in items {
        msgpack::encode(&Value::Str(r), out);
    }
}

fn push_array_len(out: &mut Vec<u8>, n: usize) {
    if n <= 15 {
        out.push(0x90 | n as u8);
    } else if n <= 0xffff {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn push_flags(out: &mut Vec<u8>, f: &Flags) {
    let n = [
        f.volatile.is_some(),
        f.compress.is_some(),
        f.local.is_some(),
        f.timeout.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    out.push(0x80 | n as u8);
    for (k, v) in [
        ("volatile", f.volatile),
        ("compress", f.compress),
        ("local", f.local),
    ] {
        if let Some(b) = v {
            msgpack::encode(&Value::Str(k), out);
            msgpack::encode(&Value::Bool(b), out);
        }
    }
    if let Some(t) = f.timeout {
        msgpack::encode(&Value::Str("timeout"), out);
        msgpack::encode(&Value::UInt(t), out);
    }
}

/// Which node wrote a broadcast: a server adapter writes `opts` as `{rooms, except, flags}`,
/// the Redis emitter as `{rooms, flags, except}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// `@socket.io/redis-adapter`.
    Adapter,
    /// `@socket.io/redis-emitter`.
    Emitter,
}

/// Encodes a broadcast `[uid, packet, opts]`; `packet` is the msgpack packet object
/// (`{type, data, nsp}`), written as is.
pub fn encode_broadcast(out: &mut Vec<u8>, writer: Writer, uid: &str, packet: &[u8], o: &Opts<'_>) {
    out.push(0x93);
    msgpack::encode(&Value::Str(uid), out);
    out.extend_from_slice(packet);
    out.push(0x83);
    msgpack::encode(&Value::Str("rooms"), out);
    push_list(out, &o.rooms);
    if writer == Writer::Adapter {
        msgpack::encode(&Value::Str("except"), out);
        push_list(out, &o.except);
        msgpack::encode(&Value::Str("flags"), out);
        push_flags(out, &o.flags);
    } else {
        msgpack::encode(&Value::Str("flags"), out);
        push_flags(out, &o.flags);
        msgpack::encode(&Value::Str("except"), out);
        push_list(out, &o.except);
    }
}

/// The channel a broadcast to `rooms` is published on: `<prefix>#<nsp>#<room>#` for exactly one
/// room, `<prefix>#<nsp>#` otherwise.
#[must_use]
pub fn broadcast_channel(prefix: &str, nsp: &str, rooms: &[&str]) -> String {
    let mut c = String::with_capacity(prefix.len() + nsp.len() + 8);
    c.push_str(prefix);
    c.push('#');
    c.push_str(nsp);
    c.push('#');
    if let [room] = rooms {
        c.push_str(room);
        c.push('#');
    }
    c
}

/// A JSON writer for the requests and responses Node writes with `JSON.stringify`.
#[derive(Debug, Default)]
pub struct JsonObject {
    buf: String,
}

impl JsonObject {
    /// `{`.
    #[must_use]
    pub fn new() -> Self {
        JsonObject {
            buf: String::from("{"),
        }
    }

    fn key(&mut self, k: &str) {
        if self.buf.len() > 1 {
            self.buf.push(',');
        }
        crate::json::push_string(&mut self.buf, k);
        self.buf.push(':');
    }

    /// A string member.
    #[must_use]
    pub fn str(mut self, k: &str, v: &str) -> Self {
        self.key(k);
        crate::json::push_string(&mut self.buf, v);
        self
    }

    /// A number member.
    #[must_use]
    pub fn num(mut self, k: &str, v: u64) -> Self {
        use core::fmt::Write as _;
        self.key(k);
        let _ = write!(self.buf, "{v}");
        self
    }

    /// A boolean member.
    #[must_use]
    pub fn bool(mut self, k: &str, v: bool) -> Self {
        self.key(k);
        self.buf.push_str(if v { "true" } else { "false" });
        self
    }

    /// A member whose value is JSON text the caller wrote.
    #[must_use]
    pub fn raw(mut self, k: &str, json: &str) -> Self {
        self.key(k);
        self.buf.push_str(json);
        self
    }

    /// A member holding a list of strings.
    #[must_use]
    pub fn list<'s>(mut self, k: &str, items: impl IntoIterator<Item = &'s str>) -> Self {
        self.key(k);
        self.buf.push_str(&json_list(items));
        self
    }

    /// `}`: the JSON text.
    #[must_use]
    pub fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

/// `["a","b"]`.
#[must_use]
pub fn json_list<'s>(items: impl IntoIterator<Item = &'s str>) -> String {
    let mut s = String::from("[");
    for (i, r) in items.into_iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        crate::json::push_string(&mut s, r);
    }
    s.push(']');
    s
}

/// `{"rooms":[...],"except":[...]}`, the `opts` of a request.
#[must_use]
pub fn json_opts(rooms: &[&str], except: &[&str]) -> String {
    JsonObject::new()
        .list("rooms", rooms.iter().copied())
        .list("except", except.iter().copied())
        .finish()
}

/// A msgpack value as JSON text (binary values become placeholders, counted in `atts`).
///
/// # Errors
/// [`WireError::BadField`] for values JSON cannot hold (extensions, container keys).
pub fn to_json(v: &Value<'_>, max_atts: usize) -> Result<(String, Vec<Vec<u8>>), WireError> {
    let mut s = String::new();
    let mut atts = Vec::new();
    crate::socketio::mpbridge::write_json(v, &mut s, &mut atts, max_atts)
        .map_err(|_| WireError::BadField("data"))?;
    Ok((s, atts))
}
