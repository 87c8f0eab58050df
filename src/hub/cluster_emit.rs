//! `serverSideEmit` across the cluster: events for the other *servers* (not their clients),
//! with or without an answer awaited, and the answers of this node.
//!
//! Arguments are raw JSON texts ([`Hub::server_side_emit`]) or the encoder's
//! [`Value`]s, binary included ([`Hub::server_side_emit_values`]), as broadcasts take them.
//! Binary travels as the reference adapters carry it:
//!
//! * **sharded**: the message is JSON, or msgpack when its `data` holds binary (a Node
//!   `Buffer` is a msgpack `bin`). A received binary argument or answer comes in
//!   [`HubEvent::ServerSideEmit`] / [`HubEvent::ClusterReply`] as a Socket.IO placeholder
//!   `{"_placeholder":true,"num":N}` with its bytes in `attachments`, the representation of
//!   binary events and acks elsewhere in the hub.
//! * **classic**: requests and their answers are always JSON; a binary argument is written as
//!   Node's `JSON.stringify` writes a `Buffer`, `{"type":"Buffer","data":[1,2,3]}`, and the
//!   other end gets that object, not bytes (the classic Node adapter does the same between
//!   two Node nodes).

use alloc::string::String;
use alloc::vec::Vec;

use super::cluster_acks::sharded_msgpack;
use super::{Hub, HubError, HubEvent};
use crate::cluster::RequestType;
use crate::cluster::sharded;
use crate::cluster::wire::{self, JsonObject};
use crate::msgpack::{self, Limits, Value as Mp};
use crate::socketio::packet::Value;
use crate::socketio::{EncodedPacket, Parser, SocketIoError};

/// A serverSideEmit's `[event, ...args]` (or an answer), ready for the bus.
enum Payload {
    /// JSON text (no binary, or the classic variant's `Buffer` objects).
    Json(String),
    /// The msgpack value (sharded variant, binary inside).
    Msgpack(Vec<u8>),
}

/// Whether `v` holds a binary anywhere.
pub(super) fn has_binary(v: &Mp<'_>) -> bool {
    match v {
        Mp::Bin(_) | Mp::Ext(0, _) => true,
        Mp::Array(items) => items.iter().any(has_binary),
        Mp::Map(pairs) => pairs.iter().any(|(_, x)| has_binary(x)),
        _ => false,
    }
}

/// `v` with every binary as the JSON form of a Node `Buffer`: `{"type":"Buffer","data":[..]}`.
fn buffers_as_objects<'a>(v: &Mp<'a>) -> Mp<'a> {
    match v {
        Mp::Bin(b) | Mp::Ext(0, b) => Mp::Map(alloc::vec![
            (Mp::Str("type"), Mp::Str("Buffer")),
            (
                Mp::Str("data"),
                Mp::Array(b.iter().map(|x| Mp::UInt(u64::from(*x))).collect()),
            ),
        ]),
        Mp::Array(items) => Mp::Array(items.iter().map(buffers_as_objects).collect()),
        Mp::Map(pairs) => Mp::Map(
            pairs
                .iter()
                .map(|(k, x)| (k.clone(), buffers_as_objects(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `[event, ...args]` encoded by the Socket.IO encoder (checked as an emit's), then written for
/// the bus: JSON without binary; with binary, msgpack (`sharded`) or JSON with `Buffer`
/// objects. With `only_arg`, the first argument alone (an answer).
fn encode(
    event: &str,
    args: &[Value<'_>],
    sharded: bool,
    only_arg: bool,
) -> Result<Payload, HubError> {
    let p = EncodedPacket::event_for(Parser::Msgpack, "/", None, event, args)
        .map_err(HubError::Encode)?;
    let bytes = p.msgpack().unwrap_or(&[]);
    // Our own encoder's output: no cap but its size (the encoder bounds the depth).
    let limits = Limits {
        max_input: bytes.len(),
        max_depth: 256,
        max_values: bytes.len(),
    };
    // Not expected (the encoder's own output); the one limit it could meet is the depth.
    let bad = || HubError::Encode(SocketIoError::JsonTooDeep);
    let Ok(Mp::Map(m)) = msgpack::decode(bytes, &limits) else {
        return Err(bad());
    };
    let Some((_, Mp::Array(items))) = m.iter().find(|(k, _)| k.as_str() == Some("data")) else {
        return Err(bad());
    };
    let whole = Mp::Array(items.clone());
    let v = if only_arg {
        items.get(1).cloned().unwrap_or(Mp::Nil)
    } else {
        whole
    };
    if !has_binary(&v) {
        let (json, _) = wire::to_json(&v, 0).map_err(|_| bad())?;
        return Ok(Payload::Json(json));
    }
    if sharded {
        let mut out = Vec::new();
        msgpack::encode(&v, &mut out);
        return Ok(Payload::Msgpack(out));
    }
    let (json, _) = wire::to_json(&buffers_as_objects(&v), 0).map_err(|_| bad())?;
    Ok(Payload::Json(json))
}

/// `{requestId?, packet}` (sharded `data`) as msgpack, `packet` already encoded.
fn sharded_data(request_id: Option<&str>, packet: &[u8]) -> Vec<u8> {
    let mut d = Vec::with_capacity(packet.len() + 48);
    d.push(if request_id.is_some() { 0x82 } else { 0x81 });
    if let Some(id) = request_id {
        msgpack::encode(&Mp::Str("requestId"), &mut d);
        msgpack::encode(&Mp::Str(id), &mut d);
    }
    msgpack::encode(&Mp::Str("packet"), &mut d);
    d.extend_from_slice(packet);
    d
}

impl Hub {
    fn is_sharded(&self) -> bool {
        self.cluster.as_deref().is_some_and(|c| c.is_sharded())
    }

    /// The `[event, ...args]` JSON array of a `serverSideEmit`, each raw JSON argument checked.
    pub(super) fn server_side_event(
        &self,
        event: &str,
        args_json: &[&str],
    ) -> Result<String, HubError> {
        super::check_name(event, self.config.max_event_len, "event")?;
        let mut data = String::from("[");
        crate::json::push_string(&mut data, event);
        for a in args_json {
            crate::json::validate(a)
                .map_err(|e| HubError::Encode(crate::socketio::SocketIoError::InvalidJson(e)))?;
            data.push(',');
            data.push_str(a);
        }
        data.push(']');
        Ok(data)
    }

    /// `serverSideEmit(event, ...args)` to the other nodes of the cluster (no answer awaited);
    /// `args_json` are the arguments as JSON texts. No-op without a cluster.
    ///
    /// # Errors
    /// An argument that is not valid JSON, or an event name over its cap.
    pub fn server_side_emit(
        &mut self,
        nsp: &str,
        event: &str,
        args_json: &[&str],
    ) -> Result<(), HubError> {
        let data = self.server_side_event(event, args_json)?;
        self.publish_server_side_emit(nsp, Payload::Json(data));
        Ok(())
    }

    /// [`Hub::server_side_emit`] with the arguments as the encoder's values, binary included
    /// ([`Value::Binary`], [`Value::WithAttachments`]): the sharded variant publishes msgpack
    /// with each binary as bytes; the classic one JSON with each binary as a Node `Buffer`'s
    /// JSON form (see [binary in the cluster](crate::cluster#binary)).
    ///
    /// # Errors
    /// What the Socket.IO encoder refuses (invalid raw JSON, a reserved or over-long name).
    pub fn server_side_emit_values(
        &mut self,
        nsp: &str,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<(), HubError> {
        super::check_name(event, self.config.max_event_len, "event")?;
        let data = encode(event, args, self.is_sharded(), false)?;
        self.publish_server_side_emit(nsp, data);
        Ok(())
    }

    fn publish_server_side_emit(&mut self, nsp: &str, data: Payload) {
        let Some(c) = self.cluster.as_deref() else {
            return;
        };
        match (c.is_sharded(), data) {
            (true, Payload::Json(data)) => {
                let d = JsonObject::new().raw("packet", &data).finish();
                self.sharded_json(nsp, None, sharded::SERVER_SIDE_EMIT, &d);
            }
            (true, Payload::Msgpack(packet)) => {
                let d = sharded_data(None, &packet);
                self.sharded_respond(nsp, None, sharded::SERVER_SIDE_EMIT, &d);
            }
            // `encode` writes JSON for the classic variant.
            (false, Payload::Msgpack(_)) => {}
            (false, Payload::Json(data)) => {
                let channel = c.request_channel(nsp);
                let json = JsonObject::new()
                    .str("uid", c.uid())
                    .num("type", u64::from(RequestType::ServerSideEmit.number()))
                    .raw("data", &data)
                    .finish();
                self.publish_request(channel, json);
            }
        }
    }

    /// [`Hub::cluster_server_side_emit_with_ack`] with the arguments as the encoder's values,
    /// binary included (written as [`Hub::server_side_emit_values`] writes them). Binary
    /// answers (sharded variant) come in [`HubEvent::ClusterReply`] as placeholders with
    /// their attachments.
    ///
    /// # Errors
    /// As [`Hub::cluster_server_side_emit_with_ack`], or what the encoder refuses.
    pub fn cluster_server_side_emit_with_ack_values(
        &mut self,
        nsp: &str,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<u64, HubError> {
        super::check_name(event, self.config.max_event_len, "event")?;
        let sharded = self.is_sharded();
        match encode(event, args, sharded, false)? {
            Payload::Json(data) => self.server_side_emit_request(nsp, data),
            Payload::Msgpack(packet) => self.start_request(
                RequestType::ServerSideEmit,
                nsp,
                |uid, id| {
                    let d = sharded_data(Some(id), &packet);
                    sharded_msgpack(sharded::SERVER_SIDE_EMIT, &d, uid, nsp)
                },
                Vec::new(),
            ),
        }
    }

    /// `serverSideEmitWithAck(event, ...args)`: the other nodes' answers (one each, JSON) come
    /// as a [`HubEvent::ClusterReply`]. `args_json` are the arguments as JSON texts.
    ///
    /// # Errors
    /// As [`Hub::cluster_fetch_sockets`], or an argument that is not JSON.
    pub fn cluster_server_side_emit_with_ack(
        &mut self,
        nsp: &str,
        event: &str,
        args_json: &[&str],
    ) -> Result<u64, HubError> {
        let data = self.server_side_event(event, args_json)?;
        self.server_side_emit_request(nsp, data)
    }

    /// Starts a serverSideEmitWithAck whose `[event, ...args]` is the JSON `data`.
    fn server_side_emit_request(&mut self, nsp: &str, data: String) -> Result<u64, HubError> {
        let sharded = self.is_sharded();
        self.start_request(
            RequestType::ServerSideEmit,
            nsp,
            |uid, id| {
                if sharded {
                    // `{type: 9, data: {requestId, packet}, uid, nsp}`, as the reference.
                    let d = JsonObject::new()
                        .str("requestId", id)
                        .raw("packet", &data)
                        .finish();
                    return JsonObject::new()
                        .num("type", sharded::SERVER_SIDE_EMIT)
                        .raw("data", &d)
                        .str("uid", uid)
                        .str("nsp", nsp)
                        .finish()
                        .into_bytes();
                }
                JsonObject::new()
                    .str("uid", uid)
                    .str("requestId", id)
                    .num("type", u64::from(RequestType::ServerSideEmit.number()))
                    .raw("data", &data)
                    .finish()
                    .into_bytes()
            },
            Vec::new(),
        )
    }

    /// Answers a [`HubEvent::ServerSideEmit`] that carried a `request_id` with one argument
    /// (raw JSON), as the Node `serverSideEmit` callback does.
    pub fn cluster_answer_server_side_emit(&mut self, nsp: &str, request_id: &str, arg_json: &str) {
        self.answer_server_side_emit(nsp, request_id, Payload::Json(arg_json.into()));
    }

    /// [`Hub::cluster_answer_server_side_emit`] with the answer as an encoder value, binary
    /// included: msgpack with its bytes in the sharded variant, a `Buffer`'s JSON form in the
    /// classic one (see [binary in the cluster](crate::cluster#binary)).
    ///
    /// # Errors
    /// What the Socket.IO encoder refuses (invalid raw JSON, a tree too deep).
    pub fn cluster_answer_server_side_emit_value(
        &mut self,
        nsp: &str,
        request_id: &str,
        arg: &Value<'_>,
    ) -> Result<(), HubError> {
        let p = encode(
            "answer",
            core::slice::from_ref(arg),
            self.is_sharded(),
            true,
        )?;
        self.answer_server_side_emit(nsp, request_id, p);
        Ok(())
    }

    fn answer_server_side_emit(&mut self, nsp: &str, request_id: &str, arg: Payload) {
        let to = self
            .cluster
            .as_deref_mut()
            .filter(|c| c.is_sharded())
            .and_then(|c| c.take_requester(request_id));
        match (to, arg) {
            // Sharded: `{type: 10, data: {requestId, packet}, uid, nsp}` to the requester.
            (Some(to), Payload::Json(arg)) => {
                let d = JsonObject::new()
                    .str("requestId", request_id)
                    .raw("packet", &arg)
                    .finish();
                self.sharded_json(nsp, Some(&to), sharded::SERVER_SIDE_EMIT_RESPONSE, &d);
            }
            (Some(to), Payload::Msgpack(arg)) => {
                let d = sharded_data(Some(request_id), &arg);
                self.sharded_respond(nsp, Some(&to), sharded::SERVER_SIDE_EMIT_RESPONSE, &d);
            }
            (None, Payload::Json(arg)) => {
                let r = JsonObject::new()
                    .num("type", u64::from(RequestType::ServerSideEmit.number()))
                    .str("requestId", request_id)
                    .raw("data", &arg);
                self.respond(nsp, r.finish());
            }
            // A sharded request whose requester was forgotten: nobody to answer.
            (None, Payload::Msgpack(_)) => {}
        }
    }

    /// Another node's serverSideEmit (`data`: its `[event, ...args]`) as a
    /// [`HubEvent::ServerSideEmit`], binary arguments as placeholders and attachments.
    pub(super) fn remote_server_side_emit(
        &mut self,
        nsp: &str,
        data: &Mp<'_>,
        request_id: Option<&str>,
    ) -> Result<(), wire::WireError> {
        let (json, attachments) = wire::to_json(data, self.config.max_attachments)?;
        if !json.starts_with("[\"") {
            return Err(wire::WireError::BadField("data"));
        }
        self.events.push_back(HubEvent::ServerSideEmit {
            nsp: nsp.into(),
            data: json,
            attachments,
            request_id: request_id.map(Into::into),
        });
        Ok(())
    }
}
