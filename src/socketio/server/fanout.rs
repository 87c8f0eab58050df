//! The broadcast fan-out between the hub and the endpoint.
//!
//! A broadcast leaves its recipients queued in the hub ([`Hub::poll_transmit`]). They are
//! handed to the endpoint lazily, one per [`Server::poll_transmit`](super::Server::poll_transmit)
//! call that finds the endpoint's own queue empty: a host that writes each transmit as it gets
//! it puts the first recipient's bytes on the wire at once, where an eager hand-over made every
//! recipient's bytes before the first was written (92 ms for 50,000 recipients in the cluster
//! benchmark), and only one recipient's copy exists at a time.
//!
//! Order within a session is kept by one rule: before anything else is queued or written for
//! any session (a socket's own answer, a close, an input that may make the endpoint write),
//! the server [`settle`]s, handing every queued recipient over first. So a session receives its
//! packets in the order they were made, exactly as with an eager hand-over.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;

use crate::engineio::MessageRef;
use crate::engineio::endpoint::Endpoint;
use crate::hub::Hub;

use super::Output;
use super::by_hub::BySession;

/// Hands every broadcast transmit queued in the hub over (to the endpoint, or behind what the
/// output queue holds).
pub(super) fn settle(
    hub: &mut Hub,
    by: &BySession,
    out: &mut VecDeque<(String, Output)>,
    endpoint: &mut Endpoint,
) {
    while deliver_one(hub, by, out, endpoint) {}
}

/// Hands the hub's next broadcast transmit over; `false` when there is none.
pub(super) fn deliver_one(
    hub: &mut Hub,
    by: &BySession,
    out: &mut VecDeque<(String, Output)>,
    endpoint: &mut Endpoint,
) -> bool {
    let Some(t) = hub.poll_transmit() else {
        return false;
    };
    let Some(sid) = by.get(&t.session) else {
        return true; // its session is gone
    };
    if !out.is_empty() {
        out.push_back((sid.clone(), Output::Shared(Arc::clone(t.packet))));
        return true;
    }
    // Nothing queued in front of it: the frames encoded once go straight to a plain WebSocket
    // recipient (no copy of its sid, no trip through the queue).
    if endpoint.send_ws_uncompressed(sid, t.packet.ws_frames()) {
        return true;
    }
    // Long-polling, compressing, or upgrading: the Engine.IO messages (text then attachments,
    // or the one binary message of a msgpack packet). Queuing a message raises no endpoint
    // event, so this is safe inside `poll_transmit`.
    for m in t.packet.engineio_messages() {
        let _ = match m {
            MessageRef::Text(x) => endpoint.send_text(sid, x),
            MessageRef::Binary(b) => endpoint.send_binary(sid, b),
        };
    }
    true
}
