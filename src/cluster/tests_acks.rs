//! Broadcasts with acks across nodes, and remote broadcasts kept for connection state
//! recovery (the helpers and captured messages are `tests`').

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::tests::{client, delivered, first, hub_with, node_uid, publishes, section};
use super::wire::{self, Writer};
use super::{Adapter, ClusterConfig, Command};
use crate::hub::{Hub, HubConfig, HubEvent, SessionInfo, Target};
use crate::socketio::packet::Value;

#[test]
fn broadcast_with_acks_from_node_is_counted_and_answered_like_node() {
    let mut hub = hub_with("rustA1");
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = publishes(&mut hub);
    let msgs = section("broadcast-ack");
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    let got = delivered(&mut hub);
    let id = 1u64 << 40;
    assert_eq!(got[0].1, alloc::format!(r#"2{id}["ask",7]"#));
    // The client count and, once the client answers, its answer: Node's bytes.
    assert_eq!(publishes(&mut hub), [msgs[1].clone()]);
    assert!(hub.handle_ack(Duration::ZERO, a, id, r#"["answer-7"]"#, Vec::new()));
    assert_eq!(publishes(&mut hub), [msgs[2].clone()]);
    // Not ours: no event for the application.
    assert_eq!(hub.poll_event(), None);
    assert_eq!(hub.pending_acks(), 0);
}

#[test]
fn our_broadcast_with_acks_collects_the_other_nodes_answers() {
    let uid = node_uid();
    let mut hub = hub_with(&uid);
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = publishes(&mut hub);
    let t = Target::namespace("/");
    let id = hub
        .broadcast_with_ack(
            &t,
            "ask",
            &[Value::Json("7")],
            Duration::ZERO,
            Duration::from_secs(2),
        )
        .unwrap();
    let _ = delivered(&mut hub);
    // Node's request with its random request id swapped for ours.
    let msgs = section("broadcast-ack");
    let node_id = {
        let mut s = Vec::new();
        wire::decode_message(&msgs[0].1, &mut s, 1 << 20)
            .unwrap()
            .request_id
            .unwrap()
            .to_string()
    };
    let ours = alloc::format!("{uid}-{id}");
    let mut want = msgs[0].1.clone();
    let pos = want
        .windows(node_id.len())
        .position(|w| w == node_id.as_bytes())
        .unwrap();
    want.splice(pos - 1..pos + node_id.len(), {
        let mut v = Vec::new();
        crate::msgpack::encode(&crate::msgpack::Value::Str(&ours), &mut v);
        v
    });
    assert_eq!(publishes(&mut hub), [(msgs[0].0.clone(), want)]);
    // The local answer does not end it: the other nodes may still answer.
    assert!(hub.handle_ack(Duration::ZERO, a, id, r#"["local"]"#, Vec::new()));
    assert_eq!(hub.poll_event(), None);
    let swap = |m: &[u8]| {
        let s = String::from_utf8_lossy(m).replace(&node_id, &ours);
        if m[0] == b'{' {
            s.into_bytes()
        } else {
            let mut out = m.to_vec();
            let p = out
                .windows(node_id.len())
                .position(|w| w == node_id.as_bytes())
                .unwrap();
            let mut v = Vec::new();
            crate::msgpack::encode(&crate::msgpack::Value::Str(&ours), &mut v);
            out.splice(p - 1..p + node_id.len(), v);
            out
        }
    };
    for m in &msgs[1..] {
        hub.handle_cluster_message(Duration::ZERO, &m.0, &swap(&m.1))
            .unwrap();
    }
    // Every answer is in, but how many nodes there are is not known yet.
    assert_eq!(hub.poll_event(), None);
    // Two servers: the other one counted its client and that client answered, so the
    // broadcast completes now, long before its deadline.
    hub.handle_cluster_numsub(Duration::from_millis(3), &msgs[0].0, 2);
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

/// Our broadcast with acks waits for every node the server count announces: with three
/// servers and one silent, it ends at its deadline, reported as timed out, with what came.
/// Alone in the cluster, with no local client, it completes as soon as the count is known.
#[test]
fn our_broadcast_with_acks_waits_for_every_node_then_times_out() {
    let mut hub = hub_with("me");
    let t = Target::namespace("/");
    let timeout = Duration::from_secs(2);
    let id = hub
        .broadcast_with_ack(&t, "ask", &[], Duration::ZERO, timeout)
        .unwrap();
    let mut numsub = Vec::new();
    while let Some(c) = hub.poll_cluster_transmit() {
        if let Command::NumSub(ch) = c {
            numsub.push(ch);
        }
    }
    assert_eq!(numsub, ["socket.io-request#/#"]);
    hub.handle_cluster_numsub(Duration::ZERO, &numsub[0], 3);
    let count = |n: u64| {
        alloc::format!(r#"{{"type":8,"requestId":"me-{id}","clientCount":{n}}}"#).into_bytes()
    };
    let response = "socket.io-response#/#";
    hub.handle_cluster_message(Duration::ZERO, response, &count(0))
        .unwrap();
    assert_eq!(hub.poll_event(), None);
    hub.handle_timeout(timeout);
    assert!(matches!(
        hub.poll_event(),
        Some(HubEvent::ClusterAcks {
            client_count: 0,
            ..
        })
    ));
    assert!(
        matches!(hub.poll_event(), Some(HubEvent::AckComplete { id: i, timed_out: true, .. }) if i == id)
    );
    // Alone: done at the count.
    let id = hub
        .broadcast_with_ack(&t, "ask", &[], Duration::ZERO, timeout)
        .unwrap();
    assert_eq!(hub.poll_event(), None);
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io-request#/#", 1);
    assert!(matches!(
        hub.poll_event(),
        Some(HubEvent::ClusterAcks { .. })
    ));
    assert!(
        matches!(hub.poll_event(), Some(HubEvent::AckComplete { id: i, timed_out: false, .. }) if i == id)
    );
}

/// With recovery on, another node's broadcasts are delivered with an offset of this node and
/// recorded: a client of this node that was away gets the ones it missed when it comes back
/// (a binary one intact), filtered by its rooms like local ones; volatile ones are not kept.
#[test]
fn remote_broadcasts_are_recorded_for_recovery() {
    use crate::socketio::DisconnectReason;
    use crate::socketio::recovery::RecoveryConfig;
    let mut hub = Hub::new(HubConfig {
        recovery: Some(RecoveryConfig::default()),
        ..HubConfig::default()
    });
    hub.set_cluster(Adapter::new(ClusterConfig::default(), "rustA1"));
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    hub.set_pid(a, "pid-a").unwrap();
    let _ = publishes(&mut hub);
    let (ch, b) = first("broadcast-all");
    hub.handle_cluster_message(Duration::ZERO, &ch, &b).unwrap();
    let got = delivered(&mut hub);
    let head = r#"2["hello","world",1,""#;
    assert_eq!(got.len(), 1);
    assert!(
        got[0].1.starts_with(head) && got[0].1.ends_with("\"]"),
        "{}",
        got[0].1
    );
    let offset = got[0].1[head.len()..got[0].1.len() - 2].to_string();
    // Away; meanwhile a binary broadcast to everyone and one to room1, which `a` is not in.
    assert!(
        hub.disconnect_socket(a, Duration::ZERO, DisconnectReason::TransportClose)
            .unwrap()
    );
    for name in ["broadcast-binary", "broadcast-room"] {
        let (ch, b) = first(name);
        hub.handle_cluster_message(Duration::from_secs(1), &ch, &b)
            .unwrap();
    }
    // A volatile one is delivered to whoever is there, never stored.
    let (ch, b) = first("broadcast-all");
    let m = wire::decode_broadcast(&b, 1 << 20).unwrap();
    let mut packet = Vec::new();
    crate::msgpack::encode(&m.packet, &mut packet);
    let opts = super::Opts {
        flags: super::Flags {
            volatile: Some(true),
            ..super::Flags::default()
        },
        ..super::Opts::default()
    };
    let mut volatile = Vec::new();
    wire::encode_broadcast(&mut volatile, Writer::Adapter, "nodeB", &packet, &opts);
    hub.handle_cluster_message(Duration::from_secs(1), &ch, &volatile)
        .unwrap();
    assert!(delivered(&mut hub).is_empty());
    // Nothing received is published again.
    assert!(publishes(&mut hub).is_empty());
    let session = hub.add_session(SessionInfo::default()).unwrap();
    let r = hub
        .recover_socket(
            session,
            Duration::from_secs(2),
            "/",
            "pid-a",
            Some(&offset),
            None,
        )
        .unwrap()
        .expect("recovered");
    assert_eq!((r.sid.as_str(), r.missed), ("aaaaaaaaaaaaaaaaaaaa", 1));
    let got = delivered(&mut hub);
    assert_eq!(got.len(), 1);
    assert!(
        got[0]
            .1
            .starts_with(r#"51-["bin",{"_placeholder":true,"num":0},"t",""#),
        "{}",
        got[0].1
    );
    assert_eq!(got[0].2, [alloc::vec![1u8, 2, 3]]);
}
