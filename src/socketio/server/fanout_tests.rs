//! The broadcast fan-out ([`super::fanout`]) on a fake clock: lazy, coalesced, and in the
//! same order per session as writing everything at once.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;

use super::tests::{Chat, drain, server, ws_open, ws_text, ws_texts};
use super::*;

/// Three WebSocket clients in room `blue`; returns their connection ids.
fn three_in_blue(io: &mut Server<Chat>, p: &mut Vec<Transmit>) -> [u64; 3] {
    let t = Duration::ZERO;
    let conns = [9, 10, 11];
    for c in conns {
        assert!(ws_open(io, p, c, "/socket.io/")[0].starts_with("0{"));
        io.handle_read(t, c, &ws_text("40"));
        io.handle_read(t, c, &ws_text("42[\"join\",\"blue\"]"));
        assert!(ws_texts(&drain(io, p, c))[0].starts_with("40{"));
    }
    conns
}

#[test]
fn a_broadcast_is_handed_over_a_run_of_recipients_at_a_time() {
    let mut io = server();
    let mut p = Vec::new();
    let n = super::fanout::RUN as u64 + 6;
    let t = Duration::ZERO;
    for c in 1..=n {
        assert!(ws_open(&mut io, &mut p, c, "/socket.io/")[0].starts_with("0{"));
        io.handle_read(t, c, &ws_text("40"));
        let _ = drain(&mut io, &mut p, c);
    }
    io.handle_read(t, 1, &ws_text("42[\"shout\",7]"));
    // Nothing made yet: every recipient waits.
    assert_eq!(io.queued_recipients(), n as usize);
    let first = io.poll_transmit().unwrap();
    assert_eq!(ws_texts(&first.data), ["42[\"shouted\",7]"]);
    assert_eq!(
        io.queued_recipients(),
        6,
        "one run made, the rest when asked for"
    );
    p.push(first);
    for c in 1..=n {
        assert_eq!(
            ws_texts(&drain(&mut io, &mut p, c)),
            ["42[\"shouted\",7]"],
            "conn {c}"
        );
    }
    assert_eq!(io.queued_recipients(), 0);
    assert_eq!(io.poll_transmit(), None);
}

#[test]
fn an_input_before_the_fan_out_is_drained_keeps_each_sessions_order() {
    let mut io = server();
    let mut p = Vec::new();
    let [a, b, c] = three_in_blue(&mut io, &mut p);
    let t = Duration::ZERO;
    io.handle_read(t, a, &ws_text("42[\"shout\",1]"));
    // Before the host takes the broadcast, `b` pings (the WebSocket layer answers at once)
    // and asks something: the pong and the answer come after the broadcast, made first.
    let mut ping = ws_text("hi");
    ping[0] = 0x89;
    io.handle_read(t, b, &ping);
    io.handle_read(t, b, &ws_text("42[\"name\",\"bo\"]"));
    io.handle_read(t, b, &ws_text("421[\"whoami\"]"));
    // And a second broadcast from `c` queues behind the first for everyone.
    io.handle_read(t, c, &ws_text("42[\"shout\",2]"));
    assert_eq!(
        ws_texts(&drain(&mut io, &mut p, b)),
        [
            "42[\"shouted\",1]",
            "hi",
            "431[\"bo\"]",
            "42[\"shouted\",2]"
        ]
    );
    for conn in [a, c] {
        assert_eq!(
            ws_texts(&drain(&mut io, &mut p, conn)),
            ["42[\"shouted\",1]", "42[\"shouted\",2]"]
        );
    }
}

#[test]
fn events_read_together_are_fanned_out_lazily_in_order() {
    let mut io = server();
    let mut p = Vec::new();
    let [a, b, c] = three_in_blue(&mut io, &mut p);
    let mut bytes = ws_text("42[\"shout\",1]");
    bytes.extend(ws_text("421[\"whoami\"]"));
    bytes.extend(ws_text("42[\"shout\",2]"));
    io.handle_read(Duration::ZERO, a, &bytes);
    // Both broadcasts wait, and so does `a`'s answer, queued behind the first.
    assert_eq!(io.queued_recipients(), 6);
    assert_eq!(
        ws_texts(&drain(&mut io, &mut p, a)),
        ["42[\"shouted\",1]", "431[\"\"]", "42[\"shouted\",2]"]
    );
    for conn in [b, c] {
        assert_eq!(
            ws_texts(&drain(&mut io, &mut p, conn)),
            ["42[\"shouted\",1]", "42[\"shouted\",2]"]
        );
    }
    assert_eq!(io.queued_recipients(), 0);
}

#[test]
fn a_close_behind_a_broadcast_writes_the_broadcast_first() {
    let mut io = server();
    let mut p = Vec::new();
    let [a, b, c] = three_in_blue(&mut io, &mut p);
    // A broadcast, then a malformed packet that closes `a`'s session: a close cannot wait
    // for `poll_transmit`, so everything before it is written in the call.
    let mut bytes = ws_text("42[\"shout\",1]");
    bytes.extend(ws_text("42abc"));
    io.handle_read(Duration::ZERO, a, &bytes);
    assert_eq!(io.queued_recipients(), 0);
    let out = drain(&mut io, &mut p, a);
    let shout = b"\x81\x0f42[\"shouted\",1]";
    assert!(out.starts_with(shout), "{out:?}");
    assert_eq!(out[shout.len()], 0x88, "then the close frame: {out:?}");
    for conn in [b, c] {
        assert_eq!(
            ws_texts(&drain(&mut io, &mut p, conn)),
            ["42[\"shouted\",1]"]
        );
    }
    assert!(
        io.app()
            .log
            .last()
            .unwrap()
            .starts_with("disconnect / parse error"),
        "{:?}",
        io.app().log
    );
}

#[test]
fn a_burst_of_broadcasts_reaches_each_recipient_in_one_write() {
    let mut io = server();
    let mut p = Vec::new();
    let conns = three_in_blue(&mut io, &mut p);
    let mut bytes = Vec::new();
    for n in 1..=3 {
        bytes.extend(ws_text(&format!("42[\"shout\",{n}]")));
    }
    io.handle_read(Duration::ZERO, conns[0], &bytes);
    let mut writes = Vec::new();
    while let Some(t) = io.poll_transmit() {
        writes.push(t);
    }
    assert_eq!(writes.len(), 3, "one write per recipient: {writes:?}");
    for (t, c) in writes.iter().zip(conns) {
        assert_eq!(t.conn, c);
        assert_eq!(
            ws_texts(&t.data),
            [
                "42[\"shouted\",1]",
                "42[\"shouted\",2]",
                "42[\"shouted\",3]"
            ]
        );
    }
}

#[test]
fn broadcasts_to_different_recipients_keep_each_sessions_order() {
    let mut io = server();
    let mut p = Vec::new();
    let [a, b, c] = three_in_blue(&mut io, &mut p);
    // To everyone, then to the room but `a`, then to everyone: the second list is shifted,
    // so no recipient's later packets may be taken out of turn.
    let mut bytes = ws_text("42[\"shout\",1]");
    bytes.extend(ws_text("42[\"say\",\"blue\",2]"));
    bytes.extend(ws_text("42[\"shout\",3]"));
    io.handle_read(Duration::ZERO, a, &bytes);
    assert_eq!(
        ws_texts(&drain(&mut io, &mut p, a)),
        ["42[\"shouted\",1]", "42[\"shouted\",3]"]
    );
    for conn in [b, c] {
        assert_eq!(
            ws_texts(&drain(&mut io, &mut p, conn)),
            ["42[\"shouted\",1]", "42[\"said\",2]", "42[\"shouted\",3]"]
        );
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    /// One client event of the [`Chat`] app.
    #[derive(Debug, Clone)]
    enum Ev {
        Join(u8),
        Leave(u8),
        Say(u8, u8),
        Shout(u8),
        Name(u8),
        WhoAmI(u8),
    }

    fn text(ev: &Ev) -> String {
        let room = |r: &u8| ["blue", "red"][usize::from(*r % 2)];
        match ev {
            Ev::Join(r) => format!("42[\"join\",\"{}\"]", room(r)),
            Ev::Leave(r) => format!("42[\"leave\",\"{}\"]", room(r)),
            Ev::Say(r, n) => format!("42[\"say\",\"{}\",{n}]", room(r)),
            Ev::Shout(n) => format!("42[\"shout\",{n}]"),
            Ev::Name(n) => format!("42[\"name\",\"n{n}\"]"),
            Ev::WhoAmI(id) => format!("42{id}[\"whoami\"]"),
        }
    }

    fn ev() -> impl Strategy<Value = Ev> {
        prop_oneof![
            2 => any::<u8>().prop_map(Ev::Join),
            1 => any::<u8>().prop_map(Ev::Leave),
            2 => (any::<u8>(), any::<u8>()).prop_map(|(r, n)| Ev::Say(r, n)),
            3 => any::<u8>().prop_map(Ev::Shout),
            1 => any::<u8>().prop_map(Ev::Name),
            2 => any::<u8>().prop_map(Ev::WhoAmI),
        ]
    }

    const CLIENTS: u64 = 3;

    /// A server with `CLIENTS` WebSocket clients connected to `/` (conns 1..=CLIENTS), and
    /// what each has received so far.
    fn setup() -> (Server<Chat>, Vec<Vec<u8>>) {
        let mut io = server();
        let mut p = Vec::new();
        for c in 1..=CLIENTS {
            assert!(ws_open(&mut io, &mut p, c, "/socket.io/")[0].starts_with("0{"));
            io.handle_read(Duration::ZERO, c, &ws_text("40"));
            let _ = drain(&mut io, &mut p, c);
        }
        assert!(p.is_empty());
        (io, vec![Vec::new(); CLIENTS as usize])
    }

    fn take(io: &mut Server<Chat>, got: &mut [Vec<u8>], limit: usize) {
        for _ in 0..limit {
            let Some(t) = io.poll_transmit() else { return };
            got[(t.conn - 1) as usize].extend_from_slice(&t.data);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Events read together and transmits taken late give every client the same bytes
        /// as one event per read with everything taken at once.
        #[test]
        fn grouping_and_late_draining_change_no_clients_bytes(
            reads in proptest::collection::vec(
                (0..CLIENTS, proptest::collection::vec(ev(), 1..6), 0usize..6),
                1..12,
            ),
        ) {
            let (mut eager, mut want) = setup();
            for (c, evs, _) in &reads {
                for e in evs {
                    eager.handle_read(Duration::ZERO, c + 1, &ws_text(&text(e)));
                    take(&mut eager, &mut want, usize::MAX);
                }
            }
            let (mut lazy, mut got) = setup();
            for (c, evs, limit) in &reads {
                let read: Vec<u8> = evs.iter().flat_map(|e| ws_text(&text(e))).collect();
                lazy.handle_read(Duration::ZERO, c + 1, &read);
                // Take only some of what is ready before the next input.
                take(&mut lazy, &mut got, *limit);
            }
            take(&mut lazy, &mut got, usize::MAX);
            for c in 0..CLIENTS as usize {
                prop_assert_eq!(ws_texts(&got[c]), ws_texts(&want[c]), "client {}", c + 1);
            }
            prop_assert_eq!(lazy.queued_recipients(), 0);
        }
    }
}
