//! The Engine.IO endpoint's edges, on a fake clock: every-split-point and byte-at-a-time
//! feeding, EOF mid-request, request timeouts, caps (431, 413, 411, 503, 403), bodies of refused
//! requests, and the one deadline heap over many sessions.
#![cfg(feature = "std")]

mod engineio_endpoint_support;

use engineio_endpoint_support::*;

#[test]
fn every_split_point_gives_the_same_transcript() {
    let whole = |input: &[u8]| {
        let mut ep = endpoint(EndpointConfig::default());
        handshake(&mut ep);
        ep.handle_accept(ms(1), 2);
        ep.handle_read(ms(1), 2, input);
        (transmits(&mut ep), events(&mut ep))
    };
    let mut input = post(SID1, "4hello\x1e4w\u{e9}rld");
    input.extend_from_slice(&get(&format!("&sid={SID1}")));
    let reference = whole(&input);
    assert_eq!(reference.0.len(), 1);
    assert_eq!(reference.1.len(), 2);
    for at in 0..=input.len() {
        let mut ep = endpoint(EndpointConfig::default());
        handshake(&mut ep);
        ep.handle_accept(ms(1), 2);
        ep.handle_read(ms(1), 2, &input[..at]);
        ep.handle_read(ms(1), 2, &input[at..]);
        let got = (transmits(&mut ep), events(&mut ep));
        // Transmits may come in two pieces: compare the bytes per connection.
        let bytes = |v: &[Tx]| v.iter().map(|t| t.1.clone()).collect::<String>();
        assert_eq!(bytes(&got.0), bytes(&reference.0), "split at {at}");
        assert_eq!(got.1, reference.1, "split at {at}");
    }
    // One byte at a time, through a WebSocket upgrade and a frame.
    let mut input = ws_upgrade("");
    input.extend_from_slice(&client_frame(1, b"4hi"));
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    for b in &input {
        ep.handle_read(ms(0), 1, std::slice::from_ref(b));
    }
    let mut want = resp_101();
    want.extend_from_slice(&server_text(&open_packet(SID1, "", 25000, 20000)));
    let got: Vec<u8> = raw_transmits(&mut ep)
        .into_iter()
        .flat_map(|t| t.data)
        .collect();
    assert_eq!(got, want);
    assert_eq!(events(&mut ep).len(), 2);
}

#[test]
fn eof_mid_request() {
    // A partial head: dropped without an answer.
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, b"GET /engine.io/?EIO=4&transport=pol");
    assert!(transmits(&mut ep).is_empty());
    ep.handle_eof(ms(1), 1);
    assert_eq!(transmits(&mut ep), vec![t(1, b"", true)]);
    assert_eq!((ep.connections(), ep.sessions()), (0, 0));
    // Inputs for a retired id are ignored.
    ep.handle_read(ms(1), 1, &get(""));
    ep.handle_eof(ms(1), 1);
    assert!(transmits(&mut ep).is_empty());

    // A partial POST body: the session closes, as the reference does.
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.handle_accept(ms(1), 2);
    let p = post(SID1, "4hello");
    ep.handle_read(ms(1), 2, &p[..p.len() - 2]);
    assert!(transmits(&mut ep).is_empty());
    ep.handle_eof(ms(2), 2);
    assert_eq!(transmits(&mut ep), vec![t(2, b"", true)]);
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::TransportError,
            error: Some(
                EngineIoError::Transport("data request connection closed prematurely").into()
            ),
        }]
    );

    // A held GET's connection closing ends its session.
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.handle_read(ms(1), 1, &get(&format!("&sid={SID1}")));
    ep.handle_eof(ms(2), 1);
    assert_eq!(transmits(&mut ep), vec![t(1, b"", true)]);
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::TransportError,
            error: Some(EngineIoError::Transport("poll connection closed prematurely").into()),
        }]
    );
    assert_eq!(ep.sessions(), 0);
}

#[test]
fn request_timeout_closes_slow_and_idle_connections() {
    let cfg = EndpointConfig::default().request_timeout(ms(1000));
    let mut ep = endpoint(cfg);
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(10), 1, b"GET / HTTP/1.1\r\n");
    assert_eq!(ep.poll_timeout(), Some(ms(1000)));
    ep.handle_timeout(ms(999));
    assert!(transmits(&mut ep).is_empty());
    ep.handle_timeout(ms(1000));
    assert_eq!(transmits(&mut ep), vec![t(1, b"", true)]);
    assert_eq!(ep.connections(), 0);
    // The timer restarts after every response.
    ep.handle_accept(ms(2000), 2);
    ep.handle_read(ms(2500), 2, &get(""));
    let _ = transmits(&mut ep);
    ep.handle_timeout(ms(3000));
    assert!(transmits(&mut ep).is_empty());
    ep.handle_timeout(ms(3500));
    assert_eq!(transmits(&mut ep), vec![t(2, b"", true)]);
}

#[test]
fn caps() {
    // Head too large: 431 and close.
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    let mut head = b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nX: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 9000));
    ep.handle_read(ms(0), 1, &head);
    let tr = raw_transmits(&mut ep);
    assert_eq!(tr.len(), 1);
    assert!(tr[0].data.starts_with(b"HTTP/1.1 431 "));
    assert!(tr[0].close);

    // Body over maxPayload: 413 before the body is read, and close.
    let cfg = EndpointConfig::default().server(ServerConfig::default().max_payload(10));
    let mut ep = endpoint(cfg);
    handshake(&mut ep);
    ep.handle_read(ms(1), 1, &post(SID1, "4this is too long"));
    let want = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(transmits(&mut ep), vec![t(1, want, true)]);
    // Chunked bodies: 411.
    ep.handle_accept(ms(1), 2);
    ep.handle_read(
        ms(1),
        2,
        format!(
            "POST /engine.io/?EIO=4&transport=polling&sid={SID1} HTTP/1.1\r\nHost: x\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        )
        .as_bytes(),
    );
    let tr = raw_transmits(&mut ep);
    assert!(tr[0].data.starts_with(b"HTTP/1.1 411 Length Required\r\n"));
    assert!(tr[0].close);

    // Connections: the third is answered 503 and closed.
    let mut ep = endpoint(EndpointConfig::default().max_connections(2));
    ep.handle_accept(ms(0), 1);
    ep.handle_accept(ms(0), 2);
    ep.handle_accept(ms(0), 3);
    let want =
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    assert_eq!(transmits(&mut ep), vec![t(3, want, true)]);
    assert_eq!(ep.connections(), 2);

    // Sessions: 403 code 4.
    let mut ep = endpoint(EndpointConfig::default().max_sessions(1));
    handshake(&mut ep);
    ep.handle_read(ms(1), 1, &get(""));
    let e = error("403 Forbidden", 4, "Forbidden", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    assert_eq!(ep.sessions(), 1);
}

#[test]
fn refused_requests_with_a_body_close_the_connection() {
    // A 404 with a body: the body is not read, so the connection cannot be reused.
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(
        ms(0),
        1,
        b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    );
    let nf = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\
Connection: close\r\n\r\nnot found";
    assert_eq!(transmits(&mut ep), vec![t(1, nf, true)]);
    // Conflicting lengths (request smuggling bait): 400, and close.
    ep.handle_accept(ms(0), 2);
    ep.handle_read(
        ms(0),
        2,
        format!(
            "POST /engine.io/?EIO=4&transport=polling&sid={SID1} HTTP/1.1\r\nHost: x\r\n\
             Content-Length: 2\r\nContent-Length: 3\r\n\r\n4x"
        )
        .as_bytes(),
    );
    let tr = transmits(&mut ep);
    assert_eq!(tr.len(), 1);
    assert!(tr[0].1.starts_with("HTTP/1.1 400 Bad Request"), "{tr:?}");
    assert!(tr[0].2);
}

#[test]
fn one_deadline_for_many_sessions() {
    let mut ep = endpoint(small());
    // Sessions opened 10 ms apart; each pings on its own schedule.
    for i in 0..20u64 {
        ep.handle_accept(ms(i * 10), i);
        ep.handle_read(ms(i * 10), i, &get(""));
    }
    let _ = transmits(&mut ep);
    assert_eq!(events(&mut ep).len(), 20);
    assert_eq!(ep.poll_timeout(), Some(ms(300)));
    // At 345 ms the first five have sent a ping (queued: no GET held); the rest have not.
    ep.handle_timeout(ms(345));
    assert_eq!(ep.poll_timeout(), Some(ms(350)));
    // Nobody answers: sessions time out one by one, each at its own deadline.
    ep.handle_timeout(ms(500));
    let closed = events(&mut ep);
    assert_eq!(closed.len(), 1);
    ep.handle_timeout(ms(545));
    assert_eq!(events(&mut ep).len(), 4);
    assert_eq!(ep.sessions(), 15);
}

#[test]
fn many_heartbeats_keep_one_exact_deadline() {
    // Every pong reschedules the session; stale heap entries must neither fire nor pile up.
    let mut ep = endpoint(small());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &ws_upgrade(""));
    let _ = transmits(&mut ep);
    let _ = events(&mut ep);
    let mut now = ms(0);
    for _ in 0..500 {
        now += ms(300);
        assert_eq!(ep.poll_timeout(), Some(now));
        ep.handle_timeout(now);
        assert_eq!(transmits(&mut ep), vec![t(1, &server_text("2"), false)]);
        assert_eq!(ep.poll_timeout(), Some(now + ms(200)));
        now += ms(5);
        ep.handle_read(now, 1, &client_frame(1, b"3"));
        assert!(transmits(&mut ep).is_empty());
    }
    assert!(ep.is_open(SID1));
    assert!(events(&mut ep).is_empty());
}
