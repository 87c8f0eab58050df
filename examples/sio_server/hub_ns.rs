//! The `/hub` namespace of `sio_server`: the hub exposed to any standard Socket.IO client.
//!
//! Each event's last argument may be an ack callback (an ack id on the wire):
//! * `join` (room), `leave` (room) → ack `true`;
//! * `others` (event, ...args) → `event` with args to every `/hub` socket but the sender;
//! * `all` (event, ...args) → to every `/hub` socket, sender included;
//! * `to` (room, event, ...args) → to the room's members except the sender;
//! * `to-except` (room, exceptRoom, event, ...args) → to the room's members not in exceptRoom;
//! * `set` (key, value) → ack `true`; `get` (key) → ack the stored value or `null`;
//! * when a `/hub` socket disconnects, every remaining `/hub` socket gets `left` with its sid.
//!
//! Binary arguments (anywhere in the tree) are forwarded as binary, each broadcast encoded
//! once. Malformed requests (a room or event name that is not a string, a reserved event name,
//! a cap reached) are acked `false` when an ack was asked and otherwise ignored.

use sockwire::socketio::Value;
use sockwire::socketio::server::{Ctx, Event};

/// The namespace name.
pub const NSP: &str = "/hub";

/// A value stored by `set`: raw JSON and the attachments its placeholders refer to.
#[derive(Clone)]
struct Stored {
    json: String,
    attachments: Option<Vec<Vec<u8>>>,
}

/// Handles one `/hub` event.
pub fn on_event(ctx: &mut Ctx<'_>, mut event: Event<'_>) {
    let ack = event.take_ack();
    let s = |i: usize| event.str_arg(i).map(|c| c.into_owned());
    let values: Vec<Value<'_>> = event.args().collect();
    let ok = match event.name() {
        "join" => s(0).is_some_and(|r| ctx.join(&r).is_ok()),
        "leave" => s(0).is_some_and(|r| ctx.leave(&r).is_ok()),
        "set" => match (s(0), event.arg(1)) {
            (Some(key), Some(v)) => {
                let p = event.packet();
                let binary = p.packet().kind().is_binary();
                let attachments = binary.then(|| p.attachments().to_vec());
                let stored = Stored {
                    json: v.to_string(),
                    attachments,
                };
                ctx.set(&key, stored).is_ok()
            }
            _ => false,
        },
        "get" => {
            let stored = ctx.get::<Stored>(&s(0).unwrap_or_default()).cloned();
            let v = match &stored {
                Some(Stored {
                    json,
                    attachments: Some(a),
                }) => Value::WithAttachments(json, a),
                Some(Stored { json, .. }) => Value::Json(json),
                None => Value::Json("null"),
            };
            if let Some(h) = ack {
                let _ = ctx.ack(h, &[v]);
            }
            return;
        }
        "others" => s(0).is_some_and(|e| ctx.broadcast().emit(&e, &values[1..]).is_ok()),
        "all" => s(0).is_some_and(|e| ctx.everyone().emit(&e, &values[1..]).is_ok()),
        "to" => match (s(0), s(1)) {
            (Some(r), Some(e)) => ctx.to(&r).emit(&e, &values[2..]).is_ok(),
            _ => false,
        },
        "to-except" => match (s(0), s(1), s(2)) {
            (Some(r), Some(x), Some(e)) => ctx
                .everyone()
                .to(&r)
                .except(&x)
                .emit(&e, &values[3..])
                .is_ok(),
            _ => false,
        },
        _ => false,
    };
    if let Some(h) = ack {
        let _ = ctx.ack(h, &[Value::Json(if ok { "true" } else { "false" })]);
    }
}

/// A `/hub` socket left: the others get `left` with its sid.
pub fn on_disconnect(ctx: &mut Ctx<'_>) {
    let sid = ctx.id().to_string();
    let _ = ctx.broadcast().emit("left", &[Value::Str(&sid)]);
}
