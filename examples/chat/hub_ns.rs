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
//! Binary arguments (anywhere in the tree) are forwarded as binary. Requests that are malformed
//! (a room or event name that is not a string, a reserved event name, a cap reached) are acked
//! `false` when an ack was asked and otherwise ignored.

use sockwire::hub::{SocketId, Target};
use sockwire::json;
use sockwire::socketio::{AckHandle, DisconnectReason, OwnedPacket, Value};

use super::host::Ctx;

/// The namespace name.
pub const NSP: &str = "/hub";

/// A value stored by `set`: raw JSON and, if it came in a binary packet, the attachments its
/// placeholders refer to.
struct Stored {
    json: String,
    attachments: Vec<Vec<u8>>,
    binary: bool,
}

fn string(raw: Option<&str>) -> Option<String> {
    json::unescape(raw?).ok().map(|c| c.into_owned())
}

fn reply(ctx: &mut Ctx<'_>, ack: Option<AckHandle>, ok: bool) {
    if let Some(a) = ack {
        let _ = ctx
            .machine
            .ack(a, &[Value::Json(if ok { "true" } else { "false" })]);
    }
}

/// Handles one `/hub` event.
pub fn on_event(ctx: &mut Ctx<'_>, packet: OwnedPacket, ack: Option<AckHandle>) {
    let p = packet.packet();
    let Some(name) = p.event_name() else { return };
    let raw: Vec<&str> = p.args().collect();
    let values = packet.arg_values();
    let me = ctx.socket;
    let sender = [me];
    // (rooms, except rooms, except sender, index of the event name argument)
    let plan: Option<(Vec<String>, Vec<String>, bool, usize)> = match &*name {
        "join" | "leave" => {
            let ok = match string(raw.first().copied()) {
                Some(room) if &*name == "join" => ctx.hub.join(me, &room).is_ok(),
                Some(room) => ctx.hub.leave(me, &room).is_ok(),
                None => false,
            };
            return reply(ctx, ack, ok);
        }
        "set" => {
            let ok = match (string(raw.first().copied()), raw.get(1)) {
                (Some(key), Some(v)) => {
                    let binary = p.kind().is_binary();
                    let stored = Stored {
                        json: (*v).to_string(),
                        attachments: if binary {
                            packet.attachments().to_vec()
                        } else {
                            Vec::new()
                        },
                        binary,
                    };
                    ctx.hub.set_data(me, &key, stored).is_ok()
                }
                _ => false,
            };
            return reply(ctx, ack, ok);
        }
        "get" => {
            if let Some(a) = ack {
                let key = string(raw.first().copied()).unwrap_or_default();
                let v = match ctx.hub.data::<Stored>(me, &key) {
                    Some(s) if s.binary => Value::WithAttachments(&s.json, &s.attachments),
                    Some(s) => Value::Json(&s.json),
                    None => Value::Json("null"),
                };
                // Split borrows: the stored value lives in the hub, the machine answers.
                let _ = ctx.machine.ack(a, &[v]);
            }
            return;
        }
        "others" => Some((vec![], vec![], true, 0)),
        "all" => Some((vec![], vec![], false, 0)),
        "to" => string(raw.first().copied()).map(|r| (vec![r], vec![], true, 1)),
        "to-except" => match (string(raw.first().copied()), string(raw.get(1).copied())) {
            (Some(r), Some(x)) => Some((vec![r], vec![x], false, 2)),
            _ => None,
        },
        _ => None,
    };
    let Some((rooms, except, not_sender, at)) = plan else {
        return reply(ctx, ack, false);
    };
    let Some(event) = string(raw.get(at).copied()) else {
        return reply(ctx, ack, false);
    };
    let rooms: Vec<&str> = rooms.iter().map(String::as_str).collect();
    let except: Vec<&str> = except.iter().map(String::as_str).collect();
    let mut target = Target::namespace(NSP).rooms(&rooms).except_rooms(&except);
    if not_sender {
        target = target.except_sockets(&sender);
    }
    let ok = ctx
        .hub
        .broadcast(&target, &event, &values[at + 1..])
        .is_ok();
    reply(ctx, ack, ok);
}

/// A `/hub` socket left: the others get `left` with its sid.
pub fn on_disconnect(ctx: &mut Ctx<'_>, _reason: DisconnectReason) {
    let me: SocketId = ctx.socket;
    let Some(sid) = ctx.hub.sid(me).map(String::from) else {
        return;
    };
    let _ = ctx.hub.broadcast(
        &Target::namespace(NSP).except_sockets(&[me]),
        "left",
        &[Value::Str(&sid)],
    );
}
