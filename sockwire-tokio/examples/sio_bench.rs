//! The Socket.IO server of `benches/load/sio.sh` (broadcast to a room, idle sessions):
//! `cargo run --release -p sockwire-tokio --example sio_bench -- 127.0.0.1:3000`
//! Events: `join` (a room; acked with "ok"), `go` (room, payload: emits `msg` with the payload
//! to everyone in the room). Heartbeat: the default (ping every 25 s).
#[path = "../../examples/rooms/app.rs"]
mod rooms;

use sockwire::engineio::endpoint::EndpointConfig;
use sockwire::socketio::packet::Value::{Json, JsonUnchecked};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};

struct Bench;

impl App for Bench {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
        let room = ev.str_arg(0).unwrap_or_default().into_owned();
        match ev.name() {
            "join" => {
                let _ = ctx.join(&room);
                if let Some(ack) = ev.take_ack() {
                    let _ = ctx.ack(ack, &[JsonUnchecked("\"ok\"")]);
                }
            }
            "go" => {
                // The payload as received (raw JSON, checked once): encoded once for the whole room.
                let payload = ev.arg(1).unwrap_or("null");
                let _ = ctx.to(&room).emit("msg", &[Json(payload)]);
            }
            _ => {}
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // Room for the benchmark's 10,000 clients (the defaults cap connections at 1,024).
    let endpoint = EndpointConfig::default()
        .path("/socket.io/")
        .max_connections(60_000)
        .max_sessions(60_000);
    let opts = ServerOptions::default().endpoint(endpoint);
    sockwire_tokio::serve(listener, Server::new(Bench, opts, rooms::ids)).await
}
