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
/// `SW_SIO_DISCONNECT`: the socket left (`name` = the reference's reason string, `json` = the
/// error that ended it as a JSON string, or empty).
pub const KIND_DISCONNECT: i32 = 5;

/// `s` as a C string: NUL-terminated, an interior NUL (an escaped `\u0000` in a name) replaced
/// by U+FFFD.
/// Written into `out` (cleared first, its capacity reused).
pub fn c_text(out: &mut String, s: &str) {
    out.clear();
    if s.contains('\0') {
        out.push_str(&s.replace('\0', "\u{fffd}"));
    } else {
        out.push_str(s);
    }
    out.push('\0');
}

/// Events kept for reuse, so that a steady stream of events allocates no strings.
const SPARE: usize = 32;

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
    spare: Vec<Queued>,
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
            spare: Vec::new(),
        }
    }

    fn full(&self) -> bool {
        self.events.len() >= self.max_events
    }

    fn base(&mut self, kind: i32, ctx: &Ctx<'_>) -> Option<Queued> {
        let socket = *self.handles.get(&ctx.socket())?;
        let mut q = self.spare.pop().unwrap_or_default();
        q.kind = kind;
        q.socket = socket;
        c_text(&mut q.nsp, ctx.nsp());
        c_text(&mut q.sid, ctx.id());
        c_text(&mut q.name, "");
        c_text(&mut q.json, "");
        q.attachments.clear();
        q.ack_id = None;
        q.data.clear();
        Some(q)
    }

    /// Takes back a polled event for reuse (a small one: the spares hold at most
    /// `SPARE` × a few KiB).
    pub fn recycle(&mut self, q: Queued) {
        let small = q.json.capacity() <= 4096 && q.name.capacity() <= 512 && q.data.is_empty();
        if small && q.attachments.is_empty() && self.spare.len() < SPARE {
            self.spare.push(q);
        }
    }
}

/// The arguments of an event or ack as one JSON array, NUL-terminated (placeholders of binary attachments
/// stay as the client sent them: `{"_placeholder":true,"num":N}`).
fn args_json(s: &mut String, p: &OwnedPacket) {
    s.clear();
    s.push('[');
    for (i, a) in p.packet().args().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(a);
    }
    s.push_str("]\0");
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
            c_text(&mut q.json, ctx.auth().unwrap_or(""));
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
        c_text(&mut q.name, event.name());
        args_json(&mut q.json, event.packet());
        q.attachments
            .extend_from_slice(event.packet().attachments());
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
            args_json(&mut q.json, p);
            q.attachments.extend_from_slice(p.attachments());
        }
        q.ack_id = Some(id);
        self.events.push_back(q);
    }

    fn on_disconnect(
        &mut self,
        ctx: &mut Ctx<'_>,
        reason: DisconnectReason,
        error: Option<&sockwire_core::Error>,
    ) {
        // Always queued: at most one per connected socket (see `accept`).
        if let Some(mut q) = self.base(KIND_DISCONNECT, ctx) {
            c_text(&mut q.name, reason.as_str());
            // The peer error, as a JSON string (the reference's disconnect description).
            if let Some(e) = error {
                let mut text = String::new();
                let _ = sockwire_core::json::write_str(&mut text, &e.to_string());
                c_text(&mut q.json, &text);
            }
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
