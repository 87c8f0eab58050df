//! The lecture's chat, on the hub: names kept as session data, posts acknowledged to the sender
//! and broadcast to everyone else, join / leave notices and a current user list.
//!
//! Events (namespace `/`):
//! * `set user` (name) → stores the name (session data `"user"`), acks `true`; the first time,
//!   everyone else gets `user connected` `{user}`, and everyone the `users` list;
//! * `get user` → acks the stored name, or `null`;
//! * `chat-post-send` `{msg}` → the sender gets `chat-post-rcd` `{status:"ok"}` (also as the ack
//!   if one was asked), everyone else `chat-post` `{user, msg}`;
//! * on disconnect of a named user: `user disconnected` `{user}` to the others, then `users`.

use sockwire::hub::{SocketId, Target};
use sockwire::json;
use sockwire::socketio::{AckHandle, DisconnectReason, OwnedPacket, Value};

use super::host::{App, Ctx};

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
    let raw = raw?;
    json::unescape(raw).ok().map(|c| c.into_owned())
}

/// `msg` of a `{msg}` object.
fn msg_arg(raw: Option<&str>) -> Option<String> {
    let members = json::object_members(raw?).ok()?;
    for m in members {
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

fn name_of(ctx: &Ctx<'_>, socket: SocketId) -> Option<String> {
    ctx.hub.data::<User>(socket, "user").map(|u| u.0.clone())
}

/// The names of the named sockets, `except` left out, sorted case-insensitively.
fn user_list(ctx: &Ctx<'_>, except: Option<SocketId>) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .hub
        .sockets(NS)
        .filter(|s| Some(*s) != except)
        .filter_map(|s| name_of(ctx, s))
        .collect();
    names.sort_by_key(|n| n.to_lowercase());
    names
}

/// Sends the user list to `target`.
fn send_users(ctx: &mut Ctx<'_>, target: &Target<'_>, except: Option<SocketId>) {
    let names = user_list(ctx, except);
    let vals: Vec<Value<'_>> = names.iter().map(|n| Value::Str(n)).collect();
    let _ = ctx.hub.broadcast(target, "users", &[Value::Array(&vals)]);
}

impl App for Chat {
    fn accept(&mut self, nsp: &str, _auth: Option<&str>) -> Result<(), String> {
        if nsp == NS {
            Ok(())
        } else {
            Err("Invalid namespace".into())
        }
    }

    fn on_connect(&mut self, ctx: &mut Ctx<'_>) {
        // The newcomer sees who is there before picking a name (its own-id room is the
        // newcomer alone).
        let sid = ctx.hub.sid(ctx.socket).unwrap_or_default().to_string();
        send_users(ctx, &Target::namespace(NS).rooms(&[&sid]), None);
    }

    fn on_event(&mut self, ctx: &mut Ctx<'_>, packet: OwnedPacket, ack: Option<AckHandle>) {
        let p = packet.packet();
        let Some(name) = p.event_name() else { return };
        let mut args = p.args();
        let first = args.next();
        let me = ctx.socket;
        match &*name {
            "set user" => {
                let Some(user) = string_arg(first).and_then(|s| clean(&s, MAX_NAME)) else {
                    if let Some(a) = ack {
                        let _ = ctx.machine.ack(a, &[Value::Json("false")]);
                    }
                    return;
                };
                let before = name_of(ctx, me);
                let _ = ctx.hub.set_data(me, "user", User(user.clone()));
                if let Some(a) = ack {
                    let _ = ctx.machine.ack(a, &[Value::Json("true")]);
                }
                if before.as_deref() != Some(&user) {
                    if before.is_none() {
                        let _ = ctx.hub.broadcast(
                            &Target::namespace(NS).except_sockets(&[me]),
                            "user connected",
                            &[Value::Object(&[("user", Value::Str(&user))])],
                        );
                    }
                    send_users(ctx, &Target::namespace(NS), None);
                }
            }
            "get user" => {
                if let Some(a) = ack {
                    let name = name_of(ctx, me);
                    let v = match &name {
                        Some(n) => Value::Str(n),
                        None => Value::Json("null"),
                    };
                    let _ = ctx.machine.ack(a, &[v]);
                }
            }
            "chat-post-send" => {
                let Some(msg) = msg_arg(first).and_then(|m| clean(&m, MAX_POST)) else {
                    return;
                };
                let user = name_of(ctx, me).unwrap_or_else(|| "anonymous".into());
                let ok = [("status", Value::Str("ok"))];
                let _ = ctx.machine.emit(NS, "chat-post-rcd", &[Value::Object(&ok)]);
                if let Some(a) = ack {
                    let _ = ctx.machine.ack(a, &[Value::Object(&ok)]);
                }
                let post = [("user", Value::Str(&user)), ("msg", Value::Str(&msg))];
                let _ = ctx.hub.broadcast(
                    &Target::namespace(NS).except_sockets(&[me]),
                    "chat-post",
                    &[Value::Object(&post)],
                );
            }
            _ => {
                if let Some(a) = ack {
                    let _ = ctx.machine.ack(a, &[Value::Json("null")]);
                }
            }
        }
    }

    fn on_disconnect(&mut self, ctx: &mut Ctx<'_>, _reason: DisconnectReason) {
        let me = ctx.socket;
        if let Some(user) = name_of(ctx, me) {
            let _ = ctx.hub.broadcast(
                &Target::namespace(NS).except_sockets(&[me]),
                "user disconnected",
                &[Value::Object(&[("user", Value::Str(&user))])],
            );
            // The list without the departing socket.
            send_users(ctx, &Target::namespace(NS).except_sockets(&[me]), Some(me));
        }
    }
}
