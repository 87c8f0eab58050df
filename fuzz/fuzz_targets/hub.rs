#![no_main]
//! The Socket.IO hub driven by arbitrary operations: sessions and sockets come and go, rooms are
//! joined and left with arbitrary names, broadcasts (with and without acks) go to arbitrary
//! targets, raw ACK texts from peers are offered to `claim_ack`, and time moves. Never panics;
//! every broadcast reaches each socket at most once, only live sockets, and only in the target
//! namespace; every broadcast with ack completes exactly once. With connection state recovery
//! on (first input byte, bit 0, with small caps), sockets get pids, disconnect for arbitrary
//! reasons and are recovered with arbitrary offsets; sessions switch to the msgpack parser.
use core::time::Duration;
use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use sockwire::hub::{Hub, HubConfig, HubEvent, SessionId, SessionInfo, SocketId, Target};
use sockwire::socketio::recovery::RecoveryConfig;
use sockwire::socketio::{DisconnectReason, Parser, Value};

const REASONS: [DisconnectReason; 4] = [
    DisconnectReason::TransportClose,
    DisconnectReason::PingTimeout,
    DisconnectReason::ClientNamespaceDisconnect,
    DisconnectReason::ServerNamespaceDisconnect,
];

const NAMESPACES: [&str; 3] = ["/", "/hub", "/x"];

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    /// A short string (length from one byte), lossily decoded.
    fn text(&mut self) -> Option<String> {
        let n = usize::from(self.byte()? % 24).min(self.0.len());
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(String::from_utf8_lossy(s).into_owned())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(mode) = input.byte() else { return };
    let mut cfg = HubConfig::default();
    if mode & 1 != 0 {
        cfg = cfg.recovery(Some(
            RecoveryConfig::new()
                .max_disconnection_duration(Duration::from_millis(200))
                .max_sessions(4)
                .max_packets(8)
                .max_bytes(512),
        ));
    }
    let mut hub = Hub::new(cfg);
    // (namespace, pid, offset the client would present)
    let mut kept: Vec<(&str, String, Option<String>)> = Vec::new();
    let mut sessions: Vec<SessionId> = Vec::new();
    let mut sockets: Vec<SocketId> = Vec::new();
    let mut acks: BTreeSet<u64> = BTreeSet::new();
    let mut now = Duration::from_secs(1);
    let mut next_sid = 0u32;
    // Stored packets are stamped with the latest time the hub was given.
    hub.set_time(now);

    while let Some(op) = input.byte() {
        let pick = |v: &[SocketId], b: u8| v.get(usize::from(b) % v.len().max(1)).copied();
        match op % 16 {
            0 => {
                if let Ok(s) = hub.add_session(SessionInfo::default()) {
                    sessions.push(s);
                }
            }
            1 => {
                let (Some(a), Some(b)) = (input.byte(), input.byte()) else {
                    break;
                };
                let Some(&session) = sessions.get(usize::from(a) % sessions.len().max(1)) else {
                    continue;
                };
                next_sid += 1;
                let ns = NAMESPACES[usize::from(b) % 3];
                if let Ok(id) = hub.add_socket(session, ns, &format!("s{next_sid}"), None) {
                    sockets.push(id);
                }
            }
            2 | 3 => {
                let Some(b) = input.byte() else { break };
                let Some(room) = input.text() else { break };
                if let Some(id) = pick(&sockets, b) {
                    let _ = if op % 16 == 2 {
                        hub.join(id, &room)
                    } else {
                        hub.leave(id, &room)
                    };
                }
            }
            4 => {
                let Some(b) = input.byte() else { break };
                if let Some(id) = pick(&sockets, b) {
                    let _ = hub.remove_socket(id);
                    sockets.retain(|s| *s != id);
                }
            }
            5 => {
                let Some(b) = input.byte() else { break };
                if let Some(&s) = sessions.get(usize::from(b) % sessions.len().max(1)) {
                    let _ = hub.remove_session(s);
                    sessions.retain(|x| *x != s);
                    sockets.retain(|id| hub.contains_socket(*id));
                }
            }
            6 | 7 => {
                let (Some(a), Some(b)) = (input.byte(), input.byte()) else {
                    break;
                };
                let Some(room) = input.text() else { break };
                let Some(except) = input.text() else { break };
                let Some(event) = input.text() else { break };
                let ns = NAMESPACES[usize::from(a) % 3];
                let rooms = [room.as_str()];
                let except_rooms = [except.as_str()];
                let sender: Vec<SocketId> = pick(&sockets, b).into_iter().collect();
                let mut target = Target::namespace(ns);
                if a & 4 != 0 {
                    target = target.rooms(&rooms);
                }
                if a & 8 != 0 {
                    target = target.except_rooms(&except_rooms);
                }
                if a & 16 != 0 {
                    target = target.except_sockets(&sender);
                }
                let bin = [b; 3];
                let args = [Value::Str(&room), Value::Binary(&bin)];
                let args = &args[..usize::from(a >> 5) % 3];
                if op % 16 == 6 {
                    let _ = hub.broadcast(&target, &event, args);
                } else if let Ok(id) =
                    hub.broadcast_with_ack(&target, &event, args, now, Duration::from_millis(50))
                {
                    assert!(acks.insert(id), "ack id reused while pending");
                }
                // Drain: each live socket of the namespace at most once.
                let mut got = Vec::new();
                while let Some(t) = hub.poll_transmit() {
                    got.push((t.socket, t.session));
                }
                let mut seen = BTreeSet::new();
                for (socket, session) in got {
                    assert!(seen.insert(socket), "socket got one broadcast twice");
                    assert!(hub.contains_socket(socket));
                    assert_eq!(hub.namespace_of(socket), Some(ns));
                    assert_eq!(hub.session_of(socket), Some(session));
                }
            }
            8 => {
                // A raw ACK text from a peer, possibly answering a pending broadcast.
                let Some(b) = input.byte() else { break };
                let Some(tail) = input.text() else { break };
                let Some(&s) = sessions.get(usize::from(b) % sessions.len().max(1)) else {
                    continue;
                };
                let text = match acks.iter().nth(usize::from(b) % acks.len().max(1)) {
                    Some(id) if b & 1 == 0 => format!("3{id}{tail}"),
                    _ => tail,
                };
                let _ = hub.claim_ack(now, s, &text);
            }
            9 => {
                let Some(b) = input.byte() else { break };
                now += Duration::from_millis(u64::from(b));
                hub.handle_timeout(now);
            }
            10 => {
                let (Some(b), Some(key)) = (input.byte(), input.text()) else {
                    break;
                };
                if let Some(id) = pick(&sockets, b) {
                    let _ = hub.set_data(id, &key, u32::from(b));
                    if let Some(v) = hub.data::<u32>(id, &key) {
                        assert_eq!(*v, u32::from(b));
                    }
                }
            }
            12 => {
                // A socket gets a pid, or ends for some reason (kept if recoverable).
                let Some(b) = input.byte() else { break };
                if let Some(id) = pick(&sockets, b) {
                    if b & 1 == 0 {
                        let _ = hub.set_pid(id, &format!("p{b}"));
                    } else {
                        let ns = NAMESPACES
                            .iter()
                            .find(|n| hub.namespace_of(id) == Some(**n))
                            .copied()
                            .unwrap_or("/");
                        let pid = hub.pid(id).map(String::from);
                        let reason = REASONS[usize::from(b >> 1) % REASONS.len()];
                        let was_kept = hub.disconnect_socket(id, now, reason).unwrap_or(false);
                        assert!(!was_kept || (pid.is_some() && reason.is_recoverable()));
                        if let (true, Some(pid)) = (was_kept, pid) {
                            kept.push((ns, pid, None));
                        }
                        sockets.retain(|s| *s != id);
                    }
                }
            }
            13 => {
                // A reconnection presenting a kept (or made-up) pid and an offset.
                let (Some(a), Some(b)) = (input.byte(), input.byte()) else {
                    break;
                };
                let Some(off) = input.text() else { break };
                let Some(&session) = sessions.get(usize::from(a) % sessions.len().max(1)) else {
                    continue;
                };
                let (ns, pid) = match kept.get(usize::from(b) % kept.len().max(1)) {
                    Some((ns, pid, _)) if b & 1 == 0 => (*ns, pid.clone()),
                    _ => (NAMESPACES[usize::from(b) % 3], format!("p{b}")),
                };
                let offset = (a & 1 == 0).then_some(off.as_str());
                if let Ok(Some(r)) = hub.recover_socket(session, now, ns, &pid, offset, None) {
                    assert_eq!(hub.sid(r.socket).map(String::from), Some(r.sid.clone()));
                    assert_eq!(hub.pid(r.socket), Some(pid.as_str()));
                    let mut n = 0;
                    while let Some(t) = hub.poll_transmit() {
                        assert_eq!(t.socket, r.socket, "a replay reached another socket");
                        n += 1;
                    }
                    assert_eq!(n, r.missed);
                    sockets.push(r.socket);
                    kept.retain(|k| k.1 != pid);
                }
            }
            14 => {
                // A direct emit, or a session switching parser.
                let Some(b) = input.byte() else { break };
                if b & 1 == 0 {
                    if let Some(id) = pick(&sockets, b) {
                        // (Other sockets may have joined a room named like its sid: they get it too.)
                        let _ = hub.emit_to(id, "direct", &[Value::Binary(&[b])]);
                    }
                } else if let Some(&s) = sessions.get(usize::from(b) % sessions.len().max(1)) {
                    let p = if b & 2 != 0 {
                        Parser::Msgpack
                    } else {
                        Parser::Json
                    };
                    let _ = hub.set_session_parser(s, p);
                }
            }
            _ => {
                let Some(b) = input.byte() else { break };
                if let Some(id) = pick(&sockets, b) {
                    let _ = hub.rooms_of(id).count();
                }
            }
        }
        while hub.poll_transmit().is_some() {}
        while let Some(ev) = hub.poll_event() {
            if let HubEvent::AckComplete { id, .. } = ev {
                assert!(
                    acks.remove(&id),
                    "ack {id} completed twice or never started"
                );
            }
        }
        if let Some(t) = hub.poll_timeout() {
            assert!(t >= now || !acks.is_empty());
        }
    }
    // Everything still pending completes once its deadline passes.
    hub.handle_timeout(now + Duration::from_secs(3600));
    while hub.poll_transmit().is_some() {}
    while let Some(ev) = hub.poll_event() {
        if let HubEvent::AckComplete { id, .. } = ev {
            assert!(acks.remove(&id));
        }
    }
    assert!(acks.is_empty(), "acks never completed: {acks:?}");
});
