#![cfg(feature = "deflate")]
//! permessage-deflate on `ws::Connection` (RFC 7692): RSV1 rules, round trips under every
//! negotiated setting (context takeover on and off, every window size), fragmented compressed
//! messages, every split point, the inflated-size cap against deflate bombs, corrupt data, and
//! the lean policy's idle memory.

mod ws_support;

use core::time::Duration;

use sockwire::Role;
use sockwire::deflate::{
    Codec, DeflateOffer, DeflatePolicy, PerMessageDeflate, SharedCompressor, ZlibCodec, ZlibOptions,
};
use sockwire::frame::{OpCode, RSV1};
use sockwire::handshake::http::Extensions;
use sockwire::ws::{ConnectionConfig, MessageKind, ProtocolError};
use ws_support::*;

fn negotiate(policy: DeflatePolicy, offer: DeflateOffer) -> (PerMessageDeflate, PerMessageDeflate) {
    let hv = offer.header_value();
    let srv = policy
        .negotiate(Extensions::value(hv.as_bytes()))
        .expect("accepted");
    let resp = srv.response();
    let cli = offer
        .accept_response(Extensions::value(resp.as_bytes()))
        .unwrap()
        .unwrap();
    (srv, cli)
}

/// Pseudo-random but compressible text of `n` bytes.
fn text(n: usize, seed: u32) -> String {
    let words = [
        "alpha ",
        "beta ",
        "gamma ",
        "delta ",
        "épsilon ",
        "zêta ",
        "ητα ",
        "θ ",
    ];
    let mut s = String::new();
    let mut x = seed;
    while s.len() < n {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        s.push_str(words[(x >> 16) as usize % words.len()]);
    }
    while s.len() > n {
        s.pop();
    }
    s
}

fn bytes(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|i| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            if i % 3 == 0 {
                (x >> 24) as u8
            } else {
                (i % 7) as u8
            }
        })
        .collect()
}

/// Sends `msgs` from a client to a server and back; checks both sides got them exactly and
/// that the ones over the threshold travelled compressed (RSV1 on their frame).
fn round_trip(policy: DeflatePolicy, offer: DeflateOffer, msgs: &[(bool, Vec<u8>)]) {
    let (s_pmd, c_pmd) = negotiate(policy, offer);
    let base = ConnectionConfig::default().compression_threshold(32);
    let mut srv = server(base.permessage_deflate(Some(s_pmd)));
    let mut cli = client(base.permessage_deflate(Some(c_pmd)));
    for (is_text, m) in msgs {
        let kind = if *is_text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        if *is_text {
            cli.send_text(core::str::from_utf8(m).unwrap()).unwrap();
        } else {
            cli.send_binary(m).unwrap();
        }
        let wire = cli.poll_transmit().unwrap().to_vec();
        assert_eq!(
            wire[0] & 0x40 != 0,
            m.len() >= 32,
            "RSV1 iff over the threshold"
        );
        if m.len() >= 64 && m.len() > 1000 {
            assert!(wire.len() < m.len(), "compressible data got smaller");
        }
        let t = run(&mut srv, &[&wire]);
        let want = if *is_text {
            Ev::Text(String::from_utf8(m.clone()).unwrap())
        } else {
            Ev::Binary(m.clone())
        };
        assert_eq!(t.events, vec![want.clone()]);
        srv.send_frame(kind, true, m).unwrap();
        let back = srv.poll_transmit().unwrap().to_vec();
        assert_eq!(run(&mut cli, &[&back]).events, vec![want]);
    }
}

#[test]
fn round_trips_every_setting() {
    let mut msgs = Vec::new();
    for (i, n) in [0usize, 1, 31, 32, 100, 5000, 70_000].iter().enumerate() {
        msgs.push((true, text(*n, i as u32).into_bytes()));
        msgs.push((false, bytes(*n, i as u32)));
        // The same again: context takeover makes the repeat much smaller.
        msgs.push((true, text(*n, i as u32).into_bytes()));
    }
    for policy in [
        DeflatePolicy::default(),
        DeflatePolicy::context_takeover(15),
        DeflatePolicy::context_takeover(8),
        DeflatePolicy::context_takeover(11),
    ] {
        for bits in 8..=15u8 {
            for nct in [false, true] {
                let offer = DeflateOffer {
                    server_no_context_takeover: nct,
                    client_no_context_takeover: nct,
                    server_max_window_bits: Some(bits),
                    client_max_window_bits: Some(Some(bits)),
                };
                round_trip(policy, offer, &msgs);
            }
        }
        round_trip(policy, DeflateOffer::default(), &msgs);
    }
}

fn compress_with(pmd: &PerMessageDeflate, role: Role, data: &[u8]) -> Vec<u8> {
    let mut c = ZlibCodec::new(pmd, role, ZlibOptions::default());
    let mut out = Vec::new();
    c.compress(data, &mut out).unwrap();
    out
}

#[test]
fn fragmented_compressed_message_at_every_split_point() {
    let pmd = PerMessageDeflate::default();
    let msg = text(3000, 7);
    let z = compress_with(&pmd, Role::Client, msg.as_bytes());
    // Three frames: RSV1 only on the first.
    let (a, b) = z.split_at(z.len() / 3);
    let (b, c) = b.split_at(b.len() / 2);
    let mut wire = frame_rsv(Role::Client, false, RSV1, OpCode::Text, a);
    wire.extend(frame(Role::Client, false, OpCode::Continuation, b));
    wire.extend(frame(Role::Client, true, OpCode::Ping, b"p"));
    wire.extend(frame(Role::Client, true, OpCode::Continuation, c));
    for split in 0..=wire.len() {
        let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(pmd)));
        let t = run(&mut srv, &[&wire[..split], &wire[split..]]);
        assert_eq!(
            t.events,
            vec![Ev::Ping(b"p".to_vec()), Ev::Text(msg.clone())],
            "split at {split}"
        );
    }
    // Stream mode delivers a compressed message whole too.
    let mut srv = server(stream_cfg().permessage_deflate(Some(pmd)));
    let t = run(&mut srv, &[&wire]);
    assert_eq!(t.events, vec![Ev::Ping(b"p".to_vec()), Ev::Text(msg)]);
}

fn first_error(
    cfg: ConnectionConfig,
    wire: &[u8],
) -> (ProtocolError, Vec<(bool, OpCode, Vec<u8>)>) {
    let mut srv = server(cfg);
    let t = run(&mut srv, &[wire]);
    let e = t
        .events
        .iter()
        .find_map(|e| match e {
            Ev::Error(e) => Some(e.clone()),
            _ => None,
        })
        .expect("an error");
    (e, parse_frames(Role::Server, &t.out))
}

fn close_code_of(frames: &[(bool, OpCode, Vec<u8>)]) -> u16 {
    let (_, op, p) = frames.last().unwrap();
    assert_eq!(*op, OpCode::Close);
    u16::from_be_bytes([p[0], p[1]])
}

#[test]
fn rsv1_rules() {
    let on = ConnectionConfig::default().permessage_deflate(Some(PerMessageDeflate::default()));
    let z = compress_with(
        &PerMessageDeflate::default(),
        Role::Client,
        b"hello hello hello",
    );
    // Without the extension: 1002.
    let (_, f) = first_error(
        ConnectionConfig::default(),
        &frame_rsv(Role::Client, true, RSV1, OpCode::Text, &z),
    );
    assert_eq!(close_code_of(&f), 1002);
    // On a control frame: 1002.
    let (e, f) = first_error(on, &frame_rsv(Role::Client, true, RSV1, OpCode::Ping, b""));
    assert_eq!(e, ProtocolError::UnexpectedRsv1);
    assert_eq!(close_code_of(&f), 1002);
    // On a continuation frame: 1002.
    let mut w = frame_rsv(Role::Client, false, RSV1, OpCode::Binary, &z);
    w.extend(frame_rsv(
        Role::Client,
        true,
        RSV1,
        OpCode::Continuation,
        b"",
    ));
    let (e, f) = first_error(on, &w);
    assert_eq!(e, ProtocolError::UnexpectedRsv1);
    assert_eq!(close_code_of(&f), 1002);
    // RSV2 stays refused.
    let (_, f) = first_error(
        on,
        &frame_rsv(Role::Client, true, 0b010, OpCode::Text, b"x"),
    );
    assert_eq!(close_code_of(&f), 1002);
    // Corrupt DEFLATE data: 1007.
    let (e, f) = first_error(
        on,
        &frame_rsv(
            Role::Client,
            true,
            RSV1,
            OpCode::Binary,
            &[0xff, 0xff, 0xff, 0x00],
        ),
    );
    assert_eq!(e, ProtocolError::InvalidCompressedData);
    assert_eq!(close_code_of(&f), 1007);
    // Compressed text that inflates to invalid UTF-8: 1007.
    let z = compress_with(
        &PerMessageDeflate::default(),
        Role::Client,
        &[b'a', 0xff, b'b'],
    );
    let (e, f) = first_error(on, &frame_rsv(Role::Client, true, RSV1, OpCode::Text, &z));
    assert!(
        matches!(e, ProtocolError::InvalidUtf8 { offset: 1 }),
        "{e:?}"
    );
    assert_eq!(close_code_of(&f), 1007);
}

#[test]
fn deflate_bomb_stops_at_the_cap() {
    let pmd = PerMessageDeflate::default();
    // 64 MiB of zeros compress to about 64 KB.
    let zeros = vec![0u8; 64 << 20];
    let z = compress_with(&pmd, Role::Client, &zeros);
    assert!(z.len() < 100_000, "{}", z.len());
    let cap = 1 << 20;
    let cfg = ConnectionConfig::default()
        .max_message_size(cap)
        .permessage_deflate(Some(pmd));
    let wire = frame_rsv(Role::Client, true, RSV1, OpCode::Binary, &z);
    let (e, f) = first_error(cfg, &wire);
    assert_eq!(e, ProtocolError::MessageTooBig { max: cap });
    assert_eq!(close_code_of(&f), 1009);
    // Same in small reads, and exactly at the cap it still passes.
    let exact = compress_with(&pmd, Role::Client, &zeros[..cap as usize]);
    let mut srv = server(cfg);
    let wire = frame_rsv(Role::Client, true, RSV1, OpCode::Binary, &exact);
    let chunks: Vec<&[u8]> = wire.chunks(7).collect();
    let t = run(&mut srv, &chunks);
    assert_eq!(t.events, vec![Ev::Binary(zeros[..cap as usize].to_vec())]);
}

#[test]
fn truncated_streams_give_a_message_or_1007() {
    let pmd = PerMessageDeflate::default();
    let msg = text(500, 3);
    let z = compress_with(&pmd, Role::Client, msg.as_bytes());
    // A compressed message cut short and ended: a message (the cut bytes plus the appended
    // tail may still decode, to a prefix or to other bytes: DEFLATE has no checksum here) or
    // 1007; never a panic, a hang, or anything else.
    let (mut prefixes, mut failures) = (0, 0);
    for cut in 0..z.len() {
        let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(pmd)));
        let wire = frame_rsv(Role::Client, true, RSV1, OpCode::Binary, &z[..cut]);
        let t = run(&mut srv, &[&wire]);
        match t.events.as_slice() {
            [Ev::Binary(b)] => {
                assert!(b.len() <= 2 * msg.len(), "cut {cut}: {} bytes", b.len());
                prefixes += 1;
            }
            [
                Ev::Error(ProtocolError::InvalidCompressedData),
                Ev::Closed(1007, false),
            ] => {
                failures += 1;
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
    assert!(
        prefixes > 0 && failures > 0,
        "{prefixes} prefixes, {failures} failures"
    );
}

#[test]
fn lean_policy_holds_no_codec_state_between_messages() {
    let (s_pmd, c_pmd) = negotiate(DeflatePolicy::default(), DeflateOffer::default());
    assert!(s_pmd.server_no_context_takeover && s_pmd.client_no_context_takeover);
    let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(s_pmd)));
    let mut cli = client(ConnectionConfig::default().permessage_deflate(Some(c_pmd)));
    assert_eq!(srv.codec().unwrap().allocated(), 0);
    let m = text(10_000, 1);
    cli.send_text(&m).unwrap();
    assert_eq!(cli.codec().unwrap().allocated(), 0);
    let wire = cli.poll_transmit().unwrap().to_vec();
    assert_eq!(run(&mut srv, &[&wire]).events, vec![Ev::Text(m.clone())]);
    assert_eq!(srv.codec().unwrap().allocated(), 0);
    srv.send_text(&m).unwrap();
    assert_eq!(srv.codec().unwrap().allocated(), 0);
    // With context takeover both states stay.
    let (s_pmd, _) = negotiate(DeflatePolicy::context_takeover(15), DeflateOffer::default());
    let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(s_pmd)));
    srv.send_text(&m).unwrap();
    assert_eq!(srv.codec().unwrap().allocated(), 1);
}

#[test]
fn shared_compressor_frames_are_read_by_every_client() {
    let (s_pmd, c_pmd) = negotiate(DeflatePolicy::default(), DeflateOffer::default());
    let mut shared = SharedCompressor::new(15, ZlibOptions::default());
    let m = text(4000, 9);
    let mut encoded = Vec::new();
    shared
        .encode_frame(true, m.as_bytes(), &mut encoded)
        .unwrap();
    assert_eq!(encoded[0], 0xC1);
    for _ in 0..3 {
        let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(s_pmd)));
        srv.send_encoded(&encoded).unwrap();
        let wire = srv.poll_transmit().unwrap().to_vec();
        let mut cli = client(ConnectionConfig::default().permessage_deflate(Some(c_pmd)));
        assert_eq!(run(&mut cli, &[&wire]).events, vec![Ev::Text(m.clone())]);
    }
    let _ = Duration::ZERO;
}

#[test]
fn context_takeover_is_used_exactly_when_negotiated() {
    let m = text(5000, 11);
    for (policy, takeover) in [
        (DeflatePolicy::context_takeover(15), true),
        (DeflatePolicy::default(), false),
    ] {
        let (s_pmd, c_pmd) = negotiate(policy, DeflateOffer::default());
        let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(s_pmd)));
        let mut cli = client(ConnectionConfig::default().permessage_deflate(Some(c_pmd)));
        let mut sizes = Vec::new();
        for _ in 0..2 {
            cli.send_text(&m).unwrap();
            let wire = cli.poll_transmit().unwrap().to_vec();
            sizes.push(wire.len());
            assert_eq!(run(&mut srv, &[&wire]).events, vec![Ev::Text(m.clone())]);
            srv.send_text(&m).unwrap();
            let back = srv.poll_transmit().unwrap().to_vec();
            assert_eq!(run(&mut cli, &[&back]).events, vec![Ev::Text(m.clone())]);
        }
        if takeover {
            // The repeat is a back-reference into the kept window: a few bytes.
            assert!(sizes[1] * 10 < sizes[0], "{sizes:?}");
        } else {
            assert_eq!(sizes[0], sizes[1], "{sizes:?}");
        }
    }
}

/// The hub's encode-once broadcast, compressed once: the same frames deflated by one shared
/// compressor reach every client that negotiated the default policy as the same messages.
#[test]
fn hub_broadcast_compressed_once_for_every_client() {
    use sockwire::hub::Encoded;
    let (s_pmd, c_pmd) = negotiate(DeflatePolicy::default(), DeflateOffer::default());
    let attachment = bytes(3000, 5);
    let packet = Encoded::new(
        &format!(
            "51-[\"file\",{},{{\"_placeholder\":true,\"num\":0}}]",
            serde_like_string(&text(2000, 3))
        ),
        &[&attachment],
    );
    let mut shared = SharedCompressor::new(15, ZlibOptions::default());
    let mut deflated = Vec::new();
    packet
        .ws_frames_deflated(&mut shared, &mut deflated)
        .unwrap();
    assert!(deflated.len() < packet.ws_frames().len());
    let mut plain_cli = client(ConnectionConfig::default());
    let want = run(&mut plain_cli, &[packet.ws_frames()]).events;
    assert_eq!(want.len(), 2);
    for _ in 0..3 {
        let mut srv = server(ConnectionConfig::default().permessage_deflate(Some(s_pmd)));
        srv.send_encoded(&deflated).unwrap();
        let wire = srv.poll_transmit().unwrap().to_vec();
        let mut cli = client(ConnectionConfig::default().permessage_deflate(Some(c_pmd)));
        assert_eq!(run(&mut cli, &[&wire]).events, want);
    }
}

/// A JSON string literal for ASCII text without quotes or backslashes.
fn serde_like_string(s: &str) -> String {
    assert!(!s.contains(['"', '\\']));
    format!("\"{s}\"")
}
