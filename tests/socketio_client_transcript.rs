//! `socketio::client::Client` byte-exact against hand-written server bytes, on a fake clock:
//! the polling open, held GETs and POSTs, WebSocket direct, the upgrade, reconnection after a
//! drop with its backoff, the ping timeout, the connect timeout, caps; and every split point
//! of the server's responses gives the same transcript.

use core::time::Duration;

use sockwire::engineio::EngineIoError;
use sockwire::handshake::{accept_key, key_for_nonce};
use sockwire::socketio::client::{Client, ClientOptions, Event, Transmit, Transports};
use sockwire::socketio::{ClientEvent, DisconnectReason};

fn entropy() -> impl FnMut() -> [u8; 16] + Clone + Send + 'static {
    let mut n = 0u8;
    move || {
        n = n.wrapping_add(1);
        [n; 16]
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A written transmit, as text for readable assertions (frames as hex).
fn show(t: &Transmit) -> String {
    match t {
        Transmit::Connect { conn } => format!("connect {conn}"),
        Transmit::Close { conn } => format!("close {conn}"),
        Transmit::Write { conn, data } => match std::str::from_utf8(data) {
            Ok(s) if !data.is_empty() && data[0].is_ascii_alphabetic() => {
                format!("write {conn} {s}")
            }
            _ => format!("write {conn} {}", hex(data)),
        },
        _ => unreachable!(),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn drain(c: &mut Client) -> (Vec<String>, Vec<Event>) {
    let tx = std::iter::from_fn(|| c.poll_transmit())
        .map(|t| show(&t))
        .collect();
    let ev = std::iter::from_fn(|| c.poll_event()).collect();
    (tx, ev)
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An unmasked server text frame.
fn frame(text: &str) -> Vec<u8> {
    assert!(text.len() < 126);
    let mut f = vec![0x81, text.len() as u8];
    f.extend_from_slice(text.as_bytes());
    f
}

/// A masked client text frame with key `[k; 4]`.
fn masked(text: &str, k: u8) -> String {
    let mut f = vec![0x81, 0x80 | text.len() as u8, k, k, k, k];
    f.extend(text.bytes().map(|b| b ^ k));
    hex(&f)
}

fn switching(nonce: u8) -> Vec<u8> {
    let key = key_for_nonce(&[nonce; 16]);
    let accept = accept_key(&key);
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        std::str::from_utf8(&accept).unwrap()
    )
    .into_bytes()
}

const OPEN_POLL: &str =
    r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const OPEN_UP: &str = r#"0{"sid":"s1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const OPEN_WS: &str =
    r#"0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

const GET0: &str = "write 1 GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";
const GET: &str = "write 1 GET /socket.io/?EIO=4&transport=polling&sid=s1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n";

fn post(body: &str) -> String {
    format!(
        "write 2 POST /socket.io/?EIO=4&transport=polling&sid=s1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn client(t: Transports) -> Client {
    let mut c = Client::new(
        Duration::ZERO,
        ClientOptions::new("localhost").transports(t).seed(1),
        entropy(),
    );
    c.connect("/", None).unwrap();
    c
}

fn sio(e: ClientEvent) -> Event {
    Event::Socket(e)
}

#[test]
fn polling_open_held_get_and_posts() {
    let mut c = client(Transports::Polling);
    assert_eq!(drain(&mut c).0, ["connect 1", GET0]);
    assert_eq!(c.poll_timeout(), Some(ms(20_000)), "the connect timeout");

    c.handle_read(ms(5), 1, &http("200 OK", OPEN_POLL));
    let (tx, ev) = drain(&mut c);
    assert_eq!(tx, [GET.to_string(), "connect 2".into(), post("40")]);
    assert_eq!(ev, [Event::Open { sid: "s1".into() }]);
    assert_eq!(
        c.poll_timeout(),
        Some(ms(45_005)),
        "pingInterval + pingTimeout"
    );

    c.handle_read(ms(6), 2, &http("200 OK", "ok"));
    assert_eq!(drain(&mut c), (vec![], vec![]));

    // The held GET returns the CONNECT reply and a ping: a new GET, the pong in a POST.
    c.handle_read(ms(25_000), 1, &http("200 OK", "40{\"sid\":\"x1\"}\x1e2"));
    let (tx, ev) = drain(&mut c);
    assert_eq!(tx, [post("3"), GET.to_string()]);
    assert_eq!(
        ev,
        [sio(ClientEvent::Connect {
            nsp: "/".into(),
            sid: "x1".into()
        })]
    );
    assert_eq!(c.poll_timeout(), Some(ms(70_000)));

    // Emits while a POST is in flight wait for it, then go in one body.
    c.emit("/", "a", &[]).unwrap();
    c.emit("/", "b", &[]).unwrap();
    assert_eq!(drain(&mut c).0, Vec::<String>::new());
    c.handle_read(ms(25_001), 2, &http("200 OK", "ok"));
    assert_eq!(drain(&mut c).0, [post("42[\"a\"]\x1e42[\"b\"]")]);

    // The server closes the idle POST connection: the next POST opens a new one.
    c.handle_read(ms(25_002), 2, &http("200 OK", "ok"));
    c.handle_eof(ms(25_003), 2);
    c.emit("/", "c", &[]).unwrap();
    let (tx, _) = drain(&mut c);
    assert_eq!(tx[0], "connect 3");
    assert!(tx[1].starts_with("write 3 POST "), "{tx:?}");
}

#[test]
fn ping_timeout_over_polling_then_reconnection() {
    let mut c = client(Transports::Polling);
    drain(&mut c);
    c.handle_read(ms(0), 1, &http("200 OK", OPEN_POLL));
    drain(&mut c);
    c.handle_timeout(ms(45_000));
    let (tx, ev) = drain(&mut c);
    assert_eq!(tx, ["close 1", "close 2"]);
    assert_eq!(
        ev[0],
        Event::TransportClosed {
            reason: DisconnectReason::PingTimeout,
            error: None,
        }
    );
    let Event::Reconnecting { attempt: 1, delay } = ev[1] else {
        panic!("{ev:?}")
    };
    assert!(delay >= ms(500) && delay <= ms(1500), "{delay:?}");
    assert_eq!(c.poll_timeout(), Some(ms(45_000) + delay));
    c.handle_timeout(ms(45_000) + delay);
    assert_eq!(
        drain(&mut c).0,
        ["connect 3", &GET0.replace("write 1", "write 3")]
    );
}

#[test]
fn websocket_direct() {
    let mut c = client(Transports::WebSocket);
    let (tx, _) = drain(&mut c);
    assert_eq!(
        tx,
        [
            "connect 1".to_string(),
            "write 1 GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AQEBAQEBAQEBAQEBAQEBAQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".into()
        ]
    );
    // The 101 and the open packet in one read.
    let mut input = switching(1);
    input.extend(frame(OPEN_WS));
    c.handle_read(ms(1), 1, &input);
    let (tx, ev) = drain(&mut c);
    // Masks come from a clone of the entropy: its first draw is [1; 16].
    assert_eq!(tx, [format!("write 1 {}", masked("40", 1))]);
    assert_eq!(ev, [Event::Open { sid: "s1".into() }]);
    c.handle_read(ms(2), 1, &frame("40{\"sid\":\"x\"}"));
    c.handle_read(ms(3), 1, &frame("2"));
    let (tx, ev) = drain(&mut c);
    assert_eq!(tx, [format!("write 1 {}", masked("3", 2))]);
    assert_eq!(ev.len(), 1);
    // No ping for pingInterval + pingTimeout: a Close frame, the connection closed.
    c.handle_timeout(ms(45_003));
    let (tx, ev) = drain(&mut c);
    assert_eq!(tx.len(), 2, "{tx:?}");
    assert!(
        tx[0].starts_with("write 1 8882"),
        "a masked Close 1000: {tx:?}"
    );
    assert_eq!(tx[1], "close 1");
    assert!(ev.contains(&Event::TransportClosed {
        reason: DisconnectReason::PingTimeout,
        error: None,
    }));
}

#[test]
fn upgrade_probe_pause_drain() {
    let mut c = client(Transports::PollingThenUpgrade);
    drain(&mut c);
    c.handle_read(ms(1), 1, &http("200 OK", OPEN_UP));
    let (tx, _) = drain(&mut c);
    assert_eq!(
        tx,
        [
            "connect 2".into(),
            "write 2 GET /socket.io/?EIO=4&transport=websocket&sid=s1 HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: AQEBAQEBAQEBAQEBAQEBAQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".into(),
            GET.to_string(),
            "connect 3".into(),
            post("40").replace("write 2", "write 3"),
        ]
    );
    c.handle_read(ms(2), 2, &switching(1));
    assert_eq!(
        drain(&mut c).0,
        [format!("write 2 {}", masked("2probe", 1))]
    );
    c.handle_read(ms(3), 2, &frame("3probe"));
    // Paused: the GET and the POST are still in flight.
    assert_eq!(drain(&mut c), (vec![], vec![]));
    c.handle_read(ms(4), 3, &http("200 OK", "ok"));
    assert_eq!(drain(&mut c), (vec![], vec![]));
    c.handle_read(ms(5), 1, &http("200 OK", "6"));
    let (tx, ev) = drain(&mut c);
    assert_eq!(
        tx,
        [
            format!("write 2 {}", masked("5", 2)),
            "close 1".into(),
            "close 3".into()
        ]
    );
    assert_eq!(ev, [Event::Upgraded]);
    c.handle_read(ms(6), 2, &frame("40{\"sid\":\"x\"}"));
    c.emit("/", "hi", &[]).unwrap();
    let (tx, _) = drain(&mut c);
    assert_eq!(tx, [format!("write 2 {}", masked("42[\"hi\"]", 3))]);
}

#[test]
fn backoff_without_jitter_doubles_to_the_cap_then_gives_up() {
    let opts = ClientOptions::new("h")
        .transports(Transports::WebSocket)
        .randomization_permille(0)
        .reconnection_attempts(4);
    let mut c = Client::new(Duration::ZERO, opts, entropy());
    let mut now = Duration::ZERO;
    let mut delays = Vec::new();
    for conn in 1..=5 {
        let (tx, _) = drain(&mut c);
        assert_eq!(tx[0], format!("connect {conn}"));
        c.handle_eof(now, conn); // refused
        for e in drain(&mut c).1 {
            if let Event::Reconnecting { delay, .. } = e {
                delays.push(delay);
                now += delay;
                c.handle_timeout(now);
            } else if conn == 5 {
                assert!(
                    matches!(
                        e,
                        Event::TransportClosed { .. } | Event::ReconnectFailed | Event::Closed
                    ),
                    "{e:?}"
                );
            }
        }
    }
    assert_eq!(delays, [ms(1000), ms(2000), ms(4000), ms(5000)]);
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn connect_timeout_retries() {
    let mut c = client(Transports::Polling);
    drain(&mut c);
    c.handle_timeout(ms(20_000));
    let (tx, ev) = drain(&mut c);
    assert_eq!(tx, ["close 1"]);
    assert_eq!(
        ev[0],
        Event::TransportClosed {
            reason: DisconnectReason::TransportError,
            error: Some(EngineIoError::Transport("timeout").into()),
        }
    );
    assert!(matches!(ev[1], Event::Reconnecting { attempt: 1, .. }));
}

#[test]
fn caps_and_garbage_lose_the_session() {
    let cases: Vec<Vec<u8>> = vec![
        // Body over the cap (4 MiB).
        b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n".to_vec(),
        // Chunked (not what Engine.IO servers send).
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        // A head over 8 KiB.
        [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; 9000]].concat(),
        // Not HTTP.
        b"\x00\x01garbage\r\n\r\n".to_vec(),
        // A body that is not an Engine.IO open packet.
        http("200 OK", "4hello"),
        // An error status.
        http("400 Bad Request", r#"{"code":3,"message":"Bad request"}"#),
    ];
    for (i, input) in cases.iter().enumerate() {
        let mut c = client(Transports::Polling);
        drain(&mut c);
        // One byte at a time: nothing accumulates beyond the caps, nothing panics.
        for b in input.chunks(1) {
            c.handle_read(ms(1), 1, b);
        }
        let (_, ev) = drain(&mut c);
        assert!(
            ev.iter()
                .any(|e| matches!(e, Event::TransportClosed { .. })),
            "case {i}: {ev:?}"
        );
        assert!(
            ev.iter().any(|e| matches!(e, Event::Reconnecting { .. })),
            "case {i}"
        );
    }
}

/// The transcript of feeding `responses` (connection, bytes), each split at `split` (or whole).
fn transcript(
    t: Transports,
    responses: &[(u64, Vec<u8>)],
    split: Option<usize>,
) -> (Vec<String>, Vec<Event>) {
    let mut c = client(t);
    let (mut tx, mut ev) = drain(&mut c);
    for (i, (conn, bytes)) in responses.iter().enumerate() {
        let now = ms(i as u64 + 1);
        match split {
            Some(s) if s <= bytes.len() => {
                c.handle_read(now, *conn, &bytes[..s]);
                c.handle_read(now, *conn, &bytes[s..]);
            }
            _ => c.handle_read(now, *conn, bytes),
        }
        let (t, e) = drain(&mut c);
        tx.extend(t);
        ev.extend(e);
    }
    (tx, ev)
}

#[test]
fn every_split_point_gives_the_same_transcript() {
    let polling = vec![
        (1, http("200 OK", OPEN_POLL)),
        (2, http("200 OK", "ok")),
        (
            1,
            http("200 OK", "40{\"sid\":\"x1\"}\x1e2\x1e42[\"e\",\"\\u00e9\"]"),
        ),
    ];
    let mut ws_open = switching(1);
    ws_open.extend(frame(OPEN_WS));
    let ws = vec![
        (1, ws_open),
        (1, [frame("40{\"sid\":\"x\"}"), frame("2")].concat()),
    ];
    for (t, responses) in [(Transports::Polling, polling), (Transports::WebSocket, ws)] {
        let whole = transcript(t, &responses, None);
        assert!(whole.1.len() >= 2, "{whole:?}");
        let longest = responses.iter().map(|r| r.1.len()).max().unwrap();
        for s in 0..=longest {
            assert_eq!(
                transcript(t, &responses, Some(s)),
                whole,
                "{t:?} split at {s}"
            );
        }
    }
}

#[test]
fn a_response_read_together_with_the_next_one() {
    let mut c = client(Transports::Polling);
    drain(&mut c);
    // The open response and the answer to the GET that follows it, in one read.
    let both = [
        http("200 OK", OPEN_POLL),
        http("200 OK", "40{\"sid\":\"x1\"}"),
    ]
    .concat();
    c.handle_read(ms(1), 1, &both);
    let (tx, ev) = drain(&mut c);
    assert_eq!(
        tx,
        [
            GET.to_string(),
            GET.to_string(),
            "connect 2".into(),
            post("40")
        ]
    );
    assert_eq!(ev.len(), 2, "{ev:?}");
    assert!(c.is_connected("/"));
}

/// Connection state recovery across attempts: the pid of the CONNECT reply and the offset of
/// the last event go with the CONNECT of the next session, and a reply with the same pid is a
/// recovered session.
#[test]
fn recovery_pid_and_offset_survive_a_reconnection() {
    let mut c = client(Transports::WebSocket);
    drain(&mut c);
    c.handle_read(ms(1), 1, &[switching(1), frame(OPEN_WS)].concat());
    assert_eq!(drain(&mut c).0, [format!("write 1 {}", masked("40", 1))]);
    c.handle_read(ms(2), 1, &frame(r#"40{"sid":"x","pid":"p1"}"#));
    c.handle_read(ms(3), 1, &frame(r#"42["m","o1"]"#));
    drain(&mut c);
    assert_eq!(c.socket().last_offset("/"), Some("o1"));
    c.handle_eof(ms(4), 1);
    let (tx, ev) = drain(&mut c);
    assert!(tx.is_empty(), "{tx:?}");
    let Some(Event::Reconnecting { delay, .. }) = ev.last() else {
        panic!("{ev:?}")
    };
    c.handle_timeout(ms(4) + *delay);
    let (tx, _) = drain(&mut c);
    assert_eq!(tx[0], "connect 2");
    c.handle_read(ms(5000), 2, &[switching(2), frame(OPEN_WS)].concat());
    let (tx, _) = drain(&mut c);
    assert_eq!(
        tx,
        [format!(
            "write 2 {}",
            masked(r#"40{"pid":"p1","offset":"o1"}"#, 1)
        )]
    );
    c.handle_read(ms(5001), 2, &frame(r#"40{"sid":"x","pid":"p1"}"#));
    let (_, ev) = drain(&mut c);
    assert_eq!(
        ev,
        [sio(ClientEvent::Connect {
            nsp: "/".into(),
            sid: "x".into()
        })]
    );
    assert!(c.socket().is_recovered("/"));
}

mod chunks {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any number of reads, cut anywhere, gives the transcript of whole reads (the naive
        /// model: one read per response).
        #[test]
        fn any_chunking_gives_the_same_transcript(
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
            ws in any::<bool>(),
        ) {
            let (t, responses) = if ws {
                let mut open = switching(1);
                open.extend(frame(OPEN_WS));
                (Transports::WebSocket, vec![(1u64, open), (1, [frame("40{\"sid\":\"x\"}"), frame("2"), frame("42[\"a\",{\"b\":[1]}]")].concat())])
            } else {
                (Transports::Polling, vec![
                    (1u64, http("200 OK", OPEN_POLL)),
                    (2, http("200 OK", "ok")),
                    (1, http("200 OK", "40{\"sid\":\"x1\"}\x1e2\x1e451-[\"b\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID")),
                ])
            };
            let whole = transcript(t, &responses, None);
            let mut c = client(t);
            let (mut tx, mut ev) = drain(&mut c);
            for (i, (conn, bytes)) in responses.iter().enumerate() {
                let now = ms(i as u64 + 1);
                let mut at: Vec<usize> = cuts.iter().map(|x| x.index(bytes.len() + 1)).collect();
                at.push(0);
                at.push(bytes.len());
                at.sort_unstable();
                for w in at.windows(2) {
                    c.handle_read(now, *conn, &bytes[w[0]..w[1]]);
                }
                let (t2, e2) = drain(&mut c);
                tx.extend(t2);
                ev.extend(e2);
            }
            // Open, connect, and the binary event with its attachment.
            prop_assert!(whole.1.len() >= 2);
            prop_assert_eq!((tx, ev), whole);
        }
    }
}

#[test]
fn binary_event_over_polling_is_reassembled() {
    let responses = vec![
        (1u64, http("200 OK", OPEN_POLL)),
        (
            1,
            http(
                "200 OK",
                "40{\"sid\":\"x1\"}\x1e451-[\"b\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID",
            ),
        ),
    ];
    let (_, ev) = transcript(Transports::Polling, &responses, None);
    let Some(Event::Socket(ClientEvent::Event { packet, .. })) = ev.last() else {
        panic!("{ev:?}")
    };
    assert_eq!(packet.attachments(), [vec![1u8, 2, 3]]);
}

#[test]
fn a_host_or_path_that_would_inject_into_the_head_is_refused() {
    for opts in [
        ClientOptions::new("h\r\nX-Evil: 1"),
        ClientOptions::new(""),
        ClientOptions::new("h").path("socket.io/"),
        ClientOptions::new("h").path("/a b/"),
    ] {
        let mut c = Client::new(Duration::ZERO, opts, entropy());
        assert!(c.is_closed());
        assert_eq!(c.poll_event(), Some(Event::Closed));
        assert_eq!(c.poll_transmit(), None);
        assert!(c.connect("/", None).is_err());
        assert_eq!(c.poll_timeout(), None);
    }
}

/// An open WebSocket client (101, open packet, namespace connected), events drained.
fn ws_connected() -> Client {
    let mut c = client(Transports::WebSocket);
    drain(&mut c);
    let mut input = switching(1);
    input.extend(frame(OPEN_WS));
    input.extend(frame("40{\"sid\":\"x\"}"));
    c.handle_read(ms(1), 1, &input);
    drain(&mut c);
    c
}

/// A peer error of each layer under the client ends the session with one `TransportClosed`
/// carrying it: a malformed Socket.IO packet (the client then stops, as the reference does),
/// a malformed Engine.IO packet, and a WebSocket protocol error (a masked server frame).
#[test]
fn peer_errors_of_every_layer_end_the_session_with_their_cause() {
    use sockwire::Error;
    use sockwire::frame::FrameError;
    use sockwire::socketio::packet::{self, DecodeConfig};
    use sockwire::ws::ProtocolError;

    // Socket.IO: `42abc` is not an event.
    let mut c = ws_connected();
    c.handle_read(ms(2), 1, &frame("42abc"));
    let (_, ev) = drain(&mut c);
    let sio = Error::from(packet::decode("2abc", &DecodeConfig::new()).unwrap_err());
    assert_eq!(
        ev,
        [
            sio_ev_disconnect(DisconnectReason::ParseError, Some(sio.clone())),
            Event::TransportClosed {
                reason: DisconnectReason::ParseError,
                error: Some(sio),
            },
            Event::Closed,
        ]
    );

    // Engine.IO: `9` is no packet type; a reconnection follows.
    let mut c = ws_connected();
    c.handle_read(ms(2), 1, &frame("9"));
    let (_, ev) = drain(&mut c);
    let eio = Error::from(EngineIoError::UnknownPacketType { byte: b'9' });
    assert_eq!(
        ev[..2],
        [
            sio_ev_disconnect(DisconnectReason::TransportError, Some(eio.clone())),
            Event::TransportClosed {
                reason: DisconnectReason::TransportError,
                error: Some(eio),
            },
        ]
    );
    assert!(
        matches!(ev[2], Event::Reconnecting { attempt: 1, .. }),
        "{ev:?}"
    );

    // WebSocket: a server frame with a mask bit.
    let mut c = ws_connected();
    c.handle_read(ms(2), 1, &[0x81, 0x81, 0, 0, 0, 0, b'x']);
    let (tx, ev) = drain(&mut c);
    assert!(
        tx[0].starts_with("write 1 88"),
        "a Close frame first: {tx:?}"
    );
    let ws = Error::Protocol(ProtocolError::Frame(FrameError::MaskedFrame));
    assert_eq!(
        ev[..2],
        [
            sio_ev_disconnect(DisconnectReason::TransportError, Some(ws.clone())),
            Event::TransportClosed {
                reason: DisconnectReason::TransportError,
                error: Some(ws),
            },
        ]
    );
}

fn sio_ev_disconnect(reason: DisconnectReason, error: Option<sockwire::Error>) -> Event {
    sio(ClientEvent::Disconnect {
        nsp: "/".into(),
        reason,
        error,
    })
}
