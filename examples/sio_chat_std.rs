//! Socket.IO rooms chat on the std host: `cargo run --example sio_chat_std -- 127.0.0.1:3000`
//! Events: `name` (set your name), `join` (a room; acked), `say` (to your room, or everyone).
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

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let io = Server::new(Chat, ServerOptions::default(), sockwire_std::entropy());
    sockwire_std::serve(std::net::TcpListener::bind(addr)?, io)
}
