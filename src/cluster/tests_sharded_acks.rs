//! Broadcasts with acks in the sharded variant, against the bytes the Node sharded adapter
//! (`createShardedAdapter` of @socket.io/redis-adapter 8.3) published through a real Redis 7
//! (`tests/interop/cluster/capture_sharded.mjs`, section `broadcast-ack`: node A's request on
//! the main channel, then node B's client count and its client's answer on A's channel).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::tests::{client, delivered};
use super::{Adapter, ClusterConfig, Command, sharded};
use crate::hub::{Hub, HubConfig, HubEvent, Target};
use crate::socketio::packet::Value;

const SHARDED: &str = include_str!("../../tests/data/cluster/redis-adapter-8.3-sharded.tsv");

/// Every `(channel, bytes)` of section `name`.
fn section(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in SHARDED.lines() {
        let (ch, hex) = line.split_once('\t').unwrap();
        if ch == "#" {
            inside = hex == name;
        } else if inside {
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            out.push((ch.to_string(), bytes));
        }
    }
    assert!(!out.is_empty(), "no {name}");
    out
}

fn sharded_hub(uid: &str) -> Hub {
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default().sharded(true), uid));
    hub
}

/// The sharded commands other than subscriptions.
fn commands(hub: &mut Hub) -> Vec<Command> {
    let mut out = Vec::new();
    while let Some(c) = hub.poll_cluster_transmit() {
        if !matches!(c, Command::SSubscribe(_) | Command::SUnsubscribe(_)) {
            out.push(c);
        }
    }
    out
}

fn field<'a>(msg: &'a [u8], scratch: &'a mut Vec<u8>) -> sharded::Message<'a> {
    sharded::decode(msg, scratch, 1 << 20).unwrap()
}

fn spublish(channel: &str, bytes: &[u8]) -> Command {
    Command::SPublish {
        channel: channel.into(),
        payload: bytes.to_vec(),
    }
}

#[test]
fn sharded_broadcast_with_acks_from_node_is_counted_and_answered_like_node() {
    let msgs = section("broadcast-ack");
    assert_eq!(msgs.len(), 3);
    // We play node B (its uid), so that our answers are B's bytes.
    let (mut s1, mut s2) = (Vec::new(), Vec::new());
    let requester = field(&msgs[0].1, &mut s1).uid.unwrap().to_string();
    let b_uid = field(&msgs[1].1, &mut s2).uid.unwrap().to_string();
    let mut hub = sharded_hub(&b_uid);
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    let got = delivered(&mut hub);
    let id = 1u64 << 40;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, alloc::format!(r#"2{id}["ask",7]"#));
    // The count, on the requester's own channel, then the answer: Node's bytes.
    assert_eq!(msgs[1].0, alloc::format!("socket.io#/#{requester}#"));
    assert_eq!(commands(&mut hub), [spublish(&msgs[1].0, &msgs[1].1)]);
    assert!(hub.handle_ack(Duration::ZERO, a, id, r#"["answer-7"]"#, Vec::new()));
    assert_eq!(commands(&mut hub), [spublish(&msgs[2].0, &msgs[2].1)]);
    assert_eq!(hub.poll_event(), None);
    assert_eq!(hub.pending_acks(), 0);
    // (A node without the namespace is not subscribed to its channel, so the requester's
    // SHARDNUMSUB does not count it: nothing to answer, unlike the classic variant.)
}

#[test]
fn our_sharded_broadcast_with_acks_counts_nodes_with_shardnumsub_and_collects() {
    let msgs = section("broadcast-ack");
    let mut s1 = Vec::new();
    let m0 = field(&msgs[0].1, &mut s1);
    let (a_uid, node_id) = (
        m0.uid.unwrap().to_string(),
        m0.request_id.unwrap().to_string(),
    );
    // We play node A.
    let mut hub = sharded_hub(&a_uid);
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    let t = Target::namespace("/");
    let id = hub
        .broadcast_with_ack(
            &t,
            "ask",
            &[Value::Json("7")],
            Duration::ZERO,
            Duration::from_secs(1),
        )
        .unwrap();
    let _ = delivered(&mut hub);
    let ours = alloc::format!("{a_uid}-{id}");
    let swap = |m: &[u8]| {
        String::from_utf8(m.to_vec())
            .unwrap()
            .replace(&node_id, &ours)
            .into_bytes()
    };
    // Node's request (its random request id swapped for ours) on the main channel, then the
    // server count asked as the reference's `serverCount`: SHARDNUMSUB of that channel.
    assert_eq!(
        commands(&mut hub),
        [
            spublish("socket.io#/#", &swap(&msgs[0].1)),
            Command::ShardNumSub("socket.io#/#".into()),
        ]
    );
    assert!(hub.handle_ack(Duration::ZERO, a, id, r#"["local-7"]"#, Vec::new()));
    for m in &msgs[1..] {
        hub.handle_cluster_message(Duration::ZERO, &m.0, &swap(&m.1))
            .unwrap();
    }
    // Every answer is in, but how many nodes there are is not known yet.
    assert_eq!(hub.poll_event(), None);
    // Three subscribers (A, B and one more node): B alone is not enough.
    let mut three = hub_clone_state(&a_uid, &msgs, &node_id);
    three.handle_cluster_numsub(Duration::from_millis(3), "socket.io#/#", 3);
    assert_eq!(three.poll_event(), None);
    // Two: complete now, long before the deadline.
    hub.handle_cluster_numsub(Duration::from_millis(3), "socket.io#/#", 2);
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterAcks {
            id,
            client_count: 1,
            answers: alloc::vec![String::from(r#""answer-7""#)],
            attachments: alloc::vec![Vec::new()],
        })
    );
    assert!(
        matches!(hub.poll_event(), Some(HubEvent::AckComplete { id: i, timed_out: false, .. }) if i == id)
    );
}

/// A node A in the same state as in the test above (its broadcast sent, B's count and answer
/// in, its local client answered), for another server count.
fn hub_clone_state(a_uid: &str, msgs: &[(String, Vec<u8>)], node_id: &str) -> Hub {
    let mut hub = sharded_hub(a_uid);
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let id = hub
        .broadcast_with_ack(
            &Target::namespace("/"),
            "ask",
            &[Value::Json("7")],
            Duration::ZERO,
            Duration::from_secs(1),
        )
        .unwrap();
    let _ = delivered(&mut hub);
    let _ = commands(&mut hub);
    assert!(hub.handle_ack(Duration::ZERO, a, id, r#"["local-7"]"#, Vec::new()));
    let ours = alloc::format!("{a_uid}-{id}");
    for m in &msgs[1..] {
        let b = String::from_utf8(m.1.clone())
            .unwrap()
            .replace(node_id, &ours);
        hub.handle_cluster_message(Duration::ZERO, &m.0, b.as_bytes())
            .unwrap();
    }
    hub
}

#[test]
fn sharded_server_side_emit_with_ack_from_node_is_answered_like_node() {
    let msgs = section("sse-ack");
    assert_eq!(msgs.len(), 2);
    let (mut s1, mut s2) = (Vec::new(), Vec::new());
    let m0 = field(&msgs[0].1, &mut s1);
    let (requester, node_id) = (m0.uid.unwrap(), m0.request_id.unwrap().to_string());
    let b_uid = field(&msgs[1].1, &mut s2).uid.unwrap().to_string();
    let mut hub = sharded_hub(&b_uid);
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ServerSideEmit {
            nsp: "/".into(),
            data: r#"["sse",3]"#.into(),
            attachments: Vec::new(),
            request_id: Some(node_id.clone()),
        })
    );
    hub.cluster_answer_server_side_emit("/", &node_id, r#""b-3""#);
    assert_eq!(msgs[1].0, alloc::format!("socket.io#/#{requester}#"));
    assert_eq!(commands(&mut hub), [spublish(&msgs[1].0, &msgs[1].1)]);
}

#[test]
fn our_sharded_server_side_emit_with_ack_and_server_count_use_shardnumsub() {
    let msgs = section("sse-ack");
    let mut s1 = Vec::new();
    let m0 = field(&msgs[0].1, &mut s1);
    let (a_uid, node_id) = (
        m0.uid.unwrap().to_string(),
        m0.request_id.unwrap().to_string(),
    );
    let mut hub = sharded_hub(&a_uid);
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    let n = hub
        .cluster_server_side_emit_with_ack("/", "sse", &["3"])
        .unwrap();
    // The count first (SHARDNUMSUB of the main channel), then the request, there.
    assert_eq!(
        commands(&mut hub),
        [Command::ShardNumSub("socket.io#/#".into())]
    );
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io#/#", 2);
    let ours = alloc::format!("{a_uid}-r{n}");
    let swap = |m: &[u8]| {
        String::from_utf8(m.to_vec())
            .unwrap()
            .replace(&node_id, &ours)
            .into_bytes()
    };
    assert_eq!(
        commands(&mut hub),
        [spublish("socket.io#/#", &swap(&msgs[0].1))]
    );
    assert_eq!(hub.poll_event(), None);
    hub.handle_cluster_message(Duration::ZERO, &msgs[1].0, &swap(&msgs[1].1))
        .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply {
            request: n,
            results: alloc::vec![String::from(r#""b-3""#)],
            attachments: alloc::vec![Vec::new()],
            timed_out: false,
        })
    );
    // serverCount(): the subscribers of the main channel, by SHARDNUMSUB.
    let n = hub.cluster_server_count("/").unwrap();
    assert_eq!(
        commands(&mut hub),
        [Command::ShardNumSub("socket.io#/#".into())]
    );
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io#/#", 3);
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply {
            request: n,
            results: alloc::vec![String::from("3")],
            attachments: alloc::vec![Vec::new()],
            timed_out: false,
        })
    );
}

#[test]
fn sharded_fetch_sockets_both_ways_against_node_bytes() {
    let msgs = section("fetch-sockets");
    assert_eq!(msgs.len(), 2);
    let (mut s1, mut s2) = (Vec::new(), Vec::new());
    let m0 = field(&msgs[0].1, &mut s1);
    let (a_uid, node_id) = (
        m0.uid.unwrap().to_string(),
        m0.request_id.unwrap().to_string(),
    );
    let b_uid = field(&msgs[1].1, &mut s2).uid.unwrap().to_string();
    // Ours, as node A: Node's request bytes (its request id swapped), then B's sockets.
    let mut hub = sharded_hub(&a_uid);
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    let n = hub.cluster_fetch_sockets(&Target::namespace("/")).unwrap();
    assert_eq!(
        commands(&mut hub),
        [Command::ShardNumSub("socket.io#/#".into())]
    );
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io#/#", 2);
    let ours = alloc::format!("{a_uid}-r{n}");
    let swap = |m: &[u8]| {
        String::from_utf8(m.to_vec())
            .unwrap()
            .replace(&node_id, &ours)
            .into_bytes()
    };
    assert_eq!(
        commands(&mut hub),
        [spublish("socket.io#/#", &swap(&msgs[0].1))]
    );
    hub.handle_cluster_message(Duration::ZERO, &msgs[1].0, &swap(&msgs[1].1))
        .unwrap();
    let Some(HubEvent::ClusterReply {
        request,
        results,
        timed_out: false,
        ..
    }) = hub.poll_event()
    else {
        panic!("no reply");
    };
    assert_eq!(request, n);
    assert_eq!(results.len(), 2);
    assert!(
        results[0].starts_with(r#"{"id":"aaaaaaaaaaaaaaaaaaaa""#),
        "{}",
        results[0]
    );
    assert!(
        results[1].starts_with(r#"{"id":"ucPrLx8t9G5jAaKCAAAB""#),
        "{}",
        results[1]
    );
    // Node's request to us, as node B: our sockets go to A's channel as a type 8 response.
    let mut hub = sharded_hub(&b_uid);
    let _ = client(&mut hub, "/", "bbbbbbbbbbbbbbbbbbbb");
    let _ = commands(&mut hub);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    let out = commands(&mut hub);
    let [Command::SPublish { channel, payload }] = &out[..] else {
        panic!("{out:?}");
    };
    assert_eq!(*channel, msgs[1].0);
    let head = alloc::format!(
        r#"{{"type":8,"data":{{"requestId":"{node_id}","sockets":[{{"id":"bbbbbbbbbbbbbbbbbbbb","#
    );
    let text = core::str::from_utf8(payload).unwrap();
    assert!(text.starts_with(&head), "{text}");
    assert!(
        text.ends_with(&alloc::format!(r#"]}},"uid":"{b_uid}","nsp":"/"}}"#)),
        "{text}"
    );
}
