//! The Engine.IO endpoint over raw bytes, on a fake clock: byte-exact HTTP and WebSocket
//! transcripts for the Engine.IO v4 protocol (handshake, long-polling, held GETs, heartbeat,
//! upgrade, direct WebSocket), CORS, errors, caps, EOF, every-split-point feeding.
#![cfg(feature = "std")]

use std::time::Duration;

use sockwire::engineio::Message;
use sockwire::engineio::endpoint::{Endpoint, EndpointConfig, Event, Transmit};
use sockwire::engineio::http::Cors;
use sockwire::engineio::server::{CloseReason, ServerConfig, sid_from_entropy};

const SID1: &str = "AQEBAQEBAQEBAQEBAQEB";
const SID2: &str = "AgICAgICAgICAgICAgIC";
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn endpoint(cfg: EndpointConfig) -> Endpoint {
    let mut n = 0u8;
    Endpoint::new(cfg, move || {
        n += 1;
        [n; 15]
    })
}

fn small() -> EndpointConfig {
    EndpointConfig::default().server(
        ServerConfig::default()
            .ping_interval(ms(300))
            .ping_timeout(ms(200)),
    )
}

/// A transmit in readable form (bytes escaped, so comparisons stay exact).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tx(u64, String, bool);

fn transmits(ep: &mut Endpoint) -> Vec<Tx> {
    std::iter::from_fn(|| ep.poll_transmit())
        .map(|t: Transmit| Tx(t.conn, t.data.escape_ascii().to_string(), t.close))
        .collect()
}

fn raw_transmits(ep: &mut Endpoint) -> Vec<Transmit> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

fn events(ep: &mut Endpoint) -> Vec<Event> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

fn t(conn: u64, data: &[u8], close: bool) -> Tx {
    Tx(conn, data.escape_ascii().to_string(), close)
}

/// A `200` long-polling payload response, as the reference writes it (keep-alive).
fn payload(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\n\
         Connection: keep-alive\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\
Connection: keep-alive\r\n\r\nok";

/// A reference error response `{"code":N,"message":"…"}`.
fn error(status: &str, code: u8, message: &str, keep: bool) -> Vec<u8> {
    let body = format!("{{\"code\":{code},\"message\":\"{message}\"}}");
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: {}\r\n\r\n{body}",
        body.len(),
        if keep { "keep-alive" } else { "close" }
    )
    .into_bytes()
}

fn open_packet(sid: &str, upgrades: &str, interval: u64, timeout: u64) -> String {
    format!(
        "0{{\"sid\":\"{sid}\",\"upgrades\":[{upgrades}],\"pingInterval\":{interval},\
         \"pingTimeout\":{timeout},\"maxPayload\":1000000}}"
    )
}

fn get(query: &str) -> Vec<u8> {
    format!("GET /engine.io/?EIO=4&transport=polling{query} HTTP/1.1\r\nHost: x\r\n\r\n")
        .into_bytes()
}

fn post(sid: &str, body: &str) -> Vec<u8> {
    format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\
         Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn ws_upgrade(query: &str) -> Vec<u8> {
    format!(
        "GET /engine.io/?EIO=4&transport=websocket{query} HTTP/1.1\r\nHost: x\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes()
}

fn resp_101() -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
    )
    .into_bytes()
}

/// A masked client frame (payload under 126 bytes).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x11, 0x22, 0x33, 0x44];
    let mut f = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// An unmasked server text frame (payload under 126 bytes).
fn server_text(text: &str) -> Vec<u8> {
    let mut f = vec![0x81, text.len() as u8];
    f.extend_from_slice(text.as_bytes());
    f
}

/// Opens a polling session on connection 1 and drains the handshake.
fn handshake(ep: &mut Endpoint) {
    ep.handle_accept(ms(0), 1);
    ep.handle_read(ms(0), 1, &get(""));
    assert_eq!(transmits(ep).len(), 1);
    assert_eq!(events(ep).len(), 1);
}

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
            reason: CloseReason::PingTimeout
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
            reason: CloseReason::TransportError("overlap from client")
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
            reason: CloseReason::TransportClose
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
            reason: CloseReason::TransportClose
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
            reason: CloseReason::ForcedClose
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
            reason: CloseReason::TransportError("data request connection closed prematurely")
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
            reason: CloseReason::TransportError("poll connection closed prematurely")
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
    assert!(ep.ws_deflate(SID1).is_some_and(|p| p.server_no_context_takeover));
    // Messages above the compression threshold go out compressed (RSV1 set).
    let _ = events(&mut ep);
    ep.send_text(SID1, &"a".repeat(300)).unwrap();
    let tr = raw_transmits(&mut ep);
    assert_eq!(tr[0].data[0], 0xc1);
    assert!(tr[0].data.len() < 100);
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
            reason: CloseReason::TransportClose
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
            reason: CloseReason::ParseError
        }]
    );
    assert_eq!(
        transmits(&mut ep),
        vec![t(1, &[0x88, 0x02, 0x03, 0xe8], false)]
    );
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
