//! A CONNECT to a namespace: the application's middleware ([`App::accept`]), connection state
//! recovery (the hub restores the socket, the machine answers with the old ids), or a new socket.

use core::time::Duration;

use crate::hub::{Hub, SocketId};

use super::{App, Session};

/// Answers the pending CONNECT of `nsp` on session `s`; returns the socket it registered in
/// the hub (then [`App::on_connect`] follows), or `None` when refused or failed (the machine
/// has answered the client).
pub(super) fn connect<A: App>(
    app: &mut A,
    hub: &mut Hub,
    s: &mut Session,
    entropy: &mut (dyn FnMut() -> [u8; 15] + Send),
    now: Duration,
    nsp: &str,
    auth: Option<&str>,
) -> Option<SocketId> {
    let recovery = s.machine.config().recovery;
    let request = recovery.and(s.machine.recovery_request(nsp));
    let skip = recovery.is_some_and(|r| r.skip_middlewares);
    let mut asked = false;
    let middleware = |app: &mut A, s: &mut Session| match app.accept(nsp, auth, &s.info) {
        Ok(()) => true,
        Err(msg) => {
            let _ = s.machine.refuse(nsp, &msg, None);
            false
        }
    };
    if request.is_none() || !skip {
        asked = true;
        if !middleware(app, s) {
            return None;
        }
    }
    if let Some(req) = &request {
        let restored =
            hub.recover_socket(s.hub_id, now, nsp, &req.pid, req.offset.as_deref(), auth);
        if let Ok(Some(rec)) = restored {
            if s.machine.accept_recovered(nsp, &rec.sid, &req.pid).is_ok() {
                return Some(rec.socket);
            }
            let _ = hub.remove_socket(rec.socket);
            return None;
        }
        // Not restorable (unknown, expired, offset evicted): a new socket, which the
        // middleware must see even when recovered ones skip it.
        if !asked && !middleware(app, s) {
            return None;
        }
    }
    let sid = crate::b64::url_safe_id(&entropy());
    let sid = core::str::from_utf8(&sid).unwrap_or("");
    let pid = recovery.map(|_| crate::b64::url_safe_id(&entropy()));
    let pid = pid.as_ref().map(|p| core::str::from_utf8(p).unwrap_or(""));
    s.machine.accept_with_ids(nsp, sid, pid).ok()?;
    match hub.add_socket(s.hub_id, nsp, sid, auth) {
        Ok(socket) => {
            if let Some(pid) = pid {
                let _ = hub.set_pid(socket, pid);
            }
            Some(socket)
        }
        Err(_) => {
            let _ = s.machine.disconnect(nsp);
            None
        }
    }
}
