//! Socket.IO rooms chat on tokio: `cargo run -p sockwire-tokio --example sio_chat -- 127.0.0.1:3000`
//! Events: `name` (set your name), `join` (a room; acked), `say` (to your room, or everyone).
use std::hash::{BuildHasher, RandomState};

use sockwire::socketio::DisconnectReason;
use sockwire::socketio::packet::Value::{Object, Str};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};

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
    let listener = tokio::net::TcpListener::bind(addr).await?;
    sockwire_tokio::serve(listener, Server::new(Chat, ServerOptions::default(), ids)).await
}
