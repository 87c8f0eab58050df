//! Broadcast with acks: one answer per recipient, timeouts on the caller's clock, disconnects,
//! and ids that are not the hub's.
#![cfg(feature = "std")]

use std::sync::Arc;
use std::time::Duration;

use sockwire::hub::{
    AckOutcome, Hub, HubConfig, HubError, HubEvent, SessionInfo, SocketId, Target,
};
use sockwire::socketio::{DecodeConfig, Decoder, Value};

fn setup(n: usize) -> (Hub, Vec<SocketId>) {
    let mut hub = Hub::default();
    let ids = (0..n)
        .map(|i| {
            let s = hub.add_session(SessionInfo::default()).unwrap();
            hub.add_socket(s, "/", &format!("s{i}"), None).unwrap()
        })
        .collect();
    (hub, ids)
}

const MS: fn(u64) -> Duration = Duration::from_millis;

#[test]
fn collects_one_answer_per_recipient() {
    let (mut hub, s) = setup(3);
    let id = hub
        .broadcast_with_ack(
            &Target::namespace("/"),
            "q",
            &[Value::Json("1")],
            MS(0),
            MS(500),
        )
        .unwrap();
    assert_eq!(id, 1 << 40);
    let mut t = Vec::new();
    while let Some(x) = hub.poll_transmit() {
        t.push(Arc::clone(x.packet));
    }
    assert_eq!(t.len(), 3);
    assert_eq!(t[0].text(), format!("2{id}[\"q\",1]"));
    assert_eq!(hub.poll_timeout(), Some(MS(500)));
    assert!(hub.handle_ack(MS(1), s[1], id, "[\"b\"]", vec![]));
    assert!(
        !hub.handle_ack(MS(1), s[1], id, "[\"again\"]", vec![]),
        "one answer per recipient"
    );
    assert!(
        !hub.handle_ack(MS(1), s[0], id + 1, "[]", vec![]),
        "not the hub's id"
    );
    assert!(hub.handle_ack(MS(1), s[0], id, "[\"a\"]", vec![vec![9]]));
    assert_eq!(hub.poll_event(), None);
    assert!(hub.handle_ack(MS(1), s[2], id, "[\"c\"]", vec![]));
    match hub.poll_event() {
        Some(HubEvent::AckComplete {
            id: got,
            outcomes,
            timed_out,
        }) => {
            assert_eq!(got, id);
            assert!(!timed_out);
            assert_eq!(outcomes.len(), 3);
            assert_eq!(
                outcomes[0],
                (
                    s[1],
                    AckOutcome::Answered {
                        args: "[\"b\"]".into(),
                        attachments: vec![]
                    }
                )
            );
            assert_eq!(
                outcomes[1],
                (
                    s[0],
                    AckOutcome::Answered {
                        args: "[\"a\"]".into(),
                        attachments: vec![vec![9]]
                    }
                )
            );
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(hub.pending_acks(), 0);
    assert_eq!(hub.poll_timeout(), None);
    assert!(
        !hub.handle_ack(MS(1), s[0], id, "[]", vec![]),
        "completed ids are forgotten"
    );
}

#[test]
fn timeout_reports_partial_answers() {
    let (mut hub, s) = setup(3);
    let id = hub
        .broadcast_with_ack(
            &Target::namespace("/").except_sockets(&[s[2]]),
            "q",
            &[],
            MS(100),
            MS(200),
        )
        .unwrap();
    while hub.poll_transmit().is_some() {}
    assert!(hub.handle_ack(MS(1), s[0], id, "[]", vec![]));
    assert!(
        !hub.handle_ack(MS(1), s[2], id, "[]", vec![]),
        "s2 was not a recipient"
    );
    hub.handle_timeout(MS(299));
    assert_eq!(hub.poll_event(), None, "not yet");
    hub.handle_timeout(MS(300));
    match hub.poll_event() {
        Some(HubEvent::AckComplete {
            outcomes,
            timed_out,
            ..
        }) => {
            assert!(timed_out);
            assert_eq!(outcomes[0].0, s[0]);
            assert_eq!(outcomes[1], (s[1], AckOutcome::TimedOut));
        }
        e => panic!("{e:?}"),
    }
    assert!(
        !hub.handle_ack(MS(1), s[1], id, "[]", vec![]),
        "late answer is not the hub's"
    );
}

#[test]
fn disconnect_counts_as_an_outcome() {
    let (mut hub, s) = setup(2);
    let id = hub
        .broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(1000))
        .unwrap();
    assert!(hub.handle_ack(MS(1), s[0], id, "[1]", vec![]));
    let sess = hub.session_of(s[1]).unwrap();
    hub.remove_session(sess).unwrap();
    match hub.poll_event() {
        Some(HubEvent::AckComplete {
            outcomes,
            timed_out,
            ..
        }) => {
            assert!(!timed_out);
            assert_eq!(outcomes[1], (s[1], AckOutcome::Disconnected));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn no_recipient_completes_at_once_and_ids_increase() {
    let (mut hub, _) = setup(0);
    let a = hub
        .broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(10))
        .unwrap();
    assert!(
        matches!(hub.poll_event(), Some(HubEvent::AckComplete { id, ref outcomes, timed_out: false }) if id == a && outcomes.is_empty())
    );
    let (mut hub, _) = setup(1);
    let a = hub
        .broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(10))
        .unwrap();
    let b = hub
        .broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(5))
        .unwrap();
    assert_eq!(b, a + 1);
    assert_eq!(hub.poll_timeout(), Some(MS(5)));
}

#[test]
fn binary_ack_broadcast_is_a_binary_event_with_the_id() {
    let (mut hub, _) = setup(1);
    let cfg_base = 77;
    let mut hub2 = Hub::new(HubConfig::default().ack_id_base(cfg_base));
    let s = hub2.add_session(SessionInfo::default()).unwrap();
    hub2.add_socket(s, "/n", "x", None).unwrap();
    let id = hub2
        .broadcast_with_ack(
            &Target::namespace("/n"),
            "bin",
            &[Value::Binary(b"z")],
            MS(0),
            MS(1),
        )
        .unwrap();
    assert_eq!(id, 77);
    let p = Arc::clone(hub2.poll_transmit().unwrap().packet);
    assert_eq!(p.text(), r#"51-/n,77["bin",{"_placeholder":true,"num":0}]"#);
    let _ = hub.poll_transmit();
}

#[test]
fn pending_cap() {
    let mut hub = Hub::new(HubConfig::default().max_pending_acks(1));
    let s = hub.add_session(SessionInfo::default()).unwrap();
    hub.add_socket(s, "/", "a", None).unwrap();
    hub.broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(1))
        .unwrap();
    assert_eq!(
        hub.broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(1)),
        Err(HubError::LimitExceeded {
            limit: "max_pending_acks"
        })
    );
}

#[test]
fn decoded_ack_packets_are_routed() {
    let (mut hub, s) = setup(2);
    let id = hub
        .broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(100))
        .unwrap();
    let mut dec = Decoder::new(DecodeConfig::new());
    // A text ACK from s0.
    let text_ack = dec
        .feed_text_owned(format!("3{id}[\"yes\",2]"))
        .unwrap()
        .unwrap();
    // An EVENT with the same id is not an answer.
    let event = dec
        .feed_text_owned(format!("2{id}[\"yes\"]"))
        .unwrap()
        .unwrap();
    assert!(!hub.handle_ack_packet(MS(1), s[0], &event));
    // Someone else's id is not the hub's.
    let other = dec.feed_text_owned("31[]".into()).unwrap().unwrap();
    assert!(!hub.handle_ack_packet(MS(1), s[0], &other));
    assert!(hub.handle_ack_packet(MS(1), s[0], &text_ack));
    // A BINARY_ACK from s1.
    assert!(
        dec.feed_text_owned(format!("61-{id}[{{\"_placeholder\":true,\"num\":0}}]"))
            .unwrap()
            .is_none()
    );
    let bin_ack = dec.feed_binary(&[5, 6]).unwrap().unwrap();
    assert!(hub.handle_ack_packet(MS(1), s[1], &bin_ack));
    match hub.poll_event() {
        Some(HubEvent::AckComplete { outcomes, .. }) => {
            assert_eq!(
                outcomes[0].1,
                AckOutcome::Answered {
                    args: "[\"yes\",2]".into(),
                    attachments: vec![]
                }
            );
            assert_eq!(
                outcomes[1].1,
                AckOutcome::Answered {
                    args: "[{\"_placeholder\":true,\"num\":0}]".into(),
                    attachments: vec![vec![5, 6]]
                }
            );
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn raw_ack_text_is_claimed_by_session() {
    let mut hub = Hub::default();
    let s0 = hub.add_session(SessionInfo::default()).unwrap();
    let root = hub.add_socket(s0, "/", "r0", None).unwrap();
    let chat = hub.add_socket(s0, "/chat", "c0", None).unwrap();
    assert!(
        !hub.claim_ack(MS(1), s0, "3123[]"),
        "nothing pending: not claimed"
    );
    let id = hub
        .broadcast_with_ack(&Target::namespace("/chat"), "q", &[], MS(0), MS(100))
        .unwrap();
    assert!(
        !hub.claim_ack(MS(1), s0, &format!("3{id}[1]")),
        "wrong namespace"
    );
    assert!(
        !hub.claim_ack(MS(1), s0, &format!("2/chat,{id}[\"e\"]")),
        "not an ack"
    );
    assert!(!hub.claim_ack(MS(1), s0, "3/chat,5[1]"), "not the hub's id");
    assert!(!hub.claim_ack(MS(1), s0, "3/chat,x"), "malformed");
    assert!(hub.claim_ack(MS(1), s0, &format!("3/chat,{id}[1,{{\"a\":2}}]")));
    match hub.poll_event() {
        Some(HubEvent::AckComplete { outcomes, .. }) => assert_eq!(
            outcomes,
            [(
                chat,
                AckOutcome::Answered {
                    args: r#"[1,{"a":2}]"#.into(),
                    attachments: vec![]
                }
            )]
        ),
        e => panic!("{e:?}"),
    }
    let _ = root;
}

#[test]
fn an_answer_at_the_deadline_is_late_even_before_handle_timeout() {
    let (mut hub, s) = setup(2);
    let id = hub
        .broadcast_with_ack(&Target::namespace("/"), "q", &[], MS(0), MS(100))
        .unwrap();
    while hub.poll_transmit().is_some() {}
    assert!(hub.handle_ack(MS(99), s[0], id, "[0]", vec![]));
    assert_eq!(hub.poll_event(), None);
    // The host has not called handle_timeout(100) yet: the answer is still late.
    assert!(!hub.handle_ack(MS(100), s[1], id, "[1]", vec![]));
    match hub.poll_event() {
        Some(HubEvent::AckComplete {
            id: got,
            outcomes,
            timed_out,
        }) => {
            assert_eq!(got, id);
            assert!(timed_out);
            assert_eq!(outcomes[1], (s[1], AckOutcome::TimedOut));
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(hub.pending_acks(), 0);
    hub.handle_timeout(MS(100));
    assert_eq!(hub.poll_event(), None, "completed once");
}
