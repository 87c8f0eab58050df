//! Broadcast: targets (namespace, room union, except rooms / sockets, all-but-sender), exact
//! bytes, and the encode-once guarantee (every recipient shares one buffer).
#![cfg(feature = "std")]

use std::collections::BTreeSet;
use std::sync::Arc;

use sockwire::engineio::MessageRef;
use sockwire::hub::{Encoded, Hub, HubConfig, HubError, SessionId, SessionInfo, SocketId, Target};
use sockwire::socketio::{SocketIoError, Value};

struct World {
    hub: Hub,
    socks: Vec<(SessionId, SocketId)>,
}

fn world(nsp: &str, n: usize) -> World {
    let mut hub = Hub::default();
    let socks = (0..n)
        .map(|i| {
            let s = hub.add_session(SessionInfo::default()).unwrap();
            (s, hub.add_socket(s, nsp, &format!("s{i}"), None).unwrap())
        })
        .collect();
    World { hub, socks }
}

/// An owned copy of a transmit (the hub lends them).
struct Got {
    session: SessionId,
    socket: SocketId,
    packet: Arc<Encoded>,
}

fn drain(hub: &mut Hub) -> Vec<Got> {
    let mut out = Vec::new();
    while let Some(t) = hub.poll_transmit() {
        out.push(Got {
            session: t.session,
            socket: t.socket,
            packet: Arc::clone(t.packet),
        });
    }
    out
}

fn got(hub: &mut Hub) -> BTreeSet<SocketId> {
    let t = drain(hub);
    let set: BTreeSet<_> = t.iter().map(|t| t.socket).collect();
    assert_eq!(set.len(), t.len(), "a socket received twice");
    set
}

fn ids(w: &World, which: &[usize]) -> BTreeSet<SocketId> {
    which.iter().map(|&i| w.socks[i].1).collect()
}

#[test]
fn to_whole_namespace_only() {
    let mut w = world("/", 3);
    let s = w.hub.add_session(SessionInfo::default()).unwrap();
    let other = w.hub.add_socket(s, "/other", "o", None).unwrap();
    assert_eq!(
        w.hub
            .broadcast(&Target::namespace("/"), "hi", &[Value::Json("1")])
            .unwrap(),
        3
    );
    let g = got(&mut w.hub);
    assert_eq!(g, ids(&w, &[0, 1, 2]));
    assert!(!g.contains(&other));
}

#[test]
fn rooms_union_without_duplicates() {
    let mut w = world("/", 5);
    let (a, b, c) = (w.socks[0].1, w.socks[1].1, w.socks[2].1);
    for s in [a, b] {
        w.hub.join(s, "r1").unwrap();
    }
    for s in [b, c] {
        w.hub.join(s, "r2").unwrap();
    }
    let n = w
        .hub
        .broadcast(
            &Target::namespace("/").rooms(&["r1", "r2", "r1", "nope"]),
            "x",
            &[],
        )
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(got(&mut w.hub), ids(&w, &[0, 1, 2]));
}

#[test]
fn except_rooms_and_sockets() {
    let mut w = world("/", 5);
    let s: Vec<_> = w.socks.iter().map(|x| x.1).collect();
    for &x in &s[..4] {
        w.hub.join(x, "room").unwrap();
    }
    w.hub.join(s[1], "muted").unwrap();
    w.hub.join(s[4], "muted").unwrap();
    w.hub
        .broadcast(
            &Target::namespace("/")
                .rooms(&["room"])
                .except_rooms(&["muted"]),
            "x",
            &[],
        )
        .unwrap();
    assert_eq!(got(&mut w.hub), ids(&w, &[0, 2, 3]));
    // except by socket (all but the sender), whole namespace
    w.hub
        .broadcast(&Target::namespace("/").except_sockets(&[s[2]]), "x", &[])
        .unwrap();
    assert_eq!(got(&mut w.hub), ids(&w, &[0, 1, 3, 4]));
    // except by the sender's own-id room is the same thing
    w.hub
        .broadcast(&Target::namespace("/").except_rooms(&["s2"]), "x", &[])
        .unwrap();
    assert_eq!(got(&mut w.hub), ids(&w, &[0, 1, 3, 4]));
    // to one socket by its id room
    w.hub
        .broadcast(&Target::namespace("/").rooms(&["s4"]), "x", &[])
        .unwrap();
    assert_eq!(got(&mut w.hub), ids(&w, &[4]));
    // everything excluded
    let n = w
        .hub
        .broadcast(
            &Target::namespace("/")
                .rooms(&["room"])
                .except_rooms(&["room"]),
            "x",
            &[],
        )
        .unwrap();
    assert_eq!(n, 0);
    assert!(drain(&mut w.hub).is_empty());
    // a stale socket handle in except_sockets is ignored, not mistaken for a new socket
    let stale = s[0];
    w.hub.remove_socket(stale).unwrap();
    let t = w.hub.add_session(SessionInfo::default()).unwrap();
    let fresh = w.hub.add_socket(t, "/", "fresh", None).unwrap();
    w.hub
        .broadcast(&Target::namespace("/").except_sockets(&[stale]), "x", &[])
        .unwrap();
    assert!(got(&mut w.hub).contains(&fresh));
}

#[test]
fn transmits_name_the_session() {
    let mut w = world("/chat", 2);
    w.hub
        .broadcast(&Target::namespace("/chat"), "x", &[])
        .unwrap();
    for t in drain(&mut w.hub) {
        let (sess, _) = w.socks.iter().find(|(_, k)| *k == t.socket).unwrap();
        assert_eq!(t.session, *sess);
    }
}

#[test]
fn encoded_once_shared_by_every_recipient() {
    let mut w = world("/", 50);
    w.hub
        .broadcast(
            &Target::namespace("/"),
            "chat-post",
            &[
                Value::Json(r#"{"user":"ada","msg":"hi"}"#),
                Value::Binary(&[1, 2, 3]),
            ],
        )
        .unwrap();
    let t = drain(&mut w.hub);
    assert_eq!(t.len(), 50);
    let first = &t[0].packet;
    for x in &t {
        assert!(Arc::ptr_eq(first, &x.packet), "same allocation");
        assert_eq!(x.packet.ws_frames().as_ptr(), first.ws_frames().as_ptr());
        assert_eq!(
            x.packet.attachment(0).unwrap().as_ptr(),
            first.attachment(0).unwrap().as_ptr()
        );
    }
    // Exactly the 50 transmits hold it: the hub kept no copy and made no other.
    assert_eq!(Arc::strong_count(first), 50);
    drop(t);
}

#[test]
fn exact_packet_bytes() {
    let mut w = world("/", 1);
    w.hub
        .broadcast(
            &Target::namespace("/"),
            "chat-post",
            &[Value::Json(r#"{"user":"ada","msg":"hi"}"#)],
        )
        .unwrap();
    let p = Arc::clone(w.hub.poll_transmit().unwrap().packet);
    assert_eq!(p.text(), r#"2["chat-post",{"user":"ada","msg":"hi"}]"#);
    assert_eq!(
        p.engineio_text(),
        r#"42["chat-post",{"user":"ada","msg":"hi"}]"#
    );
    let mut frame = vec![0x81, p.engineio_text().len() as u8];
    frame.extend_from_slice(p.engineio_text().as_bytes());
    assert_eq!(p.ws_frames(), &frame[..]);
    assert_eq!(p.attachment_count(), 0);

    // A namespace, an escaped event name and binary arguments.
    let mut w = world("/admin", 1);
    let big = vec![7u8; 300];
    w.hub
        .broadcast(
            &Target::namespace("/admin"),
            "a\"b\n\u{1}é",
            &[
                Value::Binary(b"xy"),
                Value::Json("[1,2]"),
                Value::Binary(&big),
            ],
        )
        .unwrap();
    let p = Arc::clone(w.hub.poll_transmit().unwrap().packet);
    assert_eq!(
        p.text(),
        r#"52-/admin,["a\"b\n\u0001é",{"_placeholder":true,"num":0},[1,2],{"_placeholder":true,"num":1}]"#
    );
    let msgs: Vec<_> = p.engineio_messages().collect();
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        msgs[0],
        MessageRef::Text(&p.engineio_text()[1..]),
        "without the 4 prefix"
    );
    assert_eq!(msgs[1], MessageRef::Binary(b"xy"));
    assert_eq!(msgs[2], MessageRef::Binary(&big[..]));
    // frames: text, binary(2), binary(300 -> 16-bit length)
    let t = p.engineio_text().len();
    let f = p.ws_frames();
    assert_eq!(f[0], 0x81);
    assert_eq!(f[1] as usize, t);
    let rest = &f[2 + t..];
    assert_eq!(&rest[..4], &[0x82, 2, b'x', b'y']);
    assert_eq!(&rest[4..8], &[0x82, 126, 0x01, 0x2c]);
    assert_eq!(&rest[8..], &big[..]);
}

#[test]
fn ws_frame_length_forms() {
    for (len, hdr) in [(125usize, 2usize), (126, 4), (65535, 4), (65536, 10)] {
        let text = "x".repeat(len - 1); // plus the Engine.IO '4'
        let e = Encoded::new(&text, &[]);
        let f = e.ws_frames();
        assert_eq!(f.len(), hdr + len, "len {len}");
        match hdr {
            2 => assert_eq!(f[1] as usize, len),
            4 => {
                assert_eq!(f[1], 126);
                assert_eq!(u16::from_be_bytes([f[2], f[3]]) as usize, len);
            }
            _ => {
                assert_eq!(f[1], 127);
                assert_eq!(
                    u64::from_be_bytes(f[2..10].try_into().unwrap()) as usize,
                    len
                );
            }
        }
        assert_eq!(e.text(), text);
    }
}

#[test]
fn broadcast_encoded_shares_the_callers_packet() {
    let mut w = world("/", 3);
    let packet = Arc::new(Encoded::new(r#"2["pre",true]"#, &[]));
    assert_eq!(
        w.hub
            .broadcast_encoded(&Target::namespace("/"), Arc::clone(&packet)),
        3
    );
    for t in drain(&mut w.hub) {
        assert!(Arc::ptr_eq(&t.packet, &packet));
    }
}

#[test]
fn refused_emits() {
    let mut w = world("/", 1);
    for ev in [
        "connect",
        "disconnect",
        "connect_error",
        "disconnecting",
        "newListener",
        "removeListener",
    ] {
        assert_eq!(
            w.hub.broadcast(&Target::namespace("/"), ev, &[]),
            Err(HubError::Encode(SocketIoError::ReservedEvent))
        );
    }
    assert_eq!(
        w.hub.broadcast(&Target::namespace("/"), "", &[]),
        Err(HubError::InvalidName { what: "event" })
    );
    for bad in ["", "[1,]", "{", "1 2", "'x'", "nul", "\"\u{1}\""] {
        let r = w
            .hub
            .broadcast(&Target::namespace("/"), "e", &[Value::Json(bad)]);
        assert!(matches!(r, Err(HubError::Encode(_))), "{bad:?}: {r:?}");
    }
    w.hub
        .broadcast(&Target::namespace("/"), "e", &[Value::Json(" [1, 2]\n")])
        .unwrap();
    assert_eq!(
        w.hub.poll_transmit().unwrap().packet.text(),
        r#"2["e",[1,2]]"#
    );
    let mut hub = Hub::new(HubConfig::default().max_attachments(1));
    assert_eq!(
        hub.broadcast(
            &Target::namespace("/"),
            "e",
            &[Value::Binary(b""), Value::Binary(b"")]
        ),
        Err(HubError::LimitExceeded {
            limit: "max_attachments"
        })
    );
    assert_eq!(w.hub.pending_transmits(), 0, "nothing queued on error");
}

#[test]
fn to_an_unknown_namespace_is_empty() {
    let mut w = world("/", 2);
    assert_eq!(
        w.hub
            .broadcast(&Target::namespace("/nope"), "e", &[])
            .unwrap(),
        0
    );
    assert_eq!(w.hub.pending_transmits(), 0);
}

#[test]
fn nested_binary_and_forwarded_packets() {
    let mut w = world("/", 2);
    let inner = [Value::Binary(b"b1"), Value::Json("true")];
    let obj = [
        ("file", Value::Binary(b"b0")),
        ("list", Value::Array(&inner)),
    ];
    w.hub
        .broadcast(
            &Target::namespace("/"),
            "up",
            &[Value::Object(&obj), Value::Str("x\"y")],
        )
        .unwrap();
    let t = drain(&mut w.hub);
    let p = &t[0].packet;
    assert_eq!(
        p.text(),
        r#"52-["up",{"file":{"_placeholder":true,"num":0},"list":[{"_placeholder":true,"num":1},true]},"x\"y"]"#
    );
    assert_eq!(p.attachment(0), Some(&b"b0"[..]));
    assert_eq!(p.attachment(1), Some(&b"b1"[..]));
    assert!(Arc::ptr_eq(p, &t[1].packet));

    // Forwarding what a client sent (binary kept, placeholders renumbered) to the others.
    let mut dec = sockwire::socketio::Decoder::new(sockwire::socketio::DecodeConfig::new());
    assert!(
        dec.feed_text_owned(
            r#"52-["others","ev",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]"#
                .into()
        )
        .unwrap()
        .is_none()
    );
    assert!(dec.feed_binary(b"zero").unwrap().is_none());
    let got = dec.feed_binary(b"one").unwrap().unwrap();
    let args = got.arg_values();
    w.hub
        .broadcast(&Target::namespace("/"), "ev", &args[1..])
        .unwrap();
    let p = Arc::clone(w.hub.poll_transmit().unwrap().packet);
    assert_eq!(
        p.text(),
        r#"52-["ev",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]"#
    );
    assert_eq!(p.attachment(0), Some(&b"one"[..]));
    assert_eq!(p.attachment(1), Some(&b"zero"[..]));
}

#[test]
fn poll_broadcast_hands_out_the_rest_of_a_batch() {
    let mut w = world("/", 4);
    w.hub
        .broadcast(&Target::namespace("/"), "one", &[])
        .unwrap();
    w.hub
        .broadcast(&Target::namespace("/").rooms(&["s1", "s2"]), "two", &[])
        .unwrap();
    assert_eq!(w.hub.pending_transmits(), 6);
    // One transmit of the first broadcast, then the rest of it as a batch.
    let first = w
        .hub
        .poll_transmit()
        .map(|t| (t.socket, Arc::clone(t.packet)))
        .unwrap();
    let b = w.hub.poll_broadcast().unwrap();
    assert!(Arc::ptr_eq(&first.1, &b.packet));
    assert_eq!(b.packet.text(), r#"2["one"]"#);
    assert_eq!(b.recipients.len(), 3);
    let mut all: BTreeSet<SocketId> = b.recipients.iter().map(|r| r.socket).collect();
    all.insert(first.0);
    assert_eq!(all, ids(&w, &[0, 1, 2, 3]));
    for r in &b.recipients {
        assert_eq!(Some(r.session), w.hub.session_of(r.socket));
    }
    w.hub.recycle(b);
    assert_eq!(w.hub.pending_transmits(), 2);
    let b = w.hub.poll_broadcast().unwrap();
    assert_eq!(b.packet.text(), r#"2["two"]"#);
    assert_eq!(
        b.recipients
            .iter()
            .map(|r| r.socket)
            .collect::<BTreeSet<_>>(),
        ids(&w, &[1, 2])
    );
    assert!(w.hub.poll_broadcast().is_none());
    assert!(w.hub.poll_transmit().is_none());
    assert_eq!(w.hub.pending_transmits(), 0);
    // Broadcasts with no recipient queue nothing.
    w.hub
        .broadcast(&Target::namespace("/").rooms(&["none"]), "x", &[])
        .unwrap();
    assert!(w.hub.poll_broadcast().is_none());
}

#[test]
fn bounded_queues_under_repeated_broadcasts() {
    // Draining in steady state keeps the hub's own buffers from growing.
    let mut w = world("/", 100);
    for i in 0..1000 {
        let j = i.to_string();
        w.hub
            .broadcast(&Target::namespace("/"), "tick", &[Value::Json(&j)])
            .unwrap();
        if i % 2 == 0 {
            while w.hub.poll_transmit().is_some() {}
        } else {
            let b = w.hub.poll_broadcast().unwrap();
            assert_eq!(b.recipients.len(), 100);
            w.hub.recycle(b);
        }
        assert_eq!(w.hub.pending_transmits(), 0);
    }
}
