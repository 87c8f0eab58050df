#![cfg(feature = "std")]
//! A client and a server `Connection` back to back: random interleavings of whole messages,
//! fragmented messages (code points split across fragments), pings and pongs in both directions,
//! delivered in random read sizes, round-trip exactly in both receive modes.

mod ws_support;

use core::time::Duration;

use proptest::prelude::*;
use sockwire::ws::{ConnectionConfig, MessageKind};
use ws_support::*;

#[derive(Debug, Clone)]
enum Op {
    Text(String),
    Binary(Vec<u8>),
    /// A message sent in fragments, with an optional Ping after each fragment.
    Fragmented(MessageKind, Vec<(Vec<u8>, Option<Vec<u8>>)>),
    Ping(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        ".{0,40}".prop_map(Op::Text),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(Op::Binary),
        (
            any::<bool>(),
            ".{0,30}",
            proptest::collection::vec(
                (
                    any::<usize>(),
                    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..10))
                ),
                1..5
            )
        )
            .prop_map(|(text, s, cuts)| {
                let bytes = if text {
                    s.into_bytes()
                } else {
                    s.into_bytes().into_iter().map(|b| b ^ 0x55).collect()
                };
                let mut idx: Vec<usize> = cuts.iter().map(|(c, _)| c % (bytes.len() + 1)).collect();
                idx.sort_unstable();
                let mut frags = Vec::new();
                let mut prev = 0;
                for (i, (_, ping)) in idx.iter().zip(cuts) {
                    frags.push((bytes[prev..*i].to_vec(), ping));
                    prev = *i;
                }
                frags.push((bytes[prev..].to_vec(), None));
                Op::Fragmented(
                    if text {
                        MessageKind::Text
                    } else {
                        MessageKind::Binary
                    },
                    frags,
                )
            }),
        proptest::collection::vec(any::<u8>(), 0..126).prop_map(Op::Ping),
    ]
}

/// What the receiver should report for `op` (and the sender's pongs for the pings).
fn expected(op: &Op) -> (Vec<Ev>, Vec<Ev>) {
    match op {
        Op::Text(s) => (vec![Ev::Text(s.clone())], vec![]),
        Op::Binary(b) => (vec![Ev::Binary(b.clone())], vec![]),
        Op::Ping(p) => (vec![Ev::Ping(p.clone())], vec![Ev::Pong(p.clone())]),
        Op::Fragmented(kind, frags) => {
            let mut rx = Vec::new();
            let mut back = Vec::new();
            let mut all = Vec::new();
            for (f, ping) in frags {
                all.extend_from_slice(f);
                if let Some(p) = ping {
                    rx.push(Ev::Ping(p.clone()));
                    back.push(Ev::Pong(p.clone()));
                }
            }
            rx.push(match kind {
                MessageKind::Text => Ev::Text(String::from_utf8(all).unwrap()),
                MessageKind::Binary => Ev::Binary(all),
            });
            (rx, back)
        }
    }
}

fn send<K: sockwire::ws::MaskKeySource>(c: &mut sockwire::ws::Connection<K>, op: &Op) {
    match op {
        Op::Text(s) => c.send_text(s).unwrap(),
        Op::Binary(b) => c.send_binary(b).unwrap(),
        Op::Ping(p) => c.ping(p).unwrap(),
        Op::Fragmented(kind, frags) => {
            let n = frags.len();
            for (i, (f, ping)) in frags.iter().enumerate() {
                c.send_frame(*kind, i + 1 == n, f).unwrap();
                if let Some(p) = ping {
                    c.ping(p).unwrap();
                    // Flush so that the ping goes out between fragments.
                }
            }
        }
    }
}

fn split(bytes: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(usize::MAX)
            % 64
            + 1)
        .min(rest.len());
        out.push(rest[..n].to_vec());
        rest = &rest[n..];
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_interleavings_round_trip(
        ops in proptest::collection::vec((any::<bool>(), op()), 0..12),
        sizes in proptest::collection::vec(any::<usize>(), 1..8),
        stream in any::<bool>(),
    ) {
        let cfg = if stream { stream_cfg() } else { ConnectionConfig::default() };
        let mut c = client(cfg);
        let mut s = server(cfg);
        let mut dc = Driver::default();
        let mut ds = Driver::default();
        let mut want_c = Vec::new();
        let mut want_s = Vec::new();
        let now = Duration::ZERO;
        for (from_client, op) in &ops {
            // Send, with pings between fragments flushed in order.
            let wire = if *from_client {
                send_flushing(&mut c, op)
            } else {
                send_flushing(&mut s, op)
            };
            let (rx, back) = expected(op);
            let (rxd, txd, rxw, txw) = if *from_client {
                (&mut ds, &mut dc, &mut want_s, &mut want_c)
            } else {
                (&mut dc, &mut ds, &mut want_c, &mut want_s)
            };
            rxw.extend(rx);
            txw.extend(back);
            // Deliver in random read sizes, then carry the pongs back.
            let before = rxd.t.out.len();
            for chunk in split(&wire, &sizes) {
                if *from_client { rxd.read(&mut s, now, &chunk) } else { rxd.read(&mut c, now, &chunk) }
            }
            let reply = rxd.t.out[before..].to_vec();
            for chunk in split(&reply, &sizes) {
                if *from_client { txd.read(&mut c, now, &chunk) } else { txd.read(&mut s, now, &chunk) }
            }
        }
        prop_assert_eq!(&ds.t.events, &want_s);
        prop_assert_eq!(&dc.t.events, &want_c);
        prop_assert!(c.is_open() && s.is_open());
    }
}

/// Sends `op`, flushing after every fragment so pings really sit between fragments on the wire.
fn send_flushing<K: sockwire::ws::MaskKeySource>(
    c: &mut sockwire::ws::Connection<K>,
    op: &Op,
) -> Vec<u8> {
    let mut wire = Vec::new();
    match op {
        Op::Fragmented(kind, frags) => {
            let n = frags.len();
            for (i, (f, ping)) in frags.iter().enumerate() {
                c.send_frame(*kind, i + 1 == n, f).unwrap();
                if let Some(p) = ping {
                    c.ping(p).unwrap();
                }
                while let Some(b) = c.poll_transmit() {
                    wire.extend_from_slice(b);
                }
            }
        }
        _ => {
            send(c, op);
            while let Some(b) = c.poll_transmit() {
                wire.extend_from_slice(b);
            }
        }
    }
    wire
}
