//! A fake-clock client ↔ server pair of Socket.IO machines, wired message to message (the same
//! over real Engine.IO session machines and transports is `socketio_over_engineio.rs`).
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::socketio::{
    ClientConfig, ClientEvent, ClientSocket, CloseReason, DecodeConfig, DisconnectReason,
    EncodedPacket, Message, ServerConfig, ServerEvent, ServerSocket, SocketIoError, Value,
};

const T0: Duration = Duration::from_secs(100);

fn ms(n: u64) -> Duration {
    T0 + Duration::from_millis(n)
}

/// Moves every pending message client → server and server → client until both are quiet;
/// returns the texts seen on the wire (binary as `<bin:len>`).
fn pump(now: Duration, c: &mut ClientSocket, s: &mut ServerSocket) -> Vec<String> {
    let mut wire = Vec::new();
    loop {
        let mut moved = false;
        while let Some(m) = c.poll_transmit() {
            moved = true;
            wire.push(format!("C> {}", show(&m)));
            let _ = match &m {
                m if m.is_binary() => s.handle_binary(now, m.as_binary().unwrap()),
                m => s.handle_text(now, m.as_text().unwrap()),
            };
        }
        while let Some(m) = s.poll_transmit() {
            moved = true;
            wire.push(format!("S> {}", show(&m)));
            let _ = match &m {
                m if m.is_binary() => c.handle_binary(now, m.as_binary().unwrap()),
                m => c.handle_text(now, m.as_text().unwrap()),
            };
        }
        if !moved {
            return wire;
        }
    }
}

fn show(m: &Message) -> String {
    match m.as_text() {
        Some(t) => t.to_string(),
        None => format!("<bin:{}>", m.as_binary().unwrap().len()),
    }
}

fn s_events(s: &mut ServerSocket) -> Vec<ServerEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn c_events(c: &mut ClientSocket) -> Vec<ClientEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// Server that accepts every namespace in `allowed`.
fn connected_pair(auth: Option<&str>) -> (ClientSocket, ServerSocket, String) {
    let mut s = ServerSocket::new(
        ServerConfig::default()
            .with_namespace("/")
            .with_namespace("/admin")
            .with_connect_timeout(Duration::from_secs(1))
            .with_close_when_empty(true),
        T0,
    );
    let mut c = ClientSocket::new(ClientConfig::default());
    c.connect("/", auth).unwrap();
    let wire = pump(T0, &mut c, &mut s);
    assert_eq!(wire[0], format!("C> 0{}", auth.unwrap_or("")));
    let ev = s_events(&mut s);
    assert_eq!(
        ev,
        [ServerEvent::Connect {
            nsp: "/".into(),
            auth: auth.map(String::from)
        }]
    );
    let sid = s.accept("/", [7; 15]).unwrap().to_string();
    assert_eq!(sid.len(), 20);
    let wire = pump(T0, &mut c, &mut s);
    assert_eq!(wire, [format!("S> 0{{\"sid\":\"{sid}\"}}")]);
    assert_eq!(
        c_events(&mut c),
        [ClientEvent::Connect {
            nsp: "/".into(),
            sid: sid.clone()
        }]
    );
    assert_eq!(c.sid("/"), Some(sid.as_str()));
    assert_eq!(s.sid("/"), Some(sid.as_str()));
    (c, s, sid)
}

#[test]
fn connect_with_auth_and_events() {
    let (mut c, mut s, _) = connected_pair(Some(r#"{"token":"123"}"#));
    c.emit("/", "hello", &[Value::Json("1"), Value::Str("two")])
        .unwrap();
    let wire = pump(ms(1), &mut c, &mut s);
    assert_eq!(wire, [r#"C> 2["hello",1,"two"]"#]);
    let ev = s_events(&mut s);
    let ServerEvent::Event { packet, ack } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert!(ack.is_none());
    assert_eq!(packet.packet().event_name().unwrap(), "hello");
    assert_eq!(packet.packet().args().collect::<Vec<_>>(), ["1", "\"two\""]);

    s.emit("/", "news", &[Value::Json(r#"{"a":[1]}"#)]).unwrap();
    assert_eq!(pump(ms(2), &mut c, &mut s), [r#"S> 2["news",{"a":[1]}]"#]);
    let ev = c_events(&mut c);
    let ClientEvent::Event { packet, ack: None } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(packet.packet().data(), Some(r#"["news",{"a":[1]}]"#));
}

#[test]
fn refused_namespaces() {
    let (mut c, mut s, _) = connected_pair(None);
    // Not in the allow-list: refused by the machine itself.
    c.connect("/random", None).unwrap();
    let wire = pump(ms(1), &mut c, &mut s);
    assert_eq!(
        wire,
        [
            "C> 0/random,",
            r#"S> 4/random,{"message":"Invalid namespace"}"#
        ]
    );
    assert!(s_events(&mut s).is_empty());
    assert_eq!(
        c_events(&mut c),
        [ClientEvent::ConnectError {
            nsp: "/random".into(),
            data: Some(r#"{"message":"Invalid namespace"}"#.into())
        }]
    );
    assert!(!c.is_connected("/random"));
    // Allowed, but the application refuses with its own message and data.
    c.connect("/admin", Some(r#"{"token":"bad"}"#)).unwrap();
    pump(ms(2), &mut c, &mut s);
    let ev = s_events(&mut s);
    assert!(
        matches!(&ev[0], ServerEvent::Connect { nsp, auth: Some(a) } if nsp == "/admin" && a == r#"{"token":"bad"}"#)
    );
    s.refuse("/admin", "Not authorized", Some(r#"{"code":42}"#))
        .unwrap();
    assert_eq!(
        s.refuse("/admin", "again", None),
        Err(SocketIoError::NoPendingConnect)
    );
    let wire = pump(ms(3), &mut c, &mut s);
    assert_eq!(
        wire,
        [r#"S> 4/admin,{"message":"Not authorized","data":{"code":42}}"#]
    );
    assert!(
        matches!(&c_events(&mut c)[0], ClientEvent::ConnectError { nsp, .. } if nsp == "/admin")
    );
    // Events on a namespace the client is not connected to are ignored by the server.
    s.handle_text(ms(4), r#"2/admin,["x"]"#).unwrap();
    assert!(s_events(&mut s).is_empty());
}

#[test]
fn acks_both_ways_and_timeouts() {
    let (mut c, mut s, _) = connected_pair(None);
    let id = c
        .emit_with_ack(
            ms(0),
            "/",
            "q",
            &[Value::Json("1")],
            Some(Duration::from_secs(5)),
        )
        .unwrap();
    assert_eq!(c.poll_timeout(), Some(ms(5000)));
    assert_eq!(pump(ms(1), &mut c, &mut s), [format!(r#"C> 2{id}["q",1]"#)]);
    let ServerEvent::Event { ack: Some(h), .. } = s_events(&mut s).remove(0) else {
        panic!()
    };
    assert_eq!(h.id(), id);
    s.ack(h, &[Value::Str("ok")]).unwrap();
    assert_eq!(pump(ms(2), &mut c, &mut s), [format!(r#"S> 3{id}["ok"]"#)]);
    let ev = c_events(&mut c);
    let ClientEvent::Ack { packet } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(packet.packet().id(), Some(id));
    assert_eq!(c.poll_timeout(), None);

    // Server → client with ack, then a timeout on the server side.
    let id1 = s
        .emit_with_ack(ms(10), "/", "ping", &[], Some(Duration::from_millis(500)))
        .unwrap();
    let id2 = s.emit_with_ack(ms(10), "/", "ping2", &[], None).unwrap();
    assert_ne!(id1, id2);
    pump(ms(11), &mut c, &mut s);
    let mut ev = c_events(&mut c);
    assert_eq!(ev.len(), 2);
    let ClientEvent::Event { ack: Some(h1), .. } = ev.remove(0) else {
        panic!()
    };
    let ClientEvent::Event { ack: Some(h2), .. } = ev.remove(0) else {
        panic!()
    };
    assert_eq!(s.poll_timeout(), Some(ms(510)));
    s.handle_timeout(ms(509));
    assert!(s_events(&mut s).is_empty());
    s.handle_timeout(ms(510));
    assert_eq!(
        s_events(&mut s),
        [ServerEvent::AckTimeout {
            nsp: "/".into(),
            id: id1
        }]
    );
    // The late ack is reported as unclaimed; the other is delivered.
    c.ack(h1, &[]).unwrap();
    c.ack(h2, &[Value::Json("null")]).unwrap();
    pump(ms(600), &mut c, &mut s);
    let ev = s_events(&mut s);
    assert_eq!(ev.len(), 2);
    assert!(
        matches!(&ev[0], ServerEvent::UnclaimedAck { packet } if packet.packet().id() == Some(id1))
    );
    assert!(matches!(&ev[1], ServerEvent::Ack { packet } if packet.packet().id() == Some(id2)));
    // An ack nobody waits for (e.g. for a hub's broadcast id) is unclaimed too.
    s.handle_text(ms(601), "3999[]").unwrap();
    assert!(
        matches!(&s_events(&mut s)[..], [ServerEvent::UnclaimedAck { packet }] if packet.packet().id() == Some(999))
    );
    // Not on a namespace the client left: dropped.
    s.handle_text(ms(602), "3/nope,5[]").unwrap();
    assert!(s_events(&mut s).is_empty());
}

#[test]
fn binary_both_ways() {
    let (mut c, mut s, _) = connected_pair(None);
    let big = vec![0xabu8; 100_000];
    c.emit(
        "/",
        "upload",
        &[
            Value::Binary(b""),
            Value::Object(&[("file", Value::Binary(&big)), ("n", Value::Json("1"))]),
        ],
    )
    .unwrap();
    let wire = pump(ms(1), &mut c, &mut s);
    assert_eq!(
        wire,
        [
            r#"C> 52-["upload",{"_placeholder":true,"num":0},{"file":{"_placeholder":true,"num":1},"n":1}]"#,
            "C> <bin:0>",
            "C> <bin:100000>"
        ]
    );
    let ev = s_events(&mut s);
    let ServerEvent::Event { packet, .. } = &ev[0] else {
        panic!()
    };
    let args: Vec<_> = packet.packet().args().collect();
    assert_eq!(packet.binary(args[0]), Some(&b""[..]));
    assert_eq!(packet.attachments()[1], big);

    // Echo it back with an ack request: a BINARY_EVENT with id; the ack carries binary: type 6.
    let vals = packet.arg_values();
    let id = s.emit_with_ack(ms(2), "/", "echo", &vals, None).unwrap();
    let wire = pump(ms(2), &mut c, &mut s);
    assert!(
        wire[0].starts_with(&format!("S> 52-{id}[\"echo\"")),
        "{}",
        wire[0]
    );
    let ClientEvent::Event {
        packet,
        ack: Some(h),
    } = c_events(&mut c).remove(0)
    else {
        panic!()
    };
    assert_eq!(packet.attachments(), [vec![], big.clone()]);
    c.ack(h, &[Value::Binary(&[1, 2, 3])]).unwrap();
    let wire = pump(ms(3), &mut c, &mut s);
    assert_eq!(
        wire,
        [
            format!(r#"C> 61-{id}[{{"_placeholder":true,"num":0}}]"#),
            "C> <bin:3>".into()
        ]
    );
    assert!(
        matches!(&s_events(&mut s)[0], ServerEvent::Ack { packet } if packet.attachments() == [vec![1, 2, 3]])
    );
}

#[test]
fn disconnect_from_client() {
    let (mut c, mut s, _) = connected_pair(None);
    c.connect("/admin", None).unwrap();
    pump(ms(1), &mut c, &mut s);
    let _ = s_events(&mut s);
    s.accept("/admin", [1; 15]).unwrap();
    pump(ms(1), &mut c, &mut s);
    let _ = c_events(&mut c);
    let _pending = s
        .emit_with_ack(ms(1), "/admin", "x", &[], Some(Duration::from_secs(1)))
        .unwrap();
    pump(ms(1), &mut c, &mut s);
    let _ = c_events(&mut c);

    c.disconnect("/admin").unwrap();
    assert_eq!(
        c_events(&mut c),
        [ClientEvent::Disconnect {
            nsp: "/admin".into(),
            reason: DisconnectReason::IoClientDisconnect,
            error: None,
        }]
    );
    assert_eq!(pump(ms(2), &mut c, &mut s), ["C> 1/admin,"]);
    assert_eq!(
        s_events(&mut s),
        [ServerEvent::Disconnect {
            nsp: "/admin".into(),
            reason: DisconnectReason::ClientNamespaceDisconnect,
            error: None,
        }]
    );
    // Its awaited ack is dropped with it.
    assert_eq!(s.poll_timeout(), None);
    assert!(!s.is_closed());
    // With `close_when_empty`, leaving the last namespace closes the session (what the
    // reference client's manager does on its side).
    c.disconnect("/").unwrap();
    pump(ms(3), &mut c, &mut s);
    assert_eq!(
        s_events(&mut s),
        [
            ServerEvent::Disconnect {
                nsp: "/".into(),
                reason: DisconnectReason::ClientNamespaceDisconnect,
                error: None,
            },
            ServerEvent::Close {
                reason: CloseReason::AllNamespacesLeft
            }
        ]
    );
    assert!(s.is_closed());
}

#[test]
fn disconnect_from_server_and_close() {
    let (mut c, mut s, _) = connected_pair(None);
    s.disconnect("/").unwrap();
    assert_eq!(s.emit("/", "x", &[]), Err(SocketIoError::NotConnected));
    assert_eq!(pump(ms(1), &mut c, &mut s), ["S> 1"]);
    assert_eq!(
        s_events(&mut s),
        [ServerEvent::Disconnect {
            nsp: "/".into(),
            reason: DisconnectReason::ServerNamespaceDisconnect,
            error: None,
        }]
    );
    assert_eq!(
        c_events(&mut c),
        [ClientEvent::Disconnect {
            nsp: "/".into(),
            reason: DisconnectReason::IoServerDisconnect,
            error: None,
        }]
    );
    // The server disconnecting does not reconnect the client: it is forgotten.
    assert!(!c.is_connected("/"));

    let (mut c, mut s, _) = connected_pair(None);
    s.close();
    assert_eq!(pump(ms(1), &mut c, &mut s), ["S> 1"]);
    assert_eq!(
        s_events(&mut s),
        [
            ServerEvent::Disconnect {
                nsp: "/".into(),
                reason: DisconnectReason::ServerShuttingDown,
                error: None,
            },
            ServerEvent::Close {
                reason: CloseReason::Closed
            }
        ]
    );
    assert_eq!(s.emit("/", "x", &[]), Err(SocketIoError::Closed));
    assert_eq!(s.handle_text(ms(2), "2[\"x\"]"), Err(SocketIoError::Closed));
}

#[test]
fn connect_timeout() {
    let mut s = ServerSocket::new(
        ServerConfig::default().with_connect_timeout(Duration::from_secs(1)),
        T0,
    );
    assert_eq!(s.poll_timeout(), Some(ms(1000)));
    s.handle_timeout(ms(999));
    assert!(s_events(&mut s).is_empty());
    s.handle_timeout(ms(1000));
    assert_eq!(
        s_events(&mut s),
        [ServerEvent::Close {
            reason: CloseReason::ConnectTimeout
        }]
    );
    assert_eq!(s.poll_timeout(), None);
    // A connected socket is not closed by it.
    let (_c, mut s, _) = connected_pair(None);
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(ms(5000));
    assert!(!s.is_closed());
}

#[test]
fn malformed_packets_close() {
    // Socket.IO packet texts (the Engine.IO `4abc`, `42{}`, `42abc[..]` of the official suite
    // are `abc`, `2{}`, `2abc[..]` here).
    for bad in [
        "abc",
        "2{}",
        "2abc[\"x\"]",
        "4abc",
        "7",
        "",
        "511-[\"x\"]",
        "0[]",
        "1{}",
    ] {
        let (_c, mut s, _) = connected_pair(None);
        let err = s.handle_text(ms(1), bad).unwrap_err();
        assert!(err.is_peer_error(), "{bad}: {err}");
        assert_eq!(
            s_events(&mut s),
            [
                ServerEvent::Disconnect {
                    nsp: "/".into(),
                    reason: DisconnectReason::ParseError,
                    error: Some(err.clone().into()),
                },
                ServerEvent::Close {
                    reason: CloseReason::ParseError(err)
                }
            ],
            "{bad}"
        );
        assert!(s.is_closed());
    }
    // A binary message with no header waiting, and a text while attachments are due.
    let (_c, mut s, _) = connected_pair(None);
    assert_eq!(
        s.handle_binary(ms(1), b"x"),
        Err(SocketIoError::UnexpectedBinary)
    );
    let (mut c, mut s, _) = connected_pair(None);
    s.handle_text(ms(1), r#"51-["x",{"_placeholder":true,"num":0}]"#)
        .unwrap();
    assert_eq!(
        s.handle_text(ms(1), "2[\"y\"]"),
        Err(SocketIoError::UnexpectedText)
    );
    // Client side too: the same error in the Disconnect and the Close.
    let err = c.handle_text(ms(1), "2[\"connect\"]").unwrap_err();
    assert_eq!(
        c_events(&mut c),
        [
            ClientEvent::Disconnect {
                nsp: "/".into(),
                reason: DisconnectReason::ParseError,
                error: Some(err.clone().into()),
            },
            ClientEvent::Close {
                reason: CloseReason::ParseError(err)
            }
        ]
    );
}

#[test]
fn reconnect_after_transport_loss() {
    let (mut c, mut s, _) = connected_pair(Some(r#"{"token":"t"}"#));
    c.connect("/admin", None).unwrap();
    let _ = c.poll_transmit();
    let id = c
        .emit_with_ack(ms(1), "/", "x", &[], Some(Duration::from_secs(9)))
        .unwrap();
    let _ = id;
    c.handle_transport_close(ms(0), DisconnectReason::TransportClose, None);
    assert_eq!(
        c_events(&mut c),
        [ClientEvent::Disconnect {
            nsp: "/".into(),
            reason: DisconnectReason::TransportClose,
            error: None,
        }]
    );
    assert_eq!(c.poll_transmit(), None);
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.emit("/", "x", &[]), Err(SocketIoError::NotConnected));
    s.handle_transport_close(ms(0), DisconnectReason::TransportClose, None);
    assert!(matches!(
        &s_events(&mut s)[0],
        ServerEvent::Disconnect {
            reason: DisconnectReason::TransportClose,
            ..
        }
    ));

    // New Engine.IO session: the client reconnects every namespace with the same auth.
    let mut s = ServerSocket::new(ServerConfig::default(), ms(10));
    c.handle_transport_open(ms(0));
    let wire = pump(ms(10), &mut c, &mut s);
    assert_eq!(wire, [r#"C> 0{"token":"t"}"#, "C> 0/admin,"]);
    assert_eq!(s_events(&mut s).len(), 2);
    s.accept("/", [2; 15]).unwrap();
    s.accept("/admin", [3; 15]).unwrap();
    pump(ms(11), &mut c, &mut s);
    assert_eq!(c_events(&mut c).len(), 2);
    assert!(c.is_connected("/") && c.is_connected("/admin"));
}

#[test]
fn encode_once_send_many() {
    let pkt =
        EncodedPacket::event("/", "news", &[Value::Str("hi"), Value::Binary(&[9; 4])]).unwrap();
    assert_eq!(pkt.nsp(), "/");
    let pkt2 = EncodedPacket::event("/admin", "n", &[Value::Binary(&[1])]).unwrap();
    assert_eq!(pkt2.nsp(), "/admin");
    let mut pairs: Vec<_> = (0..3).map(|_| connected_pair(None)).collect();
    for (c, s, _) in &mut pairs {
        s.send(&pkt).unwrap();
        assert_eq!(s.send(&pkt2), Err(SocketIoError::NotConnected));
        let wire = pump(ms(1), c, s);
        assert_eq!(
            wire,
            [
                r#"S> 51-["news","hi",{"_placeholder":true,"num":0}]"#,
                "S> <bin:4>"
            ]
        );
        let ev = c_events(c);
        assert!(
            matches!(&ev[0], ClientEvent::Event { packet, .. } if packet.attachments() == [vec![9; 4]])
        );
    }
    // Broadcast with an ack id chosen by the caller: answers come back unclaimed.
    let with_id = EncodedPacket::event_with_id("/", Some(1 << 40), "q", &[]).unwrap();
    assert_eq!(with_id.text(), r#"21099511627776["q"]"#);
    // Shared: the same allocation goes to every socket.
    let mut s = pairs.pop().unwrap().1;
    s.send(&pkt).unwrap();
    let Some(Message::SharedText(t)) = s.poll_transmit() else {
        panic!()
    };
    assert_eq!(t.as_ptr(), pkt.text().as_ptr());
}

#[test]
fn caps() {
    let mut s = ServerSocket::new(
        ServerConfig::default()
            .with_max_namespaces(2)
            .with_max_pending_acks(1)
            .with_decode(DecodeConfig::new().with_max_packet_bytes(100)),
        T0,
    );
    for n in ["0", "0/a,", "0/b,"] {
        s.handle_text(T0, n).unwrap();
    }
    assert_eq!(s_events(&mut s).len(), 2);
    assert_eq!(
        s.poll_transmit()
            .and_then(|m| m.as_text().map(String::from))
            .as_deref(),
        Some(r#"4/b,{"message":"Too many namespaces"}"#)
    );
    s.accept("/", [0; 15]).unwrap();
    s.emit_with_ack(T0, "/", "x", &[], None).unwrap();
    assert_eq!(
        s.emit_with_ack(T0, "/", "x", &[], None),
        Err(SocketIoError::TooManyPendingAcks)
    );
    assert_eq!(
        s.handle_text(T0, &format!("2[\"{}\"]", "a".repeat(100))),
        Err(SocketIoError::TooLarge { limit: 100 })
    );
}
