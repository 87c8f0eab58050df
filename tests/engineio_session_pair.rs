//! A client session and a server registry wired together with a fake clock: handshake over
//! polling and WebSocket, heartbeat, timeouts, upgrade (with messages sent mid-upgrade),
//! duplicate GET, close from either side.
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::client::{ClientConfig, ClientEvent, ClientRequest, ClientSession};
use sockwire::engineio::http::Transport;
use sockwire::engineio::server::{
    CloseReason, GetOutcome, Registry, ServerConfig, ServerEvent, Transmit,
};
use sockwire::engineio::{EngineIoError, Message};

const PI: Duration = Duration::from_millis(300);
const PT: Duration = Duration::from_millis(200);

struct Pair {
    now: Duration,
    client: ClientSession,
    reg: Registry,
    sid: String,
    /// The client's GET is held by the server.
    held_get: bool,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    /// Stop delivering anything to the client (it "hangs").
    client_deaf: bool,
    entropy: u8,
}

impl Pair {
    fn new(transport: Transport, upgrade: bool) -> Pair {
        let cfg = ServerConfig::default()
            .ping_interval(PI)
            .ping_timeout(PT)
            .upgrade_timeout(Duration::from_millis(1000));
        let mut p = Pair {
            now: Duration::ZERO,
            client: ClientSession::new(ClientConfig {
                transport,
                upgrade,
                ..ClientConfig::default()
            }),
            reg: Registry::new(cfg, 8),
            sid: String::new(),
            held_get: false,
            client_events: vec![],
            server_events: vec![],
            client_deaf: false,
            entropy: 0,
        };
        p.pump();
        p
    }

    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut progress = false;
            // One client request at a time, then everything the server has: a real network
            // delivers the server's earlier frames before the client's later requests come back.
            if let Some(r) = self.client.poll_transmit() {
                progress = true;
                self.client_request(r);
            }
            if let Some(s) = self.reg.get_mut(&self.sid) {
                let mut ts = vec![];
                while let Some(t) = s.poll_transmit() {
                    ts.push(t);
                }
                while let Some(e) = s.poll_event() {
                    self.server_events.push(e);
                }
                for t in ts {
                    progress = true;
                    self.server_transmit(t);
                }
            }
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
            }
            if !progress {
                return;
            }
        }
        panic!("pump does not settle");
    }

    fn server_transmit(&mut self, t: Transmit) {
        if self.client_deaf {
            return;
        }
        let now = self.now;
        match t {
            Transmit::PollResponse(body) => {
                assert!(self.held_get, "poll response without a held GET");
                self.held_get = false;
                self.client.handle_poll_response(now, &body);
            }
            Transmit::WsText(t) => self.client.handle_ws_text(now, &t),
            Transmit::WsBinary(b) => self.client.handle_ws_binary(now, &b),
            Transmit::WsClose => self.client.handle_ws_closed(now, None),
            Transmit::PollReject(_) => {
                assert!(self.held_get, "poll reject without a held GET");
                self.held_get = false;
                self.client.handle_http_error(now);
            }
            t => panic!("a transmit this test does not know: {t:?}"),
        }
    }

    fn client_request(&mut self, r: ClientRequest) {
        let now = self.now;
        match r {
            ClientRequest::Get => {
                if self.sid.is_empty() {
                    self.entropy += 1;
                    let s = self
                        .reg
                        .open(now, Transport::Polling, &[self.entropy; 15])
                        .unwrap();
                    self.sid = s.sid().to_string();
                }
                let res = self
                    .reg
                    .handle_request(now, &self.sid, Transport::Polling)
                    .map_err(sockwire::engineio::EngineIoError::from)
                    .and_then(|s| s.handle_get(now));
                match res {
                    Ok(GetOutcome::Respond(body)) => self.client.handle_poll_response(now, &body),
                    Ok(GetOutcome::Parked) => self.held_get = true,
                    Err(_) => self.client.handle_http_error(now),
                }
            }
            ClientRequest::Post(body) => {
                let ok = self
                    .reg
                    .handle_request(now, &self.sid, Transport::Polling)
                    .map_err(sockwire::engineio::EngineIoError::from)
                    .and_then(|s| s.handle_post(now, &body))
                    .is_ok();
                self.client.handle_post_response(now, ok);
            }
            ClientRequest::OpenWebSocket => {
                if self.sid.is_empty() {
                    self.entropy += 1;
                    let s = self
                        .reg
                        .open(now, Transport::WebSocket, &[self.entropy; 15])
                        .unwrap();
                    self.sid = s.sid().to_string();
                    // The open packet comes as the first transmit.
                } else {
                    let ok = self
                        .reg
                        .handle_request(now, &self.sid, Transport::WebSocket)
                        .map_err(sockwire::engineio::EngineIoError::from)
                        .and_then(|s| s.handle_ws_open(now))
                        .is_ok();
                    if ok {
                        self.client.handle_ws_open(now);
                    } else {
                        self.client.handle_ws_closed(now, None);
                    }
                }
            }
            ClientRequest::WsText(t) => {
                if let Some(s) = self.reg.get_mut(&self.sid) {
                    let _ = s.handle_ws_text(now, &t);
                }
            }
            ClientRequest::WsBinary(b) => {
                if let Some(s) = self.reg.get_mut(&self.sid) {
                    let _ = s.handle_ws_binary(now, &b);
                }
            }
            ClientRequest::WsClose => {
                if let Some(s) = self.reg.get_mut(&self.sid) {
                    s.handle_ws_closed(now, None);
                }
            }
            r => panic!("a request this test does not know: {r:?}"),
        }
    }

    /// Advances the fake clock to `t`, firing timers on the way (as a caller's timer would).
    fn advance_to(&mut self, t: Duration) {
        loop {
            let next = [self.client.poll_timeout(), self.reg.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(d) if d <= t => {
                    self.now = self.now.max(d);
                    self.client.handle_timeout(self.now);
                    self.reg.handle_timeout(self.now);
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = t;
        self.client.handle_timeout(t);
        self.reg.handle_timeout(t);
        self.pump();
    }

    fn server(&mut self) -> &mut sockwire::engineio::server::ServerSession {
        self.reg.get_mut(&self.sid).unwrap()
    }

    fn client_messages(&self) -> Vec<Message> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    fn server_messages(&self) -> Vec<Message> {
        self.server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    fn server_closes(&self) -> Vec<CloseReason> {
        self.server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Closed { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect()
    }

    fn client_closes(&self) -> Vec<CloseReason> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Closed { reason, .. } => Some(*reason),
                _ => None,
            })
            .collect()
    }
}

fn text(s: &str) -> Message {
    Message::Text(s.to_string())
}

#[test]
fn polling_handshake_and_messages() {
    let mut p = Pair::new(Transport::Polling, false);
    assert!(p.client.is_open());
    assert!(matches!(&p.client_events[0], ClientEvent::Open { sid } if *sid == p.sid));
    assert!(p.held_get, "the client's next poll is held");
    p.client.send_text("hello").unwrap();
    p.client.send_binary(&[1, 2, 3]).unwrap();
    p.pump();
    assert_eq!(
        p.server_messages(),
        vec![text("hello"), Message::Binary(vec![1, 2, 3])]
    );
    p.server().send_text("world").unwrap();
    p.server().send_binary(&[9]).unwrap();
    p.pump();
    assert_eq!(
        p.client_messages(),
        vec![text("world"), Message::Binary(vec![9])]
    );
}

#[test]
fn websocket_handshake_and_messages() {
    let mut p = Pair::new(Transport::WebSocket, true);
    assert!(p.client.is_open());
    assert_eq!(p.client.transport(), Transport::WebSocket);
    p.client.send_text("a\u{1e}b").unwrap(); // fine over WebSocket
    p.pump();
    assert_eq!(p.server_messages(), vec![text("a\u{1e}b")]);
    p.server().send_binary(&[0xff]).unwrap();
    p.pump();
    assert_eq!(p.client_messages(), vec![Message::Binary(vec![0xff])]);
}

#[test]
fn heartbeat_keeps_the_session_alive() {
    for transport in [Transport::Polling, Transport::WebSocket] {
        let mut p = Pair::new(transport, false);
        for i in 1..=40 {
            p.advance_to(Duration::from_millis(100 * i));
        }
        assert!(p.client.is_open(), "{transport:?}");
        assert!(p.server_closes().is_empty(), "{:?}", p.server_closes());
        assert!(!p.server().is_closed());
    }
}

#[test]
fn server_times_out_a_silent_client() {
    for transport in [Transport::Polling, Transport::WebSocket] {
        let mut p = Pair::new(transport, false);
        p.client_deaf = true;
        p.advance_to(PI + PT - Duration::from_millis(1));
        assert!(p.server_closes().is_empty());
        p.advance_to(PI + PT);
        assert_eq!(p.server_closes(), vec![CloseReason::PingTimeout]);
        // A later request finds no session.
        assert!(
            p.reg
                .handle_request(p.now, &p.sid.clone(), transport)
                .is_err()
        );
    }
}

#[test]
fn client_times_out_a_silent_server() {
    let mut p = Pair::new(Transport::WebSocket, false);
    // The server stops pinging: take its session away.
    let sid = p.sid.clone();
    p.reg.remove(&sid);
    p.advance_to(PI + PT - Duration::from_millis(1));
    assert!(p.client.is_open());
    p.advance_to(PI + PT);
    assert_eq!(p.client_closes(), vec![CloseReason::PingTimeout]);
}

#[test]
fn upgrade_with_messages_mid_upgrade() {
    let mut p = Pair::new(Transport::Polling, true);
    // The pump ran the whole upgrade already: probe, noop for the held GET, `5`.
    assert_eq!(p.client.transport(), Transport::WebSocket);
    assert_eq!(p.server().transport(), Transport::WebSocket);
    assert!(p.server_events.contains(&ServerEvent::Upgraded));
    assert!(p.client_events.contains(&ClientEvent::Upgraded));
    assert!(!p.held_get);
    p.client.send_text("after").unwrap();
    p.pump();
    assert_eq!(p.server_messages(), vec![text("after")]);
    // Long-polling on the upgraded sid is refused with 400 code 3.
    let err = p
        .reg
        .handle_request(p.now, &p.sid.clone(), Transport::Polling)
        .unwrap_err();
    assert_eq!(err.status(), 400);
    // A second WebSocket is refused.
    let now = p.now;
    assert!(p.server().handle_ws_open(now).is_err());
    // Heartbeat over the new transport.
    p.advance_to(Duration::from_secs(3));
    assert!(p.client.is_open());
}

#[test]
fn upgrade_step_by_step_keeps_every_message() {
    // Drive the server by hand to send messages at each step of the upgrade.
    let cfg = ServerConfig::default();
    let now = Duration::ZERO;
    let mut s = sockwire::engineio::server::ServerSession::new_polling("abc", now, cfg);
    let GetOutcome::Respond(open) = s.handle_get(now).unwrap() else {
        panic!()
    };
    assert!(open.starts_with(b"0{\"sid\":\"abc\",\"upgrades\":[\"websocket\"]"));
    assert_eq!(s.handle_get(now).unwrap(), GetOutcome::Parked);
    s.send_text("m1").unwrap(); // goes to the held GET
    assert_eq!(
        s.poll_transmit(),
        Some(Transmit::PollResponse(b"4m1".to_vec()))
    );
    assert_eq!(s.handle_get(now).unwrap(), GetOutcome::Parked);
    s.handle_ws_open(now).unwrap();
    s.handle_ws_text(now, "2probe").unwrap();
    assert_eq!(s.poll_transmit(), Some(Transmit::WsText("3probe".into())));
    assert_eq!(
        s.poll_transmit(),
        Some(Transmit::PollResponse(b"6".to_vec()))
    );
    s.send_text("m2").unwrap(); // mid-upgrade, no GET held: queued
    s.send_binary(&[7]).unwrap();
    assert_eq!(s.poll_transmit(), None);
    // The client posts while paused: still accepted.
    s.handle_post(now, b"4c1").unwrap();
    s.handle_ws_text(now, "5").unwrap();
    assert_eq!(s.poll_transmit(), Some(Transmit::WsText("4m2".into())));
    assert_eq!(s.poll_transmit(), Some(Transmit::WsBinary(vec![7])));
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(s.poll_event(), Some(ServerEvent::Message(text("c1"))));
    assert_eq!(s.poll_event(), Some(ServerEvent::Upgraded));
    s.handle_ws_text(now, "4c2").unwrap();
    assert_eq!(s.poll_event(), Some(ServerEvent::Message(text("c2"))));
    assert!(s.handle_get(now).is_err());
    assert!(s.handle_post(now, b"4x").is_err());
}

#[test]
fn upgrade_timeout_keeps_polling() {
    let cfg = ServerConfig::default().upgrade_timeout(Duration::from_millis(50));
    let mut s = sockwire::engineio::server::ServerSession::new_polling("x", Duration::ZERO, cfg);
    let _ = s.handle_get(Duration::ZERO).unwrap();
    s.handle_ws_open(Duration::ZERO).unwrap();
    assert_eq!(s.poll_timeout(), Some(Duration::from_millis(50)));
    s.handle_timeout(Duration::from_millis(50));
    assert_eq!(s.poll_transmit(), Some(Transmit::WsClose));
    assert!(!s.is_upgrading());
    assert_eq!(s.transport(), Transport::Polling);
    assert_eq!(
        s.handle_get(Duration::from_millis(60)).unwrap(),
        GetOutcome::Parked
    );
}

#[test]
fn duplicate_get_closes_the_session() {
    let mut s = sockwire::engineio::server::ServerSession::new_polling(
        "x",
        Duration::ZERO,
        ServerConfig::default(),
    );
    let _ = s.handle_get(Duration::ZERO).unwrap();
    assert_eq!(s.handle_get(Duration::ZERO).unwrap(), GetOutcome::Parked);
    let err = s.handle_get(Duration::ZERO).unwrap_err();
    assert_eq!(
        err,
        sockwire::engineio::EngineIoError::Rejected(sockwire::engineio::http::Reject::Code(
            sockwire::engineio::ErrorCode::BadRequest
        ))
    );
    assert_eq!(
        s.poll_transmit(),
        Some(Transmit::PollResponse(b"1".to_vec()))
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed {
            reason: CloseReason::TransportError,
            error: Some(EngineIoError::Protocol("overlap from client").into()),
        })
    );
    assert_eq!(s.poll_event(), None);
    assert!(s.is_closed());
}

#[test]
fn client_close_reaches_the_server_once() {
    for transport in [Transport::Polling, Transport::WebSocket] {
        let mut p = Pair::new(transport, false);
        p.client.close();
        p.pump();
        assert_eq!(
            p.server_closes(),
            vec![CloseReason::ClosePacket],
            "{transport:?}"
        );
        assert_eq!(p.client_closes(), vec![CloseReason::ForcedClose]);
        assert!(!p.held_get, "the held GET was answered");
        p.advance_to(Duration::from_secs(5));
        assert_eq!(p.server_closes().len(), 1);
    }
}

#[test]
fn server_close_reaches_the_client_once() {
    for transport in [Transport::Polling, Transport::WebSocket] {
        let mut p = Pair::new(transport, false);
        p.server().send_text("bye").unwrap();
        let now = p.now;
        p.server().close(now);
        p.pump();
        assert_eq!(p.server_closes(), vec![CloseReason::ForcedClose]);
        assert_eq!(p.client_messages(), vec![text("bye")], "{transport:?}");
        let want = match transport {
            Transport::Polling => CloseReason::ClosePacket,
            Transport::WebSocket => CloseReason::TransportClose,
        };
        assert_eq!(p.client_closes(), vec![want]);
        assert!(p.server().is_closed());
        p.advance_to(Duration::from_secs(5));
        assert_eq!(p.server_closes().len(), 1);
        assert_eq!(p.client_closes().len(), 1);
    }
}

#[test]
fn client_ping_is_invalid_heartbeat_direction() {
    let mut s = sockwire::engineio::server::ServerSession::new_polling(
        "x",
        Duration::ZERO,
        ServerConfig::default(),
    );
    let _ = s.handle_get(Duration::ZERO).unwrap();
    assert!(s.handle_post(Duration::ZERO, b"2").is_err());
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed {
            reason: CloseReason::TransportError,
            error: Some(EngineIoError::Protocol("invalid heartbeat direction").into()),
        })
    );
}

#[test]
fn poll_response_caps() {
    let cfg = ServerConfig::default()
        .max_packets_per_poll(3)
        .max_payload(20);
    let mut s = sockwire::engineio::server::ServerSession::new_polling("x", Duration::ZERO, cfg);
    let _ = s.handle_get(Duration::ZERO).unwrap();
    for m in ["a", "b", "c", "d", "e"] {
        s.send_text(m).unwrap();
    }
    let GetOutcome::Respond(b) = s.handle_get(Duration::ZERO).unwrap() else {
        panic!()
    };
    assert_eq!(b, b"4a\x1e4b\x1e4c");
    s.send_text("0123456789012345678").unwrap(); // 20 bytes encoded: alone in its response
    let GetOutcome::Respond(b) = s.handle_get(Duration::ZERO).unwrap() else {
        panic!()
    };
    assert_eq!(b, b"4d\x1e4e");
    let GetOutcome::Respond(b) = s.handle_get(Duration::ZERO).unwrap() else {
        panic!()
    };
    assert_eq!(b, b"40123456789012345678");
    assert!(s.send_text("x\u{1e}y").is_err());
}

#[test]
fn malformed_post_closes_after_delivering_earlier_packets() {
    let mut s = sockwire::engineio::server::ServerSession::new_polling(
        "x",
        Duration::ZERO,
        ServerConfig::default(),
    );
    let _ = s.handle_get(Duration::ZERO).unwrap();
    assert!(s.handle_post(Duration::ZERO, b"4a\x1e").is_err());
    assert_eq!(s.poll_event(), Some(ServerEvent::Message(text("a"))));
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed {
            reason: CloseReason::ParseError,
            error: Some(EngineIoError::EmptyPacket.into()),
        })
    );
    assert!(s.is_closed());
}

#[test]
fn close_packet_racing_ahead_of_the_get_still_ends_that_get_with_noop() {
    let mut s = sockwire::engineio::server::ServerSession::new_polling(
        "x",
        Duration::ZERO,
        ServerConfig::default(),
    );
    let _ = s.handle_get(Duration::ZERO).unwrap();
    s.handle_post(Duration::ZERO, b"1").unwrap();
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::Closed {
            reason: CloseReason::ClosePacket,
            error: None,
        })
    );
    assert_eq!(
        s.handle_get(Duration::ZERO).unwrap(),
        GetOutcome::Respond(b"6".to_vec())
    );
    assert!(s.is_closed());
    assert!(s.handle_get(Duration::ZERO).is_err());
    assert_eq!(s.poll_event(), None);
    // Without a GET, the session is gone after pingTimeout.
    let mut s = sockwire::engineio::server::ServerSession::new_polling(
        "y",
        Duration::ZERO,
        ServerConfig::default(),
    );
    let _ = s.handle_get(Duration::ZERO).unwrap();
    s.handle_post(Duration::ZERO, b"1").unwrap();
    s.handle_timeout(Duration::from_secs(20));
    assert!(s.is_closed());
}

#[test]
fn get_crossing_the_probe_is_held_then_noop_or_refused() {
    let cfg = ServerConfig::default();
    let t = Duration::ZERO;
    let mut s = sockwire::engineio::server::ServerSession::new_polling("x", t, cfg.clone());
    let _ = s.handle_get(t).unwrap();
    s.handle_ws_open(t).unwrap();
    s.handle_ws_text(t, "2probe").unwrap();
    assert_eq!(s.poll_transmit(), Some(Transmit::WsText("3probe".into())));
    assert_eq!(s.handle_get(t).unwrap(), GetOutcome::Parked);
    assert_eq!(s.poll_timeout(), Some(cfg.upgrade_noop_delay));
    s.handle_timeout(cfg.upgrade_noop_delay);
    assert_eq!(
        s.poll_transmit(),
        Some(Transmit::PollResponse(b"6".to_vec()))
    );
    // Another one crossing, and the upgrade completes while it is held: refused.
    assert_eq!(
        s.handle_get(cfg.upgrade_noop_delay).unwrap(),
        GetOutcome::Parked
    );
    s.handle_ws_text(cfg.upgrade_noop_delay, "5").unwrap();
    assert_eq!(
        s.poll_transmit(),
        Some(Transmit::PollReject(
            sockwire::engineio::http::Reject::Code(sockwire::engineio::ErrorCode::BadRequest)
        ))
    );
    assert_eq!(s.poll_event(), Some(ServerEvent::Upgraded));
}

#[test]
fn a_very_late_timer_gives_the_client_a_full_ping_timeout() {
    let cfg = ServerConfig::default().ping_interval(PI).ping_timeout(PT);
    let mut s = sockwire::engineio::server::ServerSession::new_websocket("x", Duration::ZERO, cfg);
    // Slightly late: the deadline still counts from when the ping was due.
    s.handle_timeout(PI + Duration::from_millis(10));
    assert_eq!(s.poll_timeout(), Some(PI + PT));
    let mut s = sockwire::engineio::server::ServerSession::new_websocket(
        "y",
        Duration::ZERO,
        ServerConfig::default().ping_interval(PI).ping_timeout(PT),
    );
    // Later than the whole allowance: a full pingTimeout from now, never a past deadline.
    let late = PI + PT + Duration::from_millis(50);
    s.handle_timeout(late);
    assert_eq!(s.poll_timeout(), Some(late + PT));
    assert!(!s.is_closing_or_closed());
}
