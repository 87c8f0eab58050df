//! The Engine.IO endpoint, long-polling, on a fake clock: byte-exact HTTP transcripts for the
//! Engine.IO v4 protocol (handshake, POST and GET, held GETs, heartbeat, overlapping GETs,
//! reference errors, CORS preflights, pipelining, several paths).
#![cfg(feature = "std")]

mod engineio_endpoint_support;

use engineio_endpoint_support::*;

#[test]
fn the_endpoint_can_move_between_threads() {
    fn send<T: Send>() {}
    send::<Endpoint>();
}

#[test]
fn sids_are_the_entropy() {
    assert_eq!(sid_from_entropy(&[1; 15]), SID1);
    assert_eq!(sid_from_entropy(&[2; 15]), SID2);
}

#[test]
fn polling_handshake_answers_the_open_packet() {
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(
        ms(0),
        1,
        b"GET /engine.io/?EIO=4&transport=polling&t=Oab HTTP/1.1\r\nHost: x\r\nX-Y: z\r\n\r\n",
    );
    let open = open_packet(SID1, "\"websocket\"", 25000, 20000);
    assert_eq!(transmits(&mut ep), vec![t(1, &payload(&open), false)]);
    let ev = events(&mut ep);
    let [Event::Opened { sid, conn, request }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!((sid.as_str(), *conn), (SID1, 1));
    assert_eq!(request.target, "/engine.io/?EIO=4&transport=polling&t=Oab");
    assert_eq!(
        request.headers,
        vec![("Host".into(), "x".into()), ("X-Y".into(), "z".into())]
    );
    assert!(ep.is_open(SID1));
    assert_eq!(ep.sids().collect::<Vec<_>>(), vec![SID1]);
    // The trailing slash is optional.
    ep.handle_read(
        ms(1),
        1,
        b"GET /engine.io?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let open = open_packet(SID2, "\"websocket\"", 25000, 20000);
    assert_eq!(transmits(&mut ep), vec![t(1, &payload(&open), false)]);
}

#[test]
fn post_then_get_delivers_a_message() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.handle_accept(ms(1), 2);
    ep.handle_read(ms(1), 2, &post(SID1, "4hello\x1e4world"));
    assert_eq!(transmits(&mut ep), vec![t(2, OK, false)]);
    let msg = |m: &str| Event::Message {
        sid: SID1.into(),
        message: Message::Text(m.into()),
    };
    assert_eq!(events(&mut ep), vec![msg("hello"), msg("world")]);
    // Echo one back as text and one as binary; the next GET carries both.
    ep.send(SID1, &Message::Text("hello".into())).unwrap();
    ep.send_binary(SID1, &[1, 2, 3]).unwrap();
    assert!(transmits(&mut ep).is_empty());
    ep.handle_read(ms(2), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(
        transmits(&mut ep),
        vec![t(1, &payload("4hello\x1ebAQID"), false)]
    );
}

#[test]
fn held_get_is_released_by_send() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.handle_read(ms(5), 1, &get(&format!("&sid={SID1}")));
    assert!(
        transmits(&mut ep).is_empty(),
        "nothing to send: the GET is held"
    );
    // Held GETs have no request timeout.
    assert_eq!(ep.poll_timeout(), Some(ms(25_000)));
    ep.send_text(SID1, "hi").unwrap();
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("4hi"), false)]);
}

#[test]
fn held_get_gets_the_ping_and_a_missing_pong_closes_the_session() {
    let mut ep = endpoint(small());
    handshake(&mut ep);
    ep.handle_read(ms(10), 1, &get(&format!("&sid={SID1}")));
    assert!(transmits(&mut ep).is_empty());
    assert_eq!(ep.poll_timeout(), Some(ms(300)));
    ep.handle_timeout(ms(299));
    assert!(transmits(&mut ep).is_empty());
    ep.handle_timeout(ms(300));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("2"), false)]);
    // pingTimeout counts from the ping.
    assert_eq!(ep.poll_timeout(), Some(ms(500)));
    ep.handle_timeout(ms(500));
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::PingTimeout,
            error: None,
        }]
    );
    assert_eq!(ep.sessions(), 0);
    assert!(!ep.is_open(SID1));
    // Only the connection's request timer is left.
    assert_eq!(ep.poll_timeout(), Some(ms(300 + 30_000)));
    ep.handle_read(ms(600), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(
        transmits(&mut ep),
        vec![t(
            1,
            &error("400 Bad Request", 1, "Session ID unknown", true),
            false
        )]
    );
}

#[test]
fn pong_keeps_the_session_alive() {
    let mut ep = endpoint(small());
    handshake(&mut ep);
    ep.handle_timeout(ms(300));
    ep.handle_read(ms(310), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("2"), false)]);
    ep.handle_accept(ms(320), 2);
    ep.handle_read(ms(320), 2, &post(SID1, "3"));
    assert_eq!(transmits(&mut ep), vec![t(2, OK, false)]);
    // Next ping one interval after the pong.
    ep.handle_timeout(ms(500));
    assert!(ep.is_open(SID1));
    ep.handle_timeout(ms(619));
    assert!(transmits(&mut ep).is_empty());
    ep.handle_timeout(ms(620));
    ep.handle_read(ms(621), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("2"), false)]);
    assert!(events(&mut ep).is_empty());
}

#[test]
fn a_second_get_is_an_error_and_closes_the_session() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.handle_read(ms(1), 1, &get(&format!("&sid={SID1}")));
    ep.handle_accept(ms(2), 2);
    ep.handle_read(ms(2), 2, &get(&format!("&sid={SID1}")));
    assert_eq!(
        transmits(&mut ep),
        vec![
            t(2, &error("400 Bad Request", 3, "Bad request", true), false),
            t(1, &payload("1"), false),
        ]
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::TransportError,
            error: Some(EngineIoError::Protocol("overlap from client").into()),
        }]
    );
    assert_eq!(ep.sessions(), 0);
}

#[test]
fn unknown_sid_gets_the_reference_error() {
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &get("&sid=nope"));
    let e = error("400 Bad Request", 1, "Session ID unknown", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    ep.handle_read(ms(0), 1, &post("nope", "4x"));
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    // WebSocket with an unknown sid: refused and closed.
    ep.handle_read(ms(0), 1, &ws_upgrade("&sid=nope"));
    let e = error("400 Bad Request", 1, "Session ID unknown", false);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, true)]);
    assert!(events(&mut ep).is_empty());
}

#[test]
fn bad_requests_get_reference_errors_and_other_paths_404() {
    let mut ep = endpoint(EndpointConfig::default().page("/", "text/html", b"<p>hi</p>".to_vec()));
    ep.handle_accept(ms(0), 1);
    ep.handle_read(
        ms(0),
        1,
        b"GET /engine.io/?EIO=3&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let e = error("400 Bad Request", 5, "Unsupported protocol version", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    ep.handle_read(
        ms(0),
        1,
        b"GET /engine.io/?EIO=4&transport=carrier-pigeon HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let e = error("400 Bad Request", 0, "Transport unknown", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    ep.handle_read(ms(0), 1, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    let nf = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\
Connection: keep-alive\r\n\r\nnot found";
    assert_eq!(transmits(&mut ep), vec![t(1, nf, false)]);
    ep.handle_read(
        ms(0),
        1,
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\
Connection: close\r\n\r\n<p>hi</p>";
    assert_eq!(transmits(&mut ep), vec![t(1, page, true)]);
    assert_eq!(ep.connections(), 0);
}

#[test]
fn cors_preflight() {
    let cors = Cors {
        allow_origin: None,
        allow_credentials: true,
    };
    let mut ep = endpoint(EndpointConfig::default().cors(Some(cors)));
    ep.handle_accept(ms(0), 1);
    ep.handle_read(
        ms(0),
        1,
        b"OPTIONS /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\
Origin: http://a.example\r\nAccess-Control-Request-Headers: content-type\r\n\r\n",
    );
    let pre = b"HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: http://a.example\r\n\
Vary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n\
Access-Control-Allow-Methods: GET, POST, OPTIONS\r\nAccess-Control-Allow-Headers: content-type\r\n\
Content-Length: 0\r\nConnection: keep-alive\r\n\r\n";
    assert_eq!(transmits(&mut ep), vec![t(1, pre, false)]);
    // The handshake then carries the CORS headers too.
    ep.handle_read(
        ms(0),
        1,
        b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\n\r\n",
    );
    let open = open_packet(SID1, "\"websocket\"", 25000, 20000);
    let want = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\
         Connection: keep-alive\r\nAccess-Control-Allow-Origin: http://a.example\r\nVary: Origin\r\n\
         Access-Control-Allow-Credentials: true\r\n\r\n{open}",
        open.len()
    );
    assert_eq!(transmits(&mut ep), vec![t(1, want.as_bytes(), false)]);

    // Without CORS configured, a preflight is refused as the reference does.
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(
        ms(0),
        1,
        b"OPTIONS /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let e = error("400 Bad Request", 2, "Bad handshake method", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    let mut input = post(SID1, "4a");
    input.extend_from_slice(&get("&sid=nope"));
    input.extend_from_slice(&post(SID1, "4b"));
    ep.handle_read(ms(1), 1, &input);
    let e = error("400 Bad Request", 1, "Session ID unknown", true);
    assert_eq!(
        transmits(&mut ep),
        vec![t(1, OK, false), t(1, &e, false), t(1, OK, false)]
    );
    assert_eq!(events(&mut ep).len(), 2);
}

#[test]
fn bytes_after_a_held_get_wait_for_its_answer() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    let mut input = get(&format!("&sid={SID1}"));
    input.extend_from_slice(&get("&sid=nope"));
    ep.handle_read(ms(1), 1, &input);
    assert!(transmits(&mut ep).is_empty());
    ep.send_text(SID1, "m").unwrap();
    let e = error("400 Bad Request", 1, "Session ID unknown", true);
    assert_eq!(
        transmits(&mut ep),
        vec![t(1, &payload("4m"), false), t(1, &e, false)]
    );
}

#[test]
fn sessions_live_on_the_path_that_opened_them() {
    let mut ep = endpoint(EndpointConfig::default().add_path("/socket.io/"));
    ep.handle_accept(ms(0), 1);
    ep.handle_read(
        ms(0),
        1,
        b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    let _ = transmits(&mut ep);
    let ev = events(&mut ep);
    let [Event::Opened { request, .. }] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(request.path, "/socket.io/");
    // The same sid on the other path is unknown there.
    ep.handle_read(ms(1), 1, &post(SID1, "4x"));
    let e = error("400 Bad Request", 1, "Session ID unknown", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    ep.handle_read(
        ms(1),
        1,
        format!(
            "POST /socket.io/?EIO=4&transport=polling&sid={SID1} HTTP/1.1\r\nHost: x\r\n\
             Content-Length: 2\r\n\r\n4x"
        )
        .as_bytes(),
    );
    assert_eq!(transmits(&mut ep), vec![t(1, OK, false)]);
    assert_eq!(events(&mut ep).len(), 1);
}
