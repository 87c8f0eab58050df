//! Connection state recovery wired into the server machine, the hub and the client machine, on
//! a fake clock: the cases of the reference's `connection-state-recovery` test file, the
//! reasons that keep a session, and the two reference bugs fixed (recovery before any event
//! was received; a second restore from the same disconnection).
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::MessageRef;
use sockwire::hub::{Hub, HubConfig, SessionId, SessionInfo, SocketId, Target};
use sockwire::socketio::recovery::RecoveryConfig;
use sockwire::socketio::{
    ClientConfig, ClientEvent, ClientSocket, DisconnectReason, Message, Parser, RecoveryRequest,
    ServerConfig, ServerEvent, ServerSocket, Value,
};

const NSP: &str = "/";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// One server (hub + one machine per Engine.IO session) and one client machine.
struct World {
    hub: Hub,
    cfg: ServerConfig,
    server: ServerSocket,
    session: SessionId,
    socket: Option<SocketId>,
    client: ClientSocket,
    now: Duration,
    ids: u32,
    /// Text/binary messages the client received, as text (binary shown as `<bin n>`).
    wire: Vec<String>,
}

impl World {
    fn new(recovery: bool, parser: Parser) -> Self {
        let mut hub_cfg = HubConfig::default();
        let mut cfg = ServerConfig::default().with_parser(parser);
        if recovery {
            let r = RecoveryConfig::new().max_disconnection_duration(secs(120));
            hub_cfg = hub_cfg.recovery(Some(r));
            cfg = cfg.with_recovery(r);
        }
        let mut hub = Hub::new(hub_cfg);
        let session = hub.add_session(SessionInfo::default()).unwrap();
        hub.set_session_parser(session, parser).unwrap();
        World {
            hub,
            server: ServerSocket::new(cfg.clone(), Duration::ZERO),
            cfg,
            session,
            socket: None,
            client: ClientSocket::new(ClientConfig::default().with_parser(parser)),
            now: Duration::ZERO,
            ids: 0,
            wire: Vec::new(),
        }
    }

    fn id(&mut self, p: &str) -> String {
        self.ids += 1;
        format!("{p}{}", self.ids)
    }

    /// Moves bytes both ways and runs the server application until quiet.
    fn pump(&mut self) {
        for _ in 0..16 {
            let mut busy = false;
            while let Some(m) = self.client.poll_transmit() {
                busy = true;
                let _ = match &m {
                    Message::Text(t) => self.server.handle_text(self.now, t),
                    _ => self.server.handle_binary(self.now, m.as_binary().unwrap()),
                };
            }
            while let Some(ev) = self.server.poll_event() {
                busy = true;
                self.server_app(ev);
            }
            while let Some(m) = self.server.poll_transmit() {
                busy = true;
                self.deliver_text_or_bin(m.as_text(), m.as_binary());
            }
            let mut out = Vec::new();
            while let Some(t) = self.hub.poll_transmit() {
                for m in t.packet.engineio_messages() {
                    out.push(match m {
                        MessageRef::Text(t) => (Some(t.to_string()), None),
                        MessageRef::Binary(b) => (None, Some(b.to_vec())),
                    });
                }
            }
            for (t, b) in out {
                busy = true;
                self.deliver_text_or_bin(t.as_deref(), b.as_deref());
            }
            if !busy {
                return;
            }
        }
    }

    fn deliver_text_or_bin(&mut self, t: Option<&str>, b: Option<&[u8]>) {
        match (t, b) {
            (Some(t), _) => {
                self.wire.push(t.to_string());
                self.client.handle_text(self.now, t).unwrap();
            }
            (_, Some(b)) => {
                self.wire.push(format!("<bin {}>", b.len()));
                self.client.handle_binary(self.now, b).unwrap();
            }
            _ => {}
        }
    }

    /// The server application: recover when asked and possible, else a new socket (which
    /// joins `room1` and `room2` and stores `foo`, as in the reference test).
    fn server_app(&mut self, ev: ServerEvent) {
        match ev {
            ServerEvent::Connect { nsp, auth } => {
                if let Some(RecoveryRequest { pid, offset }) = self.server.recovery_request(&nsp) {
                    let r = self
                        .hub
                        .recover_socket(
                            self.session,
                            self.now,
                            &nsp,
                            &pid,
                            offset.as_deref(),
                            auth.as_deref(),
                        )
                        .unwrap();
                    if let Some(r) = r {
                        self.server.accept_recovered(&nsp, &r.sid, &pid).unwrap();
                        self.socket = Some(r.socket);
                        return;
                    }
                }
                let sid = self.id("s");
                let pid = self.id("p");
                let pid = self.cfg.recovery.map(|_| pid);
                self.server
                    .accept_with_ids(&nsp, &sid, pid.as_deref())
                    .unwrap();
                let id = self
                    .hub
                    .add_socket(self.session, &nsp, &sid, auth.as_deref())
                    .unwrap();
                if let Some(pid) = &pid {
                    self.hub.set_pid(id, pid).unwrap();
                }
                self.hub.join(id, "room1").unwrap();
                self.hub.join(id, "room2").unwrap();
                self.hub.set_data(id, "foo", "bar").unwrap();
                self.socket = Some(id);
            }
            ServerEvent::Disconnect { reason, .. } => {
                if let Some(id) = self.socket.take() {
                    self.hub.disconnect_socket(id, self.now, reason).unwrap();
                }
            }
            _ => {}
        }
    }

    /// The Engine.IO session ends with `reason` and a new one opens `after` later.
    fn reconnect(&mut self, reason: DisconnectReason, after: Duration) {
        self.server.handle_transport_close(self.now, reason, None);
        while let Some(ev) = self.server.poll_event() {
            self.server_app(ev);
        }
        let _ = self.hub.remove_session(self.session);
        self.client.handle_transport_close(self.now, reason, None);
        while self.client.poll_event().is_some() {}
        self.now += after;
        self.session = self.hub.add_session(SessionInfo::default()).unwrap();
        let parser = self.cfg.parser;
        self.hub.set_session_parser(self.session, parser).unwrap();
        self.server = ServerSocket::new(self.cfg.clone(), self.now);
        self.wire.clear();
        self.client.handle_transport_open(Duration::ZERO);
        self.pump();
    }

    fn connect(&mut self) {
        self.client.connect(NSP, Some("{\"token\":1}")).unwrap();
        self.pump();
        assert!(self.client.is_connected(NSP));
        self.wire.clear();
    }

    fn emit_all(&mut self, event: &str) {
        self.hub
            .broadcast(&Target::namespace(NSP), event, &[])
            .unwrap();
    }
}

#[test]
fn restores_session_and_missed_packets() {
    let mut w = World::new(true, Parser::Json);
    w.connect();
    assert_eq!(w.client.sid(NSP), Some("s1"));
    assert_eq!(w.client.pid(NSP), Some("p2"));
    w.emit_all("hello");
    w.pump();
    assert_eq!(w.wire, ["2[\"hello\",\"1\"]"]);
    assert_eq!(w.client.last_offset(NSP), Some("1"));
    assert!(!w.server.is_recovered(NSP));
    // The transport drops; three packets are missed.
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    let _ = w.hub.remove_session(w.session);
    w.emit_all("hello1");
    w.hub
        .broadcast(&Target::namespace(NSP).rooms(&["room1"]), "hello2", &[])
        .unwrap();
    assert_eq!(w.hub.recoverable_sessions(), 1);
    // A direct emit to the old sid (nobody is connected to receive it now).
    w.hub
        .broadcast(&Target::namespace(NSP).rooms(&["s1"]), "hello3", &[])
        .unwrap();
    w.hub
        .broadcast(&Target::namespace(NSP).rooms(&["other"]), "not-for-us", &[])
        .unwrap();
    while w.hub.poll_transmit().is_some() {}
    // Reconnect: the client presents pid and offset before its auth.
    w.client
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    w.now += secs(5);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.client.handle_transport_open(Duration::ZERO);
    let Some(Message::Text(connect)) = w.client.poll_transmit() else {
        panic!("no CONNECT");
    };
    assert_eq!(connect, "0{\"pid\":\"p2\",\"offset\":\"1\",\"token\":1}");
    w.server.handle_text(w.now, &connect).unwrap();
    assert_eq!(
        w.server.recovery_request(NSP),
        Some(RecoveryRequest {
            pid: "p2".into(),
            offset: Some("1".into())
        })
    );
    w.wire.clear();
    w.pump();
    assert_eq!(
        w.wire,
        [
            "0{\"sid\":\"s1\",\"pid\":\"p2\"}",
            "2[\"hello1\",\"2\"]",
            "2[\"hello2\",\"3\"]",
            "2[\"hello3\",\"4\"]",
        ]
    );
    assert!(w.server.is_recovered(NSP));
    assert!(w.client.is_recovered(NSP));
    assert_eq!(w.client.last_offset(NSP), Some("4"));
    assert_eq!(w.hub.recoverable_sessions(), 0);
}

#[test]
fn restores_rooms_and_data() {
    let mut w = World::new(true, Parser::Json);
    w.connect();
    w.emit_all("hello");
    w.pump();
    w.reconnect(DisconnectReason::PingTimeout, secs(1));
    let id = w.socket.unwrap();
    assert_eq!(w.hub.sid(id), Some("s1"));
    let mut rooms: Vec<_> = w.hub.rooms_of(id).collect();
    rooms.sort();
    assert_eq!(rooms, ["room1", "room2", "s1"]);
    assert_eq!(w.hub.data::<&str>(id, "foo"), Some(&"bar"));
    assert!(w.server.is_recovered(NSP));
    assert!(w.client.is_recovered(NSP));
    assert_eq!(w.wire, ["0{\"sid\":\"s1\",\"pid\":\"p2\"}"]);
}

#[test]
fn unknown_session_gets_a_new_one() {
    let mut w = World::new(true, Parser::Json);
    w.server
        .handle_text(w.now, "0{\"pid\":\"foo\",\"offset\":\"bar\"}")
        .unwrap();
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    let Some(Message::Text(reply)) = w.server.poll_transmit() else {
        panic!("no reply");
    };
    assert_eq!(reply, "0{\"sid\":\"s1\",\"pid\":\"p2\"}");
    assert!(!w.server.is_recovered(NSP));
}

#[test]
fn disabled_by_default() {
    let mut w = World::new(false, Parser::Json);
    w.connect();
    assert_eq!(w.client.pid(NSP), None);
    w.emit_all("hello");
    w.pump();
    assert_eq!(w.wire, ["2[\"hello\"]"]);
    // A CONNECT with pid and offset is a plain CONNECT; nothing is stored or looked up.
    let mut s = ServerSocket::new(ServerConfig::default(), Duration::ZERO);
    s.handle_text(Duration::ZERO, "0{\"pid\":\"foo\",\"offset\":\"bar\"}")
        .unwrap();
    assert_eq!(s.recovery_request(NSP), None);
    let _ = s.poll_event();
    s.accept_with_ids(NSP, "x", Some("ignored")).unwrap();
    assert_eq!(
        s.poll_transmit(),
        Some(Message::Text("0{\"sid\":\"x\"}".into()))
    );
    w.reconnect(DisconnectReason::TransportClose, secs(1));
    assert_eq!(w.hub.recoverable_sessions(), 0);
    assert!(!w.client.is_recovered(NSP));
    assert_eq!(w.client.sid(NSP), Some("s3"));
}

#[test]
fn only_recoverable_reasons_keep_the_session() {
    for (reason, kept) in [
        (DisconnectReason::TransportClose, true),
        (DisconnectReason::TransportError, true),
        (DisconnectReason::PingTimeout, true),
        (DisconnectReason::ForcedServerClose, true),
        (DisconnectReason::ClientNamespaceDisconnect, false),
        (DisconnectReason::ServerNamespaceDisconnect, false),
        (DisconnectReason::ParseError, false),
    ] {
        let mut w = World::new(true, Parser::Json);
        w.connect();
        let id = w.socket.take().unwrap();
        assert_eq!(
            w.hub.disconnect_socket(id, w.now, reason).unwrap(),
            kept,
            "{reason:?}"
        );
        assert_eq!(w.hub.recoverable_sessions(), usize::from(kept));
    }
    // The client leaving its namespace: the server machine reports it, nothing is kept.
    let mut w = World::new(true, Parser::Json);
    w.connect();
    w.client.disconnect(NSP).unwrap();
    w.pump();
    assert_eq!(w.hub.recoverable_sessions(), 0);
}

#[test]
fn recovers_before_any_event_was_received() {
    // Reference bug: no offset yet means no recovery there. Here the session replays from
    // when it was created.
    let mut w = World::new(true, Parser::Json);
    w.connect();
    assert_eq!(w.client.last_offset(NSP), None);
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    w.emit_all("missed");
    while w.hub.poll_transmit().is_some() {}
    let _ = w.hub.remove_session(w.session);
    w.client
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.client.handle_transport_open(Duration::ZERO);
    assert_eq!(
        w.client.poll_transmit(),
        Some(Message::Text("0{\"pid\":\"p2\",\"token\":1}".into()))
    );
    w.server
        .handle_text(w.now, "0{\"pid\":\"p2\",\"token\":1}")
        .unwrap();
    w.wire.clear();
    w.pump();
    assert_eq!(
        w.wire,
        ["0{\"sid\":\"s1\",\"pid\":\"p2\"}", "2[\"missed\",\"1\"]"]
    );
}

#[test]
fn one_restore_per_disconnection_and_offsets_refreshed() {
    let mut w = World::new(true, Parser::Json);
    w.connect();
    w.emit_all("a");
    w.pump();
    w.reconnect(DisconnectReason::TransportClose, secs(1));
    assert!(w.client.is_recovered(NSP));
    // A second restore from the same pid + offset (a replayed CONNECT) finds nothing: the
    // session was taken out by the first.
    assert!(
        w.hub
            .recover_socket(w.session, w.now, NSP, "p2", Some("1"), None)
            .unwrap()
            .is_none()
    );
    // Disconnect again without new events: recovered again, and nothing replayed twice.
    w.emit_all("b");
    w.pump();
    w.reconnect(DisconnectReason::TransportError, secs(1));
    assert!(w.client.is_recovered(NSP));
    assert_eq!(w.wire, ["0{\"sid\":\"s1\",\"pid\":\"p2\"}"]);
    // After expiry the session is gone: a new one.
    w.reconnect(DisconnectReason::TransportClose, secs(121));
    assert!(!w.client.is_recovered(NSP));
    assert_ne!(w.client.sid(NSP), Some("s1"));
}

#[test]
fn expired_sessions_are_dropped_by_the_timer() {
    let mut w = World::new(true, Parser::Json);
    w.connect();
    let id = w.socket.take().unwrap();
    w.hub
        .disconnect_socket(id, secs(10), DisconnectReason::PingTimeout)
        .unwrap();
    let t = w.hub.poll_timeout().unwrap();
    assert!(t > secs(130) && t <= secs(131));
    w.hub.handle_timeout(t);
    assert_eq!(w.hub.recoverable_sessions(), 0);
}

#[test]
fn msgpack_client_recovers_with_binary() {
    let mut w = World::new(true, Parser::Msgpack);
    w.connect();
    w.hub
        .broadcast(&Target::namespace(NSP), "bin", &[Value::Binary(&[1, 2, 3])])
        .unwrap();
    w.pump();
    assert_eq!(w.client.last_offset(NSP), Some("1"));
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    let _ = w.hub.remove_session(w.session);
    w.hub
        .broadcast(&Target::namespace(NSP), "bin2", &[Value::Binary(&[4, 5])])
        .unwrap();
    while w.hub.poll_transmit().is_some() {}
    w.client
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.hub
        .set_session_parser(w.session, Parser::Msgpack)
        .unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.client.handle_transport_open(Duration::ZERO);
    w.wire.clear();
    w.pump();
    assert!(w.client.is_recovered(NSP));
    let mut events = Vec::new();
    while let Some(ev) = w.client.poll_event() {
        if let ClientEvent::Event { packet, .. } = ev {
            events.push((packet.text().to_string(), packet.attachments().to_vec()));
        }
    }
    assert_eq!(
        events.last().unwrap(),
        &(
            "51-[\"bin2\",{\"_placeholder\":true,\"num\":0},\"2\"]".to_string(),
            vec![vec![4u8, 5]]
        )
    );
    assert_eq!(w.client.last_offset(NSP), Some("2"));
}

#[test]
fn client_buffers_events_replayed_before_the_connect_reply() {
    // The Node server replays missed packets before its CONNECT reply: the client delivers
    // them right after the Connect event, as the reference client does.
    let mut c = ClientSocket::new(ClientConfig::default());
    c.connect(NSP, None).unwrap();
    let _ = c.poll_transmit();
    c.handle_text(Duration::ZERO, "0{\"sid\":\"s1\",\"pid\":\"p1\"}")
        .unwrap();
    c.handle_text(Duration::ZERO, "2[\"a\",\"7\"]").unwrap();
    while c.poll_event().is_some() {}
    assert_eq!(c.last_offset(NSP), Some("7"));
    c.handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while c.poll_event().is_some() {}
    c.handle_transport_open(Duration::ZERO);
    assert_eq!(
        c.poll_transmit(),
        Some(Message::Text("0{\"pid\":\"p1\",\"offset\":\"7\"}".into()))
    );
    c.handle_text(Duration::ZERO, "2[\"missed\",\"8\"]")
        .unwrap();
    assert_eq!(c.poll_event(), None);
    c.handle_text(Duration::ZERO, "0{\"sid\":\"s1\",\"pid\":\"p1\"}")
        .unwrap();
    assert!(matches!(c.poll_event(), Some(ClientEvent::Connect { sid, .. }) if sid == "s1"));
    let Some(ClientEvent::Event { packet, .. }) = c.poll_event() else {
        panic!("the early event is delivered after Connect");
    };
    assert_eq!(packet.text(), "2[\"missed\",\"8\"]");
    assert!(c.is_recovered(NSP));
    assert_eq!(c.last_offset(NSP), Some("8"));
    // A reply with another pid: not recovered, the old offset is forgotten.
    c.handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    c.handle_transport_open(Duration::ZERO);
    let _ = c.poll_transmit();
    c.handle_text(Duration::ZERO, "0{\"sid\":\"s2\",\"pid\":\"p9\"}")
        .unwrap();
    assert!(!c.is_recovered(NSP));
    assert_eq!(c.last_offset(NSP), None);
    assert_eq!(c.pid(NSP), Some("p9"));
}

#[test]
fn except_sockets_and_evicted_packets() {
    // A broadcast to "all but the sender" sent while the sender is connected is not replayed to
    // it; one that excluded it by room neither.
    let mut w = World::new(true, Parser::Json);
    w.connect();
    w.emit_all("seen");
    w.pump();
    let me = w.socket.unwrap();
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    let _ = w.hub.remove_session(w.session);
    // (The sender's handle is stale now: its sid is what the store knows.)
    let other = w.hub.add_session(SessionInfo::default()).unwrap();
    let o = w.hub.add_socket(other, NSP, "other", None).unwrap();
    w.hub
        .broadcast(
            &Target::namespace(NSP).except_rooms(&["room2"]),
            "not-to-room2",
            &[],
        )
        .unwrap();
    w.hub
        .broadcast(
            &Target::namespace(NSP).except_sockets(&[o]),
            "to-all-but-other",
            &[],
        )
        .unwrap();
    while w.hub.poll_transmit().is_some() {}
    assert!(!w.hub.contains_socket(me));
    w.client
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.client.handle_transport_open(Duration::ZERO);
    w.wire.clear();
    w.pump();
    assert!(w.client.is_recovered(NSP));
    assert_eq!(
        w.wire,
        [
            "0{\"sid\":\"s1\",\"pid\":\"p2\"}",
            "2[\"to-all-but-other\",\"3\"]"
        ]
    );

    // Packets evicted by the cap: the offset is unknown, the client gets a new session.
    let mut hub_cfg = HubConfig::default();
    let r = RecoveryConfig::new().max_packets(2);
    hub_cfg = hub_cfg.recovery(Some(r));
    let mut w = World::new(true, Parser::Json);
    w.hub = Hub::new(hub_cfg);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.connect();
    w.emit_all("a");
    w.pump();
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    for _ in 0..3 {
        w.emit_all("lost");
    }
    while w.hub.poll_transmit().is_some() {}
    let _ = w.hub.remove_session(w.session);
    w.client
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.client.handle_transport_open(Duration::ZERO);
    w.pump();
    assert!(!w.client.is_recovered(NSP));
    assert_ne!(w.client.sid(NSP), Some("s1"));
}

#[test]
fn a_stale_offset_after_a_recovery_replays_nothing_twice() {
    // Reference bug (socket.io#5419 with the streams adapter, and the in-memory adapter's
    // session kept after a restore): a second disconnection after a recovery, presented with the
    // same old offset, replayed the same missed packets again. Here the restored session starts
    // from the store position of its restore.
    let mut w = World::new(true, Parser::Json);
    w.connect();
    w.emit_all("a");
    w.pump();
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    let _ = w.hub.remove_session(w.session);
    w.emit_all("missed");
    while w.hub.poll_transmit().is_some() {}
    w.client
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.client.handle_transport_open(Duration::ZERO);
    w.wire.clear();
    w.pump();
    assert_eq!(
        w.wire,
        ["0{\"sid\":\"s1\",\"pid\":\"p2\"}", "2[\"missed\",\"2\"]"]
    );
    // Disconnect again; a client that kept the stale offset "1" presents it.
    w.server
        .handle_transport_close(Duration::ZERO, DisconnectReason::TransportClose, None);
    while let Some(ev) = w.server.poll_event() {
        w.server_app(ev);
    }
    let _ = w.hub.remove_session(w.session);
    w.session = w.hub.add_session(SessionInfo::default()).unwrap();
    w.server = ServerSocket::new(w.cfg.clone(), w.now);
    w.server
        .handle_text(w.now, "0{\"pid\":\"p2\",\"offset\":\"1\"}")
        .unwrap();
    let ev = w.server.poll_event().unwrap();
    w.server_app(ev);
    let mut out: Vec<String> = std::iter::from_fn(|| w.server.poll_transmit())
        .map(|m| m.as_text().unwrap().to_string())
        .collect();
    while let Some(t) = w.hub.poll_transmit() {
        out.push(t.packet.text().to_string());
    }
    assert_eq!(out, ["0{\"sid\":\"s1\",\"pid\":\"p2\"}"]);
    assert!(w.server.is_recovered(NSP));
}
