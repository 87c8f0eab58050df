//! Byte-exact tests against messages captured from `@socket.io/redis-adapter` 8.3 and
//! `@socket.io/redis-emitter` 5.1 talking through a real redis-server
//! (`tests/data/cluster/redis-adapter-8.3.tsv`, written by `tests/interop/cluster/capture.mjs`).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::wire::{self, Writer};
use super::{Adapter, ClusterConfig, Command, Emitter, RequestType};
use crate::hub::{Hub, HubConfig, HubEvent, SessionInfo, Target};
use crate::socketio::packet::Value;

const CAPTURE: &str = include_str!("../../tests/data/cluster/redis-adapter-8.3.tsv");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// The messages published after marker `name`: (channel, bytes).
pub(super) fn section(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in CAPTURE.lines() {
        let Some((ch, hex)) = line.split_once('\t') else {
            continue;
        };
        if ch == "#" {
            inside = hex == name;
        } else if inside {
            out.push((ch.to_string(), unhex(hex)));
        }
    }
    assert!(!out.is_empty(), "no capture for {name}");
    out
}

pub(super) fn first(name: &str) -> (String, Vec<u8>) {
    section(name).remove(0)
}

/// The publishes a hub queued, subscriptions skipped.
pub(super) fn publishes(hub: &mut Hub) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    while let Some(c) = hub.poll_cluster_transmit() {
        if let Command::Publish { channel, payload } = c {
            out.push((channel, payload));
        }
    }
    out
}

pub(super) fn node_uid() -> String {
    let (_, b) = first("broadcast-all");
    wire::decode_broadcast(&b, 1 << 20).unwrap().uid.to_string()
}

pub(super) fn hub_with(uid: &str) -> Hub {
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default(), uid));
    hub
}

#[test]
fn every_captured_broadcast_reencodes_byte_exact() {
    let mut n = 0;
    for line in CAPTURE.lines() {
        let (ch, hex) = line.split_once('\t').unwrap();
        if !ch.starts_with("socket.io#") {
            continue;
        }
        let bytes = unhex(hex);
        let m = wire::decode_broadcast(&bytes, 1 << 20).unwrap();
        let mut packet = Vec::new();
        crate::msgpack::encode(&m.packet, &mut packet);
        let writer = if m.uid == "emitter" {
            Writer::Emitter
        } else {
            Writer::Adapter
        };
        let mut out = Vec::new();
        wire::encode_broadcast(&mut out, writer, m.uid, &packet, &m.opts);
        assert_eq!(out, bytes, "{ch}");
        assert_eq!(
            wire::broadcast_channel("socket.io", m.nsp, &m.opts.rooms),
            ch
        );
        n += 1;
    }
    assert!(n >= 9);
}

#[test]
fn our_broadcasts_are_the_node_adapters_bytes() {
    let uid = node_uid();
    let mut hub = hub_with(&uid);
    let _ = publishes(&mut hub);
    let t = Target::namespace("/");
    hub.broadcast(&t, "hello", &[Value::Str("world"), Value::Json("1")])
        .unwrap();
    hub.broadcast(
        &t.rooms(&["room1"]),
        "news",
        &[Value::Json(r#"{"a":[1,2.5,null,true]}"#)],
    )
    .unwrap();
    hub.broadcast(
        &t.rooms(&["room1", "room2"]).except_rooms(&["room3"]),
        "multi",
        &[Value::Str("x")],
    )
    .unwrap();
    hub.broadcast(&t, "bin", &[Value::Binary(&[1, 2, 3]), Value::Str("t")])
        .unwrap();
    hub.broadcast(&Target::namespace("/chat"), "in-chat", &[Value::Json("-5")])
        .unwrap();
    let got = publishes(&mut hub);
    let want = [
        "broadcast-all",
        "broadcast-room",
        "broadcast-rooms-except",
        "broadcast-binary",
    ];
    for (g, w) in got.iter().zip(want) {
        assert_eq!(*g, first(w), "{w}");
    }
    // Another uid in the capture (the namespace's adapter): compare from the uid on.
    let (ch, bytes) = first("broadcast-nsp");
    assert_eq!(got[4].0, ch);
    let skip = |b: &[u8]| b[2 + b[1] as usize - 0xa0..].to_vec();
    assert_eq!(skip(&got[4].1), skip(&bytes));
    // Local broadcasts stay local.
    hub.broadcast_local(&t, "x", &[]).unwrap();
    assert!(publishes(&mut hub).is_empty());
}

pub(super) fn client(
    hub: &mut Hub,
    nsp: &str,
    sid: &str,
) -> (crate::hub::SessionId, crate::hub::SocketId) {
    let session = hub.add_session(SessionInfo::default()).unwrap();
    (session, hub.add_socket(session, nsp, sid, None).unwrap())
}

pub(super) fn delivered(hub: &mut Hub) -> Vec<(crate::hub::SessionId, String, Vec<Vec<u8>>)> {
    let mut out = Vec::new();
    while let Some(t) = hub.poll_transmit() {
        let atts = (0..t.packet.attachment_count())
            .map(|i| t.packet.attachment(i).unwrap().to_vec())
            .collect();
        out.push((t.session, t.packet.text().to_string(), atts));
    }
    out
}

#[test]
fn remote_broadcasts_are_delivered_once_and_never_republished() {
    let mut hub = hub_with("rustA1");
    let (sa, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let (sb, _) = client(&mut hub, "/", "bbbbbbbbbbbbbbbbbbbb");
    let (sc, c) = client(&mut hub, "/", "cccccccccccccccccccc");
    hub.join(a, "room1").unwrap();
    hub.join(c, "room3").unwrap();
    hub.join(c, "room1").unwrap();
    let _ = publishes(&mut hub);

    let (ch, b) = first("broadcast-all");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    let all: Vec<_> = delivered(&mut hub);
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|(_, t, _)| t == r#"2["hello","world",1]"#));

    let (ch, b) = first("broadcast-room");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    let got = delivered(&mut hub);
    let sessions: Vec<_> = got.iter().map(|g| g.0).collect();
    assert_eq!(sessions, [sa, sc]);
    assert_eq!(got[0].1, r#"2["news",{"a":[1,2.5,null,true]}]"#);

    // room1 ∪ room2 minus room3: a only.
    let (ch, b) = first("broadcast-rooms-except");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    let got = delivered(&mut hub);
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [sa]);

    let (ch, b) = first("broadcast-binary");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    let got = delivered(&mut hub);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].1, r#"51-["bin",{"_placeholder":true,"num":0},"t"]"#);
    assert_eq!(got[0].2, [alloc::vec![1u8, 2, 3]]);

    // No local socket on /chat: nothing.
    let (ch, b) = first("broadcast-nsp");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    assert!(delivered(&mut hub).is_empty());

    // The emitter's messages too.
    for (ch, b) in section("emitter") {
        hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    }
    let got = delivered(&mut hub);
    // Everyone, then room1 but not room2 (a and c).
    assert_eq!(got.len(), 3 + 2, "{got:?}");
    assert_eq!(got[3].1, r#"2["from-emitter-room","z"]"#);
    assert_eq!((got[3].0, got[4].0), (sa, sc));
    // Nothing received is published again.
    assert!(publishes(&mut hub).is_empty());
    let _ = (sb, c);
}

#[test]
fn own_messages_are_skipped() {
    let uid = node_uid();
    let mut hub = hub_with(&uid);
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let (ch, b) = first("broadcast-all");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    assert!(delivered(&mut hub).is_empty());
}

#[test]
fn requests_from_node_are_answered_and_applied() {
    let mut hub = hub_with("rustA1");
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let (_, b) = client(&mut hub, "/", "bbbbbbbbbbbbbbbbbbbb");
    hub.join(a, "room1").unwrap();
    hub.join(b, "room2").unwrap();
    let _ = publishes(&mut hub);
    let req = |name: &str| {
        section(name)
            .into_iter()
            .find(|(c, _)| c.starts_with("socket.io-request"))
            .unwrap()
    };

    let (ch, m) = req("all-rooms");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    let id = |m: &[u8]| {
        let mut s = Vec::new();
        wire::decode_message(m, &mut s, 1 << 20)
            .unwrap()
            .request_id
            .unwrap()
            .to_string()
    };
    let rid = id(&m);
    let got = publishes(&mut hub);
    assert_eq!(got[0].0, "socket.io-response#/#");
    assert_eq!(
        String::from_utf8(got[0].1.clone()).unwrap(),
        alloc::format!(
            r#"{{"requestId":"{rid}","rooms":["aaaaaaaaaaaaaaaaaaaa","bbbbbbbbbbbbbbbbbbbb","room1","room2"]}}"#
        )
    );

    let (ch, m) = req("fetch-sockets-room");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    let got = String::from_utf8(publishes(&mut hub).remove(0).1).unwrap();
    assert!(got.starts_with(&alloc::format!(
        r#"{{"requestId":"{}","sockets":[{{"id":"bbbbbbbbbbbbbbbbbbbb","handshake":{{"headers":{{}}"#,
        id(&m)
    )));
    assert!(
        got.ends_with(r#""rooms":["bbbbbbbbbbbbbbbbbbbb","room2"],"data":{}}]}"#),
        "{got}"
    );

    // socketsJoin(["r9","r10"]) on room1; socketsLeave("room2") except room1.
    let (ch, m) = req("sockets-join");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    assert_eq!(
        hub.rooms_of(a).collect::<Vec<_>>(),
        ["aaaaaaaaaaaaaaaaaaaa", "room1", "r9", "r10"]
    );
    let (ch, m) = req("sockets-leave");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    assert_eq!(
        hub.rooms_of(b).collect::<Vec<_>>(),
        ["bbbbbbbbbbbbbbbbbbbb"]
    );

    let (ch, m) = req("server-side-emit-ack");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    let Some(HubEvent::ServerSideEmit {
        nsp,
        data,
        attachments,
        request_id,
    }) = hub.poll_event()
    else {
        panic!()
    };
    assert_eq!((nsp.as_str(), data.as_str()), ("/", r#"["hello-srv",43]"#));
    assert!(attachments.is_empty());
    hub.cluster_answer_server_side_emit("/", request_id.as_deref().unwrap(), r#""srv-ack""#);
    // Node's own answer in the capture, byte for byte.
    let answer = section("server-side-emit-ack")
        .into_iter()
        .find(|(c, _)| c.starts_with("socket.io-response"))
        .unwrap();
    assert_eq!(publishes(&mut hub).remove(0), answer);

    hub.join(b, "room2").unwrap();
    let (ch, m) = req("disconnect-sockets");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterDisconnect {
            sockets: alloc::vec![b],
            close: true
        })
    );
}

#[test]
fn requests_decode_with_their_types() {
    let kinds = [
        ("fetch-sockets", RequestType::RemoteFetch),
        ("sockets-join", RequestType::RemoteJoin),
        ("sockets-leave", RequestType::RemoteLeave),
        ("all-rooms", RequestType::AllRooms),
        ("server-side-emit", RequestType::ServerSideEmit),
        ("broadcast-ack", RequestType::Broadcast),
        ("disconnect-sockets", RequestType::RemoteDisconnect),
    ];
    for (name, kind) in kinds {
        let (_, m) = first(name);
        let mut s = Vec::new();
        let d = wire::decode_message(&m, &mut s, 1 << 20).unwrap();
        assert_eq!(d.kind, Some(kind), "{name}");
    }
    // The msgpack answers of a broadcast with acks.
    let resp = section("broadcast-ack");
    let mut s = Vec::new();
    let count = wire::decode_message(&resp[1].1, &mut s, 1 << 20).unwrap();
    assert_eq!(count.kind, Some(RequestType::BroadcastClientCount));
    assert_eq!(count.client_count, Some(1));
    let mut s = Vec::new();
    let ack = wire::decode_message(&resp[2].1, &mut s, 1 << 20).unwrap();
    assert_eq!(ack.kind, Some(RequestType::BroadcastAck));
    assert_eq!(ack.packet, Some(crate::msgpack::Value::Str("answer-7")));
}

#[test]
fn the_emitter_writes_what_the_node_emitter_writes() {
    let e = Emitter::new("socket.io");
    let p = |c: Command| match c {
        Command::Publish { channel, payload } => (channel, payload),
        _ => panic!(),
    };
    let want = section("emitter");
    assert_eq!(
        p(e.emit("from-emitter", &[Value::Json("1")]).unwrap()),
        want[0]
    );
    let r = e.of("/").to("room1").except("room2");
    assert_eq!(
        p(r.emit("from-emitter-room", &[Value::Str("z")]).unwrap()),
        want[1]
    );
    assert_eq!(p(e.of("/chat").emit("emitter-nsp", &[]).unwrap()), want[2]);
    let r = e.of("/").to("room1");
    assert_eq!(p(r.sockets_join(&["r5"])), want[3]);
    assert_eq!(p(r.sockets_leave(&["r5"])), want[4]);
    assert_eq!(p(r.disconnect_sockets(false)), want[5]);
    assert_eq!(p(e.server_side_emit("hello-srv", &["9"])), want[6]);
}

#[test]
fn subscriptions_follow_namespaces() {
    let mut hub = hub_with("abc123");
    let mut subs = Vec::new();
    let mut drain = |hub: &mut Hub| {
        while let Some(c) = hub.poll_cluster_transmit() {
            subs.push(c);
        }
    };
    drain(&mut hub);
    let _ = client(&mut hub, "/chat", "aaaaaaaaaaaaaaaaaaaa");
    let _ = client(&mut hub, "/chat", "bbbbbbbbbbbbbbbbbbbb");
    drain(&mut hub);
    let s = |x: &str| Command::Subscribe(x.to_string());
    assert_eq!(
        subs,
        [
            Command::PSubscribe("socket.io#/#*".into()),
            s("socket.io-request#/#"),
            s("socket.io-response#/#"),
            s("socket.io-response#/#abc123#"),
            Command::PSubscribe("socket.io#/chat#*".into()),
            s("socket.io-request#/chat#"),
            s("socket.io-response#/chat#"),
            s("socket.io-response#/chat#abc123#"),
        ]
    );
}

#[test]
fn hostile_messages_are_refused_without_effect() {
    let mut hub = hub_with("rustA1");
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let (ch, b) = first("broadcast-all");
    // Every prefix of a valid message: refused or harmless, never a panic.
    for i in 0..b.len() {
        let _ = hub.handle_cluster_message(Duration::ZERO, &ch, &b[..i]);
    }
    assert!(delivered(&mut hub).is_empty());
    let big = alloc::vec![0x91u8; 2 << 20];
    assert_eq!(
        hub.handle_cluster_message(Duration::ZERO, &ch, &big),
        Err(wire::WireError::TooLarge)
    );
    for m in [
        &b"{"[..],
        b"{\"type\":0}",
        b"\xc1",
        b"{\"type\":6,\"data\":\"x\"}",
    ] {
        let _ = hub.handle_cluster_message(Duration::ZERO, "socket.io-request#/#", m);
    }
    assert!(publishes(&mut hub).is_empty());
    assert_eq!(hub.poll_event(), None);
}

#[test]
fn our_requests_are_the_node_adapters_bytes() {
    let uid = node_uid();
    let mut hub = hub_with(&uid);
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    hub.join(a, "room1").unwrap();
    let _ = publishes(&mut hub);
    let t = Target::namespace("/");
    assert_eq!(
        hub.sockets_join(&t.rooms(&["room1"]), &["r9", "r10"]),
        Ok(1)
    );
    assert_eq!(
        hub.rooms_of(a).collect::<Vec<_>>(),
        ["aaaaaaaaaaaaaaaaaaaa", "room1", "r9", "r10"]
    );
    assert_eq!(
        hub.sockets_leave(&t.except_rooms(&["room1"]), &["room2"]),
        Ok(0)
    );
    assert_eq!(hub.disconnect_sockets(&t.rooms(&["room2"]), true), 0);
    hub.server_side_emit("/", "hello-srv", &["42"]).unwrap();
    let got = publishes(&mut hub);
    for (g, name) in got.iter().zip([
        "sockets-join",
        "sockets-leave",
        "disconnect-sockets",
        "server-side-emit",
    ]) {
        assert_eq!(*g, first(name), "{name}");
    }
    assert_eq!(got.len(), 4);
    // Local effects of a disconnect come back as an event for the server.
    assert_eq!(hub.disconnect_sockets(&t.rooms(&["room1"]), false), 1);
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterDisconnect {
            sockets: alloc::vec![a],
            close: false
        })
    );
    assert!(hub.server_side_emit("/", "x", &["{"]).is_err());
}

#[test]
fn our_fetch_sockets_asks_numsub_then_publishes_nodes_request_and_collects() {
    let uid = node_uid();
    let mut hub = hub_with(&uid);
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    hub.join(a, "room2").unwrap();
    let _ = publishes(&mut hub);
    let n = hub
        .cluster_fetch_sockets(&Target::namespace("/").rooms(&["room2"]))
        .unwrap();
    assert_eq!(
        hub.poll_cluster_transmit(),
        Some(Command::NumSub("socket.io-request#/#".into()))
    );
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io-request#/#", 2);
    let got = publishes(&mut hub);
    let (ch, want) = section("fetch-sockets-room").remove(0);
    let node_req = String::from_utf8(want).unwrap();
    let node_id = &node_req[node_req.find("requestId\":\"").unwrap() + 12..][..6];
    let ours = alloc::format!("{uid}-r{n}");
    assert_eq!(got, [(ch, node_req.replace(node_id, &ours).into_bytes())]);
    // Node's answer, with our request id: one more socket, and it is complete.
    let (rch, resp) = section("fetch-sockets-room").remove(1);
    let resp = String::from_utf8(resp).unwrap().replace(node_id, &ours);
    hub.handle_cluster_message(Duration::ZERO, &rch, resp.as_bytes())
        .unwrap();
    let Some(HubEvent::ClusterReply {
        request,
        results,
        timed_out: false,
        ..
    }) = hub.poll_event()
    else {
        panic!()
    };
    assert_eq!(request, n);
    assert_eq!(results.len(), 2);
    assert!(results[0].starts_with(r#"{"id":"aaaaaaaaaaaaaaaaaaaa","#));
    assert!(results[1].starts_with(r#"{"id":"mXLZJ1vJrQCTFFdBAAAB","#));
    // serverCount(): the NUMSUB answer itself.
    let c = hub.cluster_server_count("/").unwrap();
    let _ = hub.poll_cluster_transmit();
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io-request#/#", 3);
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply {
            request: c,
            results: alloc::vec![String::from("3")],
            attachments: alloc::vec![Vec::new()],
            timed_out: false
        })
    );
    assert!(publishes(&mut hub).is_empty());
    // Alone in the cluster: complete at once with the local part; no answer: the timeout.
    let _ = hub.cluster_all_rooms("/").unwrap();
    let _ = hub.poll_cluster_transmit();
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io-request#/#", 1);
    assert!(matches!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply {
            timed_out: false,
            ..
        })
    ));
    let _ = hub
        .cluster_server_side_emit_with_ack("/", "x", &["1"])
        .unwrap();
    assert_eq!(hub.poll_timeout(), Some(Duration::from_secs(5)));
    hub.handle_timeout(Duration::from_secs(5));
    assert!(matches!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply { timed_out: true, ref results, .. }) if results.is_empty()
    ));
}

const SHARDED: &str = include_str!("../../tests/data/cluster/redis-adapter-8.3-sharded.tsv");

fn sharded_section(name: &str) -> (String, Vec<u8>) {
    let mut inside = false;
    for line in SHARDED.lines() {
        let (ch, hex) = line.split_once('\t').unwrap();
        if ch == "#" {
            inside = hex == name;
        } else if inside {
            return (ch.to_string(), unhex(hex));
        }
    }
    panic!("no {name}");
}

#[test]
fn sharded_broadcasts_are_the_node_sharded_adapters_bytes_both_ways() {
    let (_, first) = sharded_section("broadcast-all");
    let mut s = Vec::new();
    let uid = super::sharded::decode(&first, &mut s, 1 << 20)
        .unwrap()
        .uid
        .unwrap()
        .to_string();
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default().sharded(true), &uid));
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let (_, b) = client(&mut hub, "/", "bbbbbbbbbbbbbbbbbbbb");
    hub.join(a, "room2").unwrap();
    let mut subs = Vec::new();
    let mut pubs = Vec::new();
    let drain = |hub: &mut Hub, subs: &mut Vec<Command>, pubs: &mut Vec<(String, Vec<u8>)>| {
        while let Some(c) = hub.poll_cluster_transmit() {
            match c {
                Command::SPublish { channel, payload } => pubs.push((channel, payload)),
                other => subs.push(other),
            }
        }
    };
    drain(&mut hub, &mut subs, &mut pubs);
    // The node's channels, then one per room that is not a socket id.
    assert_eq!(
        subs,
        [
            Command::SSubscribe("socket.io#/#".into()),
            Command::SSubscribe(alloc::format!("socket.io#/#{uid}#")),
            Command::SSubscribe("socket.io#/#room2#".into()),
        ]
    );
    let t = Target::namespace("/");
    hub.broadcast(&t, "hello", &[Value::Str("world"), Value::Json("1")])
        .unwrap();
    hub.broadcast(&t.rooms(&["room2"]), "news", &[Value::Json(r#"{"a":1}"#)])
        .unwrap();
    hub.broadcast(
        &t.rooms(&["room1", "room2"]).except_rooms(&["room3"]),
        "multi",
        &[Value::Str("x")],
    )
    .unwrap();
    hub.broadcast(&t, "bin", &[Value::Binary(&[1, 2, 3])])
        .unwrap();
    drain(&mut hub, &mut subs, &mut pubs);
    let names = [
        "broadcast-all",
        "broadcast-room",
        "broadcast-rooms-except",
        "broadcast-binary",
    ];
    assert_eq!(pubs.len(), 4);
    for (g, n) in pubs.iter().zip(names) {
        assert_eq!(*g, sharded_section(n), "{n}");
    }
    let _ = delivered(&mut hub);
    // Received from another node: delivered here (a and b, then a only).
    let mut hub2 = Hub::new(HubConfig::default());
    hub2.set_cluster(Adapter::new(
        ClusterConfig::default().sharded(true),
        "other1",
    ));
    let (_, a2) = client(&mut hub2, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = client(&mut hub2, "/", "bbbbbbbbbbbbbbbbbbbb");
    hub2.join(a2, "room2").unwrap();
    for n in names {
        let (ch, m) = sharded_section(n);
        hub2.handle_cluster_message(Duration::ZERO, &ch, &m)
            .unwrap();
    }
    let got: Vec<String> = delivered(&mut hub2).into_iter().map(|d| d.1).collect();
    assert_eq!(
        got,
        [
            r#"2["hello","world",1]"#,
            r#"2["hello","world",1]"#,
            r#"2["news",{"a":1}]"#,
            r#"2["multi","x"]"#,
            r#"51-["bin",{"_placeholder":true,"num":0}]"#,
            r#"51-["bin",{"_placeholder":true,"num":0}]"#,
        ]
    );
    // socketsJoin and serverSideEmit from a sharded Node node are applied.
    let (ch, m) = sharded_section("sockets-join");
    hub2.handle_cluster_message(Duration::ZERO, &ch, &m)
        .unwrap();
    assert!(hub2.rooms_of(a2).any(|r| r == "r9"));
    let (ch, m) = sharded_section("server-side-emit");
    hub2.handle_cluster_message(Duration::ZERO, &ch, &m)
        .unwrap();
    assert_eq!(
        hub2.poll_event(),
        Some(HubEvent::ServerSideEmit {
            nsp: "/".into(),
            data: r#"["hello-srv",42]"#.into(),
            attachments: Vec::new(),
            request_id: None
        })
    );
    // Our socketsJoin / serverSideEmit in the sharded form: Node's bytes.
    let _ = hub.poll_cluster_transmit();
    hub.sockets_join(&Target::namespace("/").rooms(&["room2"]), &["r9"])
        .unwrap();
    hub.server_side_emit("/", "hello-srv", &["42"]).unwrap();
    let mut ours = Vec::new();
    while let Some(c) = hub.poll_cluster_transmit() {
        if let Command::SPublish { channel, payload } = c {
            ours.push((channel, payload));
        }
    }
    assert_eq!(
        ours,
        [
            sharded_section("sockets-join"),
            sharded_section("server-side-emit")
        ]
    );
    // Its own messages are skipped; the room's channel goes when the room does.
    let (ch, m) = sharded_section("broadcast-all");
    hub.handle_cluster_message(Duration::ZERO, &ch, &m).unwrap();
    assert!(delivered(&mut hub).is_empty());
    hub.leave(a, "room2").unwrap();
    assert_eq!(
        hub.poll_cluster_transmit(),
        Some(Command::SUnsubscribe("socket.io#/#room2#".into()))
    );
    let _ = b;
}
