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
//! ```text
//! cargo run --example sio_server -- --addr 127.0.0.1:3000
//! ```
//!
//! The std plumbing lives in `examples/support/eio_server.rs` (documented there) so that other
//! endpoints (`/socket.io/`, the chat hub) can be added next to this one.

#[path = "support/eio_server.rs"]
mod eio_server;

use std::time::Duration;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use eio_server::{Ctx, EngineHandler, Server};
use sockwire::engineio::Message;
use sockwire::engineio::server::{CloseReason, ServerConfig};
use sockwire::socketio::{self, DisconnectReason, ServerEvent, ServerSocket, Value};

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
    /// xorshift state for sids (seeded by std's `RandomState`; use a CSPRNG in production).
    rng: u64,
}

impl SocketIo {
    fn new() -> Self {
        SocketIo {
            cfg: socketio::ServerConfig::default()
                .with_namespace("/")
                .with_namespace("/custom")
                .with_connect_timeout(Duration::from_millis(1000)),
            sockets: HashMap::new(),
            rng: RandomState::new().hash_one(0x5eed_u64) | 1,
        }
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
            match ev {
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
        }
    }
}

impl EngineHandler for SocketIo {
    fn on_open(&mut self, sid: &str, ctx: &mut Ctx<'_>) {
        let s = ServerSocket::new(self.cfg.clone(), ctx.now());
        self.sockets.insert(sid.to_string(), s);
    }

    fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
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

    fn on_close(&mut self, sid: &str, reason: CloseReason, _ctx: &mut Ctx<'_>) {
        if let Some(mut s) = self.sockets.remove(sid) {
            s.handle_transport_close(match reason {
                CloseReason::PingTimeout => DisconnectReason::PingTimeout,
                CloseReason::TransportError(_) | CloseReason::ParseError => {
                    DisconnectReason::TransportError
                }
                _ => DisconnectReason::TransportClose,
            });
        }
    }

    fn on_tick(&mut self, ctx: &mut Ctx<'_>) {
        let now = ctx.now();
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

fn main() {
    let mut addr = String::from("127.0.0.1:3000");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--addr" => match args.next() {
                Some(v) => addr = v,
                None => usage(),
            },
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let eio = ServerConfig::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000);
    let server = Server::new()
        .engine("/engine.io/", eio.clone(), Echo)
        .engine("/socket.io/", eio, SocketIo::new());
    eprintln!("sio_server: listening on {addr} (/engine.io/, /socket.io/)");
    if let Err(e) = server.serve(&addr) {
        eprintln!("sio_server: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: sio_server [--addr HOST:PORT]   (default 127.0.0.1:3000)");
    std::process::exit(2);
}
