//! Rooms: the own-id room, join/leave, leave-all on disconnect, membership queries, caps.
#![cfg(feature = "std")]

use sockwire::hub::{Hub, HubConfig, HubError, SessionInfo, SocketId};

fn sock(hub: &mut Hub, nsp: &str, sid: &str) -> SocketId {
    let s = hub.add_session(SessionInfo::default()).unwrap();
    hub.add_socket(s, nsp, sid, None).unwrap()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

#[test]
fn every_socket_is_in_its_own_room() {
    let mut hub = Hub::default();
    let a = sock(&mut hub, "/", "aaa");
    assert!(hub.is_member(a, "aaa"));
    assert_eq!(hub.rooms_of(a).collect::<Vec<_>>(), ["aaa"]);
    assert_eq!(hub.members("/", "aaa").collect::<Vec<_>>(), [a]);
    assert_eq!(hub.socket_by_sid("/", "aaa"), Some(a));
    assert_eq!(hub.sid(a), Some("aaa"));
}

#[test]
fn join_leave_and_membership() {
    let mut hub = Hub::default();
    let a = sock(&mut hub, "/", "a");
    let b = sock(&mut hub, "/", "b");
    assert_eq!(hub.join(a, "r"), Ok(true));
    assert_eq!(hub.join(a, "r"), Ok(false), "second join is a no-op");
    assert_eq!(hub.join(b, "r"), Ok(true));
    assert_eq!(hub.room_size("/", "r"), 2);
    let mut m: Vec<_> = hub.members("/", "r").collect();
    m.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(m, want);
    assert_eq!(sorted(hub.rooms("/").collect()), ["a", "b", "r"]);
    assert_eq!(hub.leave(a, "r"), Ok(true));
    assert_eq!(hub.leave(a, "r"), Ok(false));
    assert!(!hub.is_member(a, "r"));
    assert_eq!(hub.room_size("/", "r"), 1);
    assert_eq!(hub.leave(b, "r"), Ok(true));
    assert_eq!(hub.room_size("/", "r"), 0);
    assert_eq!(
        sorted(hub.rooms("/").collect()),
        ["a", "b"],
        "an empty room disappears"
    );
}

#[test]
fn rooms_are_per_namespace() {
    let mut hub = Hub::default();
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let root = hub.add_socket(s, "/", "x1", None).unwrap();
    let admin = hub.add_socket(s, "/admin", "x2", None).unwrap();
    hub.join(root, "r").unwrap();
    assert_eq!(hub.room_size("/", "r"), 1);
    assert_eq!(hub.room_size("/admin", "r"), 0);
    hub.join(admin, "r").unwrap();
    assert_eq!(hub.members("/admin", "r").collect::<Vec<_>>(), [admin]);
    assert_eq!(hub.socket_of(s, "/admin"), Some(admin));
    assert_eq!(hub.session_sockets(s), [root, admin]);
    assert_eq!(hub.namespaces().collect::<Vec<_>>(), ["/", "/admin"]);
}

#[test]
fn disconnect_leaves_every_room() {
    let mut hub = Hub::default();
    let a = sock(&mut hub, "/", "a");
    let b = sock(&mut hub, "/", "b");
    for r in ["r1", "r2", "r3"] {
        hub.join(a, r).unwrap();
    }
    hub.join(b, "r1").unwrap();
    hub.remove_socket(a).unwrap();
    assert_eq!(hub.room_size("/", "r1"), 1);
    assert_eq!(hub.room_size("/", "r2"), 0);
    assert_eq!(hub.room_size("/", "a"), 0);
    assert_eq!(sorted(hub.rooms("/").collect()), ["b", "r1"]);
    assert_eq!(hub.socket_by_sid("/", "a"), None);
    assert!(!hub.contains_socket(a));
    assert_eq!(hub.join(a, "r"), Err(HubError::UnknownSocket));
    assert_eq!(hub.socket_count("/"), 1);
}

#[test]
fn removing_a_session_removes_its_sockets() {
    let mut hub = Hub::default();
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let a = hub.add_socket(s, "/", "a", None).unwrap();
    let b = hub.add_socket(s, "/chat", "b", None).unwrap();
    hub.join(b, "lobby").unwrap();
    hub.remove_session(s).unwrap();
    assert!(!hub.contains_socket(a) && !hub.contains_socket(b));
    assert_eq!(hub.namespaces().count(), 0);
    assert_eq!(hub.session_count(), 0);
    assert_eq!(hub.remove_session(s), Err(HubError::UnknownSession));
}

#[test]
fn stale_handles_are_detected_after_slot_reuse() {
    let mut hub = Hub::default();
    let a = sock(&mut hub, "/", "a");
    hub.remove_socket(a).unwrap();
    let b = sock(&mut hub, "/", "b");
    assert_ne!(a, b);
    assert_eq!(hub.sid(a), None);
    assert_eq!(hub.sid(b), Some("b"));
    assert_eq!(hub.remove_socket(a), Err(HubError::UnknownSocket));
}

#[test]
fn leave_all_and_own_room_can_be_left() {
    let mut hub = Hub::default();
    let a = sock(&mut hub, "/", "a");
    hub.join(a, "r").unwrap();
    hub.leave_all(a).unwrap();
    assert_eq!(hub.rooms_of(a).count(), 0);
    assert_eq!(hub.rooms("/").count(), 0);
    assert_eq!(hub.socket_count("/"), 1, "still connected");
}

#[test]
fn registration_errors() {
    let mut hub = Hub::default();
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let t = hub.add_session(SessionInfo::default()).unwrap();
    hub.add_socket(s, "/", "a", None).unwrap();
    assert_eq!(
        hub.add_socket(s, "/", "z", None),
        Err(HubError::AlreadyConnected)
    );
    assert_eq!(
        hub.add_socket(t, "/", "a", None),
        Err(HubError::DuplicateSid)
    );
    for bad in ["", "nsp", "/a,b", "/a\u{1e}"] {
        assert_eq!(
            hub.add_socket(t, bad, "q", None),
            Err(HubError::InvalidName { what: "namespace" }),
            "{bad:?}"
        );
    }
    assert_eq!(
        hub.add_socket(t, "/", "", None),
        Err(HubError::InvalidName { what: "sid" })
    );
}

#[test]
fn caps_are_enforced() {
    let cfg = HubConfig::default()
        .max_rooms_per_socket(3)
        .max_room_len(8)
        .max_sessions(2)
        .max_sockets_per_session(1)
        .max_namespaces(1)
        .max_sid_len(4);
    let mut hub = Hub::new(cfg);
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let _t = hub.add_session(SessionInfo::default()).unwrap();
    assert_eq!(
        hub.add_session(SessionInfo::default()),
        Err(HubError::LimitExceeded {
            limit: "max_sessions"
        })
    );
    assert_eq!(
        hub.add_socket(s, "/", "12345", None),
        Err(HubError::InvalidName { what: "sid" })
    );
    let a = hub.add_socket(s, "/", "a", None).unwrap();
    assert_eq!(
        hub.add_socket(s, "/x", "b", None),
        Err(HubError::LimitExceeded {
            limit: "max_sockets_per_session"
        })
    );
    assert_eq!(
        hub.add_socket(_t, "/x", "b", None),
        Err(HubError::LimitExceeded {
            limit: "max_namespaces"
        })
    );
    assert_eq!(
        hub.join(a, "123456789"),
        Err(HubError::InvalidName { what: "room" })
    );
    assert_eq!(hub.join(a, ""), Err(HubError::InvalidName { what: "room" }));
    hub.join(a, "r1").unwrap();
    hub.join(a, "r2").unwrap();
    assert_eq!(
        hub.join(a, "r3"),
        Err(HubError::LimitExceeded {
            limit: "max_rooms_per_socket"
        })
    );
    assert_eq!(hub.rooms_of(a).count(), 3);
}
