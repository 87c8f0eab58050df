#![cfg(feature = "std")]
//! DESIGN.md's Frames and Messages pitfalls at the connection level: each is rejected with the
//! right close code, before any payload reaches the application, and the connection is terminal.

mod ws_support;

use sockwire::Role;
use sockwire::frame::{CloseCode, FrameError, OpCode};
use sockwire::ws::{ConnectionConfig, ProtocolError};
use ws_support::*;

/// Feeds `wire` to a fresh server; asserts the connection failed with `err`, sent a Close with
/// `code` as its only output, reported `Closed(code, false)`, and delivered none of `forbidden`.
fn expect_fail(cfg: ConnectionConfig, wire: &[u8], err: ProtocolError, code: u16) -> Transcript {
    for mode_cfg in [cfg, cfg.receive_mode(sockwire::ws::ReceiveMode::Stream)] {
        let mut s = server(mode_cfg);
        let t = run(&mut s, &[wire]);
        let pos = t
            .events
            .iter()
            .position(|e| matches!(e, Ev::Error(_)))
            .expect("an error");
        assert_eq!(t.events[pos], Ev::Error(err.clone()));
        assert_eq!(t.events[pos + 1..], [Ev::Closed(code, false)]);
        let frames = parse_frames(Role::Server, &t.out);
        let last = frames.last().expect("a close frame");
        assert_eq!(last.1, OpCode::Close);
        assert_eq!(u16::from_be_bytes([last.2[0], last.2[1]]), code);
        assert_eq!(s.error(), Some(&err));
        assert!(s.should_close_tcp());
        assert!(s.is_closed());
        // Terminal: more input is ignored, sending is refused.
        let t2 = run(&mut s, &[&cf(true, OpCode::Text, b"more")]);
        assert!(t2.events.is_empty() && t2.out.is_empty());
        assert_eq!(s.send_text("x"), Err(ProtocolError::Closed));
        if mode_cfg == cfg {
            return t;
        }
    }
    unreachable!()
}

#[test]
fn length_with_top_bit_set() {
    let mut w = vec![0x82, 0xFF];
    w.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 1]);
    w.extend_from_slice(&[1, 2, 3, 4]);
    expect_fail(
        ConnectionConfig::default(),
        &w,
        ProtocolError::Frame(FrameError::LengthTopBit),
        1002,
    );
}

#[test]
fn huge_declared_length_is_refused_from_the_header() {
    let mut w = vec![0x82, 0xFF];
    w.extend_from_slice(&(u64::MAX >> 1).to_be_bytes());
    w.extend_from_slice(&[1, 2, 3, 4]);
    let t = expect_fail(
        ConnectionConfig::default(),
        &w,
        ProtocolError::Frame(FrameError::TooBig {
            len: u64::MAX >> 1,
            max: 16 << 20,
        }),
        1009,
    );
    assert_eq!(t.events.len(), 2);
}

#[test]
fn control_frame_over_125_or_fragmented() {
    let mut w = vec![0x89, 0xFE, 0x00, 0x7E];
    w.extend_from_slice(&[0; 4]);
    expect_fail(
        ConnectionConfig::default(),
        &w,
        ProtocolError::Frame(FrameError::ControlTooLong),
        1002,
    );
    expect_fail(
        ConnectionConfig::default(),
        &cf(false, OpCode::Ping, b"x"),
        ProtocolError::Frame(FrameError::FragmentedControl),
        1002,
    );
}

#[test]
fn reserved_opcodes_and_bits() {
    for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        let w = [0x80 | op, 0x80, 0, 0, 0, 0];
        expect_fail(
            ConnectionConfig::default(),
            &w,
            ProtocolError::Frame(FrameError::ReservedOpcode(op)),
            1002,
        );
    }
    for rsv in 1..8u8 {
        let w = frame_rsv(Role::Client, true, rsv, OpCode::Text, b"x");
        expect_fail(
            ConnectionConfig::default(),
            &w,
            ProtocolError::Frame(FrameError::ReservedBits(rsv)),
            1002,
        );
    }
}

#[test]
fn unmasked_client_frame_and_masked_server_frame() {
    let t = expect_fail(
        ConnectionConfig::default(),
        &sf(true, OpCode::Text, b"secret"),
        ProtocolError::Frame(FrameError::UnmaskedFrame),
        1002,
    );
    assert!(!t.events.iter().any(|e| matches!(e, Ev::Text(_))));
    let mut c = client(ConnectionConfig::default());
    let t = run(&mut c, &[&cf(true, OpCode::Text, b"secret")]);
    assert_eq!(
        t.events[0],
        Ev::Error(ProtocolError::Frame(FrameError::MaskedFrame))
    );
    assert_eq!(t.events[1], Ev::Closed(1002, false));
    // The client's Close is masked.
    let f = parse_frames(Role::Client, &t.out);
    assert_eq!(f[0].1, OpCode::Close);
}

#[test]
fn control_frames_between_fragments_are_fine() {
    let mut w = cf(false, OpCode::Text, b"ab");
    w.extend(cf(true, OpCode::Ping, b"1"));
    w.extend(cf(true, OpCode::Pong, b"2"));
    w.extend(cf(true, OpCode::Continuation, b"cd"));
    let t = run(&mut server(ConnectionConfig::default()), &[&w]);
    assert_eq!(
        t.events,
        vec![
            Ev::Ping(b"1".to_vec()),
            Ev::Pong(b"2".to_vec()),
            Ev::Text("abcd".into())
        ]
    );
}

#[test]
fn stray_continuation() {
    expect_fail(
        ConnectionConfig::default(),
        &cf(true, OpCode::Continuation, b"x"),
        ProtocolError::UnexpectedContinuation,
        1002,
    );
    // Also right after a complete message.
    let mut w = cf(true, OpCode::Text, b"ok");
    w.extend(cf(false, OpCode::Continuation, b""));
    let t = expect_fail(
        ConnectionConfig::default(),
        &w,
        ProtocolError::UnexpectedContinuation,
        1002,
    );
    assert_eq!(t.events[0], Ev::Text("ok".into()));
}

#[test]
fn new_data_frame_inside_an_open_message() {
    let mut w = cf(false, OpCode::Text, b"a");
    w.extend(cf(true, OpCode::Binary, b"b"));
    expect_fail(
        ConnectionConfig::default(),
        &w,
        ProtocolError::ExpectedContinuation,
        1002,
    );
}

#[test]
fn message_size_checked_from_the_header() {
    let cfg = ConnectionConfig::default().max_message_size(10);
    // Second fragment's header alone pushes it over: no payload needed.
    let mut w = cf(false, OpCode::Binary, &[0; 6]);
    w.extend(&cf(true, OpCode::Continuation, &[0; 5])[..6]);
    expect_fail(cfg, &w, ProtocolError::MessageTooBig { max: 10 }, 1009);
    // Exactly at the limit is fine.
    let mut w = cf(false, OpCode::Binary, &[0; 6]);
    w.extend(cf(true, OpCode::Continuation, &[0; 4]));
    assert_eq!(
        run(&mut server(cfg), &[&w]).events,
        vec![Ev::Binary(vec![0; 10])]
    );
    // A single frame over the frame limit.
    let cfg = ConnectionConfig::default().max_frame_size(3);
    expect_fail(
        cfg,
        &cf(true, OpCode::Text, b"abcd")[..6],
        ProtocolError::Frame(FrameError::TooBig { len: 4, max: 3 }),
        1009,
    );
}

#[test]
fn flood_of_empty_fragments_is_capped() {
    let cfg = ConnectionConfig::default().max_fragments(100);
    let mut w = cf(false, OpCode::Text, b"");
    for _ in 0..200 {
        w.extend(cf(false, OpCode::Continuation, b""));
    }
    let t = expect_fail(cfg, &w, ProtocolError::TooManyFragments { max: 100 }, 1008);
    assert_eq!(t.events.len(), 2);
    // 100 frames are fine.
    let mut w = cf(false, OpCode::Text, b"");
    for _ in 0..98 {
        w.extend(cf(false, OpCode::Continuation, b""));
    }
    w.extend(cf(true, OpCode::Continuation, b"x"));
    assert_eq!(
        run(&mut server(cfg), &[&w]).events,
        vec![Ev::Text("x".into())]
    );
}

#[test]
fn ping_flood_does_not_grow_pending_output() {
    // 10,000 pings fed without draining transmit in between: only the latest is answered.
    let mut s = server(ConnectionConfig::default());
    let mut w = Vec::new();
    for i in 0..10_000u32 {
        w.extend(cf(true, OpCode::Ping, &i.to_be_bytes()));
    }
    let mut pos = 0;
    let now = core::time::Duration::ZERO;
    while pos < w.len() {
        pos += s.handle_read(now, &mut w[pos..]).unwrap();
        while s.poll_event().is_some() {}
    }
    let out = s.poll_transmit().unwrap().to_vec();
    assert_eq!(
        parse_frames(Role::Server, &out),
        vec![(true, OpCode::Pong, 9999u32.to_be_bytes().to_vec())]
    );
}

#[test]
fn utf8_fails_fast_within_a_frame_and_across_frames() {
    // Inside one frame, fed in two reads: fails when the bad byte arrives.
    let w = cf(true, OpCode::Text, &[b'a', b'b', 0xF4, 0x90, b'c', b'd']);
    let mut s = server(ConnectionConfig::default());
    let t = run(&mut s, &[&w[..10]]);
    assert_eq!(
        t.events[0],
        Ev::Error(ProtocolError::InvalidUtf8 { offset: 3 })
    );
    // Truncated code point at the end of the message.
    let mut w = cf(false, OpCode::Text, &[0xE2, 0x82]);
    w.extend(cf(true, OpCode::Continuation, b""));
    expect_fail(
        ConnectionConfig::default(),
        &w,
        ProtocolError::InvalidUtf8 { offset: 2 },
        1007,
    );
    // Binary is not validated.
    let t = run(
        &mut server(ConnectionConfig::default()),
        &[&cf(true, OpCode::Binary, &[0xFF])],
    );
    assert_eq!(t.events, vec![Ev::Binary(vec![0xFF])]);
}

#[test]
fn close_payload_rules() {
    expect_fail(
        ConnectionConfig::default(),
        &cf(true, OpCode::Close, &[0x03]),
        ProtocolError::Frame(FrameError::CloseTooShort),
        1002,
    );
    for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        expect_fail(
            ConnectionConfig::default(),
            &cf(true, OpCode::Close, &close_payload(code, "")),
            ProtocolError::Frame(FrameError::InvalidCloseCode(code)),
            1002,
        );
    }
    let mut p = close_payload(1000, "");
    p.extend_from_slice(&[0xCE, 0xBA, 0xED, 0xA0, 0x80]);
    expect_fail(
        ConnectionConfig::default(),
        &cf(true, OpCode::Close, &p),
        ProtocolError::Frame(FrameError::InvalidCloseReason),
        1007,
    );
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let mut s = server(ConnectionConfig::default());
        let t = run(
            &mut s,
            &[&cf(true, OpCode::Close, &close_payload(code, "r"))],
        );
        assert_eq!(
            t.events,
            vec![
                Ev::CloseReceived(Some(code), "r".into()),
                Ev::Closed(code, true)
            ]
        );
        assert_eq!(
            parse_frames(Role::Server, &t.out),
            vec![(true, OpCode::Close, close_payload(code, "r"))]
        );
        assert_eq!(s.peer_close_code(), Some(CloseCode(code)));
    }
}

#[test]
fn invalid_utf8_in_a_small_whole_frame_reports_the_exact_offset() {
    // Whole small frames take the fast path; the error must match the general path's.
    for (payload, offset) in [
        (&b"abc\xff"[..], 3u64),
        (&b"\xce\xba\xc0\x80"[..], 2),
        (&b"0123456789\xed\xa0\x80"[..], 11),
        (&b"ok \xe2\x82"[..], 5),
    ] {
        let w = cf(true, OpCode::Text, payload);
        expect_fail(
            ConnectionConfig::default(),
            &w,
            ProtocolError::InvalidUtf8 { offset },
            1007,
        );
        let mut s = server(ConnectionConfig::default());
        let split = run(&mut s, &[&w[..7], &w[7..]]);
        assert_eq!(
            split.events[0],
            Ev::Error(ProtocolError::InvalidUtf8 { offset })
        );
    }
}

/// The offset the connection reports for `payload`'s bad UTF-8: the first byte that no valid
/// UTF-8 text can have there (the end when the text stops inside a code point). Naive: every
/// prefix is checked by the standard library.
fn first_bad_byte(payload: &[u8]) -> u64 {
    let valid_prefix = |b: &[u8]| match std::str::from_utf8(b) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    (0..payload.len())
        .find(|&i| !valid_prefix(&payload[..=i]))
        .unwrap_or(payload.len()) as u64
}

use proptest::prelude::*;

proptest! {
    /// A text message checked whole (one frame in one read: no incremental pass) and the same
    /// message checked as it arrives (split reads, fragments, stream mode) agree with the
    /// standard library: the same text, or the same error at the first bad byte.
    #[test]
    fn utf8_checked_whole_or_in_parts_agrees(
        parts in proptest::collection::vec(
            prop_oneof![
                "[a-z\u{e9}\u{3b1}\u{4e2d}\u{1f600}]{0,40}".prop_map(String::into_bytes),
                proptest::collection::vec(any::<u8>(), 0..4),
            ],
            0..12,
        ),
        pad in 0usize..300,
        cut in 0usize..1000,
    ) {
        let mut payload = vec![b'x'; pad];
        for p in &parts {
            payload.extend_from_slice(p);
        }
        let want = match String::from_utf8(payload.clone()) {
            Ok(t) => Ev::Text(t),
            Err(_) => Ev::Error(ProtocolError::InvalidUtf8 { offset: first_bad_byte(&payload) }),
        };
        let w = cf(true, OpCode::Text, &payload);
        let cut = cut % (w.len() + 1);
        let half = payload.len() / 2;
        let mut fragments = cf(false, OpCode::Text, &payload[..half]);
        fragments.extend(cf(true, OpCode::Continuation, &payload[half..]));
        for (cfg, chunks) in [
            (ConnectionConfig::default(), vec![&w[..]]),
            (ConnectionConfig::default(), vec![&w[..cut], &w[cut..]]),
            (ConnectionConfig::default(), vec![&fragments[..]]),
            (stream_cfg(), vec![&w[..]]),
        ] {
            let mut s = server(cfg);
            let t = run(&mut s, &chunks);
            // (Streamed chunks are put back together by the support code.)
            prop_assert_eq!(t.events.first(), Some(&want));
        }
    }
}
