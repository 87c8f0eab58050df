//! The lecture's chat on [`socketio::server`](sockwire::socketio::server): names kept as
//! per-socket data, posts acknowledged to the sender and broadcast to everyone else, join /
//! leave notices and a current user list.
//!
//! Events (namespace `/`):
//! * `set user` (name) → stores the name (socket data `"user"`), acks `true`; the first time,
//!   everyone else gets `user connected` `{user}`, and everyone the `users` list;
//! * `get user` → acks the stored name, or `null`;
//! * `chat-post-send` `{msg}` → the sender gets `chat-post-rcd` `{status:"ok"}` (also as the ack
//!   if one was asked), everyone else `chat-post` `{user, msg}`;
//! * on disconnect of a named user: `user disconnected` `{user}` to the others, then `users`.

use sockwire::hub::{SessionInfo, SocketId};
use sockwire::socketio::server::{App, Ctx, Emitter, Event};
use sockwire::socketio::{DisconnectReason, Value};
use sockwire::{Error, json};

/// Longest accepted name, in characters.
pub const MAX_NAME: usize = 32;
/// Longest accepted post, in characters.
pub const MAX_POST: usize = 2000;
const NS: &str = "/";

/// The name stored for a socket.
struct User(String);

/// The chat application.
#[derive(Default)]
pub struct Chat;

fn string_arg(raw: Option<&str>) -> Option<String> {
    json::unescape(raw?).ok().map(|c| c.into_owned())
}

/// `msg` of a `{msg}` object.
fn msg_arg(raw: Option<&str>) -> Option<String> {
    for m in json::object_members(raw?).ok()? {
        let (k, v) = m.ok()?;
        if json::string_eq(k, "msg") {
            return string_arg(Some(v));
        }
    }
    None
}

fn clean(s: &str, max: usize) -> Option<String> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    (!t.is_empty()).then_some(t)
}

fn name_of(ctx: &mut Ctx<'_>, socket: SocketId) -> Option<String> {
    ctx.hub().data::<User>(socket, "user").map(|u| u.0.clone())
}

/// The names of the named sockets, `except` left out, sorted case-insensitively.
fn user_list(ctx: &mut Ctx<'_>, except: Option<SocketId>) -> Vec<String> {
    let sockets: Vec<SocketId> = ctx
        .hub()
        .sockets(NS)
        .filter(|s| Some(*s) != except)
        .collect();
    let mut names: Vec<String> = sockets
        .into_iter()
        .filter_map(|s| name_of(ctx, s))
        .collect();
    names.sort_by_key(|n| n.to_lowercase());
    names
}

/// Sends the user list through `to`.
fn send_users(to: Emitter<'_>, names: &[String]) {
    let vals: Vec<Value<'_>> = names.iter().map(|n| Value::Str(n)).collect();
    let _ = to.emit("users", &[Value::Array(&vals)]);
}

impl App for Chat {
    fn accept(&mut self, nsp: &str, _auth: Option<&str>, _: &SessionInfo) -> Result<(), String> {
        if nsp == NS {
            Ok(())
        } else {
            Err("Invalid namespace".into())
        }
    }

    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        // The newcomer sees who is there before picking a name.
        let names = user_list(ctx, None);
        let vals: Vec<Value<'_>> = names.iter().map(|n| Value::Str(n)).collect();
        let _ = ctx.emit("users", &[Value::Array(&vals)]);
    }

    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
        let first = ev.arg(0);
        let ack = ev.take_ack();
        let me = ctx.socket();
        match ev.name() {
            "set user" => {
                let Some(user) = string_arg(first).and_then(|s| clean(&s, MAX_NAME)) else {
                    if let Some(a) = ack {
                        let _ = ctx.ack(a, &[Value::Json("false")]);
                    }
                    return;
                };
                let before = name_of(ctx, me);
                let _ = ctx.set("user", User(user.clone()));
                if let Some(a) = ack {
                    let _ = ctx.ack(a, &[Value::Json("true")]);
                }
                if before.as_deref() != Some(&user) {
                    if before.is_none() {
                        let u = [("user", Value::Str(&user))];
                        let _ = ctx.broadcast().emit("user connected", &[Value::Object(&u)]);
                    }
                    let names = user_list(ctx, None);
                    send_users(ctx.everyone(), &names);
                }
            }
            "get user" => {
                if let Some(a) = ack {
                    let name = name_of(ctx, me);
                    let v = name.as_deref().map_or(Value::Json("null"), Value::Str);
                    let _ = ctx.ack(a, &[v]);
                }
            }
            "chat-post-send" => {
                let Some(msg) = msg_arg(first).and_then(|m| clean(&m, MAX_POST)) else {
                    return;
                };
                let user = name_of(ctx, me).unwrap_or_else(|| "anonymous".into());
                let ok = [("status", Value::Str("ok"))];
                let _ = ctx.emit("chat-post-rcd", &[Value::Object(&ok)]);
                if let Some(a) = ack {
                    let _ = ctx.ack(a, &[Value::Object(&ok)]);
                }
                let post = [("user", Value::Str(&user)), ("msg", Value::Str(&msg))];
                let _ = ctx.broadcast().emit("chat-post", &[Value::Object(&post)]);
            }
            _ => {
                if let Some(a) = ack {
                    let _ = ctx.ack(a, &[Value::Json("null")]);
                }
            }
        }
    }

    fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, _: DisconnectReason, _: Option<&Error>) {
        let me = ctx.socket();
        if let Some(user) = name_of(ctx, me) {
            let u = [("user", Value::Str(&user))];
            let _ = ctx
                .broadcast()
                .emit("user disconnected", &[Value::Object(&u)]);
            // The list without the departing socket.
            let names = user_list(ctx, Some(me));
            send_users(ctx.broadcast(), &names);
        }
    }
}
