#![cfg(feature = "std")]
//! Transcripts of the closing handshake (RFC 6455 §5.5.1, §7): who sends what, which events are
//! reported, when TCP should be closed, and the close timer.

mod ws_support;

use core::time::Duration;

use sockwire::Role;
use sockwire::frame::{CloseCode, OpCode};
use sockwire::ws::{ConnectionConfig, ProtocolError};
use ws_support::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn server_initiated_close_completes_and_server_closes_tcp_first() {
    let mut s = server(ConnectionConfig::default());
    let mut d = Driver::default();
    d.read(&mut s, secs(1), &[]);
    s.close(CloseCode::NORMAL, "done").unwrap();
    assert_eq!(s.poll_timeout(), Some(secs(6)));
    d.drain(&mut s, &[]);
    assert_eq!(
        parse_frames(Role::Server, &d.t.out),
        vec![(true, OpCode::Close, close_payload(1000, "done"))]
    );
    assert!(!s.should_close_tcp());
    // No data after our Close; a second close is a no-op.
    assert_eq!(s.send_text("late"), Err(ProtocolError::AfterClose));
    assert_eq!(s.ping(b""), Err(ProtocolError::AfterClose));
    assert_eq!(s.close(CloseCode::NORMAL, ""), Ok(()));
    // Data the client still sends before its Close is delivered.
    let mut w = cf(true, OpCode::Text, b"in flight");
    w.extend(cf(true, OpCode::Close, &close_payload(1000, "")));
    d.read(&mut s, secs(2), &w);
    assert_eq!(
        d.t.events,
        vec![
            Ev::Text("in flight".into()),
            Ev::CloseReceived(Some(1000), String::new()),
            Ev::Closed(1000, true)
        ]
    );
    assert!(s.should_close_tcp());
    assert_eq!(s.poll_timeout(), None);
    // Only one Close frame was ever sent.
    assert_eq!(parse_frames(Role::Server, &d.t.out).len(), 1);
}

#[test]
fn client_initiated_close_client_waits_for_server_eof() {
    let mut c = client(ConnectionConfig::default().close_timeout(secs(3)));
    let mut d = Driver::default();
    d.read(&mut c, secs(10), &[]);
    c.close(CloseCode::GOING_AWAY, "").unwrap();
    d.drain(&mut c, &[]);
    assert_eq!(
        parse_frames(Role::Client, &d.t.out),
        vec![(true, OpCode::Close, close_payload(1001, ""))]
    );
    d.read(
        &mut c,
        secs(11),
        &sf(true, OpCode::Close, &close_payload(1001, "")),
    );
    assert_eq!(
        d.t.events,
        vec![
            Ev::CloseReceived(Some(1001), String::new()),
            Ev::Closed(1001, true)
        ]
    );
    // The client does not close TCP first: it waits for the server, until the close timer.
    assert!(!c.should_close_tcp());
    assert_eq!(c.poll_timeout(), Some(secs(14)));
    c.handle_eof(secs(0));
    assert!(c.should_close_tcp());
    assert_eq!(c.poll_event(), None);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn client_gives_up_waiting_for_server_eof_at_the_deadline() {
    let mut c = client(ConnectionConfig::default().close_timeout(secs(3)));
    let mut d = Driver::default();
    d.read(&mut c, secs(0), &sf(true, OpCode::Close, &[]));
    assert_eq!(
        d.t.events,
        vec![
            Ev::CloseReceived(None, String::new()),
            Ev::Closed(1005, true)
        ]
    );
    // The echo of an empty Close is an empty Close (1005 is never sent).
    assert_eq!(
        parse_frames(Role::Client, &d.t.out),
        vec![(true, OpCode::Close, vec![])]
    );
    c.handle_timeout(secs(2));
    assert!(!c.should_close_tcp());
    c.handle_timeout(secs(3));
    assert!(c.should_close_tcp());
    assert_eq!(c.poll_event(), None, "Closed is reported once");
}

#[test]
fn peer_initiated_close_is_echoed_and_later_frames_ignored() {
    let mut s = server(ConnectionConfig::default());
    let mut w = cf(true, OpCode::Close, &close_payload(4321, "app"));
    w.extend(cf(true, OpCode::Text, b"ignored"));
    w.extend(cf(true, OpCode::Ping, b"ignored"));
    w.extend([0xFF, 0xFF, 0xFF]); // garbage too
    let t = run(&mut s, &[&w]);
    assert_eq!(
        t.events,
        vec![
            Ev::CloseReceived(Some(4321), "app".into()),
            Ev::Closed(4321, true)
        ]
    );
    assert_eq!(
        parse_frames(Role::Server, &t.out),
        vec![(true, OpCode::Close, close_payload(4321, "app"))]
    );
    assert!(s.should_close_tcp());
    assert_eq!(s.send_binary(b"x"), Err(ProtocolError::AfterClose));
}

#[test]
fn close_inside_a_fragmented_message_is_honoured() {
    let mut s = server(ConnectionConfig::default());
    let mut w = cf(false, OpCode::Text, b"frag");
    w.extend(cf(true, OpCode::Close, &close_payload(1000, "")));
    let t = run(&mut s, &[&w]);
    assert_eq!(
        t.events,
        vec![
            Ev::CloseReceived(Some(1000), String::new()),
            Ev::Closed(1000, true)
        ]
    );
}

#[test]
fn simultaneous_close() {
    let mut s = server(ConnectionConfig::default());
    let mut c = client(ConnectionConfig::default());
    s.close(CloseCode::NORMAL, "s").unwrap();
    c.close(CloseCode::GOING_AWAY, "c").unwrap();
    let from_s = s.poll_transmit().unwrap().to_vec();
    let from_c = c.poll_transmit().unwrap().to_vec();
    let ts = run(&mut s, &[&from_c]);
    let tc = run(&mut c, &[&from_s]);
    assert_eq!(
        ts.events,
        vec![
            Ev::CloseReceived(Some(1001), "c".into()),
            Ev::Closed(1001, true)
        ]
    );
    assert_eq!(
        tc.events,
        vec![
            Ev::CloseReceived(Some(1000), "s".into()),
            Ev::Closed(1000, true)
        ]
    );
    // Neither sends a second Close.
    assert!(ts.out.is_empty() && tc.out.is_empty());
    assert!(s.should_close_tcp());
    assert!(!c.should_close_tcp());
}

#[test]
fn eof_before_the_close_reply_is_abnormal_1006_and_never_sent() {
    let mut s = server(ConnectionConfig::default());
    s.close(CloseCode::NORMAL, "").unwrap();
    let _ = s.poll_transmit();
    s.handle_eof(secs(0));
    assert_eq!(
        s.poll_event(),
        Some(sockwire::ws::Event::Closed {
            code: CloseCode::ABNORMAL,
            clean: false,
            error: None,
        })
    );
    assert_eq!(s.poll_transmit(), None);
    assert!(s.should_close_tcp());
    // EOF in the middle of a frame while open.
    let mut c = client(ConnectionConfig::default());
    let t = run(&mut c, &[&sf(true, OpCode::Text, b"hello")[..4]]);
    assert!(t.events.is_empty());
    c.handle_eof(secs(0));
    assert_eq!(
        c.poll_event(),
        Some(sockwire::ws::Event::Closed {
            code: CloseCode::ABNORMAL,
            clean: false,
            error: None,
        })
    );
    assert_eq!(c.poll_transmit(), None);
    assert_eq!(c.send_text("x"), Err(ProtocolError::Closed));
}

#[test]
fn close_timer_fires_without_a_reply() {
    let mut s = server(ConnectionConfig::default().close_timeout(secs(2)));
    s.handle_timeout(secs(100));
    s.close(CloseCode::POLICY, "").unwrap();
    assert_eq!(s.poll_timeout(), Some(secs(102)));
    let _ = s.poll_transmit();
    s.handle_timeout(secs(101));
    assert!(!s.should_close_tcp());
    s.handle_timeout(secs(102));
    assert!(s.should_close_tcp());
    assert_eq!(
        s.poll_event(),
        Some(sockwire::ws::Event::Closed {
            code: CloseCode::ABNORMAL,
            clean: false,
            error: None,
        })
    );
}

#[test]
fn unsendable_codes_and_long_reasons_are_refused() {
    let mut s = server(ConnectionConfig::default());
    for code in [1005u16, 1006, 1015, 999, 1004, 2000, 5000] {
        assert_eq!(
            s.close(CloseCode(code), ""),
            Err(ProtocolError::UnsendableCloseCode(code))
        );
    }
    assert_eq!(
        s.close(CloseCode::NORMAL, &"x".repeat(124)),
        Err(ProtocolError::CloseReasonTooLong)
    );
    assert!(s.is_open(), "misuse changes nothing");
    s.close(CloseCode::NORMAL, &"x".repeat(123)).unwrap();
    let out = s.poll_transmit().unwrap();
    assert_eq!(out.len(), 2 + 125);
}

#[test]
fn protocol_error_close_is_sent_once_and_tcp_closed() {
    let mut s = server(ConnectionConfig::default());
    let t = run(&mut s, &[&cf(true, OpCode::Continuation, b"x")]);
    assert_eq!(
        t.events,
        vec![
            Ev::Error(ProtocolError::UnexpectedContinuation),
            Ev::Closed(1002, false)
        ]
    );
    assert!(s.should_close_tcp());
    s.handle_eof(secs(0));
    assert_eq!(s.poll_event(), None);
}
