//! The [`App`] inside a C server handle: it answers nothing itself, it queues what happened for
//! `sw_sio_server_poll_event` and keeps the handles C names sockets and acks by.

use std::collections::{BTreeMap, VecDeque};

use sockwire_core::hub::{SessionInfo, SocketId};
use sockwire_core::socketio::server::{App, Ctx, Event};
use sockwire_core::socketio::{AckHandle, DisconnectReason, OwnedPacket};

/// `SW_SIO_CONNECT`: a socket joined a namespace (`json` = the handshake auth, or empty).
pub const KIND_CONNECT: i32 = 1;
/// `SW_SIO_EVENT`: an event (`name`, `json` = the arguments array).
pub const KIND_EVENT: i32 = 2;
/// `SW_SIO_ACK`: the answer to `sw_sio_server_emit_with_ack` (`json` = the arguments array).
pub const KIND_ACK: i32 = 3;
/// `SW_SIO_ACK_TIMEOUT`: no answer came before the timeout.
pub const KIND_ACK_TIMEOUT: i32 = 4;
/// `SW_SIO_DISCONNECT`: the socket left (`name` = the reference's reason string).
pub const KIND_DISCONNECT: i32 = 5;

/// `s` as a C string: NUL-terminated, an interior NUL (an escaped `\u0000` in a name) replaced
/// by U+FFFD.
pub fn c_text(s: &str) -> String {
    let mut out = if s.contains('\0') {
        s.replace('\0', "\u{fffd}")
    } else {
        let mut o = String::with_capacity(s.len() + 1);
        o.push_str(s);
        o
    };
    out.push('\0');
    out
}

/// One queued application event; its strings are NUL-terminated (see [`c_text`]).
#[derive(Debug, Default)]
pub struct Queued {
    pub kind: i32,
    pub socket: u64,
    pub nsp: String,
    pub sid: String,
    pub name: String,
    pub json: String,
    pub attachments: Vec<Vec<u8>>,
    pub ack_id: Option<u64>,
    /// A DISCONNECT's snapshot of the socket's byte data, for `sw_sio_server_get` while
    /// the event is current.
    pub data: Vec<(String, Vec<u8>)>,
}

/// The application of a C server: queues, handle maps, caps.
#[derive(Debug)]
pub struct CApp {
    pub events: VecDeque<Queued>,
    pub max_events: usize,
    /// Events and acks dropped by the overflow policy.
    pub dropped: u64,
    /// Connections refused because the queue was full.
    pub refused: u64,
    pub sockets: BTreeMap<u64, SocketId>,
    handles: BTreeMap<SocketId, u64>,
    next: u64,
    /// Acks the client waits for, by (socket handle, ack id).
    pub acks: BTreeMap<(u64, u64), AckHandle>,
    pub max_acks: usize,
}

impl CApp {
    pub fn new(max_events: usize, max_acks: usize) -> Self {
        CApp {
            events: VecDeque::new(),
            max_events,
            dropped: 0,
            refused: 0,
            sockets: BTreeMap::new(),
            handles: BTreeMap::new(),
            next: 0,
            acks: BTreeMap::new(),
            max_acks,
        }
    }

    fn full(&self) -> bool {
        self.events.len() >= self.max_events
    }

    fn base(&self, kind: i32, ctx: &Ctx<'_>) -> Option<Queued> {
        Some(Queued {
            kind,
            socket: *self.handles.get(&ctx.socket())?,
            nsp: c_text(ctx.nsp()),
            sid: c_text(ctx.id()),
            name: c_text(""),
            json: c_text(""),
            ..Queued::default()
        })
    }
}

/// The arguments of an event or ack as one JSON array, NUL-terminated (placeholders of binary attachments
/// stay as the client sent them: `{"_placeholder":true,"num":N}`).
fn args_json(p: &OwnedPacket) -> String {
    let mut s = String::from("[");
    for (i, a) in p.packet().args().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(a);
    }
    s.push_str("]\0");
    s
}

impl App for CApp {
    fn accept(&mut self, _: &str, _: Option<&str>, _: &SessionInfo) -> Result<(), String> {
        // Overflow policy, part 1: a full queue refuses new sockets (CONNECT_ERROR), so that
        // every connected socket's CONNECT and DISCONNECT always fit.
        if self.full() {
            self.refused += 1;
            return Err("server busy".into());
        }
        Ok(())
    }

    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        self.next += 1;
        let h = self.next;
        self.sockets.insert(h, ctx.socket());
        self.handles.insert(ctx.socket(), h);
        if let Some(mut q) = self.base(KIND_CONNECT, ctx) {
            q.json = c_text(ctx.auth().unwrap_or(""));
            self.events.push_back(q);
        }
    }

    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut event: Event<'_>) {
        // Overflow policy, part 2: an event arriving at a full queue is dropped (counted);
        // its ack, if any, is never answered.
        if self.full() {
            self.dropped += 1;
            return;
        }
        let Some(mut q) = self.base(KIND_EVENT, ctx) else {
            return;
        };
        q.name = c_text(event.name());
        q.json = args_json(event.packet());
        q.attachments = event.packet().attachments().to_vec();
        if let Some(ack) = event.take_ack() {
            if self.acks.len() < self.max_acks {
                q.ack_id = Some(ack.id());
                self.acks.insert((q.socket, ack.id()), ack);
            } else {
                self.dropped += 1;
            }
        }
        self.events.push_back(q);
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_>, id: u64, answer: Option<&OwnedPacket>) {
        if self.full() {
            self.dropped += 1;
            return;
        }
        let kind = if answer.is_some() {
            KIND_ACK
        } else {
            KIND_ACK_TIMEOUT
        };
        let Some(mut q) = self.base(kind, ctx) else {
            return;
        };
        if let Some(p) = answer {
            q.json = args_json(p);
            q.attachments = p.attachments().to_vec();
        }
        q.ack_id = Some(id);
        self.events.push_back(q);
    }

    fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, reason: DisconnectReason) {
        // Always queued: at most one per connected socket (see `accept`).
        if let Some(mut q) = self.base(KIND_DISCONNECT, ctx) {
            q.name = c_text(reason.as_str());
            let id = ctx.socket();
            let hub = ctx.hub();
            let keys: Vec<String> = hub.data_keys(id).map(String::from).collect();
            for k in keys {
                if let Some(v) = hub.data::<Vec<u8>>(id, &k) {
                    q.data.push((k, v.clone()));
                }
            }
            let h = q.socket;
            self.events.push_back(q);
            self.sockets.remove(&h);
            let keys: Vec<_> = self
                .acks
                .range((h, 0)..=(h, u64::MAX))
                .map(|(k, _)| *k)
                .collect();
            for k in keys {
                self.acks.remove(&k);
            }
        }
        self.handles.remove(&ctx.socket());
    }
}
