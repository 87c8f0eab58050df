//! The Socket.IO machines over real Engine.IO session machines, with a fake clock and an
//! in-memory "network", on every transport: polling only, WebSocket only, and polling upgraded
//! to WebSocket. Connect with auth, refused namespace, events, acks and ack timeouts, binary
//! both ways, heartbeats, disconnect both ways.
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::Message as EioMessage;
use sockwire::engineio::client::{
    ClientConfig as EioClientConfig, ClientEvent as EioClientEvent, ClientRequest, ClientSession,
};
use sockwire::engineio::http::Transport;
use sockwire::engineio::server::{
    CloseReason as EioClose, GetOutcome, ServerConfig as EioServerConfig,
    ServerEvent as EioServerEvent, ServerSession, Transmit,
};
use sockwire::socketio::{
    ClientConfig, ClientEvent, ClientSocket, CloseReason, DisconnectReason, Message, ServerConfig,
    ServerEvent, ServerSocket, Value,
};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Polling,
    WebSocket,
    Upgrade,
}

struct Net {
    now: Duration,
    c_eio: ClientSession,
    s_eio: Option<ServerSession>,
    c: ClientSocket,
    s: Option<ServerSocket>,
    s_events: Vec<ServerEvent>,
    c_events: Vec<ClientEvent>,
    upgraded: bool,
    eio_closed: Option<EioClose>,
}

/// One mapping for every host: the Engine.IO reason becomes the Socket.IO reason the reference
/// server reports to each socket of the session.
#[test]
fn engineio_close_reasons_map_to_the_reference_socketio_reasons() {
    for (e, want) in [
        (EioClose::ClosePacket, "transport close"),
        (EioClose::TransportClose, "transport close"),
        (EioClose::PingTimeout, "ping timeout"),
        (EioClose::ParseError, "transport error"),
        (EioClose::TransportError, "transport error"),
        (EioClose::ForcedClose, "forced server close"),
    ] {
        assert_eq!(DisconnectReason::from(e).as_str(), want, "{e:?}");
    }
}

fn scfg() -> EioServerConfig {
    EioServerConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        ..EioServerConfig::default()
    }
}

impl Net {
    fn new(mode: Mode) -> Net {
        let cfg = EioClientConfig {
            transport: if mode == Mode::WebSocket {
                Transport::WebSocket
            } else {
                Transport::Polling
            },
            upgrade: mode == Mode::Upgrade,
            ..EioClientConfig::default()
        };
        let mut n = Net {
            now: Duration::from_secs(1),
            c_eio: ClientSession::new(cfg),
            s_eio: None,
            c: ClientSocket::new(ClientConfig::default()),
            s: None,
            s_events: Vec::new(),
            c_events: Vec::new(),
            upgraded: false,
            eio_closed: None,
        };
        n.run();
        assert!(n.c_eio.is_open(), "Engine.IO handshake");
        if mode == Mode::Upgrade {
            assert!(n.upgraded, "upgrade done");
        }
        n
    }

    fn server(&mut self) -> &mut ServerSocket {
        self.s.as_mut().unwrap()
    }

    /// Moves everything until quiet.
    fn run(&mut self) {
        for _ in 0..10_000 {
            if !self.step() {
                return;
            }
        }
        panic!("no quiescence");
    }

    fn step(&mut self) -> bool {
        let now = self.now;
        let mut moved = false;
        // Socket.IO client → Engine.IO client.
        if self.c_eio.is_open() {
            while let Some(m) = self.c.poll_transmit() {
                moved = true;
                match &m {
                    m if m.is_binary() => self.c_eio.send_binary(m.as_binary().unwrap()).unwrap(),
                    m => self.c_eio.send_text(m.as_text().unwrap()).unwrap(),
                }
            }
        }
        // Engine.IO client requests → server, one at a time (the server's answers on other
        // channels, like `3probe` on the WebSocket, are delivered before the next request).
        if let Some(req) = self.c_eio.poll_transmit() {
            moved = true;
            match req {
                ClientRequest::Get => {
                    let s = self
                        .s_eio
                        .get_or_insert_with(|| ServerSession::new_polling("sid-poll", now, scfg()));
                    match s.handle_get(now) {
                        Ok(GetOutcome::Respond(body)) => {
                            self.c_eio.handle_poll_response(now, &body)
                        }
                        Ok(GetOutcome::Parked) => {}
                        Err(_) => self.c_eio.handle_http_error(now),
                    }
                }
                ClientRequest::Post(body) => {
                    let ok = self.s_eio.as_mut().unwrap().handle_post(now, &body).is_ok();
                    self.c_eio.handle_post_response(now, ok);
                }
                ClientRequest::OpenWebSocket => match &mut self.s_eio {
                    None => {
                        self.s_eio = Some(ServerSession::new_websocket("sid-ws", now, scfg()));
                        self.c_eio.handle_ws_open(now);
                    }
                    Some(s) => {
                        s.handle_ws_open(now).unwrap();
                        self.c_eio.handle_ws_open(now);
                    }
                },
                ClientRequest::WsText(t) => {
                    let _ = self.s_eio.as_mut().unwrap().handle_ws_text(now, &t);
                }
                ClientRequest::WsBinary(b) => self
                    .s_eio
                    .as_mut()
                    .unwrap()
                    .handle_ws_binary(now, &b)
                    .unwrap_or(()),
                ClientRequest::WsClose => self.s_eio.as_mut().unwrap().handle_ws_closed(now, None),
                r => panic!("a request this test does not know: {r:?}"),
            }
        }
        let Some(s_eio) = self.s_eio.as_mut() else {
            return moved;
        };
        let s = self.s.get_or_insert_with(|| {
            ServerSocket::new(
                ServerConfig::default()
                    .with_namespace("/")
                    .with_namespace("/custom")
                    .with_connect_timeout(Duration::from_millis(1000))
                    .with_close_when_empty(true),
                now,
            )
        });
        // Engine.IO server output → client.
        while let Some(t) = s_eio.poll_transmit() {
            moved = true;
            match t {
                Transmit::PollResponse(body) => self.c_eio.handle_poll_response(now, &body),
                Transmit::PollReject(_) => self.c_eio.handle_http_error(now),
                Transmit::WsText(t) => self.c_eio.handle_ws_text(now, &t),
                Transmit::WsBinary(b) => self.c_eio.handle_ws_binary(now, &b),
                Transmit::WsClose => self.c_eio.handle_ws_closed(now, None),
                t => panic!("a transmit this test does not know: {t:?}"),
            }
        }
        // Engine.IO server events → Socket.IO server.
        while let Some(ev) = s_eio.poll_event() {
            moved = true;
            match ev {
                EioServerEvent::Message(EioMessage::Text(t)) => {
                    let _ = s.handle_text_owned(now, t);
                }
                EioServerEvent::Message(EioMessage::Binary(b)) => {
                    let _ = s.handle_binary_owned(now, b);
                }
                EioServerEvent::Upgraded => self.upgraded = true,
                EioServerEvent::Closed { reason, error } => {
                    s.handle_transport_close(now, reason.into(), error)
                }
                _ => {}
            }
        }
        // Socket.IO server → Engine.IO server.
        while let Some(m) = s.poll_transmit() {
            moved = true;
            let r = match &m {
                Message::Text(t) => s_eio.send_text(t),
                Message::SharedText(t) => s_eio.send_text(t),
                m => s_eio.send_binary(m.as_binary().unwrap()),
            };
            let _ = r;
        }
        while let Some(ev) = s.poll_event() {
            moved = true;
            match ev {
                // The application: accept, echo `message`, ack `message-with-ack`.
                ServerEvent::Connect { nsp, .. } => {
                    s.accept(&nsp, [nsp.len() as u8; 15]).unwrap();
                }
                ServerEvent::Event { packet, ack } => {
                    let view = packet.packet();
                    let vals = packet.arg_values();
                    match (view.event_name().as_deref(), ack) {
                        (Some("message-with-ack"), Some(h)) => s.ack(h, &vals).unwrap(),
                        (Some("message"), _) => s.emit(view.nsp(), "message-back", &vals).unwrap(),
                        _ => {}
                    }
                    self.s_events.push(ServerEvent::Event { packet, ack: None });
                }
                ServerEvent::Close { reason } => {
                    s_eio.close(now);
                    self.s_events.push(ServerEvent::Close { reason });
                }
                other => self.s_events.push(other),
            }
        }
        // Engine.IO client events → Socket.IO client.
        while let Some(ev) = self.c_eio.poll_event() {
            moved = true;
            match ev {
                EioClientEvent::Open { .. } => {}
                EioClientEvent::Message(EioMessage::Text(t)) => {
                    let _ = self.c.handle_text_owned(now, t);
                }
                EioClientEvent::Message(EioMessage::Binary(b)) => {
                    let _ = self.c.handle_binary_owned(now, b);
                }
                EioClientEvent::Upgraded => {}
                EioClientEvent::Closed { reason, error } => {
                    self.eio_closed = Some(reason);
                    self.c.handle_transport_close(now, reason.into(), error);
                }
                _ => {}
            }
        }
        while let Some(ev) = self.c.poll_event() {
            moved = true;
            if let ClientEvent::Close { .. } = ev {
                self.c_eio.close();
            }
            self.c_events.push(ev);
        }
        moved
    }

    /// Advances the clock in 10 ms ticks, firing every timer, then runs.
    fn advance(&mut self, ms: u64) {
        for _ in 0..ms / 10 {
            self.now += Duration::from_millis(10);
            let now = self.now;
            self.c_eio.handle_timeout(now);
            if let Some(s) = self.s_eio.as_mut() {
                s.handle_timeout(now);
            }
            if let Some(s) = self.s.as_mut() {
                s.handle_timeout(now);
            }
            self.c.handle_timeout(now);
            self.run();
        }
    }

    fn connect(&mut self, nsp: &str, auth: Option<&str>) -> String {
        self.c.connect(nsp, auth).unwrap();
        self.run();
        let i = self
            .c_events
            .iter()
            .position(|e| matches!(e, ClientEvent::Connect { nsp: n, .. } if n == nsp))
            .unwrap_or_else(|| panic!("no connect in {:?}", self.c_events));
        let ClientEvent::Connect { sid, .. } = self.c_events.remove(i) else {
            unreachable!()
        };
        sid
    }
}

const MODES: [Mode; 3] = [Mode::Polling, Mode::WebSocket, Mode::Upgrade];

#[test]
fn connect_with_auth_and_refused_namespace() {
    for mode in MODES {
        let mut n = Net::new(mode);
        let sid = n.connect("/", Some(r#"{"token":"123"}"#));
        assert_eq!(n.server().sid("/"), Some(sid.as_str()), "{mode:?}");
        n.connect("/custom", None);
        n.c.connect("/random", None).unwrap();
        n.run();
        assert!(
            n.c_events.iter().any(
                |e| matches!(e, ClientEvent::ConnectError { nsp, data: Some(d) }
                if nsp == "/random" && d == r#"{"message":"Invalid namespace"}"#)
            ),
            "{mode:?}: {:?}",
            n.c_events
        );
    }
}

#[test]
fn events_acks_binary_and_timeouts() {
    for mode in MODES {
        let mut n = Net::new(mode);
        n.connect("/", None);
        let big = vec![0x5au8; 100_000];
        n.c.emit(
            "/",
            "message",
            &[
                Value::Json("1"),
                Value::Object(&[("b", Value::Binary(&big)), ("e", Value::Binary(b""))]),
            ],
        )
        .unwrap();
        n.run();
        let back = n
            .c_events
            .drain(..)
            .find_map(|e| match e {
                ClientEvent::Event { packet, .. } => Some(packet),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{mode:?}: no message-back"));
        assert_eq!(back.packet().event_name().unwrap(), "message-back");
        assert_eq!(back.attachments(), [big.clone(), vec![]], "{mode:?}");

        let id =
            n.c.emit_with_ack(
                n.now,
                "/",
                "message-with-ack",
                &[Value::Binary(&[1, 2, 3]), Value::Str("x")],
                Some(Duration::from_secs(1)),
            )
            .unwrap();
        n.run();
        let ack = n
            .c_events
            .drain(..)
            .find_map(|e| match e {
                ClientEvent::Ack { packet } => Some(packet),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{mode:?}: no ack"));
        assert_eq!(ack.packet().id(), Some(id));
        assert_eq!(
            ack.packet().kind(),
            sockwire::socketio::PacketType::BinaryAck
        );
        assert_eq!(ack.attachments(), [vec![1, 2, 3]]);

        // An event the server never acks times out on the client's clock.
        let id =
            n.c.emit_with_ack(n.now, "/", "ignored", &[], Some(Duration::from_millis(500)))
                .unwrap();
        n.run();
        n.advance(400);
        assert!(n.c_events.is_empty(), "{mode:?}: {:?}", n.c_events);
        n.advance(200);
        assert_eq!(
            n.c_events.drain(..).collect::<Vec<_>>(),
            [ClientEvent::AckTimeout {
                nsp: "/".into(),
                id
            }]
        );

        // 200 events keep their order.
        for i in 0..200 {
            n.c.emit("/", "message", &[Value::Json(&i.to_string())])
                .unwrap();
        }
        n.run();
        let got: Vec<String> = n
            .c_events
            .drain(..)
            .filter_map(|e| match e {
                ClientEvent::Event { packet, .. } => {
                    Some(packet.packet().args().next().unwrap().to_string())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            got,
            (0..200).map(|i| i.to_string()).collect::<Vec<_>>(),
            "{mode:?}"
        );
    }
}

#[test]
fn heartbeats_keep_namespaces_alive() {
    for mode in MODES {
        let mut n = Net::new(mode);
        n.connect("/", None);
        n.advance(3000);
        assert!(
            n.c.is_connected("/"),
            "{mode:?}: {:?} {:?}",
            n.c_events,
            n.eio_closed
        );
        assert!(n.server().is_connected("/"));
    }
}

#[test]
fn disconnect_both_ways() {
    for mode in MODES {
        // Client leaves its only namespace: the server closes the session.
        let mut n = Net::new(mode);
        n.connect("/", None);
        n.c.disconnect("/").unwrap();
        n.run();
        assert!(n.s_events.contains(&ServerEvent::Disconnect {
            nsp: "/".into(),
            reason: DisconnectReason::ClientNamespaceDisconnect,
            error: None,
        }));
        assert!(n.s_events.contains(&ServerEvent::Close {
            reason: CloseReason::AllNamespacesLeft
        }));
        n.advance(300);
        assert!(n.c_eio.is_closed(), "{mode:?}");

        // Server disconnects a namespace, then closes everything.
        let mut n = Net::new(mode);
        n.connect("/", None);
        n.connect("/custom", None);
        n.server().disconnect("/custom").unwrap();
        n.run();
        assert!(n.c_events.contains(&ClientEvent::Disconnect {
            nsp: "/custom".into(),
            reason: DisconnectReason::IoServerDisconnect,
            error: None,
        }));
        assert!(n.c.is_connected("/"));
        n.server().close();
        n.run();
        n.advance(300);
        assert!(
            n.c_events.contains(&ClientEvent::Disconnect {
                nsp: "/".into(),
                reason: DisconnectReason::IoServerDisconnect,
                error: None,
            }),
            "{mode:?}: {:?}",
            n.c_events
        );
        assert!(n.c_eio.is_closed(), "{mode:?}");
    }
}

#[test]
fn connect_timeout_closes_the_session() {
    for mode in MODES {
        let mut n = Net::new(mode);
        n.advance(1100);
        assert!(
            n.s_events.contains(&ServerEvent::Close {
                reason: CloseReason::ConnectTimeout
            }),
            "{mode:?}"
        );
        n.advance(300);
        assert!(n.c_eio.is_closed(), "{mode:?}");
    }
}
