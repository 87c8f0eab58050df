//! `sio_server`: an Engine.IO echo server on `/engine.io/` (every message is sent back with the
//! same type), configured as the official engine.io-protocol test-suite expects: pingInterval
//! 300 ms, pingTimeout 200 ms, maxPayload 1 000 000; long-polling and WebSocket, with upgrade.
//!
//! And the Socket.IO v5 server the official socket.io-protocol test-suite expects on
//! `/socket.io/` (same Engine.IO settings, connectTimeout 1000 ms), one
//! [`ServerSocket`](sockwire::socketio::ServerSocket) per Engine.IO session:
//! - on connection to `/` or `/custom`: emit `auth` with the client's auth payload (`{}` if none);
//! - on `/`: `message` → emit `message-back` with the same arguments (binary included, same
//!   order); `message-with-ack` → ack with the same arguments;
//! - any other namespace → `44/<nsp>,{"message":"Invalid namespace"}`;
//! - malformed packets (`4abc`, `42{}`, `42abc[...]`, ...) close the connection, as does leaving
//!   the last namespace or not joining one within connectTimeout.
//!
//! And `/hub`, the hub ([`sockwire::hub`]) exposed to any standard client (see
//! `chat/hub_ns.rs`): `join` / `leave` (room) → ack `true`; `others`, `all`, `to` (room),
//! `to-except` (room, exceptRoom) followed by (event, ...args) broadcast `event` with the args
//! (binary kept) to every `/hub` socket but the sender / to all / to the room but the sender / to
//! the room minus exceptRoom; `set` (key, value) → ack `true`; `get` (key) → ack the value or
//! `null`; when a `/hub` socket leaves, the others get `left` with its sid. Each broadcast is
//! encoded once by the hub.
//!
//! Options (flags, or the environment variables in brackets):
//! - `--parser msgpack` (`SIO_PARSER=msgpack`): `/socket.io/` speaks the
//!   `socket.io-msgpack-parser` wire format (every namespace, the hub's broadcasts included).
//! - `--recovery` (`SIO_RECOVERY=1`): connection state recovery on, kept
//!   `--recovery-duration-ms` (`SIO_RECOVERY_DURATION_MS`, default 120 000) ms;
//!   `--no-skip-middlewares` (`SIO_RECOVERY_SKIP_MIDDLEWARES=0`) runs the "middleware" on
//!   recovered connections too. Then `/` is the recovery test namespace instead of the echo one:
//!   a new socket joins `room1` and `room2` and gets the data `foo` = `"bar"` (a recovered one
//!   gets its old id, rooms and data back, and the events it missed); `state` → ack
//!   `{"id","recovered","rooms","data"}`; `message` → `message-back` with the same arguments
//!   (direct emit, so with an offset). And `/control` drives it: `emit` (`"all"`,
//!   `"room:<r>"` or `"sid:<id>"`, event, ...args) broadcasts on `/` → ack `true`;
//!   `use-middleware` installs the middleware (it sets the data `middlewareWasCalled` = `true`
//!   on every later connection it runs for; `use-middleware false` removes it) → ack `true`; `stats` → ack
//!   `{"recoverable":<sessions kept>}`.
//!
//! ```text
//! cargo run --example sio_server -- --addr 127.0.0.1:3000 [--parser msgpack] [--recovery]
//! ```
//!
//! The std plumbing lives in `examples/support/eio_server.rs` (documented there) so that other
//! endpoints (`/socket.io/`, the chat hub) can be added next to this one.

#[path = "support/eio_server.rs"]
mod eio_server;
// `/hub`: the context type (`host::Ctx`) and the namespace's logic, shared with the chat example.
#[allow(dead_code)]
#[path = "chat/host.rs"]
mod host;
#[path = "chat/hub_ns.rs"]
mod hub_ns;
#[cfg(test)]
#[path = "chat/hub_tests.rs"]
mod hub_tests;

use std::time::Duration;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use eio_server::{Ctx, EngineHandler, Server};
use sockwire::engineio::Message;
use sockwire::engineio::server::{CloseReason, ServerConfig};
use sockwire::hub::{EngineIoMessage, Hub, HubConfig, SessionId, SessionInfo, SocketId, Target};
use sockwire::socketio::recovery::RecoveryConfig;
use sockwire::socketio::{self, AckHandle, OwnedPacket, Parser, ServerEvent, ServerSocket, Value};

/// The `/control` namespace of the recovery mode.
const CONTROL: &str = "/control";

/// Command-line / environment options.
#[derive(Clone, Copy, Default)]
struct Options {
    parser: Parser,
    recovery: Option<RecoveryConfig>,
}

/// Echoes every message back on its session.
struct Echo;

impl EngineHandler for Echo {
    fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>) {
        let _ = ctx.send(sid, &msg);
    }
}

/// The Socket.IO endpoint: one server socket machine per Engine.IO session.
struct SocketIo {
    cfg: socketio::ServerConfig,
    sockets: HashMap<String, ServerSocket>,
    /// The `/hub` namespace's rooms, session data and broadcasts.
    hub: Hub,
    /// Engine.IO sid → hub session, and back.
    hub_sessions: HashMap<String, SessionId>,
    hub_sids: HashMap<SessionId, String>,
    /// xorshift state for sids (seeded by std's `RandomState`; use a CSPRNG in production).
    rng: u64,
    /// Recovery mode: `/` is the recovery test namespace.
    recovery: Option<RecoveryConfig>,
    /// Recovery mode: the `/` socket of each Engine.IO session.
    rec_sockets: HashMap<String, SocketId>,
    /// Recovery mode: the "middleware" is installed.
    middleware: bool,
}

impl SocketIo {
    fn new(opts: Options) -> Self {
        let mut cfg = socketio::ServerConfig::default()
            .with_namespace("/")
            .with_namespace("/custom")
            .with_namespace(hub_ns::NSP)
            .with_connect_timeout(Duration::from_millis(1000))
            .with_parser(opts.parser);
        let mut hub_cfg = HubConfig::default().parser(opts.parser);
        if let Some(r) = opts.recovery {
            cfg = cfg.with_recovery(r).with_namespace(CONTROL);
            hub_cfg = hub_cfg.recovery(Some(r));
        }
        SocketIo {
            cfg,
            sockets: HashMap::new(),
            hub: Hub::new(hub_cfg),
            hub_sessions: HashMap::new(),
            hub_sids: HashMap::new(),
            rng: RandomState::new().hash_one(0x5eed_u64) | 1,
            recovery: opts.recovery,
            rec_sockets: HashMap::new(),
            middleware: false,
        }
    }

    /// A random id (hex), for sids and pids in recovery mode.
    fn hex_id(&mut self) -> String {
        self.entropy().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn entropy(&mut self) -> [u8; 15] {
        let mut out = [0u8; 15];
        for chunk in out.chunks_mut(8) {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            chunk.copy_from_slice(&self.rng.to_le_bytes()[..chunk.len()]);
        }
        out
    }

    /// Drains the machine of `sid`: messages to the session, then the application's answers to
    /// its events, until it is quiet.
    fn drive(&mut self, sid: &str, ctx: &mut Ctx<'_>) {
        loop {
            let entropy = self.entropy();
            let (new_sid, new_pid) = if self.recovery.is_some() {
                (self.hex_id(), self.hex_id())
            } else {
                (String::new(), String::new())
            };
            let recovery = self.recovery;
            let Some(s) = self.sockets.get_mut(sid) else {
                return;
            };
            while let Some(m) = s.poll_transmit() {
                let r = match m.as_text() {
                    Some(t) => ctx.send_text(sid, t),
                    None => ctx.send_binary(sid, m.as_binary().unwrap_or_default()),
                };
                if r.is_err() {
                    // The Engine.IO session is gone or its queue is full: end it.
                    ctx.close(sid);
                }
            }
            let Some(ev) = s.poll_event() else { return };
            let hub_session = self.hub_sessions.get(sid).copied();
            match ev {
                ServerEvent::Connect { nsp, auth } if recovery.is_some() && nsp == "/" => {
                    let (Some(h), Some(r)) = (hub_session, recovery) else {
                        continue;
                    };
                    let now = ctx.now();
                    let mut restored = None;
                    if let Some(req) = s.recovery_request(&nsp) {
                        restored = self
                            .hub
                            .recover_socket(
                                h,
                                now,
                                &nsp,
                                &req.pid,
                                req.offset.as_deref(),
                                auth.as_deref(),
                            )
                            .ok()
                            .flatten()
                            .map(|rec| (rec, req.pid));
                    }
                    let socket = match restored {
                        Some((rec, pid)) => {
                            if s.accept_recovered(&nsp, &rec.sid, &pid).is_err() {
                                continue;
                            }
                            if self.middleware && !r.skip_middlewares {
                                let _ = self.hub.set_data(
                                    rec.socket,
                                    "middlewareWasCalled",
                                    "true".to_string(),
                                );
                            }
                            rec.socket
                        }
                        None => {
                            if s.accept_with_ids(&nsp, &new_sid, Some(&new_pid)).is_err() {
                                continue;
                            }
                            let Ok(id) = self.hub.add_socket(h, &nsp, &new_sid, auth.as_deref())
                            else {
                                let _ = s.disconnect(&nsp);
                                continue;
                            };
                            let _ = self.hub.set_pid(id, &new_pid);
                            let _ = self.hub.join(id, "room1");
                            let _ = self.hub.join(id, "room2");
                            let _ = self.hub.set_data(id, "foo", "\"bar\"".to_string());
                            if self.middleware {
                                let _ = self.hub.set_data(
                                    id,
                                    "middlewareWasCalled",
                                    "true".to_string(),
                                );
                            }
                            id
                        }
                    };
                    self.rec_sockets.insert(sid.to_string(), socket);
                }
                ServerEvent::Event { packet, ack }
                    if recovery.is_some() && packet.packet().nsp() == "/" =>
                {
                    if let Some(&socket) = self.rec_sockets.get(sid) {
                        rec_event(&mut self.hub, s, socket, packet, ack);
                    }
                }
                ServerEvent::Disconnect { nsp, reason } if recovery.is_some() && nsp == "/" => {
                    if let Some(socket) = self.rec_sockets.remove(sid) {
                        let _ = self.hub.disconnect_socket(socket, ctx.now(), reason);
                    }
                }
                ServerEvent::Event { packet, ack }
                    if recovery.is_some() && packet.packet().nsp() == CONTROL =>
                {
                    control_event(&mut self.hub, &mut self.middleware, s, packet, ack);
                }
                ServerEvent::Connect { nsp, auth } if nsp == hub_ns::NSP => {
                    let Ok(hub_sid) = s.accept(&nsp, entropy).map(String::from) else {
                        continue;
                    };
                    let added = hub_session.map(|h| {
                        self.hub
                            .add_socket(h, &nsp, &hub_sid, auth.as_deref())
                            .is_ok()
                    });
                    if added != Some(true) {
                        let _ = s.disconnect(&nsp);
                    }
                }
                ServerEvent::Event { packet, ack } if packet.packet().nsp() == hub_ns::NSP => {
                    let socket = hub_session.and_then(|h| self.hub.socket_of(h, hub_ns::NSP));
                    if let Some(socket) = socket {
                        let mut hctx = host::Ctx {
                            hub: &mut self.hub,
                            machine: s,
                            socket,
                            nsp: hub_ns::NSP.to_string(),
                            now: ctx.now(),
                        };
                        hub_ns::on_event(&mut hctx, packet, ack);
                    }
                }
                ServerEvent::Disconnect { nsp, reason } if nsp == hub_ns::NSP => {
                    let socket = hub_session.and_then(|h| self.hub.socket_of(h, hub_ns::NSP));
                    if let Some(socket) = socket {
                        let mut hctx = host::Ctx {
                            hub: &mut self.hub,
                            machine: s,
                            socket,
                            nsp,
                            now: ctx.now(),
                        };
                        hub_ns::on_disconnect(&mut hctx, reason);
                        let _ = self.hub.remove_socket(socket);
                    }
                }
                ServerEvent::Connect { nsp, auth } if s.accept(&nsp, entropy).is_ok() => {
                    let auth = auth.as_deref().unwrap_or("{}");
                    let _ = s.emit(&nsp, "auth", &[Value::Json(auth)]);
                }
                ServerEvent::Event { packet, ack } => {
                    let view = packet.packet();
                    if view.nsp() == "/" {
                        let args = packet.arg_values();
                        match (view.event_name().as_deref(), ack) {
                            (Some("message"), _) => {
                                let _ = s.emit("/", "message-back", &args);
                            }
                            (Some("message-with-ack"), Some(h)) => {
                                let _ = s.ack(h, &args);
                            }
                            _ => {}
                        }
                    }
                }
                ServerEvent::Close { .. } => {
                    while let Some(m) = s.poll_transmit() {
                        let _ = match m.as_text() {
                            Some(t) => ctx.send_text(sid, t),
                            None => ctx.send_binary(sid, m.as_binary().unwrap_or_default()),
                        };
                    }
                    ctx.close(sid);
                }
                _ => {}
            }
            // The caller's own answers go out first (next round), then the hub's broadcasts.
            if let Some(s) = self.sockets.get_mut(sid) {
                while let Some(m) = s.poll_transmit() {
                    let _ = match m.as_text() {
                        Some(t) => ctx.send_text(sid, t),
                        None => ctx.send_binary(sid, m.as_binary().unwrap_or_default()),
                    };
                }
            }
            self.flush_hub(ctx);
        }
    }

    /// Writes the hub's broadcasts: every recipient reads the same encoded packet.
    fn flush_hub(&mut self, ctx: &mut Ctx<'_>) {
        while let Some(t) = self.hub.poll_transmit() {
            let Some(sid) = self.hub_sids.get(&t.session) else {
                continue;
            };
            for m in t.packet.engineio_messages() {
                let _ = match m {
                    EngineIoMessage::Text(text) => ctx.send_text(sid, &text[1..]),
                    EngineIoMessage::Binary(b) => ctx.send_binary(sid, b),
                };
            }
        }
    }
}

impl EngineHandler for SocketIo {
    fn on_open(&mut self, sid: &str, ctx: &mut Ctx<'_>) {
        let s = ServerSocket::new(self.cfg.clone(), ctx.now());
        self.sockets.insert(sid.to_string(), s);
        let info = match ctx.handshake() {
            Some(h) => h.session_info(ctx.now()),
            None => SessionInfo {
                issued: ctx.now(),
                ..SessionInfo::default()
            },
        };
        if let Ok(h) = self.hub.add_session(info) {
            self.hub_sessions.insert(sid.to_string(), h);
            self.hub_sids.insert(h, sid.to_string());
        }
    }

    fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        self.hub.set_time(now);
        let Some(s) = self.sockets.get_mut(sid) else {
            return;
        };
        // A malformed packet makes the machine report `Close`, handled in `drive`.
        let _ = match msg {
            Message::Text(t) => s.handle_text_owned(now, t),
            Message::Binary(b) => s.handle_binary_owned(now, b),
        };
        self.drive(sid, ctx);
    }

    fn on_close(&mut self, sid: &str, reason: CloseReason, ctx: &mut Ctx<'_>) {
        if let Some(s) = self.sockets.get_mut(sid) {
            s.handle_transport_close(reason.into());
            // The namespaces' disconnects (`/hub` tells the others who left).
            self.drive(sid, ctx);
        }
        self.sockets.remove(sid);
        if let Some(h) = self.hub_sessions.remove(sid) {
            self.hub_sids.remove(&h);
            let _ = self.hub.remove_session(h);
            self.flush_hub(ctx);
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
        if self.hub.poll_timeout().is_some_and(|t| t <= now) {
            self.hub.handle_timeout(now);
            self.flush_hub(ctx);
        }
        let due: Vec<String> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.poll_timeout().is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for sid in due {
            if let Some(s) = self.sockets.get_mut(&sid) {
                s.handle_timeout(now);
            }
            self.drive(&sid, ctx);
        }
    }
}

/// The recovery test namespace `/` (see the module docs).
fn rec_event(
    hub: &mut Hub,
    s: &mut ServerSocket,
    socket: SocketId,
    packet: OwnedPacket,
    ack: Option<AckHandle>,
) {
    let view = packet.packet();
    match (view.event_name().as_deref(), ack) {
        (Some("state"), Some(h)) => {
            let mut rooms: Vec<&str> = hub.rooms_of(socket).collect();
            rooms.sort_unstable();
            let rooms: Vec<Value<'_>> = rooms.into_iter().map(Value::Str).collect();
            let keys: Vec<String> = hub.data_keys(socket).map(String::from).collect();
            let data: Vec<(&str, Value<'_>)> = keys
                .iter()
                .filter_map(|k| {
                    hub.data::<String>(socket, k)
                        .map(|v| (k.as_str(), Value::Json(v)))
                })
                .collect();
            let recovered = if s.is_recovered("/") { "true" } else { "false" };
            let sid = hub.sid(socket).unwrap_or_default();
            let state = [
                ("id", Value::Str(sid)),
                ("recovered", Value::Json(recovered)),
                ("rooms", Value::Array(&rooms)),
                ("data", Value::Object(&data)),
            ];
            let _ = s.ack(h, &[Value::Object(&state)]);
        }
        (Some("message"), _) => {
            let args = packet.arg_values();
            let _ = hub.emit_to(socket, "message-back", &args);
        }
        _ => {}
    }
}

/// The `/control` namespace of the recovery mode (see the module docs).
fn control_event(
    hub: &mut Hub,
    middleware: &mut bool,
    s: &mut ServerSocket,
    packet: OwnedPacket,
    ack: Option<AckHandle>,
) {
    let view = packet.packet();
    let args = packet.arg_values();
    let answer: Option<String> = match view.event_name().as_deref() {
        Some("emit") => {
            let spec = view.args().next().map(socketio::packet::unquote);
            let event = view.args().nth(1).map(socketio::packet::unquote);
            match (spec, event) {
                (Some(spec), Some(event)) => {
                    let rest = args.get(2..).unwrap_or_default();
                    let room;
                    let target = if let Some(r) = spec
                        .strip_prefix("room:")
                        .or_else(|| spec.strip_prefix("sid:"))
                    {
                        room = [r];
                        Target::namespace("/").rooms(&room)
                    } else {
                        Target::namespace("/")
                    };
                    Some(hub.broadcast(&target, &event, rest).is_ok().to_string())
                }
                _ => Some("false".into()),
            }
        }
        Some("use-middleware") => {
            *middleware = view.args().next() != Some("false");
            Some("true".into())
        }
        Some("stats") => Some(format!(
            "{{\"recoverable\":{}}}",
            hub.recoverable_sessions()
        )),
        _ => None,
    };
    if let (Some(a), Some(h)) = (answer, ack) {
        let _ = s.ack(h, &[Value::Json(&a)]);
    }
}

fn env_flag(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn main() {
    let mut addr = String::from("127.0.0.1:3000");
    let mut opts = Options::default();
    let mut recovery = env_flag("SIO_RECOVERY").is_some_and(|v| v != "0");
    let mut duration_ms: u64 = env_flag("SIO_RECOVERY_DURATION_MS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(120_000);
    let mut skip = env_flag("SIO_RECOVERY_SKIP_MIDDLEWARES").is_none_or(|v| v != "0");
    if env_flag("SIO_PARSER").as_deref() == Some("msgpack") {
        opts.parser = Parser::Msgpack;
    }
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => match args.next() {
                Some(v) => addr = v,
                None => usage(),
            },
            "--parser" => match args.next().as_deref() {
                Some("msgpack") => opts.parser = Parser::Msgpack,
                Some("json") => opts.parser = Parser::Json,
                _ => usage(),
            },
            "--recovery" => recovery = true,
            "--no-skip-middlewares" => skip = false,
            "--recovery-duration-ms" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => duration_ms = v,
                None => usage(),
            },
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    if recovery {
        opts.recovery = Some(
            RecoveryConfig::new()
                .max_disconnection_duration(Duration::from_millis(duration_ms))
                .skip_middlewares(skip),
        );
    }
    let eio = ServerConfig::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000);
    let server = Server::new()
        .engine("/engine.io/", eio.clone(), Echo)
        .engine("/socket.io/", eio, SocketIo::new(opts));
    eprintln!("sio_server: listening on {addr} (/engine.io/, /socket.io/)");
    if let Err(e) = server.serve(&addr) {
        eprintln!("sio_server: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: sio_server [--addr HOST:PORT] [--parser json|msgpack] [--recovery] \\
         [--recovery-duration-ms MS] [--no-skip-middlewares]   (default 127.0.0.1:3000)"
    );
    std::process::exit(2);
}
