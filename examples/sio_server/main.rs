//! `sio_server`: the server the interop tests and the official test-suites run against, on
//! [`socketio::server::Server`](sockwire::socketio::server::Server) and the std host
//! [`sockwire_std::serve`]. Engine.IO settings as the engine.io-protocol suite expects
//! (pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1,000,000; polling, WebSocket, upgrade).
//!
//! - `/engine.io/`: plain Engine.IO; every message comes back with the same type.
//! - `/socket.io/`, as the socket.io-protocol suite expects (connectTimeout 1000 ms): on
//!   connection to `/` or `/custom`, emit `auth` with the client's auth (`{}` if none); on `/`,
//!   `message` → `message-back` with the same arguments, `message-with-ack` → ack with them;
//!   other namespaces are refused (`Invalid namespace`); malformed packets close the session.
//! - `/hub` (see `sio_server/hub_ns.rs`): the hub exposed to any standard client.
//! - `--parser msgpack`: `/socket.io/` speaks `socket.io-msgpack-parser`.
//! - `--recovery`, `--recovery-duration-ms MS` (default 120,000), `--no-skip-middlewares`:
//!   connection state recovery; `/` and `/control` become the recovery test namespaces (see
//!   `sio_server/recovery_ns.rs`).
//!
//! ```text
//! cargo run --example sio_server -- --addr 127.0.0.1:3000 [--parser msgpack] [--recovery]
//! ```

mod hub_ns;
#[cfg(test)]
mod hub_tests;
mod recovery_ns;

use std::time::Duration;

use sockwire::Error;
use sockwire::engineio::endpoint::EndpointConfig;
use sockwire::engineio::{Endpoint, Message};
use sockwire::socketio::recovery::RecoveryConfig;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire::socketio::{DisconnectReason, Parser, ServerConfig, Value};

/// The application of every namespace.
#[derive(Default)]
struct Sio {
    /// Recovery mode: `/` and `/control` are the recovery test namespaces.
    recovery: Option<recovery_ns::Recovery>,
}

impl App for Sio {
    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        let nsp = ctx.nsp().to_string();
        match (nsp.as_str(), &self.recovery) {
            (hub_ns::NSP, _) => {}
            ("/", Some(r)) => r.on_connect(ctx),
            _ => {
                let auth = ctx.auth().unwrap_or("{}").to_string();
                let _ = ctx.emit("auth", &[Value::Json(&auth)]);
            }
        }
    }

    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut event: Event<'_>) {
        let nsp = ctx.nsp().to_string();
        match (nsp.as_str(), &mut self.recovery) {
            (hub_ns::NSP, _) => hub_ns::on_event(ctx, event),
            ("/", Some(r)) => r.on_event(ctx, event),
            (recovery_ns::CONTROL, Some(r)) => r.on_control(ctx, event),
            ("/", None) => {
                let args: Vec<Value<'_>> = event.args().collect();
                let ack = event.take_ack();
                match (event.name(), ack) {
                    ("message", _) => drop(ctx.emit("message-back", &args)),
                    ("message-with-ack", Some(h)) => drop(ctx.ack(h, &args)),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, _: DisconnectReason, _: Option<&Error>) {
        if ctx.nsp() == hub_ns::NSP {
            hub_ns::on_disconnect(ctx);
        }
    }

    /// `/engine.io/`: echo.
    fn on_engine_message(&mut self, endpoint: &mut Endpoint, sid: &str, message: Message) {
        let _ = endpoint.send(sid, &message);
    }
}

/// The server `main` runs, built from the parsed options (tests build it too).
fn server(parser: Parser, recovery: Option<RecoveryConfig>) -> Server<Sio> {
    let eio = sockwire::engineio::server::ServerConfig::default()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .max_payload(1_000_000);
    let endpoint = EndpointConfig::default()
        .path("/socket.io/")
        .add_path("/engine.io/")
        .server(eio);
    let mut socket = ServerConfig::default()
        .with_connect_timeout(Duration::from_millis(1000))
        .with_namespace("/")
        .with_namespace("/custom")
        .with_namespace(hub_ns::NSP);
    if recovery.is_some() {
        socket = socket.with_namespace(recovery_ns::CONTROL);
    }
    let mut opts = ServerOptions::default()
        .endpoint(endpoint)
        .socket(socket)
        .parser(parser);
    if let Some(r) = recovery {
        opts = opts.recovery(r);
    }
    let app = Sio {
        recovery: recovery.map(recovery_ns::Recovery::new),
    };
    Server::new(app, opts, sockwire_std::entropy())
}

fn main() {
    let (mut addr, mut parser) = (String::from("127.0.0.1:3000"), Parser::Json);
    let (mut recovery, mut ms, mut skip) = (false, 120_000, true);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--addr" => addr = value(),
            "--parser" => {
                parser = match value().as_str() {
                    "msgpack" => Parser::Msgpack,
                    "json" => Parser::Json,
                    _ => usage(),
                }
            }
            "--recovery" => recovery = true,
            "--no-skip-middlewares" => skip = false,
            "--recovery-duration-ms" => ms = value().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let recovery = recovery.then(|| {
        RecoveryConfig::new()
            .max_disconnection_duration(Duration::from_millis(ms))
            .skip_middlewares(skip)
    });
    let served = std::net::TcpListener::bind(&addr).and_then(|listener| {
        eprintln!("sio_server: listening on {addr} (/engine.io/, /socket.io/)");
        sockwire_std::serve(listener, server(parser, recovery))
    });
    if let Err(e) = served {
        eprintln!("sio_server: {addr}: {e}");
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
