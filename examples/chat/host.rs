//! A small Socket.IO host on top of the [`Hub`]: one [`ServerSocket`] per Engine.IO session, an
//! application callback per namespace event, and one output queue that says which Engine.IO
//! session gets which message. Still sans-IO: the std plumbing feeds Engine.IO messages in and
//! writes what [`Host::poll_output`] hands out.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use sockwire::hub::{Encoded, Hub, HubEvent, SessionId, SessionInfo, SocketId};
use sockwire::socketio::{
    AckHandle, DisconnectReason, Message, OwnedPacket, ServerConfig, ServerEvent, ServerSocket,
};

/// What to write to one Engine.IO session.
#[derive(Debug)]
pub enum Output {
    /// One Engine.IO message produced by the session's own socket machine.
    Message(Message),
    /// A broadcast packet shared by all its recipients (text message then attachments).
    Shared(Arc<Encoded>),
    /// Close the Engine.IO session (after writing what came before).
    Close,
}

/// The application: what happens on connect, events and disconnect. Each call gets a [`Ctx`]
/// to answer the client, emit to it, and broadcast through the hub.
pub trait App {
    /// A client asks to join `nsp`. Return `Err(message)` to refuse with a CONNECT_ERROR.
    fn accept(&mut self, _nsp: &str, _auth: Option<&str>) -> Result<(), String> {
        Ok(())
    }
    /// The socket joined its namespace (it is in the hub already).
    fn on_connect(&mut self, _ctx: &mut Ctx<'_>) {}
    /// An event arrived; `ack` is present when the client asked for an answer.
    fn on_event(&mut self, ctx: &mut Ctx<'_>, packet: OwnedPacket, ack: Option<AckHandle>);
    /// The socket left (it is still in the hub during the call, removed right after).
    fn on_disconnect(&mut self, _ctx: &mut Ctx<'_>, _reason: DisconnectReason) {}
    /// A hub event (a broadcast with acks completed).
    fn on_hub_event(&mut self, _hub: &mut Hub, _event: HubEvent) {}
}

/// The context of one application callback.
pub struct Ctx<'a> {
    /// The hub (rooms, session data, broadcast).
    pub hub: &'a mut Hub,
    /// The socket machine of the calling session.
    pub machine: &'a mut ServerSocket,
    /// The calling socket.
    pub socket: SocketId,
    /// Its namespace.
    pub nsp: String,
    /// The caller's clock.
    pub now: Duration,
}

struct Session {
    hub_id: SessionId,
    machine: ServerSocket,
}

/// See the module docs.
pub struct Host<A: App> {
    /// The hub shared by every session.
    pub hub: Hub,
    /// The application.
    pub app: A,
    cfg: ServerConfig,
    sessions: BTreeMap<String, Session>,
    by_hub_id: BTreeMap<SessionId, String>,
    out: VecDeque<(String, Output)>,
    entropy: Box<dyn FnMut() -> [u8; 15] + Send>,
}

impl<A: App> Host<A> {
    /// A host whose socket machines use `cfg`, drawing socket ids from `entropy`.
    pub fn new(app: A, cfg: ServerConfig, entropy: Box<dyn FnMut() -> [u8; 15] + Send>) -> Self {
        Host {
            hub: Hub::default(),
            app,
            cfg,
            sessions: BTreeMap::new(),
            by_hub_id: BTreeMap::new(),
            out: VecDeque::new(),
            entropy,
        }
    }

    /// An Engine.IO session opened.
    pub fn open(&mut self, eio_sid: &str, info: SessionInfo, now: Duration) {
        let Ok(hub_id) = self.hub.add_session(info) else {
            self.out.push_back((eio_sid.to_string(), Output::Close));
            return;
        };
        self.by_hub_id.insert(hub_id, eio_sid.to_string());
        self.sessions.insert(
            eio_sid.to_string(),
            Session {
                hub_id,
                machine: ServerSocket::new(self.cfg.clone(), now),
            },
        );
    }

    /// An Engine.IO text message arrived on `eio_sid`.
    pub fn text(&mut self, eio_sid: &str, now: Duration, text: &str) {
        if let Some(s) = self.sessions.get_mut(eio_sid) {
            // Answers to the hub's broadcast acks go to the hub (the machine's ack table does
            // not know their ids).
            if self.hub.claim_ack(s.hub_id, text) {
                self.flush_hub();
                return;
            }
            let _ = s.machine.handle_text(now, text);
            self.drive(eio_sid, now);
        }
    }

    /// An Engine.IO binary message arrived on `eio_sid`.
    pub fn binary(&mut self, eio_sid: &str, now: Duration, data: &[u8]) {
        if let Some(s) = self.sessions.get_mut(eio_sid) {
            let _ = s.machine.handle_binary(now, data);
            self.drive(eio_sid, now);
        }
    }

    /// The Engine.IO session ended.
    pub fn closed(&mut self, eio_sid: &str, now: Duration, reason: DisconnectReason) {
        if let Some(s) = self.sessions.get_mut(eio_sid) {
            s.machine.handle_transport_close(reason);
            self.drive(eio_sid, now);
        }
        if let Some(s) = self.sessions.remove(eio_sid) {
            self.by_hub_id.remove(&s.hub_id);
            let _ = self.hub.remove_session(s.hub_id);
            self.flush_hub();
        }
    }

    /// Timers: the machines' connect and ack timeouts, the hub's broadcast acks.
    pub fn timeout(&mut self, now: Duration) {
        let due: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.machine.poll_timeout().is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for sid in due {
            if let Some(s) = self.sessions.get_mut(&sid) {
                s.machine.handle_timeout(now);
            }
            self.drive(&sid, now);
        }
        self.hub.handle_timeout(now);
        self.flush_hub();
    }

    /// The earliest deadline.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.sessions
            .values()
            .filter_map(|s| s.machine.poll_timeout())
            .chain(self.hub.poll_timeout())
            .min()
    }

    /// The next message to write, and to which Engine.IO session.
    pub fn poll_output(&mut self) -> Option<(String, Output)> {
        self.out.pop_front()
    }

    /// Drains the session's machine: its transmits, then its events (which may broadcast).
    fn drive(&mut self, eio_sid: &str, now: Duration) {
        loop {
            let Some(s) = self.sessions.get_mut(eio_sid) else {
                return;
            };
            while let Some(m) = s.machine.poll_transmit() {
                self.out
                    .push_back((eio_sid.to_string(), Output::Message(m)));
            }
            let Some(ev) = s.machine.poll_event() else {
                return;
            };
            let hub_id = s.hub_id;
            match ev {
                ServerEvent::Connect { nsp, auth } => {
                    match self.app.accept(&nsp, auth.as_deref()) {
                        Err(msg) => {
                            let _ = s.machine.refuse(&nsp, &msg, None);
                        }
                        Ok(()) => {
                            let sid = match s.machine.accept(&nsp, (self.entropy)()) {
                                Ok(sid) => sid.to_string(),
                                Err(_) => continue,
                            };
                            match self.hub.add_socket(hub_id, &nsp, &sid, auth.as_deref()) {
                                Ok(socket) => {
                                    let mut ctx = Ctx {
                                        hub: &mut self.hub,
                                        machine: &mut s.machine,
                                        socket,
                                        nsp,
                                        now,
                                    };
                                    self.app.on_connect(&mut ctx);
                                }
                                Err(_) => {
                                    let _ = s.machine.disconnect(&nsp);
                                }
                            }
                        }
                    }
                }
                ServerEvent::Event { packet, ack } => {
                    let nsp = packet.packet().nsp().to_string();
                    if let Some(socket) = self.hub.socket_of(hub_id, &nsp) {
                        let mut ctx = Ctx {
                            hub: &mut self.hub,
                            machine: &mut s.machine,
                            socket,
                            nsp,
                            now,
                        };
                        self.app.on_event(&mut ctx, packet, ack);
                    }
                }
                ServerEvent::Disconnect { nsp, reason } => {
                    if let Some(socket) = self.hub.socket_of(hub_id, &nsp) {
                        let mut ctx = Ctx {
                            hub: &mut self.hub,
                            machine: &mut s.machine,
                            socket,
                            nsp,
                            now,
                        };
                        self.app.on_disconnect(&mut ctx, reason);
                        let _ = self.hub.remove_socket(socket);
                    }
                }
                ServerEvent::Close { .. } => {
                    while let Some(m) = s.machine.poll_transmit() {
                        self.out
                            .push_back((eio_sid.to_string(), Output::Message(m)));
                    }
                    self.out.push_back((eio_sid.to_string(), Output::Close));
                }
                _ => {}
            }
            // The caller's own answers first, then what the event broadcast.
            if let Some(s) = self.sessions.get_mut(eio_sid) {
                while let Some(m) = s.machine.poll_transmit() {
                    self.out
                        .push_back((eio_sid.to_string(), Output::Message(m)));
                }
            }
            self.flush_hub();
        }
    }

    /// Moves the hub's transmits to the output queue and its events to the application.
    fn flush_hub(&mut self) {
        while let Some(ev) = self.hub.poll_event() {
            self.app.on_hub_event(&mut self.hub, ev);
        }
        while let Some(t) = self.hub.poll_transmit() {
            if let Some(eio_sid) = self.by_hub_id.get(&t.session) {
                self.out
                    .push_back((eio_sid.clone(), Output::Shared(Arc::clone(t.packet))));
            }
        }
    }
}
