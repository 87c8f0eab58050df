#![cfg(feature = "std")]
//! Feeding the same bytes in any two chunks, or one byte at a time, gives the same events and the
//! same output, in both receive modes and both roles.

mod ws_support;

use sockwire::Role;
use sockwire::frame::OpCode;
use sockwire::ws::ConnectionConfig;
use ws_support::*;

fn conversation(sender: Role) -> Vec<u8> {
    let mut w = Vec::new();
    w.extend(frame(sender, true, OpCode::Text, "héllo €𝄞".as_bytes()));
    w.extend(frame(sender, false, OpCode::Binary, &[1, 2, 3]));
    w.extend(frame(sender, true, OpCode::Ping, b"p1"));
    w.extend(frame(sender, false, OpCode::Continuation, &[]));
    w.extend(frame(sender, true, OpCode::Continuation, &[4; 300]));
    w.extend(frame(sender, true, OpCode::Text, &[]));
    let text = "κόσμε".as_bytes();
    w.extend(frame(sender, false, OpCode::Text, &text[..3])); // splits a code point
    w.extend(frame(sender, true, OpCode::Pong, b""));
    w.extend(frame(sender, true, OpCode::Continuation, &text[3..]));
    w.extend(frame(sender, true, OpCode::Binary, &vec![9; 70000]));
    w.extend(frame(
        sender,
        true,
        OpCode::Close,
        &close_payload(1000, "bye"),
    ));
    w.extend(frame(sender, true, OpCode::Text, b"ignored after close"));
    w
}

fn check(role: Role, cfg: ConnectionConfig) {
    let peer = match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let wire = conversation(peer);
    let fresh = || {
        sockwire::ws::Connection::new(role, cfg, Box::new(keys()) as Box<dyn FnMut() -> [u8; 4]>)
    };
    let whole = run(&mut fresh(), &[&wire]);
    assert_eq!(
        whole.events,
        vec![
            Ev::Text("héllo €𝄞".into()),
            Ev::Ping(b"p1".to_vec()),
            Ev::Binary([&[1u8, 2, 3][..], &[4; 300]].concat()),
            Ev::Text(String::new()),
            Ev::Pong(vec![]),
            Ev::Text("κόσμε".into()),
            Ev::Binary(vec![9; 70000]),
            Ev::CloseReceived(Some(1000), "bye".into()),
            Ev::Closed(1000, true),
        ]
    );
    let frames = parse_frames(role, &whole.out);
    assert_eq!(
        frames,
        vec![
            (true, OpCode::Pong, b"p1".to_vec()),
            (true, OpCode::Close, close_payload(1000, "bye"))
        ]
    );
    // Every split point into two reads (stepping through the big frame to keep it quick).
    let mut k = 0;
    while k <= wire.len() {
        let t = run(&mut fresh(), &[&wire[..k], &wire[k..]]);
        assert_eq!(t, whole, "split at {k}");
        k += if (400..wire.len() - 200).contains(&k) {
            997
        } else {
            1
        };
    }
    // Three reads around the code point split.
    for a in 0..wire.len().min(120) {
        for b in (a..wire.len().min(130)).step_by(7) {
            let t = run(&mut fresh(), &[&wire[..a], &wire[a..b], &wire[b..]]);
            assert_eq!(t, whole, "splits at {a}, {b}");
        }
    }
    // One byte at a time.
    let chunks: Vec<&[u8]> = wire.chunks(1).collect();
    assert_eq!(run(&mut fresh(), &chunks), whole);
}

#[test]
fn server_messages_mode() {
    check(Role::Server, ConnectionConfig::default());
}

#[test]
fn server_stream_mode() {
    check(Role::Server, stream_cfg());
}

#[test]
fn client_messages_mode() {
    check(Role::Client, ConnectionConfig::default());
}

#[test]
fn client_stream_mode() {
    check(Role::Client, stream_cfg());
}

#[test]
fn invalid_utf8_fails_at_the_same_point_for_every_split() {
    // Valid prefix in frame 1, then a surrogate start in frame 2, with more data after.
    let mut wire = cf(false, OpCode::Text, "κόσμε".as_bytes());
    wire.extend(cf(
        false,
        OpCode::Continuation,
        &[0xED, 0xA0, 0x80, b'a', b'b'],
    ));
    wire.extend(cf(true, OpCode::Continuation, b"tail"));
    for cfg in [ConnectionConfig::default(), stream_cfg()] {
        let whole = run(&mut server(cfg), &[&wire]);
        assert_eq!(
            whole.events[0],
            Ev::Error(sockwire::ws::ProtocolError::InvalidUtf8 { offset: 11 })
        );
        for k in 0..=wire.len() {
            assert_eq!(
                run(&mut server(cfg), &[&wire[..k], &wire[k..]]),
                whole,
                "split at {k}"
            );
        }
        // Fails as soon as the offending byte arrives: the tail never has to come.
        let upto = wire.len() - cf(true, OpCode::Continuation, b"tail").len() - 3;
        let t = run(&mut server(cfg), &[&wire[..upto]]);
        assert!(matches!(t.events[0], Ev::Error(_)), "{:?}", t.events);
    }
}
