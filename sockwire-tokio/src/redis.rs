//! A Socket.IO server in a Redis cluster (feature `redis`): [`serve_cluster`] runs a
//! [`Server`](sockwire::socketio::server::Server) joined with
//! [`Server::set_cluster`](sockwire::socketio::server::Server::set_cluster) like [`serve`](crate::serve),
//! and carries its [`cluster`](sockwire::cluster) commands to Redis and Redis's messages back.
//!
//! Why a small RESP2 codec of our own rather than the `redis` or `fred` crates: the adapter
//! needs four commands (PUBLISH, SUBSCRIBE, PSUBSCRIBE, and later PUBSUB NUMSUB) and the three
//! push shapes of a subscribed connection; the codec below is ~150 lines, bounded, and adds no
//! dependency to this crate, where either crate would add dozens.
//!
//! Two connections, as the Node adapter uses: a subscriber (SUBSCRIBE / PSUBSCRIBE, then only
//! pushes) and a publisher. Each reconnects on its own after a failure (every 500 ms); the
//! subscriber subscribes again to everything it had. While Redis is away, local delivery goes
//! on (the machine never waits for the bus) and publishes are dropped. With a password in the
//! URL ([`RedisUrl`]), each connection logs in first (`AUTH`); a refused login is retried
//! like a lost connection.

use std::io;
use std::time::Duration;

use sockwire::cluster::Command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::server::{Input, Machine, serve_inner};

/// Largest bulk string accepted from Redis (a message payload), in bytes.
pub const MAX_BULK: usize = 16 << 20;
/// Most elements in one array reply.
pub const MAX_ARRAY: usize = 1024;
/// Longest simple string, error or length line.
const MAX_LINE: usize = 4096;
/// Deepest nesting of array replies.
const MAX_DEPTH: usize = 4;
/// Bus commands the machine may queue ahead of the Redis connections.
pub const MAX_BUS_QUEUE: usize = 65_536;
const RETRY: Duration = Duration::from_millis(500);

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR ...`.
    Error(String),
    /// `:n`.
    Int(i64),
    /// `$n` (`None` for `$-1`).
    Bulk(Option<Vec<u8>>),
    /// `*n` (`None` for `*-1`).
    Array(Option<Vec<Reply>>),
}

/// Why bytes from Redis were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespError {
    /// Not RESP2.
    Malformed,
    /// A bulk, an array or the nesting over its cap.
    TooLarge,
}

impl std::fmt::Display for RespError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RespError::Malformed => "malformed RESP",
            RespError::TooLarge => "RESP value over its cap",
        })
    }
}

impl std::error::Error for RespError {}

/// Writes a command as an array of bulk strings.
pub fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn line(buf: &[u8], at: usize) -> Result<Option<(&[u8], usize)>, RespError> {
    // Lines other than bulk payloads are short: one over MAX_LINE bytes is refused.
    let end = buf.len().min(at + MAX_LINE + 2);
    match buf[at..end].windows(2).position(|w| w == b"\r\n") {
        Some(p) => Ok(Some((&buf[at..at + p], at + p + 2))),
        None if end - at >= MAX_LINE + 2 => Err(RespError::Malformed),
        None => Ok(None),
    }
}

fn int(b: &[u8]) -> Result<i64, RespError> {
    std::str::from_utf8(b)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(RespError::Malformed)
}

/// Decodes one reply from the start of `buf`: `Ok(None)` when more bytes are needed, else the
/// reply and how many bytes it used.
///
/// # Errors
/// Bytes that are not RESP2, or a value over [`MAX_BULK`] / [`MAX_ARRAY`] / the depth cap.
pub fn decode(buf: &[u8]) -> Result<Option<(Reply, usize)>, RespError> {
    decode_at(buf, 0, 0)
}

fn decode_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Reply, usize)>, RespError> {
    if depth > MAX_DEPTH {
        return Err(RespError::TooLarge);
    }
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    let Some((l, next)) = line(buf, at + 1)? else {
        return Ok(None);
    };
    let text = || String::from_utf8(l.to_vec()).map_err(|_| RespError::Malformed);
    Ok(Some(match kind {
        b'+' => (Reply::Simple(text()?), next),
        b'-' => (Reply::Error(text()?), next),
        b':' => (Reply::Int(int(l)?), next),
        b'$' => {
            let n = int(l)?;
            if n == -1 {
                return Ok(Some((Reply::Bulk(None), next)));
            }
            let n = usize::try_from(n).map_err(|_| RespError::Malformed)?;
            if n > MAX_BULK {
                return Err(RespError::TooLarge);
            }
            if buf.len() < next + n + 2 {
                return Ok(None);
            }
            if &buf[next + n..next + n + 2] != b"\r\n" {
                return Err(RespError::Malformed);
            }
            (
                Reply::Bulk(Some(buf[next..next + n].to_vec())),
                next + n + 2,
            )
        }
        b'*' => {
            let n = int(l)?;
            if n == -1 {
                return Ok(Some((Reply::Array(None), next)));
            }
            let n = usize::try_from(n).map_err(|_| RespError::Malformed)?;
            if n > MAX_ARRAY {
                return Err(RespError::TooLarge);
            }
            let mut items = Vec::with_capacity(n.min(16));
            let mut pos = next;
            for _ in 0..n {
                let Some((r, p)) = decode_at(buf, pos, depth + 1)? else {
                    return Ok(None);
                };
                items.push(r);
                pos = p;
            }
            (Reply::Array(Some(items)), pos)
        }
        _ => return Err(RespError::Malformed),
    }))
}

/// The channel and payload of a subscriber push (`message`, `pmessage` or `smessage`), if it
/// is one.
#[must_use]
pub fn as_message(r: &Reply) -> Option<(&[u8], &[u8])> {
    let Reply::Array(Some(items)) = r else {
        return None;
    };
    let bulk = |i: usize| match items.get(i) {
        Some(Reply::Bulk(Some(b))) => Some(b.as_slice()),
        _ => None,
    };
    match bulk(0)? {
        b"message" | b"smessage" if items.len() == 3 => Some((bulk(1)?, bulk(2)?)),
        b"pmessage" if items.len() == 4 => Some((bulk(2)?, bulk(3)?)),
        _ => None,
    }
}

/// Where the Redis server is and how to log in: parsed from `host[:port]` or
/// `redis://[[username]:password@]host[:port][/db]` (percent-escapes decoded; port 6379 by
/// default). The database number is accepted and has no effect: Redis's pub/sub channels are
/// shared by all databases. `rediss://` (TLS) is refused.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisUrl {
    /// `host:port`, as given to `TcpStream::connect`.
    pub addr: String,
    /// The ACL user (Redis 6+), sent with the password.
    pub username: Option<String>,
    /// The password: `AUTH` on every connection when present.
    pub password: Option<String>,
    /// The database number, if given.
    pub db: Option<u32>,
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisUrl")
            .field("addr", &self.addr)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("db", &self.db)
            .finish()
    }
}

impl RedisUrl {
    /// Parses `s` (see the type's docs).
    ///
    /// # Errors
    /// `InvalidInput` for another scheme, an empty host, a bad port, database or escape.
    pub fn parse(s: &str) -> io::Result<Self> {
        let bad =
            |what: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("redis URL: {what}"));
        let (rest, url) = match s.split_once("://") {
            Some(("redis", rest)) => (rest, true),
            Some((scheme, _)) => return Err(bad(&format!("scheme {scheme}:// not supported"))),
            None => (s, false),
        };
        let (auth, rest) = match rest.rsplit_once('@') {
            Some((a, r)) if url => (Some(a), r),
            _ => (None, rest),
        };
        let (host, db) = match rest.split_once('/') {
            Some((h, d)) if url => {
                let d = d.split('?').next().unwrap_or("");
                let db = if d.is_empty() {
                    None
                } else {
                    Some(d.parse().map_err(|_| bad("database"))?)
                };
                (h, db)
            }
            _ => (rest, None),
        };
        // An IPv6 host is bracketed: `[::1]:6379`.
        let has_port = match host.strip_prefix('[') {
            Some(r) => r.contains("]:"),
            None => host.contains(':'),
        };
        if host.is_empty() || host.starts_with(':') {
            return Err(bad("no host"));
        }
        let addr = if has_port {
            let (_, port) = host.rsplit_once(':').unwrap_or_default();
            port.parse::<u16>().map_err(|_| bad("port"))?;
            host.to_string()
        } else {
            format!("{host}:6379")
        };
        let (username, password) = match auth {
            None => (None, None),
            Some(a) => match a.split_once(':') {
                Some((u, p)) => (
                    Some(unescape(u).ok_or_else(|| bad("escape"))?).filter(|u| !u.is_empty()),
                    Some(unescape(p).ok_or_else(|| bad("escape"))?),
                ),
                None => (Some(unescape(a).ok_or_else(|| bad("escape"))?), None),
            },
        };
        Ok(RedisUrl {
            addr,
            username,
            password,
            db,
        })
    }
}

/// Decodes `%XX` escapes; `None` for a broken one or bytes that are not UTF-8.
fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Connects to Redis and logs in (`AUTH [username] password`) when the URL has a password.
///
/// # Errors
/// The connection's, or `PermissionDenied` with Redis's message when it refuses the login.
pub async fn open(url: &RedisUrl) -> io::Result<TcpStream> {
    let mut tcp = TcpStream::connect(&url.addr).await?;
    tcp.set_nodelay(true)?;
    let Some(password) = &url.password else {
        return Ok(tcp);
    };
    let mut out = Vec::new();
    match &url.username {
        Some(u) => encode_command(&mut out, &[b"AUTH", u.as_bytes(), password.as_bytes()]),
        None => encode_command(&mut out, &[b"AUTH", password.as_bytes()]),
    }
    match request(&mut tcp, &out).await? {
        Reply::Simple(_) => Ok(tcp),
        Reply::Error(e) => Err(io::Error::new(io::ErrorKind::PermissionDenied, e)),
        _ => Err(io::Error::new(io::ErrorKind::InvalidData, "odd AUTH reply")),
    }
}

/// Writes one encoded command on a connection that has nothing else in flight and reads its
/// reply (bounded like every reply: [`decode`]'s caps).
///
/// # Errors
/// The connection's; `UnexpectedEof`; `InvalidData` for bytes that are not RESP2.
pub async fn request(tcp: &mut TcpStream, command: &[u8]) -> io::Result<Reply> {
    tcp.write_all(command).await?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        match decode(&buf) {
            Ok(None) => {}
            Ok(Some((reply, _))) => return Ok(reply),
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
}

/// Serves `machine` (a [`Server`](sockwire::socketio::server::Server) with a cluster adapter)
/// on `listener`, its cluster bus on the Redis server at `redis` (`host:port` or a
/// `redis://` URL with a password: see [`RedisUrl`]). Returns only on an accept error.
///
/// # Errors
/// `InvalidInput` for a URL [`RedisUrl::parse`] refuses; the listener's accept error.
pub async fn serve_cluster<M: Machine + Send + 'static>(
    listener: TcpListener,
    machine: M,
    redis: &str,
) -> io::Result<()> {
    let url = RedisUrl::parse(redis)?;
    let (tx, rx) = mpsc::channel::<Input>(1024);
    let (bus_tx, bus_rx) = mpsc::channel::<Command>(MAX_BUS_QUEUE);
    let (pub_tx, pub_rx) = mpsc::channel::<(Vec<u8>, Option<String>)>(MAX_BUS_QUEUE);
    let (sub_tx, sub_rx) = mpsc::unbounded_channel::<Command>();
    tokio::spawn(route(bus_rx, pub_tx, sub_tx));
    tokio::spawn(publisher(url.clone(), pub_rx, tx.clone()));
    tokio::spawn(subscriber(url, sub_rx, tx.clone()));
    serve_inner(listener, machine, tx, rx, Some(bus_tx)).await
}

/// Splits the machine's commands: publishes to the publisher, subscriptions to the subscriber.
async fn route(
    mut rx: mpsc::Receiver<Command>,
    publish: mpsc::Sender<(Vec<u8>, Option<String>)>,
    subscribe: mpsc::UnboundedSender<Command>,
) {
    while let Some(c) = rx.recv().await {
        let mut out = Vec::new();
        match c {
            Command::Publish { channel, payload } => {
                encode_command(&mut out, &[b"PUBLISH", channel.as_bytes(), &payload]);
                // Dropped when the publisher is that far behind.
                let _ = publish.try_send((out, None));
            }
            Command::NumSub(ch) => {
                encode_command(&mut out, &[b"PUBSUB", b"NUMSUB", ch.as_bytes()]);
                let _ = publish.try_send((out, Some(ch)));
            }
            Command::SPublish { channel, payload } => {
                encode_command(&mut out, &[b"SPUBLISH", channel.as_bytes(), &payload]);
                let _ = publish.try_send((out, None));
            }
            // Subscriptions: a handful per namespace plus one per room in the sharded
            // variant, each bounded by the hub's caps.
            c @ (Command::Subscribe(_)
            | Command::PSubscribe(_)
            | Command::SSubscribe(_)
            | Command::SUnsubscribe(_)) => {
                let _ = subscribe.send(c);
            }
            _ => {}
        }
    }
}

async fn publisher(
    url: RedisUrl,
    mut rx: mpsc::Receiver<(Vec<u8>, Option<String>)>,
    machine: mpsc::Sender<Input>,
) {
    loop {
        let Ok(tcp) = open(&url).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        let (mut rd, mut wr) = tcp.into_split();
        // One entry per command written, in order: `Some(channel)` for a PUBSUB NUMSUB whose
        // answer goes to the machine, `None` for a PUBLISH (its reply is dropped). Bounded by
        // the commands in flight.
        let (exp_tx, mut exp_rx) = mpsc::unbounded_channel::<Option<String>>();
        let to_machine = machine.clone();
        // The reader's end (Redis went away) ends this connection at once, not at the next
        // write.
        let mut reader = tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::new();
            let mut chunk = vec![0u8; 8192];
            loop {
                let n = match rd.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                let mut used = 0;
                while let Ok(Some((reply, n))) = decode(&buf[used..]) {
                    used += n;
                    let Some(Some(ch)) = exp_rx.recv().await else {
                        continue;
                    };
                    if let Reply::Array(Some(items)) = &reply {
                        if let Some(Reply::Int(count)) = items.get(1) {
                            let count = u64::try_from(*count).unwrap_or(0);
                            if to_machine.send(Input::BusCount(ch, count)).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                buf.drain(..used);
                if buf.len() > MAX_BULK + 64 {
                    return;
                }
            }
        });
        loop {
            let first = tokio::select! {
                m = rx.recv() => m,
                _ = &mut reader => break,
            };
            let Some((mut batch, tag)) = first else {
                return;
            };
            let _ = exp_tx.send(tag);
            while let Ok((more, tag)) = rx.try_recv() {
                batch.extend_from_slice(&more);
                let _ = exp_tx.send(tag);
                if batch.len() > 1 << 20 {
                    break;
                }
            }
            if wr.write_all(&batch).await.is_err() {
                break;
            }
        }
        reader.abort();
        tokio::time::sleep(RETRY).await;
    }
}

/// The subscription command for `c`, and whether it adds (`true`) or removes a channel.
fn subscription(c: &Command) -> Option<(Vec<u8>, String, bool)> {
    let (verb, ch, add): (&[u8], &String, bool) = match c {
        Command::Subscribe(ch) => (b"SUBSCRIBE", ch, true),
        Command::PSubscribe(p) => (b"PSUBSCRIBE", p, true),
        Command::SSubscribe(ch) => (b"SSUBSCRIBE", ch, true),
        Command::SUnsubscribe(ch) => (b"SUNSUBSCRIBE", ch, false),
        _ => return None,
    };
    let mut out = Vec::new();
    encode_command(&mut out, &[verb, ch.as_bytes()]);
    Some((out, ch.clone(), add))
}

async fn subscriber(
    url: RedisUrl,
    mut rx: mpsc::UnboundedReceiver<Command>,
    tx: mpsc::Sender<Input>,
) {
    // The subscriptions in force (channel -> command), replayed on each connection.
    let mut subs: std::collections::BTreeMap<String, Vec<u8>> = std::collections::BTreeMap::new();
    loop {
        let Ok(tcp) = open(&url).await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        let (mut rd, mut wr) = tcp.into_split();
        let mut ok = true;
        for s in subs.values() {
            ok &= wr.write_all(s).await.is_ok();
        }
        let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
        let mut chunk = vec![0u8; 16 * 1024];
        while ok {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(c) => {
                        if let Some((bytes, ch, add)) = subscription(&c) {
                            ok = wr.write_all(&bytes).await.is_ok();
                            if add {
                                subs.insert(ch, bytes);
                            } else {
                                subs.remove(&ch);
                            }
                        }
                    }
                    None => return,
                },
                r = rd.read(&mut chunk) => match r {
                    Ok(0) | Err(_) => ok = false,
                    Ok(n) => {
                        buf.extend_from_slice(&chunk[..n]);
                        let mut used = 0;
                        loop {
                            match decode(&buf[used..]) {
                                Ok(Some((reply, n))) => {
                                    used += n;
                                    if let Some((ch, payload)) = as_message(&reply) {
                                        let ch = String::from_utf8_lossy(ch).into_owned();
                                        if tx.send(Input::Bus(ch, payload.to_vec())).await.is_err() {
                                            return;
                                        }
                                    }
                                }
                                Ok(None) => break,
                                Err(_) => {
                                    ok = false;
                                    break;
                                }
                            }
                        }
                        buf.drain(..used);
                    }
                },
            }
        }
        tokio::time::sleep(RETRY).await;
    }
}

#[cfg(test)]
mod tests {
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
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(Reply::Bulk),
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
}
