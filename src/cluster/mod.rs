//! A cluster adapter wire-compatible with `@socket.io/redis-adapter` 8.3, sans-IO.
//!
//! Several Socket.IO servers behind a load balancer share their broadcasts and answer each
//! other's requests through a publish/subscribe bus (Redis). This module owns the *protocol*
//! only: the channel names, the message formats ([`wire`]) and the node's identity. It never
//! opens a connection: the caller subscribes and publishes what [`Adapter::poll_transmit`]
//! hands out, and feeds every message it receives to
//! [`Hub::handle_cluster_message`](crate::hub::Hub::handle_cluster_message) (or
//! [`Server::handle_cluster_message`](crate::socketio::server::Server::handle_cluster_message)).
//!
//! # Channels (prefix `socket.io` by default, per namespace `nsp`)
//!
//! | channel                         | what                                            | command     |
//! |---------------------------------|-------------------------------------------------|-------------|
//! | `socket.io#<nsp>#*`             | broadcasts (`...#<room>#` when to one room)     | PSUBSCRIBE  |
//! | `socket.io-request#<nsp>#`      | requests (fetchSockets, socketsJoin, ...)       | SUBSCRIBE   |
//! | `socket.io-response#<nsp>#`     | responses                                       | SUBSCRIBE   |
//! | `socket.io-response#<nsp>#<uid>#` | responses for this node only                  | SUBSCRIBE   |
//!
//! The number of servers in the cluster is the number of subscribers of the request channel
//! (`PUBSUB NUMSUB`), as for the Node adapter.
//!
//! # Exactly once
//!
//! A node delivers its own broadcast locally and publishes it with its uid; a node receiving a
//! broadcast skips its own uid and delivers it locally without publishing it again, so every
//! client of the cluster gets it once. A broadcast with the `local` flag
//! ([`Hub::broadcast_local`](crate::hub::Hub::broadcast_local)) is not published.
//!
//! # Binary
//!
//! Broadcasts carry binary arguments as msgpack `bin` in both variants. In `serverSideEmit`
//! arguments, its answers and the answers of broadcasts with acks, binary travels as the
//! reference adapters carry it: the sharded variant switches the message to msgpack
//! (`createShardedAdapter` does so with a Node `Buffer`), and a received binary comes in
//! [`HubEvent`](crate::hub::HubEvent) as a Socket.IO placeholder `{"_placeholder":true,"num":N}`
//! with its bytes in the event's `attachments`. The classic variant writes `serverSideEmit`
//! requests and answers as JSON, a binary as a Node `Buffer`'s JSON form
//! `{"type":"Buffer","data":[1,2,3]}` (received as that object, not bytes: what the classic Node
//! adapter does between two Node nodes); its broadcast-with-acks answers are msgpack, so binary
//! answers keep their bytes there too. Send binary with
//! [`Hub::server_side_emit_values`](crate::hub::Hub::server_side_emit_values),
//! [`Hub::cluster_server_side_emit_with_ack_values`](crate::hub::Hub::cluster_server_side_emit_with_ack_values)
//! and [`Hub::cluster_answer_server_side_emit_value`](crate::hub::Hub::cluster_answer_server_side_emit_value).
//!
//! # Limits
//!
//! Every message is capped by [`ClusterConfig::max_message_len`] before it is decoded, and the
//! decoder is the bounded msgpack one (depth and value counts capped).

use alloc::collections::{BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

pub mod sharded;
pub mod wire;

pub use wire::{BroadcastMessage, Flags, Message, Opts, RequestType, WireError, Writer};

/// Settings of a cluster [`Adapter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Channel prefix (the Node adapter's `key`, default `socket.io`).
    pub prefix: String,
    /// How long a request waits for every node's answer (default 5 s, as the Node adapter).
    pub request_timeout: Duration,
    /// Largest message decoded, in bytes (default 1 MiB); longer ones are dropped.
    pub max_message_len: usize,
    /// Most commands queued and not yet polled (default 65 536); more are dropped and counted
    /// in [`Adapter::dropped`].
    pub max_queued: usize,
    /// Most requests of this node waiting for answers (default 1024).
    pub max_pending_requests: usize,
    /// The sharded variant (`createShardedAdapter`, Redis 7 sharded pub/sub, dynamic room
    /// channels): see [`sharded`]. Off by default. Broadcasts and serverSideEmit (with acks
    /// too), socketsJoin / Leave, disconnectSockets, fetchSockets, serverCount; allRooms (not
    /// a request of the sharded adapter) returns this node's rooms only.
    pub sharded: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            prefix: String::from("socket.io"),
            request_timeout: Duration::from_secs(5),
            max_message_len: 1 << 20,
            max_queued: 1 << 16,
            max_pending_requests: 1024,
            sharded: false,
        }
    }
}

impl ClusterConfig {
    /// Sets [`ClusterConfig::prefix`].
    #[must_use]
    pub fn prefix(mut self, p: &str) -> Self {
        self.prefix = String::from(p);
        self
    }

    /// Sets [`ClusterConfig::request_timeout`].
    #[must_use]
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }

    /// Sets [`ClusterConfig::sharded`].
    #[must_use]
    pub fn sharded(mut self, on: bool) -> Self {
        self.sharded = on;
        self
    }

    /// Sets [`ClusterConfig::max_message_len`].
    #[must_use]
    pub fn max_message_len(mut self, n: usize) -> Self {
        self.max_message_len = n;
        self
    }
}

/// What the caller must do on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `SUBSCRIBE channel` (on the subscriber connection).
    Subscribe(String),
    /// `PSUBSCRIBE pattern` (on the subscriber connection).
    PSubscribe(String),
    /// `PUBSUB NUMSUB channel` (on the publisher connection): answer with the count through
    /// [`Hub::handle_cluster_numsub`](crate::hub::Hub::handle_cluster_numsub).
    NumSub(String),
    /// `PUBSUB SHARDNUMSUB channel` (sharded variant, publisher connection): the server count
    /// of the sharded adapter; answer like [`Command::NumSub`], through
    /// [`Hub::handle_cluster_numsub`](crate::hub::Hub::handle_cluster_numsub).
    ShardNumSub(String),
    /// `SSUBSCRIBE channel` (sharded variant, subscriber connection).
    SSubscribe(String),
    /// `SUNSUBSCRIBE channel` (sharded variant, subscriber connection).
    SUnsubscribe(String),
    /// `SPUBLISH channel payload` (sharded variant, publisher connection).
    SPublish {
        /// The channel.
        channel: String,
        /// The bytes.
        payload: Vec<u8>,
    },
    /// `PUBLISH channel payload` (on the publisher connection).
    Publish {
        /// The channel.
        channel: String,
        /// The bytes.
        payload: Vec<u8>,
    },
}

/// Which kind of channel a message came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind<'c> {
    /// A broadcast for namespace `nsp` (the room suffix, if any, is in the second field).
    Broadcast(&'c str, Option<&'c str>),
    /// A request for namespace `nsp`.
    Request(&'c str),
    /// A response for namespace `nsp`.
    Response(&'c str),
}

/// The node's side of the cluster protocol: identity, subscriptions and the publish queue.
/// See the [module docs](self).
#[derive(Debug)]
pub struct Adapter {
    cfg: ClusterConfig,
    uid: String,
    namespaces: BTreeSet<String>,
    out: VecDeque<Command>,
    dropped: u64,
    /// Sharded: who asked each serverSideEmit-with-ack delivered here (request id, requester
    /// uid), oldest first, at most `max_pending_requests` (the oldest unanswered is forgotten).
    requesters: VecDeque<(String, String)>,
}

impl Adapter {
    /// A node with this `uid` (6 random characters in Node; any string without `#`). The main
    /// namespace `/` is subscribed at once.
    #[must_use]
    pub fn new(cfg: ClusterConfig, uid: &str) -> Self {
        let mut a = Adapter {
            cfg,
            uid: String::from(uid),
            namespaces: BTreeSet::new(),
            out: VecDeque::new(),
            dropped: 0,
            requesters: VecDeque::new(),
        };
        a.add_namespace("/");
        a
    }

    /// Sharded: remembers that `uid` asked request `request_id` (its answer goes to `uid`'s
    /// channel).
    pub(crate) fn remember_requester(&mut self, request_id: &str, uid: &str) {
        if self.requesters.len() >= self.cfg.max_pending_requests.max(1) {
            self.requesters.pop_front();
        }
        self.requesters.push_back((request_id.into(), uid.into()));
    }

    /// Sharded: the uid that asked `request_id`, forgotten once taken.
    pub(crate) fn take_requester(&mut self, request_id: &str) -> Option<String> {
        let i = self.requesters.iter().position(|(r, _)| r == request_id)?;
        self.requesters.remove(i).map(|(_, u)| u)
    }

    /// The node's uid.
    #[must_use]
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &ClusterConfig {
        &self.cfg
    }

    /// Commands dropped because the queue was full.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Whether namespace `nsp` is subscribed.
    #[must_use]
    pub fn has_namespace(&self, nsp: &str) -> bool {
        self.namespaces.contains(nsp)
    }

    /// Subscribes namespace `nsp`'s channels (once). Returns whether it was new.
    pub fn add_namespace(&mut self, nsp: &str) -> bool {
        if !self.namespaces.insert(String::from(nsp)) {
            return false;
        }
        if self.cfg.sharded {
            let main = wire::broadcast_channel(&self.cfg.prefix, nsp, &[]);
            let mine = wire::broadcast_channel(&self.cfg.prefix, nsp, &[self.uid.as_str()]);
            self.push(Command::SSubscribe(main));
            self.push(Command::SSubscribe(mine));
            return true;
        }
        let mut pattern = wire::broadcast_channel(&self.cfg.prefix, nsp, &[]);
        pattern.push('*');
        self.push(Command::PSubscribe(pattern));
        let req = self.request_channel(nsp);
        let resp = self.response_channel(nsp);
        let mut specific = resp.clone();
        specific.push_str(&self.uid);
        specific.push('#');
        self.push(Command::Subscribe(req));
        self.push(Command::Subscribe(resp));
        self.push(Command::Subscribe(specific));
        true
    }

    /// Every subscription, for a caller re-subscribing after it reconnected to the bus.
    pub fn resubscribe(&mut self) {
        let all: Vec<String> = core::mem::take(&mut self.namespaces).into_iter().collect();
        for n in all {
            self.add_namespace(&n);
        }
    }

    /// `<prefix>-request#<nsp>#` (its subscriber count is the number of servers).
    #[must_use]
    pub fn request_channel(&self, nsp: &str) -> String {
        let mut c = String::from(self.cfg.prefix.as_str());
        c.push_str("-request#");
        c.push_str(nsp);
        c.push('#');
        c
    }

    /// `<prefix>-response#<nsp>#`.
    #[must_use]
    pub fn response_channel(&self, nsp: &str) -> String {
        let mut c = String::from(self.cfg.prefix.as_str());
        c.push_str("-response#");
        c.push_str(nsp);
        c.push('#');
        c
    }

    /// What kind of channel `channel` is, for one of our prefix's namespaces.
    #[must_use]
    pub fn classify<'c>(&self, channel: &'c str) -> Option<ChannelKind<'c>> {
        let rest = channel.strip_prefix(self.cfg.prefix.as_str())?;
        if let Some(r) = rest.strip_prefix("-request#") {
            return Some(ChannelKind::Request(r.strip_suffix('#')?));
        }
        if let Some(r) = rest.strip_prefix("-response#") {
            let r = r.strip_suffix('#')?;
            // `<nsp>` or `<nsp>#<uid>`: namespaces never contain `#` here.
            let nsp = r.split('#').next()?;
            return Some(ChannelKind::Response(nsp));
        }
        let r = rest.strip_prefix('#')?.strip_suffix('#')?;
        match r.split_once('#') {
            None => Some(ChannelKind::Broadcast(r, None)),
            Some((nsp, room)) => Some(ChannelKind::Broadcast(nsp, Some(room))),
        }
    }

    /// Whether this is the sharded variant.
    #[must_use]
    pub fn is_sharded(&self) -> bool {
        self.cfg.sharded
    }

    /// A room appeared on this node: the sharded variant subscribes its channel (except for
    /// socket-id rooms, as Node's "dynamic" mode).
    pub fn room_created(&mut self, nsp: &str, room: &str) {
        if self.cfg.sharded && !sharded::looks_like_socket_id(room) {
            let ch = wire::broadcast_channel(&self.cfg.prefix, nsp, &[room]);
            self.push(Command::SSubscribe(ch));
        }
    }

    /// A room disappeared from this node: the sharded variant unsubscribes its channel.
    pub fn room_deleted(&mut self, nsp: &str, room: &str) {
        if self.cfg.sharded && !sharded::looks_like_socket_id(room) {
            let ch = wire::broadcast_channel(&self.cfg.prefix, nsp, &[room]);
            self.push(Command::SUnsubscribe(ch));
        }
    }

    /// Queues a publish of a broadcast: `packet` is the msgpack packet object.
    pub fn publish_broadcast(&mut self, nsp: &str, packet: &[u8], opts: &Opts<'_>) {
        if self.cfg.sharded {
            let one = match opts.rooms.as_slice() {
                [r] if !sharded::looks_like_socket_id(r) => opts.rooms.as_slice(),
                _ => &[],
            };
            let channel = wire::broadcast_channel(&self.cfg.prefix, nsp, one);
            if let Some(payload) = sharded::encode_broadcast(&self.uid, nsp, packet, opts) {
                self.push(Command::SPublish { channel, payload });
            }
            return;
        }
        let channel = wire::broadcast_channel(&self.cfg.prefix, nsp, &opts.rooms);
        let mut payload = Vec::with_capacity(packet.len() + 64);
        wire::encode_broadcast(&mut payload, Writer::Adapter, &self.uid, packet, opts);
        self.push(Command::Publish { channel, payload });
    }

    /// Queues a publish of `payload` on `channel`.
    pub fn publish(&mut self, channel: String, payload: Vec<u8>) {
        self.push(Command::Publish { channel, payload });
    }

    /// Queues a command.
    pub fn push_command(&mut self, c: Command) {
        self.push(c);
    }

    fn push(&mut self, c: Command) {
        if self.out.len() >= self.cfg.max_queued {
            self.dropped += 1;
            return;
        }
        self.out.push_back(c);
    }

    /// The next command for the bus. Drain after every call into the hub or server.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Command> {
        self.out.pop_front()
    }
}

/// Publishes into a cluster without being a server (the `@socket.io/redis-emitter` format).
///
/// ```
/// use sockwire::cluster::{Command, Emitter};
/// use sockwire::socketio::packet::Value;
/// let mut e = Emitter::new("socket.io");
/// let c = e.of("/").to("room1").emit("news", &[Value::Str("hi")]).unwrap();
/// let Command::Publish { channel, .. } = c else { unreachable!() };
/// assert_eq!(channel, "socket.io#/#room1#");
/// ```
#[derive(Debug, Clone)]
pub struct Emitter {
    prefix: String,
    nsp: String,
    rooms: Vec<String>,
    except: Vec<String>,
}

impl Emitter {
    /// An emitter for the main namespace with this channel prefix.
    #[must_use]
    pub fn new(prefix: &str) -> Self {
        Emitter {
            prefix: String::from(prefix),
            nsp: String::from("/"),
            rooms: Vec::new(),
            except: Vec::new(),
        }
    }

    /// The same emitter for namespace `nsp`, no rooms.
    #[must_use]
    pub fn of(&self, nsp: &str) -> Self {
        Emitter {
            prefix: self.prefix.clone(),
            nsp: String::from(nsp),
            rooms: Vec::new(),
            except: Vec::new(),
        }
    }

    /// Only the members of `room` (several: the union).
    #[must_use]
    pub fn to(mut self, room: &str) -> Self {
        self.rooms.push(String::from(room));
        self
    }

    /// Not the members of `room`.
    #[must_use]
    pub fn except(mut self, room: &str) -> Self {
        self.except.push(String::from(room));
        self
    }

    fn opts(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.rooms.iter().map(String::as_str).collect(),
            self.except.iter().map(String::as_str).collect(),
        )
    }

    /// The PUBLISH of event `name` with `args` to the selected clients of every node.
    ///
    /// # Errors
    /// The Socket.IO encoder's (reserved event name, invalid raw JSON, ...).
    pub fn emit(
        &self,
        name: &str,
        args: &[crate::socketio::packet::Value<'_>],
    ) -> Result<Command, crate::socketio::SocketIoError> {
        let p = crate::socketio::EncodedPacket::event_for(
            crate::socketio::Parser::Msgpack,
            &self.nsp,
            None,
            name,
            args,
        )?;
        let (rooms, except) = self.opts();
        let o = Opts {
            rooms,
            except,
            flags: Flags::default(),
        };
        let mut payload = Vec::new();
        let packet = p.msgpack().unwrap_or(&[]);
        wire::encode_broadcast(&mut payload, Writer::Emitter, "emitter", packet, &o);
        Ok(Command::Publish {
            channel: wire::broadcast_channel(&self.prefix, &self.nsp, &o.rooms),
            payload,
        })
    }

    fn request(&self, json: String) -> Command {
        let mut channel = String::from(self.prefix.as_str());
        channel.push_str("-request#");
        channel.push_str(&self.nsp);
        channel.push('#');
        Command::Publish {
            channel,
            payload: json.into_bytes(),
        }
    }

    /// `socketsJoin(rooms)`: the selected sockets of every node join `rooms`.
    #[must_use]
    pub fn sockets_join(&self, rooms: &[&str]) -> Command {
        self.join_leave(RequestType::RemoteJoin, rooms)
    }

    /// `socketsLeave(rooms)`.
    #[must_use]
    pub fn sockets_leave(&self, rooms: &[&str]) -> Command {
        self.join_leave(RequestType::RemoteLeave, rooms)
    }

    fn join_leave(&self, t: RequestType, rooms: &[&str]) -> Command {
        let (r, e) = self.opts();
        self.request(
            wire::JsonObject::new()
                .num("type", u64::from(t.number()))
                .raw("opts", &wire::json_opts(&r, &e))
                .list("rooms", rooms.iter().copied())
                .finish(),
        )
    }

    /// `disconnectSockets(close)`.
    #[must_use]
    pub fn disconnect_sockets(&self, close: bool) -> Command {
        let (r, e) = self.opts();
        self.request(
            wire::JsonObject::new()
                .num("type", u64::from(RequestType::RemoteDisconnect.number()))
                .raw("opts", &wire::json_opts(&r, &e))
                .bool("close", close)
                .finish(),
        )
    }

    /// `serverSideEmit(name, ...args)`: `args_json` is the JSON array of the arguments.
    #[must_use]
    pub fn server_side_emit(&self, name: &str, args_json: &[&str]) -> Command {
        let mut data = String::from("[");
        crate::json::push_string(&mut data, name);
        for a in args_json {
            data.push(',');
            data.push_str(a);
        }
        data.push(']');
        self.request(
            wire::JsonObject::new()
                .str("uid", "emitter")
                .num("type", u64::from(RequestType::ServerSideEmit.number()))
                .raw("data", &data)
                .finish(),
        )
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_acks;
#[cfg(test)]
mod tests_binary;
#[cfg(test)]
mod tests_sharded_acks;
