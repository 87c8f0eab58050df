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
//! URL ([`RedisUrl`]), each connection logs in first (`AUTH`). A refused login (a wrong or
//! missing password, `WRONGPASS` / `NOAUTH`) is not retried: it is a configuration error, so it
//! is logged on stderr and [`serve_cluster`] returns it (`PermissionDenied`).

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
/// `redis://` URL with a password: see [`RedisUrl`]). Returns only on an error.
///
/// # Errors
/// `InvalidInput` for a URL [`RedisUrl::parse`] refuses; the listener's accept error;
/// `PermissionDenied` with Redis's message when Redis refuses the login (checked on every
/// connection to Redis, the first one included; a Redis that cannot be reached is retried).
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
    // A refused login, from either connection (at most one each).
    let (fatal_tx, mut fatal_rx) = mpsc::channel::<io::Error>(2);
    tokio::spawn(route(bus_rx, pub_tx, sub_tx));
    tokio::spawn(publisher(url.clone(), pub_rx, tx.clone(), fatal_tx.clone()));
    tokio::spawn(subscriber(url, sub_rx, tx.clone(), fatal_tx));
    tokio::select! {
        r = serve_inner(listener, machine, tx, rx, Some(bus_tx)) => r,
        Some(e) = fatal_rx.recv() => Err(e),
    }
}

/// Opens a connection to Redis, waiting [`RETRY`] after each failure to connect. `None` when
/// Redis refused the login: reported ([`refused`]) and not retried.
async fn connect(url: &RedisUrl, fatal: &mpsc::Sender<io::Error>) -> Option<TcpStream> {
    loop {
        match open(url).await {
            Ok(tcp) => return Some(tcp),
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                refused(url, &e.to_string(), fatal);
                return None;
            }
            Err(_) => tokio::time::sleep(RETRY).await,
        }
    }
}

/// Whether an error reply says this connection is not logged in or not allowed (a URL without
/// the password Redis wants gets `NOAUTH` on its first command, not at connect).
fn is_refusal(e: &str) -> bool {
    ["NOAUTH", "WRONGPASS", "NOPERM"]
        .iter()
        .any(|p| e.starts_with(p))
}

/// Logs a refused login on stderr and reports it to [`serve_cluster`], which returns it.
fn refused(url: &RedisUrl, why: &str, fatal: &mpsc::Sender<io::Error>) {
    eprintln!(
        "sockwire-tokio: Redis at {} refused the login ({why}); not retrying: check the password in the redis:// URL",
        url.addr
    );
    let e = io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("Redis at {} refused the login: {why}", url.addr),
    );
    let _ = fatal.try_send(e);
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
            Command::ShardNumSub(ch) => {
                encode_command(&mut out, &[b"PUBSUB", b"SHARDNUMSUB", ch.as_bytes()]);
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
    fatal: mpsc::Sender<io::Error>,
) {
    loop {
        let Some(tcp) = connect(&url, &fatal).await else {
            return;
        };
        let (mut rd, mut wr) = tcp.into_split();
        // One entry per command written, in order: `Some(channel)` for a PUBSUB NUMSUB whose
        // answer goes to the machine, `None` for a PUBLISH (its reply is dropped). Bounded by
        // the commands in flight.
        let (exp_tx, mut exp_rx) = mpsc::unbounded_channel::<Option<String>>();
        let to_machine = machine.clone();
        // The reader's end (Redis went away) ends this connection at once, not at the next
        // write. It returns Redis's refusal of a command for want of a login, if that is why.
        let mut reader = tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::new();
            let mut chunk = vec![0u8; 8192];
            loop {
                let n = match rd.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                let mut used = 0;
                while let Ok(Some((reply, n))) = decode(&buf[used..]) {
                    used += n;
                    if let Reply::Error(e) = &reply {
                        if is_refusal(e) {
                            return Some(e.clone());
                        }
                    }
                    let Some(Some(ch)) = exp_rx.recv().await else {
                        continue;
                    };
                    if let Reply::Array(Some(items)) = &reply {
                        if let Some(Reply::Int(count)) = items.get(1) {
                            let count = u64::try_from(*count).unwrap_or(0);
                            if to_machine.send(Input::BusCount(ch, count)).await.is_err() {
                                return None;
                            }
                        }
                    }
                }
                buf.drain(..used);
                if buf.len() > MAX_BULK + 64 {
                    return None;
                }
            }
        });
        loop {
            let first = tokio::select! {
                m = rx.recv() => m,
                r = &mut reader => {
                    if let Ok(Some(e)) = r {
                        refused(&url, &e, &fatal);
                        return;
                    }
                    break;
                }
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
    fatal: mpsc::Sender<io::Error>,
) {
    // The subscriptions in force (channel -> command), replayed on each connection.
    let mut subs: std::collections::BTreeMap<String, Vec<u8>> = std::collections::BTreeMap::new();
    loop {
        let Some(tcp) = connect(&url, &fatal).await else {
            return;
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
                                    if let Reply::Error(e) = &reply {
                                        if is_refusal(e) {
                                            refused(&url, e, &fatal);
                                            return;
                                        }
                                    }
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
#[path = "redis_tests.rs"]
mod tests;
