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
//! use long-polling ([`EngineIoError::RecordSeparatorInText`](super::EngineIoError::RecordSeparatorInText)).
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

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::Message;
use super::http::{ErrorCode, Reject, Transport};

mod session;

pub use session::ServerSession;

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
    /// A packet could not be decoded (the close event's `error` says which and how).
    ParseError,
    /// The peer broke a transport rule or its transport failed (the close event's `error` says
    /// how: "overlap from client", "invalid heartbeat direction", "poll connection closed
    /// prematurely", a WebSocket protocol error, ...).
    TransportError,
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
            CloseReason::TransportError => "transport error",
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
    /// The session ended (exactly once, last).
    Closed {
        /// Why, in the reference's terms.
        reason: CloseReason,
        /// The peer or transport error that ended it (`Some` exactly for
        /// [`CloseReason::ParseError`] and [`CloseReason::TransportError`]); the same field on
        /// every machine's terminal event.
        error: Option<crate::Error>,
    },
}

/// Output for the caller's transports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    sessions: super::sid_map::SidMap<ServerSession>,
}

impl Registry {
    /// An empty registry creating sessions with `cfg`, at most `max_sessions` at once.
    pub fn new(cfg: ServerConfig, max_sessions: usize) -> Self {
        Registry {
            cfg,
            max_sessions,
            sessions: super::sid_map::SidMap::new(),
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
        Ok(self.sessions.get_or_insert(&sid, s))
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
        self.sessions.iter_mut()
    }

    /// Removes a session, returning it.
    pub fn remove(&mut self, sid: &str) -> Option<ServerSession> {
        self.sessions.remove(sid)
    }

    /// Removes the sessions that are closed and have nothing left to transmit or report.
    pub fn remove_closed(&mut self) {
        self.sessions.retain(|_, s| !s.is_finished());
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
