//! The Engine.IO endpoint, WebSocket, on a fake clock: byte-exact transcripts of the upgrade
//! from polling (`2probe` / `3probe` / `5`, failed probe, upgrade timeout), the direct
//! WebSocket (the `101` before any frame), closes, protocol errors, permessage-deflate and
//! frames encoded once for many sessions.
#![cfg(feature = "std")]

mod engineio_endpoint_support;

use engineio_endpoint_support::*;
use sockwire::Error;
use sockwire::frame::FrameError;
use sockwire::ws::ProtocolError;

#[test]
fn upgrade_from_polling_with_probe() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    // The client keeps polling while it probes the WebSocket.
    ep.handle_read(ms(1), 1, &get(&format!("&sid={SID1}")));
    ep.handle_accept(ms(2), 2);
    ep.handle_read(ms(2), 2, &ws_upgrade(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(2, &resp_101(), false)]);
    ep.handle_read(ms(3), 2, &client_frame(1, b"2probe"));
    // `3probe` on the WebSocket; the held GET is released with a noop so the client can pause.
    assert_eq!(
        transmits(&mut ep),
        vec![
            t(2, &server_text("3probe"), false),
            t(1, &payload("6"), false)
        ]
    );
    ep.handle_read(ms(4), 2, &client_frame(1, b"5"));
    assert!(transmits(&mut ep).is_empty());
    assert_eq!(events(&mut ep), vec![Event::Upgraded { sid: SID1.into() }]);
    // Messages now travel over the WebSocket, both ways.
    ep.send_text(SID1, "x").unwrap();
    assert_eq!(transmits(&mut ep), vec![t(2, &server_text("4x"), false)]);
    ep.handle_read(ms(5), 2, &client_frame(1, b"4y"));
    assert_eq!(
        events(&mut ep),
        vec![Event::Message {
            sid: SID1.into(),
            message: Message::Text("y".into())
        }]
    );
    // Polling is over for this session.
    ep.handle_read(ms(6), 1, &get(&format!("&sid={SID1}")));
    let e = error("400 Bad Request", 3, "Bad request", true);
    assert_eq!(transmits(&mut ep), vec![t(1, &e, false)]);
    // A second WebSocket for the sid is accepted and closed at once.
    ep.handle_accept(ms(7), 3);
    ep.handle_read(ms(7), 3, &ws_upgrade(&format!("&sid={SID1}")));
    assert_eq!(
        transmits(&mut ep),
        vec![
            t(3, &resp_101(), false),
            t(3, &[0x88, 0x02, 0x03, 0xe8], false)
        ]
    );
    // The heartbeat now runs over the WebSocket. (The refused WebSocket gave up waiting for
    // the client's Close after 5 s.)
    ep.handle_timeout(ms(25_000));
    assert_eq!(
        transmits(&mut ep),
        vec![t(3, b"", true), t(2, &server_text("2"), false)]
    );
    // The client closes its WebSocket: the session ends.
    ep.handle_read(ms(25_001), 2, &client_frame(8, &[0x03, 0xe8]));
    assert_eq!(
        transmits(&mut ep),
        vec![t(2, &[0x88, 0x02, 0x03, 0xe8], true)]
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::TransportClose,
            error: None,
        }]
    );
    assert_eq!(ep.sessions(), 0);
}

#[test]
fn failed_probe_keeps_the_session_on_polling() {
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.handle_accept(ms(2), 2);
    ep.handle_read(ms(2), 2, &ws_upgrade(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(2, &resp_101(), false)]);
    // Anything but the probe closes the candidate.
    ep.handle_read(ms(3), 2, &client_frame(1, b"4nope"));
    assert_eq!(
        transmits(&mut ep),
        vec![t(2, &[0x88, 0x02, 0x03, 0xe8], false)]
    );
    assert!(events(&mut ep).is_empty());
    assert!(ep.is_open(SID1));
    ep.send_text(SID1, "still").unwrap();
    ep.handle_read(ms(4), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("4still"), false)]);
}

#[test]
fn direct_websocket_writes_101_before_any_frame() {
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 9);
    // The head and a first message in one read.
    let mut input = ws_upgrade("");
    input.extend_from_slice(&client_frame(1, b"4hello"));
    ep.handle_read(ms(0), 9, &input);
    // The 101 first, then the open packet's frame: one transmit each.
    let open = server_text(&open_packet(SID1, "", 25000, 20000));
    assert_eq!(
        transmits(&mut ep),
        vec![t(9, &resp_101(), false), t(9, &open, false)]
    );
    let ev = events(&mut ep);
    assert!(matches!(&ev[0], Event::Opened { sid, conn: 9, .. } if sid == SID1));
    assert_eq!(
        ev[1],
        Event::Message {
            sid: SID1.into(),
            message: Message::Text("hello".into())
        }
    );
    assert_eq!(ev.len(), 2);
    // Binary messages are raw binary frames in v4.
    ep.send_binary(SID1, &[0xde, 0xad]).unwrap();
    assert_eq!(
        transmits(&mut ep),
        vec![t(9, &[0x82, 0x02, 0xde, 0xad], false)]
    );
    ep.handle_read(ms(1), 9, &client_frame(2, &[7, 8]));
    assert_eq!(
        events(&mut ep),
        vec![Event::Message {
            sid: SID1.into(),
            message: Message::Binary(vec![7, 8])
        }]
    );
    // A WebSocket connection has no request timer; an EOF ends the session.
    assert_eq!(ep.poll_timeout(), Some(ms(25_000)));
    ep.handle_eof(ms(2), 9);
    assert_eq!(transmits(&mut ep), vec![t(9, b"", true)]);
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::TransportClose,
            error: None,
        }]
    );
    assert_eq!((ep.sessions(), ep.connections()), (0, 0));
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn close_command_on_websocket_and_on_polling() {
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 9);
    ep.handle_read(ms(0), 9, &ws_upgrade(""));
    let _ = transmits(&mut ep);
    let _ = events(&mut ep);
    ep.close(SID1);
    assert_eq!(
        transmits(&mut ep),
        vec![t(9, &[0x88, 0x02, 0x03, 0xe8], false)]
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::ForcedClose,
            error: None,
        }]
    );
    // The peer answers the Close: the server closes TCP.
    ep.handle_read(ms(1), 9, &client_frame(8, &[0x03, 0xe8]));
    assert_eq!(transmits(&mut ep), vec![t(9, b"", true)]);

    // On polling the `1` goes to the next GET.
    let mut ep = endpoint(EndpointConfig::default());
    handshake(&mut ep);
    ep.send_text(SID1, "bye").unwrap();
    ep.close(SID1);
    ep.handle_read(ms(1), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("4bye\x1e1"), false)]);
    assert_eq!(ep.sessions(), 0);
}

#[test]
fn upgrade_timeout_closes_the_candidate_and_late_gets_get_a_noop() {
    let cfg = EndpointConfig::default().server(
        ServerConfig::default()
            .upgrade_timeout(ms(1000))
            .upgrade_noop_delay(ms(50)),
    );
    let mut ep = endpoint(cfg);
    handshake(&mut ep);
    ep.handle_accept(ms(10), 2);
    ep.handle_read(ms(10), 2, &ws_upgrade(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(2, &resp_101(), false)]);
    ep.handle_read(ms(20), 2, &client_frame(1, b"2probe"));
    assert_eq!(
        transmits(&mut ep),
        vec![t(2, &server_text("3probe"), false)]
    );
    // A GET that crossed the `3probe` is answered with a noop after the delay.
    ep.handle_read(ms(30), 1, &get(&format!("&sid={SID1}")));
    assert!(transmits(&mut ep).is_empty());
    assert_eq!(ep.poll_timeout(), Some(ms(80)));
    ep.handle_timeout(ms(80));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("6"), false)]);
    // No `5` within upgradeTimeout: the candidate is closed, the session stays on polling.
    ep.handle_timeout(ms(1010));
    assert_eq!(
        transmits(&mut ep),
        vec![t(2, &[0x88, 0x02, 0x03, 0xe8], false)]
    );
    assert!(ep.is_open(SID1));
    assert!(events(&mut ep).is_empty());
    ep.send_text(SID1, "p").unwrap();
    ep.handle_read(ms(1020), 1, &get(&format!("&sid={SID1}")));
    assert_eq!(transmits(&mut ep), vec![t(1, &payload("4p"), false)]);
}

#[test]
fn websocket_protocol_errors_close_with_their_code_and_end_the_session() {
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &ws_upgrade(""));
    let _ = transmits(&mut ep);
    let _ = events(&mut ep);
    // An unmasked frame from a client: Close 1002 (with the connection's reason), and the TCP
    // connection closes after it.
    ep.handle_read(ms(1), 1, &[0x81, 0x02, b'4', b'x']);
    assert_eq!(
        transmits(&mut ep),
        vec![t(1, b"\x88\x0f\x03\xeainvalid frame", true)]
    );
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::TransportError,
            error: Some(Error::Protocol(ProtocolError::Frame(
                FrameError::UnmaskedFrame
            ))),
        }]
    );
    assert_eq!((ep.sessions(), ep.connections()), (0, 0));

    // An Engine.IO parse error on the WebSocket closes the session with its reason.
    let mut ep = endpoint(EndpointConfig::default());
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &ws_upgrade(""));
    let _ = transmits(&mut ep);
    let _ = events(&mut ep);
    ep.handle_read(ms(1), 1, &client_frame(1, b"9"));
    assert_eq!(
        events(&mut ep),
        vec![Event::Closed {
            sid: SID1.into(),
            reason: CloseReason::ParseError,
            error: Some(EngineIoError::UnknownPacketType { byte: b'9' }.into()),
        }]
    );
    assert_eq!(
        transmits(&mut ep),
        vec![t(1, &[0x88, 0x02, 0x03, 0xe8], false)]
    );
}

#[cfg(feature = "deflate")]
#[test]
fn permessage_deflate_is_negotiated_when_configured() {
    let cfg = EndpointConfig::default()
        .server(ServerConfig::default().per_message_deflate(Some(Default::default())));
    let mut ep = endpoint(cfg);
    ep.handle_accept(ms(0), 1);
    let req = format!(
        "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    );
    ep.handle_read(ms(0), 1, req.as_bytes());
    let tr = raw_transmits(&mut ep);
    let text = String::from_utf8_lossy(&tr[0].data);
    assert!(text.starts_with("HTTP/1.1 101 "), "{text}");
    assert!(
        text.contains("Sec-WebSocket-Extensions: permessage-deflate"),
        "{text}"
    );
    assert!(
        ep.ws_deflate(SID1)
            .is_some_and(|p| p.server_no_context_takeover)
    );
    // Messages above the compression threshold go out compressed (RSV1 set).
    let _ = events(&mut ep);
    ep.send_text(SID1, &"a".repeat(300)).unwrap();
    let tr = raw_transmits(&mut ep);
    assert_eq!(tr[0].data[0], 0xc1);
    assert!(tr[0].data.len() < 100);
}

#[test]
fn frames_encoded_once_go_straight_to_websocket_sessions() {
    let mut ep = endpoint(EndpointConfig::default());
    // Session 1 on WebSocket, session 2 on polling.
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &ws_upgrade(""));
    ep.handle_accept(ms(0), 2);
    ep.handle_read(ms(0), 2, &get(""));
    let _ = transmits(&mut ep);
    let _ = events(&mut ep);
    let frames = [0x81, 0x03, b'4', b'h', b'i', 0x82, 0x01, 0x07];
    assert!(ep.is_websocket(SID1));
    assert_eq!(ep.ws_deflate(SID1), None);
    assert_eq!(ep.send_ws_encoded(SID1, &frames), Ok(true));
    assert_eq!(transmits(&mut ep), vec![t(1, &frames, false)]);
    // Not on WebSocket: the caller sends the messages instead.
    assert!(!ep.is_websocket(SID2));
    assert_eq!(ep.send_ws_encoded(SID2, &frames), Ok(false));
    assert!(transmits(&mut ep).is_empty());
    assert_eq!(
        ep.send_ws_encoded("nope", &frames),
        Err(sockwire::engineio::EngineIoError::Closed)
    );
}
