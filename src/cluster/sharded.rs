//! The sharded variant of `@socket.io/redis-adapter` 8.3 (`createShardedAdapter`, Redis 7
//! `SSUBSCRIBE` / `SPUBLISH`), in its default "dynamic" subscription mode.
//!
//! Channels: `<prefix>#<nsp>#` (every node), `<prefix>#<nsp>#<uid>#` (responses for one node)
//! and, per room that exists on a node, `<prefix>#<nsp>#<room>#` (a broadcast to exactly one
//! room that is not a socket id goes there, so only the nodes with that room get it).
//!
//! Messages are the `ClusterAdapter` ones: `{type, data, uid, nsp}` as JSON, or as msgpack
//! when `data` holds binary (a broadcast's arguments, a serverSideEmit's, their answers and
//! the answers to a broadcast with acks: see [binary in the cluster](super#binary)). A broadcast is type 3 with `data = {packet: {type, data}, opts:
//! {rooms, except, flags}}`. Broadcasts, socketsJoin / socketsLeave / disconnectSockets and
//! serverSideEmit (with acks too: SERVER_SIDE_EMIT with a `requestId`, answered with
//! SERVER_SIDE_EMIT_RESPONSE) and broadcasts with acks (BROADCAST with a `requestId`, answered
//! with BROADCAST_CLIENT_COUNT and BROADCAST_ACK) go both ways, the answers on the requester's
//! channel; the number of nodes (and `serverCount`) comes from `PUBSUB SHARDNUMSUB` of the main
//! channel, as the reference. fetchSockets too (FETCH_SOCKETS / FETCH_SOCKETS_RESPONSE);
//! allRooms (not a `ClusterAdapter` request) and heartbeats are not handled.

use alloc::vec::Vec;

use super::wire::{self, JsonObject, Opts, WireError};
use crate::msgpack::{self, Limits, Value};

/// The `ClusterAdapter` message type of a broadcast.
pub const BROADCAST: u64 = 3;
/// `socketsJoin`.
pub const SOCKETS_JOIN: u64 = 4;
/// `socketsLeave`.
pub const SOCKETS_LEAVE: u64 = 5;
/// `disconnectSockets`.
pub const DISCONNECT_SOCKETS: u64 = 6;
/// `fetchSockets`.
pub const FETCH_SOCKETS: u64 = 7;
/// One node's sockets for a `fetchSockets` (a response).
pub const FETCH_SOCKETS_RESPONSE: u64 = 8;
/// `serverSideEmit`.
pub const SERVER_SIDE_EMIT: u64 = 9;
/// One node's answer to a `serverSideEmitWithAck` (a response).
pub const SERVER_SIDE_EMIT_RESPONSE: u64 = 10;
/// A node's count of the clients that got a broadcast with acks (a response).
pub const BROADCAST_CLIENT_COUNT: u64 = 11;
/// One client's answer to a broadcast with acks (a response).
pub const BROADCAST_ACK: u64 = 12;

/// Node's test for rooms that get no channel of their own: socket ids are 20 characters.
#[must_use]
pub fn looks_like_socket_id(room: &str) -> bool {
    room.len() == 20
}

/// A decoded sharded message: its type, sender, namespace and (for a broadcast) the packet
/// object and opts.
#[derive(Debug, Clone, PartialEq)]
pub struct Message<'a> {
    /// The `ClusterAdapter` message type.
    pub kind: Option<u64>,
    /// The sender's uid.
    pub uid: Option<&'a str>,
    /// The namespace.
    pub nsp: &'a str,
    /// `data.packet` (a broadcast's `{type, data}`).
    pub packet: Option<Value<'a>>,
    /// `data.opts`.
    pub opts: Opts<'a>,
    /// `data.rooms` (socketsJoin / Leave).
    pub rooms: Vec<&'a str>,
    /// `data.close` (disconnectSockets).
    pub close: bool,
    /// `data.requestId` (messages that wait for answers).
    pub request_id: Option<&'a str>,
    /// `data.clientCount` (BROADCAST_CLIENT_COUNT).
    pub client_count: Option<u64>,
    /// `data.sockets` (FETCH_SOCKETS_RESPONSE).
    pub sockets: Option<Value<'a>>,
}

fn get<'v, 'a>(m: &'v [(Value<'a>, Value<'a>)], k: &str) -> Option<&'v Value<'a>> {
    m.iter()
        .rev()
        .find(|(key, _)| key.as_str() == Some(k))
        .map(|(_, v)| v)
}

/// Decodes a sharded message of at most `max` bytes (JSON when it starts with `{`, converted
/// into `scratch`; msgpack otherwise).
///
/// # Errors
/// Too large, malformed, or not an object with the expected field types.
pub fn decode<'a>(
    msg: &'a [u8],
    scratch: &'a mut Vec<u8>,
    max: usize,
) -> Result<Message<'a>, WireError> {
    let m = wire::decode_map(msg, scratch, max)?;
    let kind = get(&m, "type")
        .and_then(Value::as_i64)
        .and_then(|n| u64::try_from(n).ok());
    let uid = match get(&m, "uid") {
        Some(Value::Str(s)) => Some(*s),
        None => None,
        Some(_) => return Err(WireError::BadField("uid")),
    };
    let nsp = match get(&m, "nsp") {
        Some(Value::Str(s)) => *s,
        None => "/",
        Some(_) => return Err(WireError::BadField("nsp")),
    };
    let (mut packet, mut opts) = (None, Opts::default());
    let (mut rooms, mut close, mut request_id) = (Vec::new(), false, None);
    let (mut client_count, mut sockets) = (None, None);
    if let Some(Value::Map(d)) = get(&m, "data") {
        packet = get(d, "packet").cloned();
        close = matches!(get(d, "close"), Some(Value::Bool(true)));
        if let Some(Value::Str(r)) = get(d, "requestId") {
            request_id = Some(*r);
        }
        sockets = get(d, "sockets").cloned();
        client_count = get(d, "clientCount")
            .and_then(Value::as_i64)
            .and_then(|n| u64::try_from(n).ok());
        if let Some(Value::Array(items)) = get(d, "rooms") {
            for i in items {
                match i {
                    Value::Str(r) => rooms.push(*r),
                    _ => return Err(WireError::BadField("rooms")),
                }
            }
        }
        if let Some(o) = get(d, "opts") {
            // The same opts shape as the classic broadcast's.
            opts = wire::opts_of(o)?;
        }
    }
    Ok(Message {
        kind,
        uid,
        nsp,
        packet,
        opts,
        rooms,
        close,
        request_id,
        client_count,
        sockets,
    })
}

/// Encodes our broadcast (`packet`: the msgpack packet object `{type, data, nsp}`) as the
/// sharded adapter does: JSON, or msgpack when the arguments hold binary. `None` when the
/// packet is not one this crate wrote.
#[must_use]
pub fn encode_broadcast(uid: &str, nsp: &str, packet: &[u8], opts: &Opts<'_>) -> Option<Vec<u8>> {
    encode_broadcast_request(uid, nsp, packet, opts, None)
}

/// [`encode_broadcast`], with `ack = Some((request_id, timeout_ms))` for a broadcast with acks
/// (`data.requestId`, `opts.flags.timeout`, as the reference's `broadcastWithAck`).
#[must_use]
pub fn encode_broadcast_request(
    uid: &str,
    nsp: &str,
    packet: &[u8],
    opts: &Opts<'_>,
    ack: Option<(&str, u64)>,
) -> Option<Vec<u8>> {
    let Ok(Value::Map(p)) = msgpack::decode(packet, &Limits::default()) else {
        return None;
    };
    let kind = get(&p, "type").and_then(Value::as_i64)?;
    let data = get(&p, "data")?;
    let (json, atts) = wire::to_json(data, usize::MAX).ok()?;
    if atts.is_empty() {
        let packet = JsonObject::new()
            .num("type", u64::try_from(kind).ok()?)
            .raw("data", &json)
            .finish();
        let flags = match ack {
            Some((_, ms)) => JsonObject::new().num("timeout", ms).finish(),
            None => "{}".into(),
        };
        let o = JsonObject::new()
            .list("rooms", opts.rooms.iter().copied())
            .list("except", opts.except.iter().copied())
            .raw("flags", &flags)
            .finish();
        let mut d = JsonObject::new().raw("packet", &packet);
        if let Some((id, _)) = ack {
            d = d.str("requestId", id);
        }
        let d = d.raw("opts", &o).finish();
        let msg = JsonObject::new()
            .num("type", BROADCAST)
            .raw("data", &d)
            .str("uid", uid)
            .str("nsp", nsp)
            .finish();
        return Some(msg.into_bytes());
    }
    fn s(v: &str) -> Value<'_> {
        Value::Str(v)
    }
    fn list<'v>(l: &[&'v str]) -> Value<'v> {
        Value::Array(l.iter().map(|r| Value::Str(r)).collect())
    }
    let flags = match ack {
        Some((_, ms)) => alloc::vec![(s("timeout"), Value::UInt(ms))],
        None => Vec::new(),
    };
    let mut d = alloc::vec![(
        s("packet"),
        Value::Map(alloc::vec![
            (s("type"), Value::UInt(u64::try_from(kind).ok()?)),
            (s("data"), data.clone()),
        ])
    )];
    if let Some((id, _)) = ack {
        d.push((s("requestId"), s(id)));
    }
    d.push((
        s("opts"),
        Value::Map(alloc::vec![
            (s("rooms"), list(&opts.rooms)),
            (s("except"), list(&opts.except)),
            (s("flags"), Value::Map(flags)),
        ]),
    ));
    let v = Value::Map(alloc::vec![
        (s("type"), Value::UInt(BROADCAST)),
        (s("data"), Value::Map(d)),
        (s("uid"), s(uid)),
        (s("nsp"), s(nsp)),
    ]);
    let mut out = Vec::new();
    msgpack::encode(&v, &mut out);
    Some(out)
}

/// The classic packet object `{type, data, nsp}` for a sharded broadcast's `{type, data}`.
#[must_use]
pub fn with_nsp<'a>(packet: &Value<'a>, nsp: &'a str) -> Option<Value<'a>> {
    let Value::Map(p) = packet else {
        return None;
    };
    Some(Value::Map(alloc::vec![
        (Value::Str("type"), get(p, "type")?.clone()),
        (Value::Str("data"), get(p, "data")?.clone()),
        (Value::Str("nsp"), Value::Str(nsp)),
    ]))
}
