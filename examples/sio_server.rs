//! `sio_server`: an Engine.IO echo server on `/engine.io/` (every message is sent back with the
//! same type), configured as the official engine.io-protocol test-suite expects: pingInterval
//! 300 ms, pingTimeout 200 ms, maxPayload 1 000 000; long-polling and WebSocket, with upgrade.
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

use eio_server::{Ctx, EngineHandler, Server};
use sockwire::engineio::Message;
use sockwire::engineio::server::ServerConfig;

/// Echoes every message back on its session.
struct Echo;

impl EngineHandler for Echo {
    fn on_message(&mut self, sid: &str, msg: Message, ctx: &mut Ctx<'_>) {
        let _ = ctx.send(sid, &msg);
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
    let server = Server::new().engine("/engine.io/", eio, Echo);
    eprintln!("sio_server: listening on {addr} (/engine.io/)");
    if let Err(e) = server.serve(&addr) {
        eprintln!("sio_server: {e}");
        std::process::exit(1);
    }
}

fn usage() -> ! {
    eprintln!("usage: sio_server [--addr HOST:PORT]   (default 127.0.0.1:3000)");
    std::process::exit(2);
}
