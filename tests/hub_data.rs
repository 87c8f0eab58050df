//! Per-socket session data (typed, removed on disconnect) and handshake info.
#![cfg(feature = "std")]

use sockwire::hub::{Hub, HubConfig, HubError, SessionInfo};

#[derive(Debug, PartialEq)]
struct User {
    name: String,
    posts: u32,
}

#[test]
fn typed_round_trip() {
    let mut hub = Hub::default();
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let a = hub.add_socket(s, "/", "a", None).unwrap();
    assert!(
        hub.set_data(a, "user", "ada".to_string())
            .unwrap()
            .is_none()
    );
    assert_eq!(
        hub.data::<String>(a, "user").map(String::as_str),
        Some("ada")
    );
    assert_eq!(hub.data::<u32>(a, "user"), None, "wrong type is None");
    hub.set_data(
        a,
        "profile",
        User {
            name: "ada".into(),
            posts: 0,
        },
    )
    .unwrap();
    hub.data_mut::<User>(a, "profile").unwrap().posts += 2;
    assert_eq!(hub.data::<User>(a, "profile").unwrap().posts, 2);
    assert_eq!(hub.data_keys(a).collect::<Vec<_>>(), ["profile", "user"]);
    // Replacing returns the old value, whatever its type.
    let old = hub.set_data(a, "user", 7u64).unwrap().unwrap();
    assert_eq!(
        old.downcast_ref::<String>().map(String::as_str),
        Some("ada")
    );
    // take_data of the wrong type leaves the value in place.
    assert_eq!(hub.take_data::<String>(a, "user"), None);
    assert_eq!(hub.take_data::<u64>(a, "user"), Some(7));
    assert_eq!(hub.data::<u64>(a, "user"), None);
    assert!(hub.remove_data(a, "profile"));
    assert!(!hub.remove_data(a, "profile"));
}

#[test]
fn data_is_per_socket_and_dropped_on_disconnect() {
    use std::sync::Arc;
    let mut hub = Hub::default();
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let a = hub.add_socket(s, "/", "a", None).unwrap();
    let b = hub.add_socket(s, "/b", "b", None).unwrap();
    let tracker = Arc::new(());
    hub.set_data(a, "k", Arc::clone(&tracker)).unwrap();
    hub.set_data(b, "k", 1u8).unwrap();
    assert_eq!(Arc::strong_count(&tracker), 2);
    assert_eq!(hub.data::<u8>(b, "k"), Some(&1));
    hub.remove_socket(a).unwrap();
    assert_eq!(
        Arc::strong_count(&tracker),
        1,
        "value dropped with the socket"
    );
    assert_eq!(hub.data::<Arc<()>>(a, "k"), None);
    // A new socket reusing the slot starts empty.
    let c = hub
        .add_session(SessionInfo::default())
        .and_then(|t| hub.add_socket(t, "/", "c", None))
        .unwrap();
    assert_eq!(hub.data_keys(c).count(), 0);
}

#[test]
fn data_caps() {
    let mut hub = Hub::new(HubConfig::default().max_data_keys(2).max_data_key_len(3));
    let s = hub.add_session(SessionInfo::default()).unwrap();
    let a = hub.add_socket(s, "/", "a", None).unwrap();
    hub.set_data(a, "k1", 1).unwrap();
    hub.set_data(a, "k2", 2).unwrap();
    hub.set_data(a, "k2", 3).unwrap(); // replacing is fine at the cap
    assert_eq!(
        hub.set_data(a, "k3", 3).err(),
        Some(HubError::LimitExceeded {
            limit: "max_data_keys"
        })
    );
    assert_eq!(
        hub.set_data(a, "long", 3).err(),
        Some(HubError::InvalidName { what: "key" })
    );
    assert_eq!(
        hub.set_data(a, "", 3).err(),
        Some(HubError::InvalidName { what: "key" })
    );
}

#[test]
fn handshake_info_is_exposed() {
    let mut hub = Hub::default();
    let info = SessionInfo {
        headers: vec![("User-Agent".into(), "test/1".into())],
        query: vec![("EIO".into(), "4".into()), ("room".into(), "x".into())],
        url: "/socket.io/?EIO=4&transport=websocket&room=x".into(),
        address: Some("127.0.0.1:5000".parse().unwrap()),
        issued: std::time::Duration::from_secs(3),
        secure: false,
    };
    let s = hub.add_session(info.clone()).unwrap();
    let a = hub
        .add_socket(s, "/", "a", Some(r#"{"token":"t"}"#))
        .unwrap();
    let h = hub.handshake(a).unwrap();
    assert_eq!(h, &info);
    assert_eq!(h.header("user-agent"), Some("test/1"));
    assert_eq!(h.query_param("room"), Some("x"));
    assert_eq!(hub.auth(a), Some(r#"{"token":"t"}"#));
    assert_eq!(hub.session_of(a), Some(s));
    assert_eq!(hub.namespace_of(a), Some("/"));
}

/// `SessionInfo.query` is decoded like the reference's `socket.handshake.query`.
#[test]
fn handshake_query_is_form_decoded() {
    use sockwire::http::{HeadConfig, HeadParser, Header};
    use sockwire::hub::{SessionInfo, decode_query};
    let pairs = |q: &str| decode_query(q);
    let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        pairs("EIO=4&transport=polling&name=J%C3%BCrgen+M&flag&&x=a=b"),
        owned(&[
            ("EIO", "4"),
            ("transport", "polling"),
            ("name", "Jürgen M"),
            ("flag", ""),
            ("x", "a=b"),
        ])
    );
    // Malformed escapes stay as written; invalid UTF-8 becomes U+FFFD; keys decode too.
    assert_eq!(
        pairs("a=%zz%4&b=%FF&c%20d=%2B"),
        owned(&[("a", "%zz%4"), ("b", "\u{fffd}"), ("c d", "+")])
    );
    assert!(pairs("").is_empty());
    // From a parsed request.
    let head = b"GET /socket.io/?EIO=4&transport=polling&token=a%26b HTTP/1.1\r\nHost: x\r\nX-Id: 7\r\n\r\n";
    let mut slots = [Header::EMPTY; 8];
    let req = HeadParser::new(HeadConfig::new())
        .parse_request(head, &mut slots)
        .unwrap()
        .complete()
        .unwrap();
    let info = SessionInfo::from_request(&req, core::time::Duration::from_secs(3));
    assert_eq!(info.query_param("token"), Some("a&b"));
    assert_eq!(info.header("x-id"), Some("7"));
    assert_eq!(info.url, "/socket.io/?EIO=4&transport=polling&token=a%26b");
    assert_eq!(info.issued, core::time::Duration::from_secs(3));
}
