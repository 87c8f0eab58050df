//! The server side: [`ServerSession`] (one Engine.IO session) and [`Registry`] (sid → session).
//!
//! # Driving a session
//!
//! Inputs are HTTP requests and WebSocket messages, already framed by the caller:
//!
//! | input | method | result |
//! |---|---|---|
//! | long-polling `GET` | [`ServerSession::handle_get`] | [`GetOutcome::Respond`] (write a 200 now) or [`GetOutcome::Parked`] (hold the request; its body comes later as [`Transmit::PollResponse`]) |
//! | the held `GET`'s connection died | [`ServerSession::handle_get_aborted`] | the session closes, as in the reference |
//! | long-polling `POST` body | [`ServerSession::handle_post`] | `Ok` → write `200 ok`; `Err` → write the [`super::http::Reject`] |
//! | a WebSocket for this sid (upgrade) | [`ServerSession::handle_ws_open`] | `Err` → refuse it |
//! | a WebSocket text / binary message | [`ServerSession::handle_ws_text`], [`ServerSession::handle_ws_binary`] | |
//! | the WebSocket closed | [`ServerSession::handle_ws_closed`] | |
//! | time passed | [`ServerSession::handle_timeout`] | |
//!
//! After every input or command drain, in this order, [`ServerSession::poll_transmit`] (bytes
//! for the held GET or the WebSocket), [`ServerSession::poll_event`] (messages, upgrade, the one
//! close event) and [`ServerSession::poll_timeout`] (the next deadline).
//!
//! # Timers
//!
//! | timer | armed | fires |
//! |---|---|---|
//! | ping | at open, and on every pong: `now + pingInterval` | sends `2`, arms the pong timer |
//! | pong | when a ping is sent: (ping due time) `+ pingTimeout` | closes with [`CloseReason::PingTimeout`] |
//! | upgrade | when a WebSocket for the session arrives: `now + upgradeTimeout` | closes that WebSocket, the session stays on polling |
//! | close | [`ServerSession::close`], or a client `1` POSTed, on polling without a held GET: `now + pingTimeout` | gives up waiting for a GET to deliver the `1` (or the `6` that ends a GET sent alongside the client's `1`) |
//!
//! Every `handle_*` first processes the timers that are due, so a request arriving after a
//! deadline sees the session closed even if the caller's timer thread has not run yet.
//!
//! # Long-polling rules
//!
//! One held GET at a time: a second GET answers the held one with `1`, is itself refused (400
//! code 3) and closes the session ("overlap from client"). A GET with nothing to send is held
//! until a message, a ping or the close; queued packets go out in one response capped at
//! [`ServerConfig::max_packets_per_poll`] packets and at `maxPayload` bytes (always at least one
//! packet). Text messages containing `\x1e` are refused by `send_text` while the session may still
//! use long-polling ([`EngineIoError::RecordSeparatorInText`]).
//!
//! # Upgrade
//!
//! `2probe` on the new WebSocket → `3probe`, and a held GET is answered with `6`; a GET arriving
//! after the probe (it crossed the `3probe`) is held for [`ServerConfig::upgrade_noop_delay`] and
//! then answered with `6` so the client can finish pausing. `5` completes the upgrade: a GET
//! still held then is refused ([`Transmit::PollReject`], 400 code 3),
//! queued packets flush to the WebSocket, [`ServerEvent::Upgraded`] is emitted. Anything else on the
//! candidate WebSocket, or the upgrade timer, closes it and keeps the session on polling. After
//! the upgrade, long-polling requests for the sid are refused with 400 code 3 and a second
//! WebSocket is refused.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::http::{ErrorCode, Reject, Transport};
use super::packet::{Packet, PacketData, PacketType};
use super::payload::{PayloadWriter, decode_payload};
use super::{EngineIoError, Message, OpenPacket};

/// Server options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Ping period. Default 25 s.
    pub ping_interval: Duration,
    /// How long to wait for the pong. Default 20 s.
    pub ping_timeout: Duration,
    /// Largest accepted long-polling body, and the byte cap of a poll response. Default 1 000 000.
    pub max_payload: usize,
    /// How long an upgrade may take. Default 10 s.
    pub upgrade_timeout: Duration,
    /// Most packets in one poll response. Default 16 (some clients give up above that).
    pub max_packets_per_poll: usize,
    /// Most packets queued for a client that is not polling; `send_*` fails above it.
    /// Default 4096.
    pub max_queued_packets: usize,
    /// Offer and accept the upgrade to WebSocket. Default true.
    pub allow_upgrades: bool,
    /// How long a GET that arrives after the upgrade probe is held before it gets `6`.
    /// Default 50 ms.
    pub upgrade_noop_delay: Duration,
    /// The reference's `perMessageDeflate`: the permessage-deflate policy for the WebSocket
    /// transport, or `None` (the default, as in the reference). The host negotiates it when it
    /// answers the Upgrade ([`UpgradeRequest::negotiate_deflate`](crate::handshake::UpgradeRequest::negotiate_deflate))
    /// and needs a codec: the `deflate` feature's built-in one
    /// ([`deflate::BUILTIN_CODEC`](crate::deflate::BUILTIN_CODEC)) or its own.
    pub per_message_deflate: Option<crate::deflate::DeflatePolicy>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            ping_interval: Duration::from_millis(25_000),
            ping_timeout: Duration::from_millis(20_000),
            max_payload: 1_000_000,
            upgrade_timeout: Duration::from_millis(10_000),
            max_packets_per_poll: 16,
            max_queued_packets: 4096,
            allow_upgrades: true,
            upgrade_noop_delay: Duration::from_millis(50),
            per_message_deflate: None,
        }
    }
}

impl ServerConfig {
    /// Sets [`ServerConfig::ping_interval`].
    pub fn ping_interval(mut self, d: Duration) -> Self {
        self.ping_interval = d;
        self
    }
    /// Sets [`ServerConfig::ping_timeout`].
    pub fn ping_timeout(mut self, d: Duration) -> Self {
        self.ping_timeout = d;
        self
    }
    /// Sets [`ServerConfig::max_payload`].
    pub fn max_payload(mut self, n: usize) -> Self {
        self.max_payload = n;
        self
    }
    /// Sets [`ServerConfig::upgrade_timeout`].
    pub fn upgrade_timeout(mut self, d: Duration) -> Self {
        self.upgrade_timeout = d;
        self
    }
    /// Sets [`ServerConfig::upgrade_noop_delay`].
    pub fn upgrade_noop_delay(mut self, d: Duration) -> Self {
        self.upgrade_noop_delay = d;
        self
    }
    /// Sets [`ServerConfig::max_packets_per_poll`] (at least 1).
    pub fn max_packets_per_poll(mut self, n: usize) -> Self {
        self.max_packets_per_poll = n.max(1);
        self
    }
    /// Sets [`ServerConfig::max_queued_packets`].
    pub fn max_queued_packets(mut self, n: usize) -> Self {
        self.max_queued_packets = n;
        self
    }
    /// Sets [`ServerConfig::allow_upgrades`].
    pub fn allow_upgrades(mut self, yes: bool) -> Self {
        self.allow_upgrades = yes;
        self
    }
    /// Sets [`ServerConfig::per_message_deflate`].
    pub fn per_message_deflate(mut self, policy: Option<crate::deflate::DeflatePolicy>) -> Self {
        self.per_message_deflate = policy;
        self
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer sent a `close` packet (the reference's "transport close").
    ClosePacket,
    /// The WebSocket went away (the reference's "transport close").
    TransportClose,
    /// No pong (server) or no ping (client) in time.
    PingTimeout,
    /// A packet could not be decoded.
    ParseError,
    /// The transport misbehaved; the text says how ("overlap from client", "invalid heartbeat
    /// direction", "poll connection closed prematurely", ...).
    TransportError(&'static str),
    /// Closed locally with `close()` (the reference's "forced close").
    ForcedClose,
}

impl CloseReason {
    /// The reference's reason string.
    pub const fn as_str(&self) -> &'static str {
        match self {
            CloseReason::ClosePacket | CloseReason::TransportClose => "transport close",
            CloseReason::PingTimeout => "ping timeout",
            CloseReason::ParseError => "parse error",
            CloseReason::TransportError(_) => "transport error",
            CloseReason::ForcedClose => "forced close",
        }
    }
}

/// Application-facing events of a server session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A message from the client.
    Message(Message),
    /// The session moved to WebSocket.
    Upgraded,
    /// The session ended (exactly once).
    Closed(CloseReason),
}

/// Output for the caller's transports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Answer the held long-polling GET with `200` and this payload body.
    PollResponse(Vec<u8>),
    /// Answer the held long-polling GET with this error (a GET held after the upgrade probe
    /// when the upgrade completes: polling is over for this session).
    PollReject(Reject),
    /// Send a text frame on the session's WebSocket (the upgrade candidate while upgrading).
    WsText(String),
    /// Send a binary frame on the session's WebSocket.
    WsBinary(Vec<u8>),
    /// Close the session's WebSocket (after the frames before this).
    WsClose,
}

/// What to do with a long-polling GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetOutcome {
    /// Answer now with `200` and this payload body.
    Respond(Vec<u8>),
    /// Hold the request; its answer will be a [`Transmit::PollResponse`].
    Parked,
}

/// An owned packet in the send queue.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Queued {
    kind: PacketType,
    text: String,
    binary: Option<Vec<u8>>,
}

impl Queued {
    fn bare(kind: PacketType) -> Self {
        Queued {
            kind,
            text: String::new(),
            binary: None,
        }
    }
    fn packet(&self) -> Packet<'_> {
        match &self.binary {
            Some(b) => Packet::binary(b),
            None => Packet::text(self.kind, &self.text),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// `close()` on polling: the `1` waits in the queue for a GET until the deadline.
    Closing,
    Closed,
}

/// One server-side Engine.IO session (see the module docs).
#[derive(Debug)]
pub struct ServerSession {
    sid: String,
    cfg: ServerConfig,
    state: State,
    transport: Transport,
    /// Upgrade candidate WebSocket: its deadline.
    upgrading: Option<Duration>,
    /// `3probe` was sent on the candidate.
    probed: bool,
    /// A GET held after the probe is answered with `6` at this time.
    noop_at: Option<Duration>,
    get_parked: bool,
    post_in_flight: bool,
    queue: VecDeque<Queued>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ServerEvent>,
    next_ping: Option<Duration>,
    pong_deadline: Option<Duration>,
    close_deadline: Option<Duration>,
}

impl ServerSession {
    /// Opens a session whose handshake came over long-polling. The `open` packet is queued:
    /// answer the handshake GET with [`ServerSession::handle_get`].
    pub fn new_polling(sid: &str, now: Duration, cfg: ServerConfig) -> Self {
        Self::new(sid, now, cfg, Transport::Polling)
    }

    /// Opens a session whose handshake came over WebSocket: the `open` packet is the first
    /// [`Transmit::WsText`].
    pub fn new_websocket(sid: &str, now: Duration, cfg: ServerConfig) -> Self {
        Self::new(sid, now, cfg, Transport::WebSocket)
    }

    fn new(sid: &str, now: Duration, cfg: ServerConfig, transport: Transport) -> Self {
        let open = OpenPacket {
            sid,
            upgrade_websocket: transport == Transport::Polling && cfg.allow_upgrades,
            ping_interval: cfg.ping_interval,
            ping_timeout: cfg.ping_timeout,
            max_payload: cfg.max_payload as u64,
        }
        .to_packet_string();
        let mut s = ServerSession {
            sid: String::from(sid),
            next_ping: Some(now.saturating_add(cfg.ping_interval)),
            cfg,
            state: State::Open,
            transport,
            upgrading: None,
            probed: false,
            noop_at: None,
            get_parked: false,
            post_in_flight: false,
            queue: VecDeque::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            pong_deadline: None,
            close_deadline: None,
        };
        s.queue.push_back(Queued {
            kind: PacketType::Open,
            text: String::from(&open[1..]),
            binary: None,
        });
        s.flush();
        s
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// The transport in use ([`Transport::WebSocket`] once upgraded).
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// Whether an upgrade WebSocket is being probed.
    pub fn is_upgrading(&self) -> bool {
        self.upgrading.is_some()
    }

    /// Whether a long-polling GET is held.
    pub fn has_parked_get(&self) -> bool {
        self.get_parked
    }

    /// Whether the session is over (the close event was emitted and nothing remains to send).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the close event was emitted (the session may still deliver its final `1`).
    pub fn is_closing_or_closed(&self) -> bool {
        self.state != State::Open
    }

    /// Number of packets waiting for a transport.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    // ---- commands ------------------------------------------------------------------------

    /// Queues a text message. Fails on a closed session, a full queue, or (while long-polling
    /// may still be used) a text containing `\x1e`.
    pub fn send_text(&mut self, text: &str) -> Result<(), EngineIoError> {
        if self.transport == Transport::Polling && text.as_bytes().contains(&0x1e) {
            return Err(EngineIoError::RecordSeparatorInText);
        }
        self.enqueue(Queued {
            kind: PacketType::Message,
            text: String::from(text),
            binary: None,
        })
    }

    /// Queues a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), EngineIoError> {
        self.enqueue(Queued {
            kind: PacketType::Message,
            text: String::new(),
            binary: Some(data.to_vec()),
        })
    }

    /// Queues a [`Message`].
    pub fn send(&mut self, msg: &Message) -> Result<(), EngineIoError> {
        match msg {
            Message::Text(t) => self.send_text(t),
            Message::Binary(b) => self.send_binary(b),
        }
    }

    fn enqueue(&mut self, q: Queued) -> Result<(), EngineIoError> {
        if self.state != State::Open {
            return Err(EngineIoError::Closed);
        }
        if self.queue.len() >= self.cfg.max_queued_packets {
            return Err(EngineIoError::SendBufferFull);
        }
        self.queue.push_back(q);
        self.flush();
        Ok(())
    }

    /// Closes the session ([`CloseReason::ForcedClose`]): queued packets are still delivered,
    /// followed by a `1` on long-polling or a WebSocket close.
    pub fn close(&mut self, now: Duration) {
        if self.state != State::Open {
            return;
        }
        self.events
            .push_back(ServerEvent::Closed(CloseReason::ForcedClose));
        self.stop_timers();
        if self.upgrading.take().is_some() {
            self.transmits.push_back(Transmit::WsClose);
        }
        match self.transport {
            Transport::WebSocket => {
                self.flush();
                self.transmits.push_back(Transmit::WsClose);
                self.finish();
            }
            Transport::Polling => {
                self.queue.push_back(Queued::bare(PacketType::Close));
                self.state = State::Closing;
                self.close_deadline = Some(now.saturating_add(self.cfg.ping_timeout));
                self.flush();
            }
        }
    }

    // ---- inputs ----------------------------------------------------------------------------

    /// A long-polling GET for this session.
    pub fn handle_get(&mut self, now: Duration) -> Result<GetOutcome, EngineIoError> {
        self.handle_timeout(now);
        if self.state == State::Closed {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if self.transport != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if self.get_parked {
            // The reference answers the held GET with a close packet and errors the new one.
            self.get_parked = false;
            self.transmits
                .push_back(Transmit::PollResponse(Vec::from(&b"1"[..])));
            self.close_with(CloseReason::TransportError("overlap from client"));
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if !self.queue.is_empty() {
            return Ok(GetOutcome::Respond(self.take_poll_body()));
        }
        if self.upgrading.is_some() && self.probed {
            // The client pauses polling after `3probe`: this GET crossed the probe. End it with
            // `6` shortly (as the reference's 100 ms check does), unless the upgrade completes
            // first, which refuses it.
            self.noop_at = Some(now.saturating_add(self.cfg.upgrade_noop_delay));
        }
        self.get_parked = true;
        Ok(GetOutcome::Parked)
    }

    /// The held GET's connection closed before it was answered: the session closes
    /// ("poll connection closed prematurely", as in the reference).
    pub fn handle_get_aborted(&mut self, now: Duration) {
        self.handle_timeout(now);
        if !self.get_parked {
            return;
        }
        self.get_parked = false;
        if self.state == State::Open {
            self.close_with(CloseReason::TransportError(
                "poll connection closed prematurely",
            ));
        }
    }

    /// Marks the start of a POST (optional: lets a second concurrent POST be detected as the
    /// reference's "data request overlap from client"). [`ServerSession::handle_post`] ends it.
    pub fn begin_post(&mut self, now: Duration) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        if self.state != State::Open || self.transport != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if self.post_in_flight {
            self.close_with(CloseReason::TransportError(
                "data request overlap from client",
            ));
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        self.post_in_flight = true;
        Ok(())
    }

    /// The connection of a POST begun with [`ServerSession::begin_post`] closed before its body
    /// arrived: the session closes ("data request connection closed prematurely", as in the
    /// reference). Without a POST in flight this does nothing.
    pub fn handle_post_aborted(&mut self, now: Duration) {
        self.handle_timeout(now);
        if !self.post_in_flight {
            return;
        }
        self.post_in_flight = false;
        if self.state == State::Open {
            self.close_with(CloseReason::TransportError(
                "data request connection closed prematurely",
            ));
        }
    }

    /// A long-polling POST body. `Ok` → answer `200 ok`; `Err(Rejected(r))` → answer `r`.
    /// A malformed payload closes the session ([`CloseReason::ParseError`]); the packets before
    /// the malformed one are still delivered.
    pub fn handle_post(&mut self, now: Duration, body: &[u8]) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        self.post_in_flight = false;
        if self.state == State::Closed || self.transport != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        if body.len() > self.cfg.max_payload {
            return Err(Reject::PayloadTooLarge.into());
        }
        if self.state != State::Open {
            // Closing: the client's data is dropped, the request still succeeds.
            return Ok(());
        }
        let Ok(text) = core::str::from_utf8(body) else {
            self.close_with(CloseReason::ParseError);
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        };
        for item in decode_payload(text) {
            match item {
                Ok(p) => {
                    self.on_packet(now, &p)?;
                    if self.state != State::Open {
                        // A `1` closes; the rest of the payload is ignored, the POST succeeds.
                        return Ok(());
                    }
                }
                Err(_) => {
                    self.close_with(CloseReason::ParseError);
                    return Err(Reject::Code(ErrorCode::BadRequest).into());
                }
            }
        }
        Ok(())
    }

    /// A WebSocket for this session's sid arrived (an upgrade). `Err` → refuse it (400 code 3)
    /// or close it: the session is not on polling, is already upgrading, or upgrades are off.
    pub fn handle_ws_open(&mut self, now: Duration) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        if self.state != State::Open
            || self.transport != Transport::Polling
            || self.upgrading.is_some()
            || !self.cfg.allow_upgrades
        {
            return Err(Reject::Code(ErrorCode::BadRequest).into());
        }
        self.upgrading = Some(now.saturating_add(self.cfg.upgrade_timeout));
        self.probed = false;
        Ok(())
    }

    /// A text message on the session's WebSocket (or the upgrade candidate).
    pub fn handle_ws_text(&mut self, now: Duration, text: &str) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        match Packet::decode_text(text) {
            Ok(p) => self.on_ws_packet(now, &p),
            Err(e) => {
                self.on_ws_garbage();
                Err(e)
            }
        }
    }

    /// A binary message on the session's WebSocket (a binary message in v4).
    pub fn handle_ws_binary(&mut self, now: Duration, data: &[u8]) -> Result<(), EngineIoError> {
        self.handle_timeout(now);
        self.on_ws_packet(now, &Packet::binary(data))
    }

    /// The session's WebSocket (or the upgrade candidate) is gone.
    pub fn handle_ws_closed(&mut self, now: Duration) {
        self.handle_timeout(now);
        if self.upgrading.take().is_some() {
            return;
        }
        if self.transport == Transport::WebSocket && self.state == State::Open {
            self.close_with(CloseReason::TransportClose);
        }
    }

    /// Processes the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        if let Some(d) = self.close_deadline {
            if now >= d {
                self.close_deadline = None;
                if self.get_parked {
                    // Should not happen (a held GET takes the queue), but never leave it hanging.
                    self.get_parked = false;
                    self.transmits
                        .push_back(Transmit::PollResponse(Vec::from(&b"1"[..])));
                }
                self.finish();
            }
        }
        if self.state != State::Open {
            return;
        }
        if let Some(d) = self.noop_at {
            if now >= d {
                self.noop_at = None;
                self.release_parked_get();
            }
        }
        if let Some(d) = self.upgrading {
            if now >= d {
                self.upgrading = None;
                self.transmits.push_back(Transmit::WsClose);
            }
        }
        if let Some(d) = self.pong_deadline {
            if now >= d {
                self.close_with(CloseReason::PingTimeout);
                return;
            }
        }
        if let Some(d) = self.next_ping {
            if now >= d {
                self.next_ping = None;
                // Measured from when the ping was due, not from when the caller's timer ran:
                // a slightly late timer must not extend the client's allowance. A timer so late
                // that the allowance is already over is the server's fault: then the client
                // gets a full pingTimeout from now.
                let due = d.saturating_add(self.cfg.ping_timeout);
                self.pong_deadline = Some(if due > now {
                    due
                } else {
                    now.saturating_add(self.cfg.ping_timeout)
                });
                self.queue.push_back(Queued::bare(PacketType::Ping));
                self.flush();
            }
        }
    }

    // ---- outputs ---------------------------------------------------------------------------

    /// The next transmit (see [`Transmit`]).
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next application event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The next deadline, if any.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        [
            self.next_ping,
            self.pong_deadline,
            self.upgrading,
            self.close_deadline,
            self.noop_at,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ---- internals -------------------------------------------------------------------------

    fn stop_timers(&mut self) {
        self.next_ping = None;
        self.pong_deadline = None;
    }

    /// Ends the session for `reason` (emits the close event once).
    fn close_with(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        if self.state == State::Open {
            self.events.push_back(ServerEvent::Closed(reason));
        }
        self.stop_timers();
        if self.upgrading.take().is_some() {
            self.transmits.push_back(Transmit::WsClose);
        }
        match self.transport {
            Transport::Polling => {
                if self.get_parked {
                    self.get_parked = false;
                    self.transmits
                        .push_back(Transmit::PollResponse(Vec::from(&b"6"[..])));
                }
            }
            Transport::WebSocket => self.transmits.push_back(Transmit::WsClose),
        }
        self.finish();
    }

    fn finish(&mut self) {
        self.noop_at = None;
        self.state = State::Closed;
        self.queue.clear();
        self.close_deadline = None;
        self.upgrading = None;
        self.stop_timers();
    }

    /// Sends what can be sent now: to the held GET, or over the WebSocket.
    fn flush(&mut self) {
        if self.queue.is_empty() {
            return;
        }
        match self.transport {
            Transport::WebSocket => {
                while let Some(q) = self.queue.pop_front() {
                    self.transmits.push_back(match q.binary {
                        Some(b) => Transmit::WsBinary(b),
                        None => {
                            let mut s = String::with_capacity(1 + q.text.len());
                            s.push(q.kind.as_char());
                            s.push_str(&q.text);
                            Transmit::WsText(s)
                        }
                    });
                }
            }
            Transport::Polling => {
                if self.get_parked {
                    self.get_parked = false;
                    let body = self.take_poll_body();
                    self.transmits.push_back(Transmit::PollResponse(body));
                }
            }
        }
    }

    /// Takes up to the caps from the queue and encodes them as a payload.
    fn take_poll_body(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        let mut w = PayloadWriter::new(&mut body);
        let mut sent_close = false;
        while let Some(q) = self.queue.front() {
            let p = q.packet();
            if !w.is_empty()
                && (w.count() >= self.cfg.max_packets_per_poll
                    || w.len() + w.added_len(&p) > self.cfg.max_payload)
            {
                break;
            }
            // `send_text` refused separators while on polling; a failure here only drops.
            let _ = w.push(&p);
            sent_close |= q.kind == PacketType::Close;
            self.queue.pop_front();
        }
        if body.is_empty() {
            body.push(b'6');
        }
        if self.state == State::Closing && (sent_close || self.queue.is_empty()) {
            self.finish();
        }
        body
    }

    /// Handles a packet that arrived on the active transport.
    fn on_packet(&mut self, now: Duration, p: &Packet<'_>) -> Result<(), EngineIoError> {
        match p.packet_type() {
            PacketType::Message => {
                let msg = match p.data() {
                    PacketData::Text(t) => Message::Text(String::from(t)),
                    _ => Message::Binary(p.binary_to_vec()),
                };
                self.events.push_back(ServerEvent::Message(msg));
            }
            PacketType::Pong => {
                self.pong_deadline = None;
                self.next_ping = Some(now.saturating_add(self.cfg.ping_interval));
            }
            PacketType::Ping => {
                self.close_with(CloseReason::TransportError("invalid heartbeat direction"));
                return Err(EngineIoError::Protocol("invalid heartbeat direction"));
            }
            PacketType::Close => {
                if self.transport == Transport::Polling && !self.get_parked {
                    // A GET may be on its way (clients often send the `1` while polling): the
                    // first GET still gets `6` instead of an error, within pingTimeout.
                    self.close_with(CloseReason::ClosePacket);
                    self.state = State::Closing;
                    self.queue.push_back(Queued::bare(PacketType::Noop));
                    self.close_deadline = Some(now.saturating_add(self.cfg.ping_timeout));
                } else {
                    self.close_with(CloseReason::ClosePacket);
                }
            }
            // The reference ignores these from a client.
            PacketType::Open | PacketType::Upgrade | PacketType::Noop => {}
        }
        Ok(())
    }

    fn on_ws_packet(&mut self, now: Duration, p: &Packet<'_>) -> Result<(), EngineIoError> {
        if self.state != State::Open {
            return Err(EngineIoError::Closed);
        }
        if self.upgrading.is_some() {
            match (p.packet_type(), p.as_text()) {
                (PacketType::Ping, Some("probe")) => {
                    self.transmits
                        .push_back(Transmit::WsText(String::from("3probe")));
                    self.probed = true;
                    self.release_parked_get();
                }
                (PacketType::Upgrade, _) => {
                    self.upgrading = None;
                    self.noop_at = None;
                    if self.get_parked {
                        self.get_parked = false;
                        self.transmits
                            .push_back(Transmit::PollReject(Reject::Code(ErrorCode::BadRequest)));
                    }
                    self.transport = Transport::WebSocket;
                    self.events.push_back(ServerEvent::Upgraded);
                    self.flush();
                }
                _ => {
                    self.upgrading = None;
                    self.transmits.push_back(Transmit::WsClose);
                }
            }
            return Ok(());
        }
        if self.transport != Transport::WebSocket {
            return Err(EngineIoError::Closed);
        }
        self.on_packet(now, p)
    }

    fn on_ws_garbage(&mut self) {
        if self.upgrading.take().is_some() {
            self.transmits.push_back(Transmit::WsClose);
        } else if self.transport == Transport::WebSocket {
            self.close_with(CloseReason::ParseError);
        }
    }

    /// Answers a held GET with `6` (noop) so the client's poll cycle ends.
    fn release_parked_get(&mut self) {
        if self.get_parked {
            self.get_parked = false;
            let body = if self.queue.is_empty() {
                Vec::from(&b"6"[..])
            } else {
                self.take_poll_body()
            };
            self.transmits.push_back(Transmit::PollResponse(body));
        }
    }
}

/// Encodes 15 bytes of caller entropy as a 20-character URL-safe session id (the reference's
/// `base64id` shape).
pub fn sid_from_entropy(entropy: &[u8; 15]) -> String {
    crate::b64::url_safe_id(entropy)
        .iter()
        .map(|&b| char::from(b))
        .collect()
}

/// Sessions by sid, with the request checks that need them.
#[derive(Debug)]
pub struct Registry {
    cfg: ServerConfig,
    max_sessions: usize,
    sessions: BTreeMap<String, ServerSession>,
}

impl Registry {
    /// An empty registry creating sessions with `cfg`, at most `max_sessions` at once.
    pub fn new(cfg: ServerConfig, max_sessions: usize) -> Self {
        Registry {
            cfg,
            max_sessions,
            sessions: BTreeMap::new(),
        }
    }

    /// The configuration new sessions get.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// Opens a session for a handshake over `transport`, with a sid made from 15 bytes of
    /// caller entropy. Refused (403 code 4) at the session cap or on a sid collision (retry
    /// with fresh entropy).
    pub fn open(
        &mut self,
        now: Duration,
        transport: Transport,
        entropy: &[u8; 15],
    ) -> Result<&mut ServerSession, Reject> {
        let sid = sid_from_entropy(entropy);
        if self.sessions.len() >= self.max_sessions || self.sessions.contains_key(&sid) {
            return Err(Reject::Code(ErrorCode::Forbidden));
        }
        let s = match transport {
            Transport::Polling => ServerSession::new_polling(&sid, now, self.cfg.clone()),
            Transport::WebSocket => ServerSession::new_websocket(&sid, now, self.cfg.clone()),
        };
        Ok(self.sessions.entry(sid).or_insert(s))
    }

    /// A request with `sid` over `transport` arrived at `now`: runs the session's due timers (so
    /// a session whose heartbeat already expired is gone), then returns it, or the reference
    /// error: code 1 for an unknown (or closed) sid, code 3 for a long-polling request on a
    /// WebSocket session. (Named as an input, not a getter, because it advances time.)
    pub fn handle_request(
        &mut self,
        now: Duration,
        sid: &str,
        transport: Transport,
    ) -> Result<&mut ServerSession, Reject> {
        let s = self
            .sessions
            .get_mut(sid)
            .ok_or(Reject::Code(ErrorCode::SessionIdUnknown))?;
        s.handle_timeout(now);
        if s.is_closed() {
            return Err(Reject::Code(ErrorCode::SessionIdUnknown));
        }
        if transport == Transport::Polling && s.transport() != Transport::Polling {
            return Err(Reject::Code(ErrorCode::BadRequest));
        }
        Ok(s)
    }

    /// A session by sid, whatever its state (read-only: runs no timers).
    pub fn get(&self, sid: &str) -> Option<&ServerSession> {
        self.sessions.get(sid)
    }

    /// A session by sid, whatever its state.
    pub fn get_mut(&mut self, sid: &str) -> Option<&mut ServerSession> {
        self.sessions.get_mut(sid)
    }

    /// Runs due timers on every session.
    pub fn handle_timeout(&mut self, now: Duration) {
        for s in self.sessions.values_mut() {
            if s.poll_timeout().is_some_and(|d| d <= now) {
                s.handle_timeout(now);
            }
        }
    }

    /// The earliest deadline over all sessions.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.sessions
            .values()
            .filter_map(|s| s.poll_timeout())
            .min()
    }

    /// Iterates the sessions.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut ServerSession)> {
        self.sessions.iter_mut().map(|(k, v)| (k.as_str(), v))
    }

    /// Removes a session, returning it.
    pub fn remove(&mut self, sid: &str) -> Option<ServerSession> {
        self.sessions.remove(sid)
    }

    /// Removes the sessions that are closed and have nothing left to transmit or report.
    pub fn remove_closed(&mut self) {
        self.sessions
            .retain(|_, s| !(s.is_closed() && s.transmits.is_empty() && s.events.is_empty()));
    }

    /// Number of sessions held (closed ones included until [`Registry::remove_closed`]).
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }
}
