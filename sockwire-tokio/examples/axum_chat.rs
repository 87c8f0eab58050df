//! The rooms chat of `sio_chat`, mounted into an axum app that keeps its own routes:
//! `cargo run -p sockwire-tokio --features tower --example axum_chat -- 127.0.0.1:3000`
//!
//! `GET /` and `GET /health` are the app's; `/socket.io/` (polling, WebSocket, upgrade) is
//! sockwire's Socket.IO server, mounted with [`SocketIoLayer`]. Socket.IO events: `name` (set
//! your name), `join` (a room; acked), `say` (to your room, or everyone).
use std::hash::{BuildHasher, RandomState};

use axum::Router;
use axum::routing::get;
use sockwire::socketio::DisconnectReason;
use sockwire::socketio::packet::Value::{Object, Str};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire_tokio::tower::SocketIoLayer;

struct Chat;
fn name(ctx: &Ctx<'_>) -> String {
    ctx.get("name").cloned().unwrap_or_else(|| ctx.id().into())
}

impl App for Chat {
    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        let me = name(ctx);
        let _ = ctx.broadcast().emit("joined", &[Str(&me)]);
    }
    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
        let arg = ev.str_arg(0).unwrap_or_default().into_owned();
        match ev.name() {
            "name" => drop(ctx.set("name", arg)),
            "join" => {
                let _ = ctx.join(&arg);
                let me = name(ctx);
                let _ = ctx.to(&arg).emit("joined", &[Str(&me), Str(&arg)]);
                let _ = ctx.set("room", arg);
                if let Some(ack) = ev.take_ack() {
                    let _ = ctx.ack(ack, &[Str("ok")]);
                }
            }
            "say" => {
                let msg = [Object(&[("from", Str(&name(ctx))), ("text", Str(&arg))])];
                let _ = match ctx.get::<String>("room").cloned() {
                    Some(room) => ctx.to(&room).emit("said", &msg),
                    None => ctx.broadcast().emit("said", &msg),
                };
            }
            _ => {}
        }
    }
    fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, _: DisconnectReason) {
        let me = name(ctx);
        let _ = ctx.broadcast().emit("left", &[Str(&me)]);
    }
}

/// Ids from std's randomly keyed SipHash, a fresh key per call (use a CSPRNG in production).
fn ids() -> [u8; 15] {
    let s = RandomState::new();
    let b = (u128::from(s.hash_one(1u8)) << 64 | u128::from(s.hash_one(2u8))).to_le_bytes();
    b[..15].try_into().unwrap()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let server = Server::new(Chat, ServerOptions::default(), ids);
    let app = Router::new()
        .route(
            "/",
            get(|| async { "axum app with a Socket.IO chat at /socket.io/\n" }),
        )
        .route("/health", get(|| async { "ok\n" }))
        .layer(SocketIoLayer::new(server));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
