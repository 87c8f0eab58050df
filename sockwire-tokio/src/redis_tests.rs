//! Unit tests of the RESP2 codec, `RedisUrl` and the login (`redis.rs`).
use super::*;

#[test]
fn redis_urls() {
    let u = RedisUrl::parse("127.0.0.1:7000").unwrap();
    assert_eq!(
        (u.addr.as_str(), u.password, u.db),
        ("127.0.0.1:7000", None, None)
    );
    let u = RedisUrl::parse("redis://localhost").unwrap();
    assert_eq!(u.addr, "localhost:6379");
    let u = RedisUrl::parse("redis://:p%40ss%3Aw@h:1234/3").unwrap();
    assert_eq!(u.addr, "h:1234");
    assert_eq!(
        (u.username, u.password.as_deref(), u.db),
        (None, Some("p@ss:w"), Some(3))
    );
    let u = RedisUrl::parse("redis://bob:pw@[::1]:6380/").unwrap();
    assert_eq!(
        (u.addr.as_str(), u.username.as_deref()),
        ("[::1]:6380", Some("bob"))
    );
    assert_eq!(RedisUrl::parse("redis://[::1]").unwrap().addr, "[::1]:6379");
    assert!(
        !format!("{u:?}").contains("pw"),
        "the password is not printed"
    );
    for bad in [
        "rediss://h",
        "http://h",
        "redis://",
        "redis://h:99999",
        "redis://h:x",
        "redis://h/x",
        "redis://:%zz@h",
        ":6379",
    ] {
        assert_eq!(
            RedisUrl::parse(bad).map_err(|e| e.kind()).err(),
            Some(io::ErrorKind::InvalidInput),
            "{bad}"
        );
    }
}

/// A one-connection fake Redis that answers the first command with `reply` and returns
/// the command it read.
async fn fake_redis(reply: &'static [u8]) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let h = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 256];
        while decode(&buf).ok().flatten().is_none() {
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
        }
        s.write_all(reply).await.unwrap();
        buf
    });
    (addr, h)
}

#[tokio::test]
async fn open_logs_in_with_auth() {
    let (addr, h) = fake_redis(b"+OK\r\n").await;
    let url = RedisUrl::parse(&format!("redis://bob:s3cret@{addr}")).unwrap();
    assert!(open(&url).await.is_ok());
    assert_eq!(
        h.await.unwrap(),
        b"*3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$6\r\ns3cret\r\n"
    );
    let (addr, h) = fake_redis(b"-WRONGPASS invalid username-password pair\r\n").await;
    let url = RedisUrl::parse(&format!("redis://:nope@{addr}")).unwrap();
    let e = open(&url).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("WRONGPASS"), "{e}");
    assert_eq!(h.await.unwrap(), b"*2\r\n$4\r\nAUTH\r\n$4\r\nnope\r\n");
}

#[test]
fn commands_and_pushes() {
    let mut out = Vec::new();
    encode_command(&mut out, &[b"PUBLISH", b"ch", b"\x93\x00"]);
    assert_eq!(
        out,
        b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$2\r\n\x93\x00\r\n"
    );
    let push = b"*4\r\n$8\r\npmessage\r\n$3\r\np#*\r\n$4\r\np#a#\r\n$3\r\n\x01\r\n\r\n";
    let (r, n) = decode(push).unwrap().unwrap();
    assert_eq!(n, push.len());
    assert_eq!(as_message(&r), Some((&b"p#a#"[..], &b"\x01\r\n"[..])));
    // Every prefix is incomplete, never an error; every split point decodes the same.
    for i in 0..push.len() {
        assert_eq!(decode(&push[..i]), Ok(None), "{i}");
    }
    let msg = b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$0\r\n\r\n:5\r\n+OK\r\n-ERR x\r\n$-1\r\n";
    let mut at = 0;
    let mut got = Vec::new();
    while let Some((r, n)) = decode(&msg[at..]).unwrap() {
        got.push(r);
        at += n;
    }
    assert_eq!(at, msg.len());
    assert_eq!(as_message(&got[0]), Some((&b"c"[..], &b""[..])));
    assert_eq!(
        got[1..],
        [
            Reply::Int(5),
            Reply::Simple("OK".into()),
            Reply::Error("ERR x".into()),
            Reply::Bulk(None)
        ]
    );
}

fn encode_reply(r: &Reply, out: &mut Vec<u8>) {
    match r {
        Reply::Simple(s) => out.extend_from_slice(format!("+{s}\r\n").as_bytes()),
        Reply::Error(s) => out.extend_from_slice(format!("-{s}\r\n").as_bytes()),
        Reply::Int(i) => out.extend_from_slice(format!(":{i}\r\n").as_bytes()),
        Reply::Bulk(None) => out.extend_from_slice(b"$-1\r\n"),
        Reply::Bulk(Some(b)) => {
            out.extend_from_slice(format!("${}\r\n", b.len()).as_bytes());
            out.extend_from_slice(b);
            out.extend_from_slice(b"\r\n");
        }
        Reply::Array(None) => out.extend_from_slice(b"*-1\r\n"),
        Reply::Array(Some(items)) => {
            out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
            for i in items {
                encode_reply(i, out);
            }
        }
    }
}

fn reply() -> impl proptest::strategy::Strategy<Value = Reply> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        "[a-zA-Z0-9 ]{0,20}".prop_map(Reply::Simple),
        "[a-zA-Z0-9 ]{0,20}".prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Int),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)).prop_map(Reply::Bulk),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        proptest::option::of(proptest::collection::vec(inner, 0..5)).prop_map(Reply::Array)
    })
}

proptest::proptest! {
    /// A stream of replies cut anywhere: the prefix decodes to the replies it holds
    /// completely and reports the rest as incomplete, never an error.
    #[test]
    fn every_split_point_decodes_the_same(replies in proptest::collection::vec(reply(), 1..5), cut in 0usize..10_000) {
        let mut bytes = Vec::new();
        for r in &replies {
            encode_reply(r, &mut bytes);
        }
        let cut = cut % (bytes.len() + 1);
        let mut at = 0;
        let mut got = Vec::new();
        while let Some((r, n)) = decode(&bytes[at..cut]).unwrap() {
            got.push(r);
            at += n;
        }
        let mut rest = bytes[at..].to_vec();
        let mut at2 = 0;
        while let Some((r, n)) = decode(&rest[at2..]).unwrap() {
            got.push(r);
            at2 += n;
        }
        rest.clear();
        proptest::prop_assert_eq!(got, replies);
    }

    /// Arbitrary bytes never panic and never claim more than they hold.
    #[test]
    fn arbitrary_bytes_are_safe(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        if let Ok(Some((_, n))) = decode(&bytes) {
            proptest::prop_assert!(n <= bytes.len());
        }
    }
}

#[test]
fn hostile_replies_are_refused() {
    assert_eq!(decode(b"$99999999999\r\n"), Err(RespError::TooLarge));
    assert_eq!(decode(b"*99999\r\n"), Err(RespError::TooLarge));
    assert_eq!(
        decode(b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n"),
        Err(RespError::TooLarge)
    );
    assert_eq!(decode(b"$2\r\nabcd"), Err(RespError::Malformed));
    assert_eq!(decode(b"?\r\n"), Err(RespError::Malformed));
    assert_eq!(decode(&[b'+'; 5000]), Err(RespError::Malformed));
    assert_eq!(decode(b":x\r\n"), Err(RespError::Malformed));
}
