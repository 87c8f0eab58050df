#![cfg(feature = "std")]
//! Keepalive pings and the pong deadline, with a fake clock.

mod ws_support;

use core::time::Duration;

use sockwire::Role;
use sockwire::frame::{CloseCode, OpCode};
use sockwire::ws::{ConnectionConfig, Event, ProtocolError};
use ws_support::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn no_timers_by_default() {
    let mut s = server(ConnectionConfig::default());
    s.handle_timeout(secs(5));
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(s.poll_transmit(), None);
}

#[test]
fn keepalive_pings_and_pongs_keep_it_alive() {
    let cfg = ConnectionConfig::default()
        .keepalive(Some(secs(10)))
        .pong_timeout(secs(3));
    let mut s = server(cfg);
    s.handle_timeout(secs(0));
    assert_eq!(s.poll_timeout(), Some(secs(10)));
    s.handle_timeout(secs(9));
    assert_eq!(s.poll_transmit(), None);
    s.handle_timeout(secs(10));
    let out = s.poll_transmit().unwrap().to_vec();
    assert_eq!(
        parse_frames(Role::Server, &out),
        vec![(true, OpCode::Ping, vec![])]
    );
    assert_eq!(s.poll_timeout(), Some(secs(13)));
    let mut d = Driver::default();
    d.read(&mut s, secs(11), &cf(true, OpCode::Pong, b""));
    assert_eq!(d.t.events, vec![Ev::Pong(vec![])]);
    assert_eq!(s.poll_timeout(), Some(secs(20)));
    s.handle_timeout(secs(20));
    assert!(s.poll_transmit().is_some());
    assert!(s.is_open());
}

#[test]
fn missing_pong_drops_the_connection() {
    let cfg = ConnectionConfig::default()
        .keepalive(Some(secs(10)))
        .pong_timeout(secs(3));
    let mut c = client(cfg);
    c.handle_timeout(secs(0));
    c.handle_timeout(secs(10));
    let _ = c.poll_transmit();
    c.handle_timeout(secs(13));
    assert!(c.should_close_tcp());
    assert_eq!(c.error(), Some(&ProtocolError::PongTimeout));
    assert_eq!(
        c.poll_event(),
        Some(Event::Closed {
            code: CloseCode::ABNORMAL,
            clean: false,
            error: Some(sockwire::Error::Protocol(ProtocolError::PongTimeout)),
        })
    );
    assert_eq!(c.poll_transmit(), None, "nothing is sent after a dead peer");
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn keepalive_stops_after_close() {
    let cfg = ConnectionConfig::default().keepalive(Some(secs(10)));
    let mut s = server(cfg);
    s.handle_timeout(secs(0));
    s.close(CloseCode::NORMAL, "").unwrap();
    let _ = s.poll_transmit();
    assert_eq!(s.poll_timeout(), Some(secs(5)));
}

#[test]
fn auto_pong_can_be_turned_off() {
    let mut s = server(ConnectionConfig::default().auto_pong(false));
    let t = run(&mut s, &[&cf(true, OpCode::Ping, b"abc")]);
    assert_eq!(t.events, vec![Ev::Ping(b"abc".to_vec())]);
    assert!(t.out.is_empty());
    s.pong(b"abc").unwrap();
    assert_eq!(s.poll_transmit(), Some(&[0x8A, 3, b'a', b'b', b'c'][..]));
    assert_eq!(s.pong(&[0; 126]), Err(ProtocolError::ControlTooLong));
}

/// Keepalive runs from construction: a server whose client never sends a byte still pings.
/// Before any input the deadline is "now" (zero), and the first timer call starts the clock.
#[test]
fn keepalive_starts_before_the_peer_sends_anything() {
    let cfg = ConnectionConfig::default()
        .keepalive(Some(secs(10)))
        .pong_timeout(secs(3));
    let mut s = server(cfg);
    assert_eq!(s.poll_timeout(), Some(Duration::ZERO));
    s.handle_timeout(secs(100)); // the caller's clock when it first looked
    assert_eq!(s.poll_transmit(), None);
    assert_eq!(s.poll_timeout(), Some(secs(110)));
    s.handle_timeout(secs(110));
    let out = s.poll_transmit().unwrap().to_vec();
    assert_eq!(
        parse_frames(Role::Server, &out),
        vec![(true, OpCode::Ping, vec![])]
    );
    // Silence past the pong deadline fails the connection, as after any other start.
    assert_eq!(s.poll_timeout(), Some(secs(113)));
    s.handle_timeout(secs(113));
    assert!(s.should_close_tcp());
    // Without keepalive nothing is due before the first input.
    assert_eq!(server(ConnectionConfig::default()).poll_timeout(), None);
}
