//! The client side: [`ClientSocket`] connects to namespaces (buffering until the transport is
//! open), emits and acknowledges, and reports [`ClientEvent`]s.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::shared::{Core, check_nsp, engineio_inputs};
use super::{AckHandle, CloseReason, DisconnectReason, EncodedPacket, Message, Parser};
use crate::socketio::packet::{self, PacketType, Value};
use crate::socketio::{DecodeConfig, OwnedPacket, SocketIoError, json};

/// Settings of a [`ClientSocket`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How packets are written and read: JSON text (default) or msgpack, one binary Engine.IO
    /// message per packet ([`Parser`]).
    pub parser: Parser,
    /// Decoding limits.
    pub decode: DecodeConfig,
    /// Most namespaces at once (default 64).
    pub max_namespaces: usize,
    /// Most acks awaited at once (default 1024).
    pub max_pending_acks: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            parser: Parser::Json,
            decode: DecodeConfig::new(),
            max_namespaces: 64,
            max_pending_acks: 1024,
        }
    }
}

impl ClientConfig {
    /// Sets [`parser`](Self::parser).
    pub fn with_parser(mut self, parser: Parser) -> Self {
        self.parser = parser;
        self
    }

    /// Sets [`decode`](Self::decode).
    pub fn with_decode(mut self, decode: DecodeConfig) -> Self {
        self.decode = decode;
        self
    }

    /// Sets [`max_namespaces`](Self::max_namespaces).
    pub fn with_max_namespaces(mut self, n: usize) -> Self {
        self.max_namespaces = n;
        self
    }

    /// Sets [`max_pending_acks`](Self::max_pending_acks).
    pub fn with_max_pending_acks(mut self, n: usize) -> Self {
        self.max_pending_acks = n;
        self
    }
}

/// What a [`ClientSocket`] reports.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server accepted the namespace (the reference's `connect` event).
    Connect {
        /// The namespace.
        nsp: String,
        /// The Socket.IO id the server gave.
        sid: String,
    },
    /// The server refused the namespace (the reference's `connect_error`); it is forgotten.
    ConnectError {
        /// The namespace.
        nsp: String,
        /// The raw JSON payload (usually `{"message":...}`), if any.
        data: Option<String>,
    },
    /// An event from the server.
    Event {
        /// The packet.
        packet: OwnedPacket,
        /// Present when the server asked for an ack.
        ack: Option<AckHandle>,
    },
    /// The ack of one of our `emit_with_ack` (its id is `packet.packet().id()`).
    Ack {
        /// The ACK packet.
        packet: OwnedPacket,
    },
    /// An awaited ack did not come in time.
    AckTimeout {
        /// The namespace.
        nsp: String,
        /// The id `emit_with_ack` returned.
        id: u64,
    },
    /// A namespace connection ended. After [`DisconnectReason::TransportClose`] (and the other
    /// transport reasons) the namespace is remembered and reconnected by
    /// [`ClientSocket::handle_transport_open`]; after the others it is forgotten.
    Disconnect {
        /// The namespace.
        nsp: String,
        /// Why.
        reason: DisconnectReason,
        /// The peer or transport error that ended it (a [`SocketIoError`] for
        /// [`DisconnectReason::ParseError`], the Engine.IO session's error for
        /// [`DisconnectReason::TransportError`]); `None` for an orderly end.
        error: Option<crate::Error>,
    },
    /// Close the Engine.IO session (after sending what `poll_transmit` holds).
    Close {
        /// Why.
        reason: CloseReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClientState {
    Connecting,
    Connected {
        sid: String,
    },
    /// Lost with the transport; reconnected on the next `handle_transport_open`.
    Interrupted,
}

#[derive(Debug, Clone)]
struct ClientNs {
    name: String,
    auth: Option<String>,
    state: ClientState,
    conn: u64,
    /// The private session id of the last CONNECT reply (connection state recovery).
    pid: Option<String>,
    /// The offset of the last event received (its last argument, a string) while `pid` is set.
    offset: Option<String>,
    /// The last CONNECT reply carried the `pid` we presented.
    recovered: bool,
    /// Events that arrived before the CONNECT reply (a Node server replays missed packets
    /// first), delivered right after it, as the reference client's receive buffer.
    early: Vec<OwnedPacket>,
}

/// Most events buffered before a CONNECT reply; more is a peer error.
const MAX_EARLY_EVENTS: usize = 1024;

/// The CONNECT payload: the auth object, preceded by `pid` and `offset` when known (the
/// reference client's `Object.assign({ pid, offset }, auth)`).
fn connect_data(ns: &ClientNs) -> Option<String> {
    let Some(pid) = &ns.pid else {
        return ns.auth.clone();
    };
    let mut d = String::from("{\"pid\":");
    json::write_str(&mut d, pid);
    if let Some(o) = &ns.offset {
        d.push_str(",\"offset\":");
        json::write_str(&mut d, o);
    }
    let rest = ns
        .auth
        .as_deref()
        .and_then(|a| a.trim().strip_prefix('{'))
        .map(str::trim_start)
        .unwrap_or("}");
    if !rest.starts_with('}') {
        d.push(',');
    }
    d.push_str(rest);
    Some(d)
}

/// The client side of one Engine.IO session — and of the next ones: namespaces survive a
/// transport loss and are reconnected with the same auth by
/// [`handle_transport_open`](Self::handle_transport_open).
#[derive(Debug)]
pub struct ClientSocket {
    cfg: ClientConfig,
    core: Core,
    nss: Vec<ClientNs>,
    events: VecDeque<ClientEvent>,
    transport_open: bool,
}

impl ClientSocket {
    /// A client whose Engine.IO session is open.
    pub fn new(cfg: ClientConfig) -> Self {
        let core = Core::new(cfg.decode, cfg.max_pending_acks, cfg.parser);
        ClientSocket {
            cfg,
            core,
            nss: Vec::new(),
            events: VecDeque::new(),
            transport_open: true,
        }
    }

    /// `true` once [`close`](Self::close) was called or the peer misbehaved.
    pub fn is_closed(&self) -> bool {
        self.core.closed
    }

    /// `true` if connected to `nsp`.
    pub fn is_connected(&self, nsp: &str) -> bool {
        self.sid(nsp).is_some()
    }

    /// The sid the server gave on `nsp`.
    pub fn sid(&self, nsp: &str) -> Option<&str> {
        self.nss
            .iter()
            .find(|n| n.name == nsp)
            .and_then(|n| match &n.state {
                ClientState::Connected { sid } => Some(sid.as_str()),
                _ => None,
            })
    }

    /// The private session id the server gave on `nsp` (connection state recovery on).
    pub fn pid(&self, nsp: &str) -> Option<&str> {
        self.nss
            .iter()
            .find(|n| n.name == nsp)
            .and_then(|n| n.pid.as_deref())
    }

    /// The offset of the last event received on `nsp` (sent with the `pid` on reconnection).
    pub fn last_offset(&self, nsp: &str) -> Option<&str> {
        self.nss
            .iter()
            .find(|n| n.name == nsp)
            .and_then(|n| n.offset.as_deref())
    }

    /// `true` if the server recovered the session on `nsp` at the last connection (it answered
    /// with the `pid` we presented): missed events follow, rooms and data are back. The
    /// reference's `socket.recovered`.
    pub fn is_recovered(&self, nsp: &str) -> bool {
        self.nss.iter().any(|n| {
            n.name == nsp && n.recovered && matches!(n.state, ClientState::Connected { .. })
        })
    }

    /// Asks to join `nsp`, with an optional raw JSON auth object (kept for reconnections).
    /// Sent now if the transport is open, else on the next
    /// [`handle_transport_open`](Self::handle_transport_open).
    pub fn connect(&mut self, nsp: &str, auth: Option<&str>) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        check_nsp(nsp)?;
        if self.nss.iter().any(|n| n.name == nsp) {
            return Ok(());
        }
        if self.nss.len() >= self.cfg.max_namespaces {
            return Err(SocketIoError::TooManyNamespaces);
        }
        let mut out = String::new();
        packet::encode_connect(&mut out, nsp, auth)?;
        let state = if self.transport_open {
            self.core.push_text(out);
            ClientState::Connecting
        } else {
            ClientState::Interrupted
        };
        self.nss.push(ClientNs {
            name: String::from(nsp),
            auth: auth.map(String::from),
            state,
            conn: 0,
            pid: None,
            offset: None,
            recovered: false,
            early: Vec::new(),
        });
        Ok(())
    }

    /// A new Engine.IO session is open: re-sends CONNECT for every namespace that was lost with
    /// the previous one (or requested while none was open).
    pub fn handle_transport_open(&mut self, now: Duration) {
        let _ = now;
        if self.core.closed {
            return;
        }
        self.transport_open = true;
        self.core.decoder.reset();
        for ns in &mut self.nss {
            if ns.state == ClientState::Interrupted {
                let mut out = String::new();
                let data = connect_data(ns);
                if packet::encode_connect(&mut out, &ns.name, data.as_deref()).is_ok() {
                    self.core.push_text(out);
                }
                ns.state = ClientState::Connecting;
            }
        }
    }

    /// The Engine.IO session ended: connected namespaces report `Disconnect { reason, error }`
    /// (`error`: the session's error, the `error` of its close event) and, like those still
    /// connecting, wait for [`handle_transport_open`](Self::handle_transport_open). Awaited acks
    /// are dropped.
    pub fn handle_transport_close(
        &mut self,
        now: Duration,
        reason: DisconnectReason,
        error: Option<crate::Error>,
    ) {
        let _ = now;
        if self.core.closed {
            return;
        }
        self.transport_open = false;
        self.core.tx.clear();
        self.core.acks.clear();
        self.core.decoder.reset();
        for ns in &mut self.nss {
            if matches!(ns.state, ClientState::Connected { .. }) {
                self.events.push_back(ClientEvent::Disconnect {
                    nsp: ns.name.clone(),
                    reason,
                    error: error.clone(),
                });
            }
            ns.state = ClientState::Interrupted;
            ns.early.clear();
        }
    }

    engineio_inputs!();

    fn after_decode(
        &mut self,
        _now: Duration,
        r: Result<Option<OwnedPacket>, SocketIoError>,
    ) -> Result<(), SocketIoError> {
        let r = match r {
            Ok(None) => Ok(()),
            Ok(Some(p)) => self.on_packet(p),
            Err(e) => Err(e),
        };
        match r {
            Err(SocketIoError::Closed) => Err(SocketIoError::Closed),
            Err(e) => {
                self.fail(e.clone());
                Err(e)
            }
            Ok(()) => Ok(()),
        }
    }

    fn fail(&mut self, e: SocketIoError) {
        self.core.closed = true;
        self.core.acks.clear();
        self.core.decoder.reset();
        for ns in self.nss.drain(..) {
            if matches!(ns.state, ClientState::Connected { .. }) {
                self.events.push_back(ClientEvent::Disconnect {
                    nsp: ns.name,
                    reason: DisconnectReason::ParseError,
                    error: Some(e.clone().into()),
                });
            }
        }
        self.events.push_back(ClientEvent::Close {
            reason: CloseReason::ParseError(e),
        });
    }

    fn on_packet(&mut self, p: OwnedPacket) -> Result<(), SocketIoError> {
        let view = p.packet();
        let nsp = view.nsp();
        let Some(i) = self.nss.iter().position(|n| n.name == nsp) else {
            return Ok(()); // not ours (e.g. after we left): ignored
        };
        let connected = matches!(self.nss[i].state, ClientState::Connected { .. });
        match view.kind() {
            PacketType::Connect => {
                if self.nss[i].state != ClientState::Connecting {
                    return Ok(());
                }
                let pid = view.data().and_then(|d| member_str(d, "pid"));
                let sid = view.data().and_then(|d| member_str(d, "sid")).ok_or(
                    SocketIoError::InvalidPayload {
                        at: view.data().map_or(0, |d| view.as_str().len() - d.len()),
                        what: "the CONNECT reply must be an object with a string \"sid\"",
                    },
                )?;
                let conn = self.core.conn_id();
                let ns = &mut self.nss[i];
                ns.state = ClientState::Connected { sid: sid.clone() };
                ns.conn = conn;
                ns.recovered = pid.is_some() && pid == ns.pid;
                if !ns.recovered {
                    ns.offset = None;
                }
                ns.pid = pid;
                self.events.push_back(ClientEvent::Connect {
                    nsp: ns.name.clone(),
                    sid,
                });
                for early in core::mem::take(&mut self.nss[i].early) {
                    self.deliver(i, early);
                }
            }
            PacketType::ConnectError => {
                if self.nss[i].state != ClientState::Connecting {
                    return Ok(());
                }
                let ns = self.nss.remove(i);
                self.events.push_back(ClientEvent::ConnectError {
                    nsp: ns.name,
                    data: view.data().map(String::from),
                });
            }
            PacketType::Disconnect => {
                let ns = self.nss.remove(i);
                if connected {
                    self.core.drop_acks(ns.conn);
                    self.events.push_back(ClientEvent::Disconnect {
                        nsp: ns.name,
                        reason: DisconnectReason::IoServerDisconnect,
                        error: None,
                    });
                }
            }
            PacketType::Event | PacketType::BinaryEvent => {
                if connected {
                    self.deliver(i, p);
                } else if self.nss[i].state == ClientState::Connecting {
                    if self.nss[i].early.len() >= MAX_EARLY_EVENTS {
                        return Err(SocketIoError::InvalidPayload {
                            at: 0,
                            what: "too many events before the CONNECT reply",
                        });
                    }
                    self.nss[i].early.push(p);
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {
                if let (true, Some(id)) = (connected, view.id()) {
                    if self.core.take_ack(self.nss[i].conn, id) {
                        self.events.push_back(ClientEvent::Ack { packet: p });
                    }
                }
            }
        }
        Ok(())
    }

    /// Reports an event of connected namespace `i`, noting its offset (connection state
    /// recovery: the last argument, when a string, while the server gave a pid).
    fn deliver(&mut self, i: usize, p: OwnedPacket) {
        let ns = &mut self.nss[i];
        let view = p.packet();
        if ns.pid.is_some() {
            if let Some(last) = view.args().last().filter(|a| a.starts_with('"')) {
                ns.offset = Some(String::from(packet::unquote(last)));
            }
        }
        let conn = ns.conn;
        let ack = view.id().map(|id| AckHandle { conn, id });
        self.events.push_back(ClientEvent::Event { packet: p, ack });
    }

    fn connected(&self, nsp: &str) -> Result<u64, SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        check_nsp(nsp)?;
        self.nss
            .iter()
            .find(|n| n.name == nsp && matches!(n.state, ClientState::Connected { .. }))
            .map(|n| n.conn)
            .ok_or(SocketIoError::NotConnected)
    }

    /// Emits an event on a connected namespace.
    pub fn emit(&mut self, nsp: &str, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.connected(nsp)?;
        self.core.emit(nsp, None, name, args)
    }

    /// Emits an event asking for an ack; returns its id (see
    /// [`ServerSocket::emit_with_ack`](super::ServerSocket::emit_with_ack)).
    pub fn emit_with_ack(
        &mut self,
        now: Duration,
        nsp: &str,
        name: &str,
        args: &[Value<'_>],
        timeout: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        let conn = self.connected(nsp)?;
        self.core.emit_with_ack(conn, now, nsp, name, args, timeout)
    }

    /// Answers an event that asked for an ack.
    pub fn ack(&mut self, handle: AckHandle, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let ns = self
            .nss
            .iter()
            .find(|n| n.conn == handle.conn && matches!(n.state, ClientState::Connected { .. }))
            .ok_or(SocketIoError::NotConnected)?;
        let name = ns.name.clone();
        self.core.ack(&name, handle.id, args)
    }

    /// Sends a pre-encoded packet on a connected namespace.
    pub fn send(&mut self, packet: &EncodedPacket) -> Result<(), SocketIoError> {
        self.connected(packet.nsp())?;
        if packet.parser() != self.core.parser {
            return Err(SocketIoError::ParserMismatch);
        }
        self.core.tx.extend(packet.messages());
        Ok(())
    }

    /// Leaves `nsp` (sends DISCONNECT if connected; forgets it either way).
    pub fn disconnect(&mut self, nsp: &str) -> Result<(), SocketIoError> {
        if self.core.closed {
            return Err(SocketIoError::Closed);
        }
        let i = self
            .nss
            .iter()
            .position(|n| n.name == nsp)
            .ok_or(SocketIoError::NotConnected)?;
        let ns = self.nss.remove(i);
        if matches!(ns.state, ClientState::Connected { .. }) {
            let mut out = String::new();
            packet::encode_disconnect(&mut out, nsp)?;
            self.core.push_text(out);
            self.core.drop_acks(ns.conn);
            self.events.push_back(ClientEvent::Disconnect {
                nsp: ns.name,
                reason: DisconnectReason::IoClientDisconnect,
                error: None,
            });
        }
        Ok(())
    }

    /// Leaves every namespace and asks for the session to be closed.
    pub fn close(&mut self) {
        if self.core.closed {
            return;
        }
        let names: Vec<String> = self.nss.iter().map(|n| n.name.clone()).collect();
        for n in names {
            let _ = self.disconnect(&n);
        }
        self.core.closed = true;
        self.core.acks.clear();
        self.events.push_back(ClientEvent::Close {
            reason: CloseReason::Closed,
        });
    }

    /// Fires ack timeouts due at `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.core.closed {
            return;
        }
        for (conn, id) in self.core.expire_acks(now) {
            if let Some(ns) = self.nss.iter().find(|n| n.conn == conn) {
                self.events.push_back(ClientEvent::AckTimeout {
                    nsp: ns.name.clone(),
                    id,
                });
            }
        }
    }

    /// The next Engine.IO message to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Message> {
        self.core.tx.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.core.closed {
            return None;
        }
        self.core.next_ack_deadline()
    }
}

/// The string member `name` of a raw JSON object, unescaped.
fn member_str(data: &str, name: &str) -> Option<String> {
    let b = data.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut j = json::skip_ws(b, 1);
    let mut scanner = json::Scanner::new(b, usize::MAX, None);
    while b.get(j) == Some(&b'"') {
        let key_end = json::string_end(b, j).ok()?;
        let key = &b[j + 1..key_end - 1];
        j = json::skip_ws(b, key_end);
        j = json::skip_ws(b, j + 1);
        let vs = j;
        j = scanner.value(j).ok()?;
        if json::raw_eq(key, name) {
            return match b[vs] {
                b'"' => Some(String::from(packet::unquote(&data[vs..j]))),
                _ => None,
            };
        }
        j = json::skip_ws(b, j);
        if b.get(j) == Some(&b',') {
            j = json::skip_ws(b, j + 1);
        }
    }
    None
}
