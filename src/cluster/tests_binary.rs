//! Binary in serverSideEmit, its answers, and broadcast-with-acks answers, against the bytes
//! the Node adapters (@socket.io/redis-adapter 8.3) published through a real Redis 7
//! (`tests/interop/cluster/capture_binary.mjs`): the sharded adapter switches to msgpack when
//! `data` holds a Buffer; the classic one JSON-stringifies a serverSideEmit's Buffers.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::tests::{client, delivered};
use super::{Adapter, ClusterConfig, Command, sharded};
use crate::hub::{Hub, HubConfig, HubEvent, Target};
use crate::socketio::packet::Value;

const BINARY: &str = include_str!("../../tests/data/cluster/redis-adapter-8.3-binary.tsv");
const PH: &str = r#"{"_placeholder":true,"num":0}"#;

/// Every `(channel, bytes)` of section `name`.
fn section(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in BINARY.lines() {
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

fn hub_for(uid: &str, sharded: bool) -> Hub {
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default().sharded(sharded), uid));
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    hub
}

/// The commands other than subscriptions.
fn commands(hub: &mut Hub) -> Vec<Command> {
    let mut out = Vec::new();
    while let Some(c) = hub.poll_cluster_transmit() {
        if !matches!(
            c,
            Command::SSubscribe(_)
                | Command::SUnsubscribe(_)
                | Command::Subscribe(_)
                | Command::PSubscribe(_)
        ) {
            out.push(c);
        }
    }
    out
}

/// `(uid, requestId)` of a sharded message.
fn ids(msg: &[u8]) -> (String, Option<String>) {
    let mut s = Vec::new();
    let m = sharded::decode(msg, &mut s, 1 << 20).unwrap();
    (m.uid.unwrap().to_string(), m.request_id.map(str::to_string))
}

fn spublish(channel: &str, bytes: &[u8]) -> Command {
    Command::SPublish {
        channel: channel.into(),
        payload: bytes.to_vec(),
    }
}

fn mp_str(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    crate::msgpack::encode(&crate::msgpack::Value::Str(s), &mut out);
    out
}

/// `msg` with string `from` (msgpack, or inside JSON) replaced by `to`: Node's random request
/// ids swapped for ours.
fn swap(msg: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (f, t) = if msg.first() == Some(&b'{') {
        (from.as_bytes().to_vec(), to.as_bytes().to_vec())
    } else {
        (mp_str(from), mp_str(to))
    };
    let i = msg.windows(f.len()).position(|w| w == f).unwrap();
    let mut out = msg[..i].to_vec();
    out.extend_from_slice(&t);
    out.extend_from_slice(&msg[i + f.len()..]);
    out
}

#[test]
fn sharded_server_side_emit_with_a_buffer_both_ways_is_nodes_msgpack() {
    let msgs = section("sse-binary");
    assert_eq!(msgs.len(), 1);
    let (ch, bytes) = &msgs[0];
    let (a_uid, _) = ids(bytes);
    // Node → us: the Buffer is an attachment behind a placeholder.
    let mut hub = hub_for("us0001", true);
    hub.handle_cluster_message(Duration::ZERO, ch, bytes)
        .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ServerSideEmit {
            nsp: "/".into(),
            data: alloc::format!(r#"["bin-srv",{PH},"x"]"#),
            attachments: alloc::vec![alloc::vec![1, 2, 3]],
            request_id: None,
        })
    );
    assert!(commands(&mut hub).is_empty());
    // Us (as node A) → Node: the same bytes, from binary values or a received placeholder.
    let mut hub = hub_for(&a_uid, true);
    hub.server_side_emit_values(
        "/",
        "bin-srv",
        &[Value::Binary(&[1, 2, 3]), Value::Str("x")],
    )
    .unwrap();
    assert_eq!(commands(&mut hub), [spublish(ch, bytes)]);
    let atts = [alloc::vec![1u8, 2, 3]];
    hub.server_side_emit_values(
        "/",
        "bin-srv",
        &[Value::WithAttachments(PH, &atts), Value::Json("\"x\"")],
    )
    .unwrap();
    assert_eq!(commands(&mut hub), [spublish(ch, bytes)]);
    // Without binary the values form is the JSON one, as Node's.
    hub.server_side_emit_values("/", "hello-srv", &[Value::Json("42")])
        .unwrap();
    hub.server_side_emit("/", "hello-srv", &["42"]).unwrap();
    let c = commands(&mut hub);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0], c[1]);
    let Command::SPublish { payload, .. } = &c[0] else {
        panic!()
    };
    assert!(payload.starts_with(br#"{"type":9,"data":{"packet":["hello-srv",42]}"#));
}

#[test]
fn sharded_server_side_emit_with_ack_and_a_binary_answer_from_node_is_answered_like_node() {
    let msgs = section("sse-ack-binary");
    assert_eq!(msgs.len(), 2);
    let (requester, node_id) = ids(&msgs[0].1);
    let node_id = node_id.unwrap();
    let (b_uid, _) = ids(&msgs[1].1);
    // We play node B: the request's Buffer is an attachment; our binary answer is B's bytes.
    let mut hub = hub_for(&b_uid, true);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ServerSideEmit {
            nsp: "/".into(),
            data: alloc::format!(r#"["sse-bin",{PH}]"#),
            attachments: alloc::vec![alloc::vec![4, 5]],
            request_id: Some(node_id.clone()),
        })
    );
    hub.cluster_answer_server_side_emit_value("/", &node_id, &Value::Binary(b"b-\x04\x05"))
        .unwrap();
    assert_eq!(msgs[1].0, alloc::format!("socket.io#/#{requester}#"));
    assert_eq!(commands(&mut hub), [spublish(&msgs[1].0, &msgs[1].1)]);
}

#[test]
fn our_sharded_server_side_emit_with_ack_with_a_buffer_collects_binary_answers() {
    let msgs = section("sse-ack-binary");
    let (a_uid, node_id) = ids(&msgs[0].1);
    let node_id = node_id.unwrap();
    // We play node A.
    let mut hub = hub_for(&a_uid, true);
    let n = hub
        .cluster_server_side_emit_with_ack_values("/", "sse-bin", &[Value::Binary(&[4, 5])])
        .unwrap();
    assert_eq!(
        commands(&mut hub),
        [Command::ShardNumSub("socket.io#/#".into())]
    );
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io#/#", 2);
    let ours = alloc::format!("{a_uid}-r{n}");
    // Node's msgpack request, its random request id swapped for ours.
    assert_eq!(
        commands(&mut hub),
        [spublish("socket.io#/#", &swap(&msgs[0].1, &node_id, &ours))]
    );
    // B's binary answer: a placeholder and its bytes.
    hub.handle_cluster_message(
        Duration::ZERO,
        &msgs[1].0,
        &swap(&msgs[1].1, &node_id, &ours),
    )
    .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply {
            request: n,
            results: alloc::vec![String::from(PH)],
            attachments: alloc::vec![alloc::vec![b"b-\x04\x05".to_vec()]],
            timed_out: false,
        })
    );
}

#[test]
fn sharded_broadcast_with_acks_binary_answers_both_ways_are_nodes_bytes() {
    let msgs = section("broadcast-ack-binary");
    assert_eq!(msgs.len(), 3);
    let (a_uid, node_id) = ids(&msgs[0].1);
    let node_id = node_id.unwrap();
    let (b_uid, _) = ids(&msgs[1].1);
    // We play node B: our client's binary answer goes back as B's msgpack BROADCAST_ACK.
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default().sharded(true), &b_uid));
    let (_, b) = client(&mut hub, "/", "bbbbbbbbbbbbbbbbbbbb");
    let _ = commands(&mut hub);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    let got = delivered(&mut hub);
    let id = 1u64 << 40;
    assert_eq!(got[0].1, alloc::format!(r#"2{id}["ask-bin"]"#));
    assert_eq!(commands(&mut hub), [spublish(&msgs[1].0, &msgs[1].1)]);
    let args = alloc::format!("[{PH}]");
    assert!(hub.handle_ack(
        Duration::ZERO,
        b,
        id,
        &args,
        alloc::vec![alloc::vec![9, 8, 7]]
    ));
    assert_eq!(commands(&mut hub), [spublish(&msgs[2].0, &msgs[2].1)]);
    // We play node A: B's count and binary answer are collected as a placeholder and bytes.
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default().sharded(true), &a_uid));
    let (_, a) = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    let _ = commands(&mut hub);
    let id = hub
        .broadcast_with_ack(
            &Target::namespace("/"),
            "ask-bin",
            &[],
            Duration::ZERO,
            Duration::from_secs(1),
        )
        .unwrap();
    let _ = delivered(&mut hub);
    let ours = alloc::format!("{a_uid}-{id}");
    assert_eq!(
        commands(&mut hub),
        [
            spublish("socket.io#/#", &swap(&msgs[0].1, &node_id, &ours)),
            Command::ShardNumSub("socket.io#/#".into()),
        ]
    );
    assert!(hub.handle_ack(Duration::ZERO, a, id, &args, alloc::vec![alloc::vec![0xc1]]));
    for m in &msgs[1..] {
        hub.handle_cluster_message(Duration::ZERO, &m.0, &swap(&m.1, &node_id, &ours))
            .unwrap();
    }
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io#/#", 2);
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterAcks {
            id,
            client_count: 1,
            answers: alloc::vec![String::from(PH)],
            attachments: alloc::vec![alloc::vec![alloc::vec![9, 8, 7]]],
        })
    );
}

#[test]
fn a_binary_second_answer_argument_is_not_relayed_and_the_answer_stays_json() {
    // Node relays an ack's first argument only, as JSON when that one holds no binary.
    let tsv = include_str!("../../tests/data/cluster/redis-adapter-8.3-sharded.tsv");
    let mut inside = false;
    let mut msgs: Vec<(String, Vec<u8>)> = Vec::new();
    for line in tsv.lines() {
        let (ch, hex) = line.split_once('\t').unwrap();
        if ch == "#" {
            inside = hex == "broadcast-ack";
        } else if inside {
            let b = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            msgs.push((ch.to_string(), b));
        }
    }
    let (b_uid, _) = ids(&msgs[1].1);
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(ClusterConfig::default().sharded(true), &b_uid));
    let (_, b) = client(&mut hub, "/", "bbbbbbbbbbbbbbbbbbbb");
    let _ = commands(&mut hub);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    let _ = delivered(&mut hub);
    assert_eq!(commands(&mut hub), [spublish(&msgs[1].0, &msgs[1].1)]);
    let args = alloc::format!(r#"["answer-7",{PH}]"#);
    assert!(hub.handle_ack(
        Duration::ZERO,
        b,
        1 << 40,
        &args,
        alloc::vec![alloc::vec![1]]
    ));
    assert_eq!(commands(&mut hub), [spublish(&msgs[2].0, &msgs[2].1)]);
}

#[test]
fn classic_server_side_emit_writes_buffers_as_nodes_json_both_ways() {
    let msgs = section("classic-sse-binary");
    assert_eq!(msgs.len(), 1);
    let (ch, bytes) = &msgs[0];
    let mut s = Vec::new();
    let m = super::wire::decode_message(bytes, &mut s, 1 << 20).unwrap();
    let uid = m.uid.unwrap().to_string();
    let json = r#"["bin-srv",{"type":"Buffer","data":[1,2,3]},"x"]"#;
    // Node → us: the Buffer's JSON form, as Node's classic adapter hands it to Node.
    let mut hub = hub_for("us0001", false);
    hub.handle_cluster_message(Duration::ZERO, ch, bytes)
        .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ServerSideEmit {
            nsp: "/".into(),
            data: json.into(),
            attachments: Vec::new(),
            request_id: None,
        })
    );
    // Us → Node: the same JSON bytes.
    let mut hub = hub_for(&uid, false);
    hub.server_side_emit_values(
        "/",
        "bin-srv",
        &[Value::Binary(&[1, 2, 3]), Value::Str("x")],
    )
    .unwrap();
    assert_eq!(
        commands(&mut hub),
        [Command::Publish {
            channel: ch.clone(),
            payload: bytes.clone()
        }]
    );
}

#[test]
fn binary_answers_over_the_attachment_cap_are_refused() {
    let msgs = section("sse-binary");
    let mut hub = Hub::new(HubConfig {
        max_attachments: 0,
        ..HubConfig::default()
    });
    hub.set_cluster(Adapter::new(
        ClusterConfig::default().sharded(true),
        "us0001",
    ));
    let _ = client(&mut hub, "/", "aaaaaaaaaaaaaaaaaaaa");
    assert!(
        hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
            .is_err()
    );
    assert_eq!(hub.poll_event(), None);
}

#[test]
fn classic_server_side_emit_with_ack_with_a_buffer_is_nodes_json_both_ways() {
    let msgs = section("classic-sse-ack-binary");
    assert_eq!(msgs.len(), 2);
    let mut s = Vec::new();
    let m = super::wire::decode_message(&msgs[0].1, &mut s, 1 << 20).unwrap();
    let (a_uid, node_id) = (
        m.uid.unwrap().to_string(),
        m.request_id.unwrap().to_string(),
    );
    // We play node B: the Buffer is its JSON form; our binary answer is B's JSON bytes.
    let mut hub = hub_for("us0001", false);
    hub.handle_cluster_message(Duration::ZERO, &msgs[0].0, &msgs[0].1)
        .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ServerSideEmit {
            nsp: "/".into(),
            data: r#"["sse-bin",{"type":"Buffer","data":[4,5]}]"#.into(),
            attachments: Vec::new(),
            request_id: Some(node_id.clone()),
        })
    );
    hub.cluster_answer_server_side_emit_value("/", &node_id, &Value::Binary(b"b-\x04\x05"))
        .unwrap();
    let publish = |m: &(String, Vec<u8>), payload: Vec<u8>| Command::Publish {
        channel: m.0.clone(),
        payload,
    };
    assert_eq!(commands(&mut hub), [publish(&msgs[1], msgs[1].1.clone())]);
    // We play node A: Node's request (its request id swapped for ours); B's answer is the
    // Buffer's JSON form.
    let mut hub = hub_for(&a_uid, false);
    let n = hub
        .cluster_server_side_emit_with_ack_values("/", "sse-bin", &[Value::Binary(&[4, 5])])
        .unwrap();
    assert_eq!(
        commands(&mut hub),
        [Command::NumSub("socket.io-request#/#".into())]
    );
    hub.handle_cluster_numsub(Duration::ZERO, "socket.io-request#/#", 2);
    let ours = alloc::format!("{a_uid}-r{n}");
    assert_eq!(
        commands(&mut hub),
        [publish(&msgs[0], swap(&msgs[0].1, &node_id, &ours))]
    );
    hub.handle_cluster_message(
        Duration::ZERO,
        &msgs[1].0,
        &swap(&msgs[1].1, &node_id, &ours),
    )
    .unwrap();
    assert_eq!(
        hub.poll_event(),
        Some(HubEvent::ClusterReply {
            request: n,
            results: alloc::vec![String::from(r#"{"type":"Buffer","data":[98,45,4,5]}"#)],
            attachments: alloc::vec![Vec::new()],
            timed_out: false,
        })
    );
}

/// Random binary arguments and answers between two of our nodes, against a naive model of what
/// each variant writes (sharded: placeholders and the bytes; classic: Node's `Buffer` JSON).
mod roundtrip {
    use super::*;
    use proptest::prelude::*;

    /// The one command of `hub` (a publish) as `(channel, payload)`.
    fn only_publish(hub: &mut Hub) -> (String, Vec<u8>) {
        let c = commands(hub);
        assert_eq!(c.len(), 1, "{c:?}");
        match c.into_iter().next() {
            Some(
                Command::SPublish { channel, payload } | Command::Publish { channel, payload },
            ) => (channel, payload),
            other => panic!("{other:?}"),
        }
    }

    /// The model of one binary value in a received event's JSON.
    fn model(blob: &[u8], num: usize, sharded: bool) -> String {
        if sharded {
            return alloc::format!(r#"{{"_placeholder":true,"num":{num}}}"#);
        }
        let bytes: Vec<String> = blob.iter().map(|b| alloc::format!("{b}")).collect();
        alloc::format!(r#"{{"type":"Buffer","data":[{}]}}"#, bytes.join(","))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn binary_server_side_emit_and_its_answer_round_trip(
            blobs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..4),
            text in "\\PC{0,12}",
            sharded in any::<bool>(),
        ) {
            let mut a = hub_for("nodeA1", sharded);
            let mut b = hub_for("nodeB1", sharded);
            let mut args: Vec<Value<'_>> = blobs.iter().map(|x| Value::Binary(x)).collect();
            args.push(Value::Str(&text));
            let n = a.cluster_server_side_emit_with_ack_values("/", "ev", &args).unwrap();
            let counted = commands(&mut a);
            prop_assert_eq!(counted.len(), 1);
            let channel = match &counted[0] {
                Command::NumSub(c) | Command::ShardNumSub(c) => c.clone(),
                other => panic!("{other:?}"),
            };
            a.handle_cluster_numsub(Duration::ZERO, &channel, 2);
            let (ch, payload) = only_publish(&mut a);
            b.handle_cluster_message(Duration::ZERO, &ch, &payload).unwrap();
            let Some(HubEvent::ServerSideEmit { data, attachments, request_id, .. }) = b.poll_event()
            else {
                panic!("no event");
            };
            let mut want = String::from(r#"["ev""#);
            for (i, blob) in blobs.iter().enumerate() {
                want.push(',');
                want.push_str(&model(blob, i, sharded));
            }
            want.push(',');
            crate::json::push_string(&mut want, &text);
            want.push(']');
            prop_assert_eq!(data, want);
            prop_assert_eq!(&attachments, &if sharded { blobs.clone() } else { Vec::new() });
            // B answers with the first blob; A gets it back.
            let id = request_id.unwrap();
            b.cluster_answer_server_side_emit_value("/", &id, &Value::Binary(&blobs[0]))
                .unwrap();
            let (ch, payload) = only_publish(&mut b);
            a.handle_cluster_message(Duration::ZERO, &ch, &payload).unwrap();
            let want_atts = if sharded { alloc::vec![blobs[0].clone()] } else { Vec::new() };
            prop_assert_eq!(
                a.poll_event(),
                Some(HubEvent::ClusterReply {
                    request: n,
                    results: alloc::vec![model(&blobs[0], 0, sharded)],
                    attachments: alloc::vec![want_atts],
                    timed_out: false,
                })
            );
        }
    }
}
