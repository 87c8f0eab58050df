//! Connection state recovery store: the reference server's recovery cases at the store level,
//! the two reference bugs fixed here, the caps, the timers on a fake clock, and a property test
//! against a naive model that keeps every packet ever recorded in a flat list.
#![cfg(feature = "alloc")]

use core::time::Duration;
use proptest::prelude::*;
use sockwire::socketio::recovery::{
    Audience, RecoveryConfig, RecoveryStore, RestoreRefused, SessionState, is_recoverable,
};

type Store = RecoveryStore<&'static str, Vec<(String, String)>>;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn state(sid: &str, rooms: &[&str]) -> SessionState<Vec<(String, String)>> {
    SessionState {
        sid: sid.into(),
        rooms: rooms.iter().map(|r| r.to_string()).collect(),
        data: vec![("foo".into(), "bar".into())],
    }
}

fn missed(
    r: &sockwire::socketio::recovery::Restored<&'static str, Vec<(String, String)>>,
) -> Vec<&'static str> {
    r.missed.iter().map(|(_, p)| *p).collect()
}

/// "should restore session and missed packets": a broadcast, a room broadcast and a direct emit
/// sent while the client was away come back in order, each with its own offset.
#[test]
fn restores_missed_broadcast_room_and_direct_packets() {
    let mut s = Store::new(RecoveryConfig::new());
    let created = s.position();
    let hello = s.record(secs(1), Audience::all(), 10, "hello");
    s.record(secs(1), Audience::room("other"), 10, "not for us");
    assert!(s.persist(
        secs(2),
        "pid1",
        "transport close",
        Some(&hello),
        created,
        state("sid1", &["sid1", "room1"])
    ));
    s.record(secs(3), Audience::all(), 10, "hello1");
    s.record(secs(3), Audience::room("room1"), 10, "hello2");
    s.record(secs(3), Audience::room("sid1"), 10, "hello3");
    s.record(secs(3), Audience::room("room2"), 10, "elsewhere");
    let r = s.restore(secs(4), "pid1", Some(&hello)).unwrap();
    assert_eq!(missed(&r), ["hello1", "hello2", "hello3"]);
    let offsets: Vec<_> = r.missed.iter().map(|(o, _)| o.as_str()).collect();
    assert_eq!(offsets, ["3", "4", "5"]);
    assert_eq!(r.state.sid, "sid1");
}

/// "should restore rooms and data attributes".
#[test]
fn restores_id_rooms_and_data() {
    let mut s = Store::new(RecoveryConfig::new());
    let created = s.position();
    let o = s.record(secs(0), Audience::all(), 1, "hello");
    s.persist(
        secs(1),
        "p",
        "ping timeout",
        Some(&o),
        created,
        state("sid", &["sid", "room1", "room2"]),
    );
    let r = s.restore(secs(2), "p", Some(&o)).unwrap();
    assert_eq!(r.state, state("sid", &["sid", "room1", "room2"]));
    assert!(r.missed.is_empty());
}

/// "should fail to restore an unknown session" (and an unknown offset).
#[test]
fn unknown_session_and_offsets_are_refused() {
    let mut s = Store::new(RecoveryConfig::new());
    assert_eq!(
        s.restore(secs(0), "foo", Some("bar")).unwrap_err(),
        RestoreRefused::UnknownSession
    );
    let created = s.position();
    for bad in ["bar", "0", "99", "01", ""] {
        s.persist(
            secs(0),
            "p",
            "transport error",
            None,
            created,
            state("sid", &["sid"]),
        );
        assert_eq!(
            s.restore(secs(1), "p", Some(bad)).unwrap_err(),
            RestoreRefused::UnknownOffset,
            "{bad:?}"
        );
        // Refused restores consume the session: the client starts a new one.
        assert_eq!(
            s.restore(secs(1), "p", None).unwrap_err(),
            RestoreRefused::UnknownSession
        );
    }
}

/// Only the reference's recoverable reasons keep a session; a client or server namespace
/// disconnect is final.
#[test]
fn only_recoverable_reasons_keep_the_session() {
    for (reason, kept) in [
        ("transport error", true),
        ("transport close", true),
        ("forced close", true),
        ("ping timeout", true),
        ("server shutting down", true),
        ("forced server close", true),
        ("client namespace disconnect", false),
        ("server namespace disconnect", false),
        ("io server disconnect", false),
        ("parse error", false),
    ] {
        assert_eq!(is_recoverable(reason), kept, "{reason}");
        let mut s = Store::new(RecoveryConfig::new());
        assert_eq!(
            s.persist(secs(0), "p", reason, None, s.position(), state("x", &["x"])),
            kept
        );
        assert_eq!(s.session_count(), usize::from(kept));
    }
}

/// Reference bug fixed: a client disconnected before any offset-carrying event reached it
/// reconnects without an offset and still recovers, with everything since it connected.
#[test]
fn recovery_without_any_offset_replays_from_the_connection() {
    let mut s = Store::new(RecoveryConfig::new());
    s.record(secs(0), Audience::all(), 1, "before it connected");
    let created = s.position();
    s.record(secs(1), Audience::all(), 1, "sent but lost");
    s.persist(
        secs(2),
        "p",
        "transport close",
        None,
        created,
        state("sid", &["sid"]),
    );
    s.record(secs(3), Audience::all(), 1, "while away");
    let r = s.restore(secs(4), "p", None).unwrap();
    assert_eq!(missed(&r), ["sent but lost", "while away"]);
}

/// An offset from before the socket existed replays nothing older than the socket.
#[test]
fn an_old_offset_never_replays_packets_older_than_the_socket() {
    let mut s = Store::new(RecoveryConfig::new());
    let old = s.record(secs(0), Audience::all(), 1, "a");
    s.record(secs(0), Audience::all(), 1, "b");
    let created = s.position();
    s.persist(
        secs(1),
        "p",
        "transport close",
        None,
        created,
        state("sid", &["sid"]),
    );
    s.record(secs(2), Audience::all(), 1, "c");
    let r = s.restore(secs(3), "p", Some(&old)).unwrap();
    assert_eq!(missed(&r), ["c"]);
}

/// Reference bug fixed: a restored session is taken out, so the same pid and offset cannot
/// restore (and replay) twice; the next disconnection stores it again from its new offset.
#[test]
fn a_session_restores_once_per_disconnection() {
    let mut s = Store::new(RecoveryConfig::new());
    let created = s.position();
    let o1 = s.record(secs(0), Audience::all(), 1, "one");
    s.persist(
        secs(1),
        "p",
        "transport close",
        Some(&o1),
        created,
        state("sid", &["sid"]),
    );
    let o2 = s.record(secs(2), Audience::all(), 1, "two");
    assert_eq!(
        missed(&s.restore(secs(3), "p", Some(&o1)).unwrap()),
        ["two"]
    );
    assert_eq!(
        s.restore(secs(3), "p", Some(&o1)).unwrap_err(),
        RestoreRefused::UnknownSession
    );
    s.persist(
        secs(4),
        "p",
        "transport close",
        Some(&o2),
        created,
        state("sid", &["sid"]),
    );
    s.record(secs(5), Audience::all(), 1, "three");
    assert_eq!(missed(&s.restore(secs(6), "p", None).unwrap()), ["three"]);
}

#[test]
fn except_rooms_are_filtered() {
    let mut s = Store::new(RecoveryConfig::new());
    let created = s.position();
    s.persist(
        secs(0),
        "p",
        "transport close",
        None,
        created,
        state("sid", &["sid", "muted"]),
    );
    s.record(
        secs(1),
        Audience {
            rooms: vec![],
            except: vec!["muted".into()],
        },
        1,
        "x",
    );
    s.record(
        secs(1),
        Audience {
            rooms: vec!["sid".into()],
            except: vec!["other".into()],
        },
        1,
        "y",
    );
    assert_eq!(missed(&s.restore(secs(2), "p", None).unwrap()), ["y"]);
}

/// Sessions and packets expire after the maximum disconnection duration; `poll_timeout` says
/// when, and `handle_timeout` drops exactly what is due.
#[test]
fn expiry_on_a_fake_clock() {
    let cfg = RecoveryConfig::new().max_disconnection_duration(secs(10));
    let mut s = Store::new(cfg);
    assert_eq!(s.poll_timeout(), None);
    let created = s.position();
    s.record(secs(1), Audience::all(), 1, "old");
    s.persist(
        secs(2),
        "a",
        "transport close",
        None,
        created,
        state("a", &["a"]),
    );
    s.persist(
        secs(5),
        "b",
        "transport close",
        None,
        created,
        state("b", &["b"]),
    );
    let due = s.poll_timeout().unwrap();
    assert!(due > secs(11) && due < secs(11) + Duration::from_millis(1));
    s.handle_timeout(secs(11));
    assert_eq!(s.stored().0, 1);
    s.handle_timeout(due);
    assert_eq!(s.stored().0, 0);
    assert_eq!(s.session_count(), 2);
    s.handle_timeout(secs(12) + Duration::from_millis(1));
    assert_eq!(s.session_count(), 1);
    // "b" lost the packet it never saw (expired): its restore is refused, not silently partial.
    assert_eq!(
        s.restore(secs(13), "b", None).unwrap_err(),
        RestoreRefused::UnknownOffset
    );
    // A session restored after its duration without a timer having run is refused too.
    s.persist(
        secs(20),
        "c",
        "transport close",
        None,
        s.position(),
        state("c", &["c"]),
    );
    assert_eq!(
        s.restore(secs(31), "c", None).unwrap_err(),
        RestoreRefused::Expired
    );
}

#[test]
fn caps_evict_the_oldest() {
    let cfg = RecoveryConfig::new()
        .max_packets(3)
        .max_bytes(100)
        .max_sessions(2);
    let mut s = Store::new(cfg);
    let created = s.position();
    let first = s.record(secs(0), Audience::all(), 10, "1");
    s.persist(
        secs(0),
        "a",
        "transport close",
        Some(&first),
        created,
        state("a", &["a"]),
    );
    for p in ["2", "3", "4"] {
        s.record(secs(0), Audience::all(), 10, p);
    }
    assert_eq!(s.stored(), (3, 30));
    // "a" needs packet 2, which is still there; a client at offset 0-before-1 is not.
    let r = s.restore(secs(1), "a", Some(&first)).unwrap();
    assert_eq!(missed(&r), ["2", "3", "4"]);
    s.persist(
        secs(1),
        "a",
        "transport close",
        Some(&first),
        created,
        state("a", &["a"]),
    );
    s.record(secs(1), Audience::all(), 10, "5");
    assert_eq!(
        s.restore(secs(2), "a", Some(&first)).unwrap_err(),
        RestoreRefused::UnknownOffset
    );
    // The byte cap: one big packet pushes the others out.
    s.record(secs(2), Audience::all(), 95, "big");
    assert_eq!(s.stored(), (1, 95));
    // The session cap drops the oldest disconnected session.
    for (i, pid) in ["x", "y", "z"].iter().enumerate() {
        s.persist(
            secs(3 + i as u64),
            pid,
            "transport close",
            None,
            s.position(),
            state(pid, &[pid]),
        );
    }
    assert_eq!(s.session_count(), 2);
    assert_eq!(
        s.restore(secs(9), "x", None).unwrap_err(),
        RestoreRefused::UnknownSession
    );
    assert!(s.restore(secs(9), "z", None).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Property test against a naive model: every packet ever recorded stays in a flat list with its
// sequence number and whether it is gone; sessions are a plain list.

#[derive(Debug, Clone)]
enum Op {
    Record {
        dt: u8,
        rooms: Vec<u8>,
        except: Vec<u8>,
        bytes: u8,
    },
    Persist {
        dt: u8,
        pid: u8,
        rooms: Vec<u8>,
        offset_back: Option<u8>,
        recoverable: bool,
    },
    Restore {
        dt: u8,
        pid: u8,
        offset_back: Option<u8>,
    },
    Timeout {
        dt: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let rooms = proptest::collection::vec(0u8..4, 0..3);
    prop_oneof![
        (0u8..5, rooms.clone(), rooms.clone(), 1u8..40).prop_map(|(dt, rooms, except, bytes)| {
            Op::Record {
                dt,
                rooms,
                except,
                bytes,
            }
        }),
        (
            0u8..5,
            0u8..4,
            rooms.clone(),
            proptest::option::of(0u8..6),
            any::<bool>()
        )
            .prop_map(|(dt, pid, rooms, offset_back, recoverable)| Op::Persist {
                dt,
                pid,
                rooms,
                offset_back,
                recoverable
            }),
        (0u8..5, 0u8..4, proptest::option::of(0u8..8)).prop_map(|(dt, pid, offset_back)| {
            Op::Restore {
                dt,
                pid,
                offset_back,
            }
        }),
        (0u8..30).prop_map(|dt| Op::Timeout { dt }),
    ]
}

struct ModelPacket {
    seq: u64,
    at: Duration,
    audience: Audience,
    bytes: usize,
    gone: bool,
}

struct ModelSession {
    pid: String,
    state: SessionState<Vec<(String, String)>>,
    at: Duration,
    resume_from: u64,
    created: u64,
}

fn room_names(r: &[u8]) -> Vec<String> {
    r.iter().map(|i| format!("r{i}")).collect()
}

proptest! {
    #[test]
    fn store_matches_the_naive_model(ops in proptest::collection::vec(op(), 1..60)) {
        let max = secs(20);
        let cfg = RecoveryConfig::new().max_disconnection_duration(max).max_packets(6).max_bytes(120).max_sessions(3);
        let mut s: RecoveryStore<u64, Vec<(String, String)>> = RecoveryStore::new(cfg);
        let mut packets: Vec<ModelPacket> = Vec::new();
        let mut sessions: Vec<ModelSession> = Vec::new();
        let mut now = Duration::ZERO;
        let live = |packets: &Vec<ModelPacket>| packets.iter().filter(|p| !p.gone).count();
        for op in ops {
            match op {
                Op::Record { dt, rooms, except, bytes } => {
                    now += secs(dt.into());
                    let audience = Audience { rooms: room_names(&rooms), except: room_names(&except) };
                    let seq = packets.len() as u64 + 1;
                    let off = s.record(now, audience.clone(), bytes.into(), seq);
                    prop_assert_eq!(off, seq.to_string());
                    packets.push(ModelPacket { seq, at: now, audience, bytes: bytes.into(), gone: false });
                    // Evict oldest while over a cap.
                    loop {
                        let n = live(&packets);
                        let b: usize = packets.iter().filter(|p| !p.gone).map(|p| p.bytes).sum();
                        if n > 6 || (b > 120 && n > 0) {
                            packets.iter_mut().find(|p| !p.gone).unwrap().gone = true;
                        } else {
                            break;
                        }
                    }
                }
                Op::Persist { dt, pid, rooms, offset_back, recoverable } => {
                    now += secs(dt.into());
                    let pid = format!("p{pid}");
                    let created = packets.len() as u64 + 1 - u64::from(offset_back.unwrap_or(0)).min(packets.len() as u64);
                    let last = offset_back.and_then(|b| packets.len().checked_sub(b as usize + 1)).map(|i| packets[i].seq);
                    let mut rooms = room_names(&rooms);
                    rooms.push(pid.clone());
                    let st = SessionState { sid: pid.clone(), rooms, data: vec![] };
                    let reason = if recoverable { "transport close" } else { "client namespace disconnect" };
                    let kept = s.persist(now, &pid, reason, last.map(|l| l.to_string()).as_deref(), created, st.clone());
                    prop_assert_eq!(kept, recoverable);
                    if recoverable {
                        sessions.retain(|m| m.pid != pid);
                        if sessions.len() >= 3 {
                            let oldest = (0..sessions.len()).min_by_key(|&i| (sessions[i].at, sessions[i].pid.clone())).unwrap();
                            sessions.remove(oldest);
                        }
                        let resume_from = last.map_or(created, |l| l + 1);
                        sessions.push(ModelSession { pid, state: st, at: now, resume_from, created });
                    }
                }
                Op::Restore { dt, pid, offset_back } => {
                    now += secs(dt.into());
                    let pid = format!("p{pid}");
                    let offset = offset_back.map(|b| match packets.len().checked_sub(b as usize + 1) {
                        Some(i) => packets[i].seq.to_string(),
                        None => "nope".to_string(),
                    });
                    let got = s.restore(now, &pid, offset.as_deref());
                    let want = match sessions.iter().position(|m| m.pid == pid) {
                        None => Err(RestoreRefused::UnknownSession),
                        Some(i) => {
                            let m = sessions.remove(i);
                            if now - m.at > max {
                                Err(RestoreRefused::Expired)
                            } else {
                                let from = match &offset {
                                    None => Some(m.resume_from),
                                    Some(o) => o.parse::<u64>().ok().map(|q| (q + 1).max(m.created)),
                                };
                                match from {
                                    Some(from) if packets.iter().filter(|p| p.seq >= from).all(|p| !p.gone) => Ok(packets
                                        .iter()
                                        .filter(|p| p.seq >= from && p.audience.includes(&m.state.rooms))
                                        .map(|p| p.seq)
                                        .collect::<Vec<_>>()),
                                    _ => Err(RestoreRefused::UnknownOffset),
                                }
                            }
                        }
                    };
                    match (got, want) {
                        (Ok(r), Ok(w)) => {
                            let seqs: Vec<u64> = r.missed.iter().map(|(_, p)| *p).collect();
                            prop_assert_eq!(seqs, w);
                            for (o, p) in &r.missed {
                                prop_assert_eq!(o, &p.to_string());
                            }
                        }
                        (Err(a), Err(b)) => prop_assert_eq!(a, b),
                        (g, w) => prop_assert!(false, "store {:?} model {:?}", g.map(|r| r.missed.len()), w),
                    }
                }
                Op::Timeout { dt } => {
                    now += secs(dt.into());
                    s.handle_timeout(now);
                    if let Some(threshold) = now.checked_sub(max) {
                        sessions.retain(|m| m.at >= threshold);
                        for p in packets.iter_mut() {
                            if p.at < threshold {
                                p.gone = true;
                            }
                        }
                    }
                    if let Some(due) = s.poll_timeout() {
                        prop_assert!(due > now);
                    }
                }
            }
            prop_assert_eq!(s.session_count(), sessions.len());
            prop_assert_eq!(s.stored().0, live(&packets));
        }
    }
}
