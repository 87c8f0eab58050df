//! Property test: random broadcasts with acks, answers, disconnects and clock ticks. Every
//! broadcast completes exactly once, with exactly one outcome per recipient, and the outcome
//! matches what happened to that recipient. The clock also moves without `handle_timeout`
//! (`Advance`): an answer at or after its broadcast's deadline is then late, refused, and the
//! broadcast completes as timed out.
#![cfg(feature = "std")]

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use sockwire::hub::{AckOutcome, Hub, HubEvent, SessionInfo, SocketId, Target};

#[derive(Debug, Clone)]
enum Op {
    Broadcast { timeout: u64 },
    Answer { sock: usize, which: usize },
    Disconnect(usize),
    Tick(u64),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u64..50).prop_map(|timeout| Op::Broadcast { timeout }),
        (0usize..6, 0usize..4).prop_map(|(sock, which)| Op::Answer { sock, which }),
        (0usize..6).prop_map(Op::Disconnect),
        (0u64..30).prop_map(Op::Tick),
        (0u64..30).prop_map(Op::Advance),
    ]
}

#[derive(Debug, PartialEq)]
enum Want {
    Answered,
    Disconnected,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn acks_complete_once_with_one_outcome_per_recipient(ops in proptest::collection::vec(op(), 1..60)) {
        let mut hub = Hub::default();
        let socks: Vec<SocketId> = (0..6)
            .map(|i| {
                let s = hub.add_session(SessionInfo::default()).unwrap();
                hub.add_socket(s, "/", &format!("s{i}"), None).unwrap()
            })
            .collect();
        let mut now = Duration::ZERO;
        // When `handle_timeout` last ran.
        let mut ticked = Duration::ZERO;
        // ack id -> (deadline, recipient -> expected outcome so far)
        let mut open: BTreeMap<u64, (Duration, BTreeMap<SocketId, Option<Want>>)> = BTreeMap::new();
        let mut ids: Vec<u64> = Vec::new();
        let mut done: BTreeMap<u64, usize> = BTreeMap::new();
        let mut check_events = |hub: &mut Hub, open: &mut BTreeMap<u64, (Duration, BTreeMap<SocketId, Option<Want>>)>, now: Duration| -> Result<(), TestCaseError> {
            while let Some(HubEvent::AckComplete { id, outcomes, timed_out }) = hub.poll_event() {
                *done.entry(id).or_default() += 1;
                prop_assert_eq!(done[&id], 1, "completed twice");
                let (deadline, want) = open.remove(&id).expect("unknown id");
                prop_assert_eq!(outcomes.len(), want.len());
                prop_assert_eq!(timed_out, want.values().any(Option::is_none));
                if timed_out {
                    prop_assert!(deadline <= now);
                }
                for (s, o) in outcomes {
                    let w = want.get(&s).expect("not a recipient");
                    match (o, w) {
                        (AckOutcome::Answered { .. }, Some(Want::Answered))
                        | (AckOutcome::Disconnected, Some(Want::Disconnected))
                        | (AckOutcome::TimedOut, None) => {}
                        (o, w) => prop_assert!(false, "{:?} vs {:?}", o, w),
                    }
                }
            }
            Ok(())
        };
        for op in ops {
            match op {
                Op::Broadcast { timeout } => {
                    let id = hub
                        .broadcast_with_ack(&Target::namespace("/"), "q", &[], now, Duration::from_millis(timeout))
                        .unwrap();
                    let mut want = BTreeMap::new();
                    while let Some(t) = hub.poll_transmit() {
                        want.insert(t.socket, None);
                    }
                    ids.push(id);
                    open.insert(id, (now + Duration::from_millis(timeout), want));
                }
                Op::Answer { sock, which } => {
                    let Some(&id) = ids.iter().rev().nth(which) else { continue };
                    let s = socks[sock];
                    let expected = open
                        .get(&id)
                        .is_some_and(|(d, w)| *d > now && matches!(w.get(&s), Some(None)));
                    let got = hub.handle_ack(now, s, id, "[]", vec![]);
                    prop_assert_eq!(got, expected);
                    if got {
                        open.get_mut(&id).unwrap().1.insert(s, Some(Want::Answered));
                    }
                }
                Op::Disconnect(i) => {
                    let s = socks[i];
                    if hub.remove_socket(s).is_ok() {
                        for (_, w) in open.values_mut() {
                            if let Some(slot @ None) = w.get_mut(&s) {
                                *slot = Some(Want::Disconnected);
                            }
                        }
                    }
                }
                Op::Tick(ms) => {
                    now += Duration::from_millis(ms);
                    hub.handle_timeout(now);
                    ticked = now;
                }
                Op::Advance(ms) => now += Duration::from_millis(ms),
            }
            // Complete sets are reported without waiting for the clock.
            check_events(&mut hub, &mut open, now)?;
            for (deadline, w) in open.values() {
                prop_assert!(w.values().any(Option::is_none), "complete but not reported");
                prop_assert!(*deadline > ticked, "expired but still open");
            }
            prop_assert_eq!(hub.pending_acks(), open.len());
            let next = open.values().map(|(d, _)| *d).min();
            prop_assert_eq!(hub.poll_timeout(), next);
        }
    }
}
