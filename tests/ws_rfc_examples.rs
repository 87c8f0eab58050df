#![cfg(feature = "std")]
//! RFC 6455 §5.7 examples through a whole connection, in both receive modes and both roles.

mod ws_support;

use sockwire::Role;
use sockwire::frame::OpCode;
use sockwire::ws::ConnectionConfig;
use ws_support::*;

const MASKED_HELLO: [u8; 11] = [
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
];
const UNMASKED_HELLO: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];

fn cfgs() -> [ConnectionConfig; 2] {
    [ConnectionConfig::default(), stream_cfg()]
}

#[test]
fn server_receives_masked_hello() {
    for cfg in cfgs() {
        let mut s = server(cfg);
        let t = run(&mut s, &[&MASKED_HELLO]);
        assert_eq!(t.events, vec![Ev::Text("Hello".into())]);
        assert!(t.out.is_empty());
    }
}

#[test]
fn client_receives_unmasked_hello() {
    for cfg in cfgs() {
        let mut c = client(cfg);
        let t = run(&mut c, &[&UNMASKED_HELLO]);
        assert_eq!(t.events, vec![Ev::Text("Hello".into())]);
    }
}

#[test]
fn fragmented_hello() {
    let wire = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
    for cfg in cfgs() {
        let mut c = client(cfg);
        let t = run(&mut c, &[&wire]);
        assert_eq!(t.events, vec![Ev::Text("Hello".into())]);
    }
}

#[test]
fn ping_hello_is_answered_with_pong_hello() {
    let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    let mut c = client(ConnectionConfig::default());
    let t = run(&mut c, &[&ping]);
    assert_eq!(t.events, vec![Ev::Ping(b"Hello".to_vec())]);
    assert_eq!(
        parse_frames(Role::Client, &t.out),
        vec![(true, OpCode::Pong, b"Hello".to_vec())]
    );
    // Server side: the pong is the RFC's unmasked pong.
    let mut s = server(ConnectionConfig::default());
    let t = run(&mut s, &[&cf(true, OpCode::Ping, b"Hello")]);
    assert_eq!(t.out, [0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
}

#[test]
fn binary_256_and_64k() {
    for len in [256usize, 65536] {
        let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let wire = sf(true, OpCode::Binary, &payload);
        assert_eq!(
            &wire[..2],
            if len == 256 {
                &[0x82, 0x7E][..]
            } else {
                &[0x82, 0x7F][..]
            }
        );
        for cfg in cfgs() {
            let mut c = client(cfg);
            let t = run(&mut c, &[&wire]);
            assert_eq!(t.events, vec![Ev::Binary(payload.clone())]);
        }
    }
}

#[test]
fn server_send_is_unmasked_rfc_bytes() {
    let mut s = server(ConnectionConfig::default());
    s.send_text("Hello").unwrap();
    assert_eq!(s.poll_transmit(), Some(&UNMASKED_HELLO[..]));
    assert_eq!(s.poll_transmit(), None);
}

#[test]
fn client_send_is_masked_with_the_supplied_key() {
    let mut c =
        sockwire::ws::Connection::client(ConnectionConfig::default(), || [0x37, 0xfa, 0x21, 0x3d]);
    c.send_text("Hello").unwrap();
    assert_eq!(c.poll_transmit(), Some(&MASKED_HELLO[..]));
}
