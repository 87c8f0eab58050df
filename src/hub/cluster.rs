//! The hub's side of the cluster adapter ([`crate::cluster`]): broadcasts are published, and
//! messages from the bus become local deliveries, local room changes and answers.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Encoded, Hub, HubError, HubEvent, Recipient, SocketId, Target};
use crate::cluster::wire::{self, JsonObject};
use crate::cluster::{Adapter, ChannelKind, Command, Flags, Opts, RequestType, WireError};
use crate::socketio::packet::Value;
use crate::socketio::{DecodeConfig, EncodedPacket, Parser};

impl Hub {
    /// Joins the hub to a cluster: from now on every [`Hub::broadcast`] is also published for
    /// the other nodes (drain [`Hub::poll_cluster_transmit`]), and
    /// [`Hub::handle_cluster_message`] delivers theirs.
    pub fn set_cluster(&mut self, adapter: Adapter) {
        let mut a = adapter;
        for n in self.namespaces.keys() {
            a.add_namespace(n);
        }
        self.cluster = Some(alloc::boxed::Box::new(a));
    }

    /// The cluster adapter, if the hub has one.
    pub fn cluster(&mut self) -> Option<&mut Adapter> {
        self.cluster.as_deref_mut()
    }

    /// The next command for the bus (subscriptions, publishes). Drain after every call that
    /// broadcasts or handles a cluster message.
    #[must_use]
    pub fn poll_cluster_transmit(&mut self) -> Option<Command> {
        self.cluster.as_mut()?.poll_transmit()
    }

    /// Like [`Hub::broadcast`], but never published to the cluster (`io.local.emit`).
    ///
    /// # Errors
    /// As [`Hub::broadcast`].
    pub fn broadcast_local(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<usize, HubError> {
        let c = self.cluster.take();
        let r = self.broadcast(target, event, args);
        self.cluster = c;
        r
    }

    /// Publishes a broadcast the hub just delivered locally (no-op without a cluster).
    pub(super) fn publish_broadcast(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
    ) -> Result<(), HubError> {
        let Some(mut c) = self.cluster.take() else {
            return Ok(());
        };
        let p = EncodedPacket::event_for(Parser::Msgpack, target.namespace, None, event, args)
            .map_err(HubError::Encode);
        let p = match p {
            Ok(p) => p,
            Err(e) => {
                self.cluster = Some(c);
                return Err(e);
            }
        };
        let mut except: Vec<&str> = target.except_rooms.to_vec();
        for s in target.except_sockets {
            if let Some(sid) = self.sid(*s) {
                except.push(sid);
            }
        }
        let opts = Opts {
            rooms: target.rooms.to_vec(),
            except,
            flags: Flags::default(),
        };
        let packet = p.msgpack().unwrap_or(&[]);
        c.publish_broadcast(target.namespace, packet, &opts);
        self.cluster = Some(c);
        Ok(())
    }

    /// A message received from the bus on `channel` (broadcast, request or response channel):
    /// delivers a remote broadcast to the local sockets it selects (each once, never published
    /// again; the node's own messages are skipped), applies remote room changes, and answers
    /// requests. Drain [`Hub::poll_transmit`], [`Hub::poll_event`] and
    /// [`Hub::poll_cluster_transmit`] afterwards.
    ///
    /// # Errors
    /// A malformed or oversized message ([`WireError`]); nothing happened.
    pub fn handle_cluster_message(
        &mut self,
        now: Duration,
        channel: &str,
        payload: &[u8],
    ) -> Result<(), WireError> {
        self.now = self.now.max(now);
        let Some(c) = self.cluster.as_deref() else {
            return Ok(());
        };
        let max = c.config().max_message_len;
        if c.is_sharded() {
            return self.sharded_message(payload, max);
        }
        match c.classify(channel) {
            Some(ChannelKind::Broadcast(nsp, _)) => self.remote_broadcast(nsp, payload, max),
            Some(ChannelKind::Request(nsp)) => self.remote_request(nsp, payload, max),
            Some(ChannelKind::Response(_)) => self.remote_response(payload, max),
            None => Ok(()),
        }
    }

    fn remote_broadcast(&mut self, nsp: &str, payload: &[u8], max: usize) -> Result<(), WireError> {
        let m = wire::decode_broadcast(payload, max)?;
        let uid = self.cluster.as_deref().map(Adapter::uid);
        if Some(m.uid) == uid || m.nsp != nsp || !self.receives(nsp) {
            return Ok(());
        }
        self.deliver_remote(nsp, &m.packet, &m.opts)
    }

    /// A message of the sharded variant: broadcasts are delivered (those with acks answered,
    /// and the answers to ours collected); socketsJoin / Leave, disconnectSockets and
    /// serverSideEmit are applied (not answered); the rest is ignored.
    fn sharded_message(&mut self, payload: &[u8], max: usize) -> Result<(), WireError> {
        use crate::cluster::sharded;
        let mut scratch = Vec::new();
        let m = sharded::decode(payload, &mut scratch, max)?;
        let uid = self.cluster.as_deref().map(Adapter::uid);
        if m.uid == uid || !self.receives(m.nsp) {
            return Ok(());
        }
        let kind = match m.kind {
            Some(sharded::BROADCAST) if m.request_id.is_none() => None,
            Some(sharded::BROADCAST | sharded::BROADCAST_CLIENT_COUNT | sharded::BROADCAST_ACK) => {
                return self.sharded_acks_message(&m);
            }
            Some(sharded::SOCKETS_JOIN) => Some(RequestType::RemoteJoin),
            Some(sharded::SOCKETS_LEAVE) => Some(RequestType::RemoteLeave),
            Some(sharded::DISCONNECT_SOCKETS) => Some(RequestType::RemoteDisconnect),
            Some(sharded::SERVER_SIDE_EMIT) => Some(RequestType::ServerSideEmit),
            Some(sharded::FETCH_SOCKETS) => {
                let (Some(id), Some(from)) = (m.request_id, m.uid) else {
                    return Ok(());
                };
                let sockets = self.select(m.nsp, Some(&m.opts));
                let list = self.fetch_json(&sockets);
                let d = JsonObject::new()
                    .str("requestId", id)
                    .raw("sockets", &list)
                    .finish();
                self.sharded_json(m.nsp, Some(from), sharded::FETCH_SOCKETS_RESPONSE, &d);
                return Ok(());
            }
            Some(sharded::FETCH_SOCKETS_RESPONSE) => {
                let classic = wire::Message {
                    request_id: m.request_id,
                    sockets: m.sockets.clone(),
                    ..wire::Message::default()
                };
                self.request_response(&classic);
                return Ok(());
            }
            Some(sharded::SERVER_SIDE_EMIT_RESPONSE) => {
                let classic = wire::Message {
                    request_id: m.request_id,
                    data: m.packet.clone(),
                    ..wire::Message::default()
                };
                self.request_response(&classic);
                return Ok(());
            }
            _ => return Ok(()),
        };
        if let Some(kind) = kind {
            let request_id = if kind == RequestType::ServerSideEmit {
                m.request_id
            } else {
                None
            };
            if let (Some(r), Some(from), Some(c)) = (request_id, m.uid, self.cluster.as_deref_mut())
            {
                c.remember_requester(r, from);
            }
            let classic = wire::Message {
                kind: Some(kind),
                uid: m.uid,
                request_id,
                opts: Some(m.opts.clone()),
                rooms: m.rooms.clone(),
                close: m.close,
                data: m.packet.clone(),
                ..wire::Message::default()
            };
            return self.apply_request(m.nsp, &classic);
        }
        let packet = m
            .packet
            .as_ref()
            .and_then(|p| crate::cluster::sharded::with_nsp(p, m.nsp))
            .ok_or(WireError::BadField("packet"))?;
        self.deliver_remote(m.nsp, &packet, &m.opts)
    }

    /// Delivers a remote broadcast (`packet`: the msgpack packet object with its namespace) to
    /// the local sockets `opts` selects, each once, one encoding per parser.
    fn deliver_remote(
        &mut self,
        nsp: &str,
        value: &crate::msgpack::Value<'_>,
        opts: &Opts<'_>,
    ) -> Result<(), WireError> {
        // Volatile packets are never stored, as the reference's session-aware adapter does.
        if self.config.recovery.is_some() && opts.flags.volatile.is_none() {
            return self.deliver_remote_recorded(nsp, value, opts);
        }
        let mut packet = Vec::new();
        crate::msgpack::encode(value, &mut packet);
        let cfg = DecodeConfig {
            max_attachments: self.config.max_attachments,
            ..DecodeConfig::default()
        };
        let (text, atts) = crate::socketio::mpbridge::msgpack_to_text(&packet, &cfg)
            .map_err(|_| WireError::BadField("packet"))?;
        if !text.starts_with(['2', '5']) {
            return Err(WireError::BadField("packet"));
        }
        let target = Target::namespace(nsp)
            .rooms(&opts.rooms)
            .except_rooms(&opts.except);
        self.choose(&target);
        let hot = &self.hot;
        let is_mp = |r: &Recipient| hot.get(r.socket.index as usize).is_some_and(|h| h.msgpack);
        let mut mp: Vec<Recipient> = Vec::new();
        self.chosen.retain(|r| {
            if is_mp(r) {
                mp.push(*r);
                false
            } else {
                true
            }
        });
        if !self.chosen.is_empty() {
            let refs: Vec<&[u8]> = atts.iter().map(Vec::as_slice).collect();
            let p = Arc::new(Encoded::new(&text, &refs));
            self.enqueue(&p);
        }
        if !mp.is_empty() {
            self.chosen = mp;
            let p = Arc::new(Encoded::msgpack(&packet));
            self.enqueue(&p);
        }
        Ok(())
    }

    /// Whether broadcasts to `nsp` concern this node: it has sockets there, or (recovery on) a
    /// store that may hold sessions of clients coming back.
    fn receives(&self, nsp: &str) -> bool {
        self.namespaces.contains_key(nsp) || self.stores.contains_key(nsp)
    }

    /// With recovery on, another node's broadcast is delivered like one of ours: with an offset
    /// of this node's store appended, and recorded, so that a client of this node that comes
    /// back gets the remote broadcasts it missed too. (The Node redis adapter keeps no such
    /// state; its sessions recover only what their own node sent.)
    fn deliver_remote_recorded(
        &mut self,
        nsp: &str,
        value: &crate::msgpack::Value<'_>,
        opts: &Opts<'_>,
    ) -> Result<(), WireError> {
        let (event, parts) = event_parts(value, self.config.max_attachments)?;
        let args = part_values(&parts);
        let target = Target::namespace(nsp)
            .rooms(&opts.rooms)
            .except_rooms(&opts.except);
        self.broadcast_recorded(&target, event, &args)
            .map_err(|_| WireError::BadField("packet"))?;
        Ok(())
    }

    /// The local sockets a request's `opts` selects.
    fn select(&mut self, nsp: &str, opts: Option<&Opts<'_>>) -> Vec<SocketId> {
        let empty = Opts::default();
        let o = opts.unwrap_or(&empty);
        let t = Target::namespace(nsp)
            .rooms(&o.rooms)
            .except_rooms(&o.except);
        self.recipients(&t)
    }

    pub(super) fn respond(&mut self, nsp: &str, json: String) {
        if let Some(c) = self.cluster.as_deref_mut().filter(|c| !c.is_sharded()) {
            let ch = c.response_channel(nsp);
            c.publish(ch, json.into_bytes());
        }
    }

    fn remote_request(&mut self, nsp: &str, payload: &[u8], max: usize) -> Result<(), WireError> {
        let mut scratch = Vec::new();
        let m = wire::decode_message(payload, &mut scratch, max)?;
        self.apply_request(nsp, &m)
    }

    /// Answers or applies one decoded request of another node.
    fn apply_request(&mut self, nsp: &str, m: &wire::Message<'_>) -> Result<(), WireError> {
        let own = self.cluster.as_deref().map(Adapter::uid);
        if m.uid.is_some() && m.uid == own {
            return Ok(());
        }
        let Some(kind) = m.kind else {
            return Ok(());
        };
        match kind {
            RequestType::Sockets | RequestType::RemoteFetch => {
                let Some(id) = m.request_id else {
                    return Ok(());
                };
                let opts = m.opts.clone().unwrap_or(Opts {
                    rooms: m.rooms.clone(),
                    ..Opts::default()
                });
                let sockets = self.select(nsp, Some(&opts));
                let list = if kind == RequestType::Sockets {
                    wire::json_list(sockets.iter().filter_map(|s| self.sid(*s)))
                } else {
                    self.fetch_json(&sockets)
                };
                let r = JsonObject::new().str("requestId", id).raw("sockets", &list);
                self.respond(nsp, r.finish());
            }
            RequestType::AllRooms => {
                let Some(id) = m.request_id else {
                    return Ok(());
                };
                let rooms: Vec<String> = self
                    .namespaces
                    .get(nsp)
                    .map(|n| n.rooms.keys().map(|k| k.to_string()).collect())
                    .unwrap_or_default();
                let r = JsonObject::new()
                    .str("requestId", id)
                    .list("rooms", rooms.iter().map(String::as_str));
                self.respond(nsp, r.finish());
            }
            RequestType::RemoteJoin | RequestType::RemoteLeave => {
                let join = kind == RequestType::RemoteJoin;
                let (sockets, rooms): (Vec<SocketId>, Vec<&str>) = if m.opts.is_some() {
                    (self.select(nsp, m.opts.as_ref()), m.rooms.clone())
                } else {
                    let s = m.sid.and_then(|sid| self.socket_by_sid(nsp, sid));
                    (s.into_iter().collect(), m.room.into_iter().collect())
                };
                for s in &sockets {
                    for r in &rooms {
                        let _ = if join {
                            self.join(*s, r)
                        } else {
                            self.leave(*s, r)
                        };
                    }
                }
                if m.opts.is_none() && !sockets.is_empty() {
                    if let Some(id) = m.request_id {
                        self.respond(nsp, JsonObject::new().str("requestId", id).finish());
                    }
                }
            }
            RequestType::RemoteDisconnect => {
                let sockets = if m.opts.is_some() {
                    self.select(nsp, m.opts.as_ref())
                } else {
                    m.sid
                        .and_then(|sid| self.socket_by_sid(nsp, sid))
                        .into_iter()
                        .collect()
                };
                if !sockets.is_empty() {
                    if m.opts.is_none() {
                        if let Some(id) = m.request_id {
                            self.respond(nsp, JsonObject::new().str("requestId", id).finish());
                        }
                    }
                    self.events.push_back(HubEvent::ClusterDisconnect {
                        sockets,
                        close: m.close,
                    });
                }
            }
            RequestType::ServerSideEmit => {
                if let Some(data) = &m.data {
                    self.remote_server_side_emit(nsp, data, m.request_id)?;
                }
            }
            RequestType::Broadcast => self.remote_broadcast_with_ack(nsp, m, None)?,
            _ => {}
        }
        Ok(())
    }

    /// `[{"id":..,"handshake":{..},"rooms":[..],"data":{}}, ...]` for a REMOTE_FETCH answer.
    fn fetch_json(&self, sockets: &[SocketId]) -> String {
        let mut out = String::from("[");
        out.push_str(&self.fetch_items(sockets).join(","));
        out.push(']');
        out
    }

    /// Each socket as a REMOTE_FETCH answer writes it.
    pub(super) fn fetch_items(&self, sockets: &[SocketId]) -> Vec<String> {
        let mut out = Vec::new();
        for s in sockets {
            let mut hs = JsonObject::new();
            if let Some(info) = self.handshake(*s) {
                let mut headers = JsonObject::new();
                for (k, v) in &info.headers {
                    headers = headers.str(k, v);
                }
                let mut query = JsonObject::new();
                for (k, v) in &info.query {
                    query = query.str(k, v);
                }
                hs = hs
                    .raw("headers", &headers.finish())
                    .num("issued", info.issued.as_millis() as u64)
                    .str("url", &info.url)
                    .raw("query", &query.finish())
                    .bool("secure", info.secure);
            }
            let auth = self.auth(*s).unwrap_or("{}");
            hs = hs.raw("auth", auth);
            let o = JsonObject::new()
                .str("id", self.sid(*s).unwrap_or(""))
                .raw("handshake", &hs.finish())
                .list("rooms", self.rooms_of(*s))
                .raw("data", "{}");
            out.push(o.finish());
        }
        out
    }

    /// The request channel of `nsp` and the `opts` JSON of `target` (its except sockets as
    /// their sid rooms), for a request from this node.
    fn request_parts(&self, target: &Target<'_>) -> Option<(String, String)> {
        let c = self.cluster.as_deref().filter(|c| !c.is_sharded())?;
        let mut except: Vec<&str> = target.except_rooms.to_vec();
        except.extend(target.except_sockets.iter().filter_map(|s| self.sid(*s)));
        Some((
            c.request_channel(target.namespace),
            wire::json_opts(target.rooms, &except),
        ))
    }

    pub(super) fn publish_request(&mut self, channel: String, payload: impl Into<Vec<u8>>) {
        if let Some(c) = self.cluster.as_deref_mut() {
            c.publish(channel, payload.into());
        }
    }

    fn uid_or_empty(&self) -> String {
        self.cluster
            .as_deref()
            .map_or_else(String::new, |c| c.uid().to_string())
    }

    /// `socketsJoin`: the sockets `target` selects on every node join `rooms` (here at once,
    /// elsewhere through a REMOTE_JOIN request). Returns how many local sockets joined.
    ///
    /// # Errors
    /// A room name over its cap (checked before anything changes).
    pub fn sockets_join(&mut self, target: &Target<'_>, rooms: &[&str]) -> Result<usize, HubError> {
        self.sockets_join_leave(target, rooms, true)
    }

    /// `socketsLeave`: as [`Hub::sockets_join`], leaving `rooms`.
    ///
    /// # Errors
    /// As [`Hub::sockets_join`].
    pub fn sockets_leave(
        &mut self,
        target: &Target<'_>,
        rooms: &[&str],
    ) -> Result<usize, HubError> {
        self.sockets_join_leave(target, rooms, false)
    }

    fn sockets_join_leave(
        &mut self,
        target: &Target<'_>,
        rooms: &[&str],
        join: bool,
    ) -> Result<usize, HubError> {
        for r in rooms {
            super::check_name(r, self.config.max_room_len, "room")?;
        }
        if let Some(o) = self.sharded_opts(target) {
            let data = JsonObject::new()
                .raw("opts", &o)
                .list("rooms", rooms.iter().copied())
                .finish();
            let k = if join {
                crate::cluster::sharded::SOCKETS_JOIN
            } else {
                crate::cluster::sharded::SOCKETS_LEAVE
            };
            self.sharded_json(target.namespace, None, k, &data);
        }
        if let Some((channel, opts)) = self.request_parts(target) {
            let t = if join {
                RequestType::RemoteJoin
            } else {
                RequestType::RemoteLeave
            };
            let json = JsonObject::new()
                .str("uid", &self.uid_or_empty())
                .num("type", u64::from(t.number()))
                .raw("opts", &opts)
                .list("rooms", rooms.iter().copied())
                .finish();
            self.publish_request(channel, json);
        }
        let sockets = self.recipients(target);
        for s in &sockets {
            for r in rooms {
                let _ = if join {
                    self.join(*s, r)
                } else {
                    self.leave(*s, r)
                };
            }
        }
        Ok(sockets.len())
    }

    /// `disconnectSockets(close)`: the sockets `target` selects on every node disconnect. The
    /// local ones come back as one [`HubEvent::ClusterDisconnect`] (the
    /// [`Server`](crate::socketio::server::Server) acts on it), the others through a
    /// REMOTE_DISCONNECT request. Returns how many local sockets were selected.
    pub fn disconnect_sockets(&mut self, target: &Target<'_>, close: bool) -> usize {
        if let Some(o) = self.sharded_opts(target) {
            let data = JsonObject::new()
                .raw("opts", &o)
                .bool("close", close)
                .finish();
            let k = crate::cluster::sharded::DISCONNECT_SOCKETS;
            self.sharded_json(target.namespace, None, k, &data);
        }
        if let Some((channel, opts)) = self.request_parts(target) {
            let json = JsonObject::new()
                .str("uid", &self.uid_or_empty())
                .num("type", u64::from(RequestType::RemoteDisconnect.number()))
                .raw("opts", &opts)
                .bool("close", close)
                .finish();
            self.publish_request(channel, json);
        }
        let sockets = self.recipients(target);
        let n = sockets.len();
        if n > 0 {
            self.events
                .push_back(HubEvent::ClusterDisconnect { sockets, close });
        }
        n
    }

    /// The sharded variant's `opts` of `target` (`{rooms, except, flags}`), if sharded.
    fn sharded_opts(&self, target: &Target<'_>) -> Option<String> {
        self.cluster.as_deref().filter(|c| c.is_sharded())?;
        let mut except: Vec<&str> = target.except_rooms.to_vec();
        except.extend(target.except_sockets.iter().filter_map(|s| self.sid(*s)));
        Some(
            JsonObject::new()
                .list("rooms", target.rooms.iter().copied())
                .list("except", except)
                .raw("flags", "{}")
                .finish(),
        )
    }

    /// Publishes a sharded `{type, data, uid, nsp}` message as JSON (`data`: JSON) on the
    /// namespace's main channel, or with `to` on node `to`'s channel (`<prefix>#<nsp>#<to>#`).
    pub(super) fn sharded_json(&mut self, nsp: &str, to: Option<&str>, kind: u64, data: &str) {
        let Some(c) = self.cluster.as_deref_mut() else {
            return;
        };
        let json = JsonObject::new()
            .num("type", kind)
            .raw("data", data)
            .str("uid", c.uid())
            .str("nsp", nsp)
            .finish();
        let mut channel = crate::cluster::wire::broadcast_channel(&c.config().prefix, nsp, &[]);
        if let Some(to) = to {
            channel.push_str(to);
            channel.push('#');
        }
        c.push_command(Command::SPublish {
            channel,
            payload: json.into_bytes(),
        });
    }
}

/// The event name and arguments of an EVENT / BINARY_EVENT packet as the Node adapter writes
/// it (`{type, data: [name, ...args], nsp}`, msgpack): each argument as JSON with its own
/// attachments.
#[allow(clippy::type_complexity)]
pub(super) fn event_parts<'v>(
    packet: &'v crate::msgpack::Value<'_>,
    max_attachments: usize,
) -> Result<(&'v str, Vec<(String, Vec<Vec<u8>>)>), WireError> {
    let crate::msgpack::Value::Map(pm) = packet else {
        return Err(WireError::BadField("packet"));
    };
    let field = |name: &str| {
        pm.iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(_, v)| v)
    };
    if let Some(t) = field("type") {
        if !matches!(t, crate::msgpack::Value::UInt(2 | 5)) {
            return Err(WireError::BadField("type"));
        }
    }
    let Some(crate::msgpack::Value::Array(items)) = field("data") else {
        return Err(WireError::BadField("data"));
    };
    let Some(crate::msgpack::Value::Str(event)) = items.first() else {
        return Err(WireError::BadField("data"));
    };
    let mut parts = Vec::with_capacity(items.len() - 1);
    for v in &items[1..] {
        parts.push(wire::to_json(v, max_attachments)?);
    }
    Ok((event, parts))
}

/// [`event_parts`]' arguments as encoder values: our own JSON (not validated again), with
/// their attachments where they have some.
pub(super) fn part_values(parts: &[(String, Vec<Vec<u8>>)]) -> Vec<Value<'_>> {
    parts
        .iter()
        .map(|(j, a)| {
            if a.is_empty() {
                Value::JsonUnchecked(j)
            } else {
                Value::WithAttachments(j, a)
            }
        })
        .collect()
}
