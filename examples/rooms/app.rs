//! The rooms chat application shared by the chat examples of every host (`sio_chat_std` on
//! `sockwire-std`, `sio_chat` on tokio, `axum_chat` mounted in axum, `sio_bench`): the same
//! `App`, whatever moves the bytes. Events: `name` (set your name), `join` (a room; acked),
//! `say` (to your room, or everyone).
#![allow(dead_code)] // each example uses what it needs

use std::hash::{BuildHasher, RandomState};

use sockwire::Error;
use sockwire::socketio::DisconnectReason;
use sockwire::socketio::packet::Value::{Object, Str};
use sockwire::socketio::server::{App, Ctx, Event};

pub struct Chat;
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
    fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, _: DisconnectReason, _: Option<&Error>) {
        let me = name(ctx);
        let _ = ctx.broadcast().emit("left", &[Str(&me)]);
    }
}

/// Ids from std's randomly keyed SipHash, a fresh key per call (use a CSPRNG in production).
pub fn ids() -> [u8; 15] {
    let s = RandomState::new();
    let b = (u128::from(s.hash_one(1u8)) << 64 | u128::from(s.hash_one(2u8))).to_le_bytes();
    b[..15].try_into().unwrap()
}
