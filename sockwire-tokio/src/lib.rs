//! tokio adapter for [`sockwire`]: it moves bytes between an `AsyncRead + AsyncWrite` stream
//! and the sans-IO [`Connection`], and arms one timer from [`Connection::poll_timeout`]. Every
//! protocol decision (pongs, close replies, keepalive pings, close timeouts, the handshake) is
//! the core's.
//!
//! * [`accept`] (server) and [`connect`] (client) run the opening handshake and return a
//!   [`WebSocket`], owned by one task: its `recv` and `send` take `&mut self` and touch the
//!   stream directly, with no lock. [`WebSocket::split`] gives a [`WsReader`] and a
//!   [`WsWriter`] that can live in different tasks (one receives while the other sends); they
//!   share the connection behind an async lock.
//! * **Backpressure**: [`WsWriter::send`] (and [`WebSocket::send`]) returns once the message is written to the stream (it
//!   waits while the peer does not read). [`WsWriter::try_send`] never waits: it queues the
//!   message if the bytes not yet written stay within a cap ([`WsWriter::set_max_pending`],
//!   default [`DEFAULT_MAX_PENDING`]), writes what the
//!   stream takes at once, and says [`TrySendError::Full`] otherwise; the rest goes out with the
//!   next `send`, `flush` or `recv`.
//! * **Timers** (keepalive, pong and close timeouts) run while `recv` is awaited:
//!   keep one task receiving, as with every WebSocket library.
//!
//! * [`tower`] (feature `tower`): a [`serve`] machine as a tower `Layer` mounted at its path
//!   inside an existing hyper or axum app, every other request passed to the app.
//! * [`serve`] runs a whole sans-IO server machine (a Socket.IO
//!   [`Server`](sockwire::socketio::server::Server) or an Engine.IO
//!   [`Endpoint`](sockwire::engineio::Endpoint): HTTP long-polling, WebSocket and upgrade on one
//!   listener) on a `TcpListener`.
//! * [`SioClient`]: a Socket.IO client (long-polling, WebSocket, upgrade) with acks and
//!   reconnection: the core's [`socketio::client::Client`](sockwire::socketio::client::Client)
//!   driven by one task that owns its connections and its timer.
//!
//! Lean by design: no read buffer is held while a connection is idle (it is allocated for a
//! read and released once every byte of it has been fed), and a connection spawns no task (the
//! Socket.IO client spawns its driver and one small task per TCP connection).

#[cfg(feature = "redis")]
pub mod redis;
mod server;
mod sio_client;
mod split;
#[cfg(feature = "tower")]
pub mod tower;
mod websocket;

#[cfg(feature = "redis")]
pub use redis::serve_cluster;
pub use server::{MAX_QUEUED_WRITES, Machine, WRITE_STALL_TIMEOUT, serve};
pub use sio_client::{SioClient, SioClientConfig, SioEvent};
pub use split::{WsReader, WsWriter};
pub use websocket::WebSocket;

use std::io;

use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, ServerHandshake, ServerResponse,
};
use sockwire::ws::{Connection, ConnectionConfig, MaskKeySource};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Size of one read once data is flowing (allocated for the read, released when fed): a
/// 16 KiB message takes two reads (the small one, then one chunk), not four.
const READ_CHUNK: usize = 32 * 1024;
/// Size of the read an idle connection waits in (inline, no allocation).
const SMALL_READ: usize = 128;
/// Cap on the opening handshake's head (request or response).
const MAX_HEAD: usize = 16 * 1024;

/// Default of [`WebSocket::set_max_pending`] and [`WsWriter::set_max_pending`]: 64 KiB.
pub const DEFAULT_MAX_PENDING: usize = 64 * 1024;

/// A whole message received or to send: the core's own [`sockwire::ws::Message`], so a received
/// message is the buffer the connection assembled it in, text already a `String`.
pub use sockwire::ws::Message;

/// Why [`WsWriter::try_send`] did not queue a message.
#[derive(Debug)]
#[non_exhaustive]
pub enum TrySendError {
    /// Queuing it would exceed the writer's cap on bytes not yet written
    /// ([`WsWriter::set_max_pending`]), or another call is writing right now:
    /// wait with [`WsWriter::send`] or [`WsWriter::flush`], or drop the message.
    Full,
    /// The connection refused it (closing or closed) or the stream failed.
    Io(io::Error),
}

impl std::fmt::Display for TrySendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrySendError::Full => f.write_str("outgoing queue full"),
            TrySendError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for TrySendError {}
/// Reads the opening handshake from `io`, answers it and returns the server WebSocket.
/// A refused handshake is answered with the core's error response and reported as an error.
pub async fn accept<S>(io: S, config: ConnectionConfig) -> io::Result<WebSocket<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // The handshake's state (parser, head buffer, write futures: ~600 bytes) lives on the heap
    // for the handshake only, not in every connection's task for its whole life: a spawned
    // future is as large as its largest await point, and tokio rounds each task up to 128 bytes.
    Box::pin(accept_inner(io, config)).await
}

async fn accept_inner<S>(mut io: S, config: ConnectionConfig) -> io::Result<WebSocket<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut server = ServerHandshake::new(HeadConfig::default());
    let mut buf = Vec::with_capacity(1024);
    loop {
        read_more(&mut io, &mut buf).await?;
        // On the heap: kept in the future, 128 slots would size every connection's task.
        let mut slots = vec![Header::EMPTY; 128];
        match server.parse(&buf, &mut slots) {
            Ok(Status::Partial) => continue,
            Ok(Status::Complete(req)) => {
                let accept = req
                    .accept(&AcceptOptions::new())
                    .map_err(io::Error::other)?;
                let mut out = Vec::new();
                accept.encode_to_vec(&mut out);
                io.write_all(&out).await?;
                let rest = buf[req.head_len()..].to_vec();
                let conn = Connection::server(config);
                return Ok(WebSocket::from_upgraded(io, conn, rest));
            }
            Err(e) => {
                if let Some(resp) = e.response() {
                    io.write_all(resp).await?;
                }
                return Err(io::Error::other(format!("handshake refused: {e}")));
            }
        }
    }
}

/// Sends the opening handshake for `options` over `io` (a connected stream; TLS, if any, is
/// the caller's), verifies the server's answer and returns the client WebSocket. `keys`
/// supplies the frame masking keys (RFC 6455 §5.3 asks for an unpredictable source); the
/// handshake nonce is `options.nonce`. A non-101 answer is an error carrying its status.
pub async fn connect<S, K>(
    io: S,
    options: ClientOptions<'_>,
    config: ConnectionConfig,
    keys: K,
) -> io::Result<WebSocket<S, K>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: MaskKeySource,
{
    // On the heap for the handshake only (see `accept`).
    Box::pin(connect_inner(io, options, config, keys)).await
}

async fn connect_inner<S, K>(
    mut io: S,
    options: ClientOptions<'_>,
    config: ConnectionConfig,
    keys: K,
) -> io::Result<WebSocket<S, K>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    K: MaskKeySource,
{
    let mut hs = ClientHandshake::new(options).map_err(io::Error::other)?;
    let mut req = Vec::new();
    hs.encode_to_vec(&mut req);
    io.write_all(&req).await?;
    let mut buf = Vec::with_capacity(1024);
    loop {
        read_more(&mut io, &mut buf).await?;
        // On the heap: kept in the future, 128 slots would size every connection's task.
        let mut slots = vec![Header::EMPTY; 128];
        match hs
            .parse_response(&buf, &mut slots)
            .map_err(io::Error::other)?
        {
            Status::Partial => continue,
            Status::Complete(ServerResponse::Accepted(a)) => {
                let rest = buf[a.head_len()..].to_vec();
                let conn = Connection::client(config, keys);
                return Ok(WebSocket::from_upgraded(io, conn, rest));
            }
            Status::Complete(ServerResponse::NotUpgraded(r)) => {
                return Err(io::Error::other(format!(
                    "the server answered {} instead of 101",
                    r.status()
                )));
            }
        }
    }
}

/// Appends one read to `buf` (a handshake head), failing past [`MAX_HEAD`] or at EOF.
async fn read_more<S: AsyncRead + Unpin>(io: &mut S, buf: &mut Vec<u8>) -> io::Result<()> {
    if buf.len() >= MAX_HEAD {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "handshake head too large",
        ));
    }
    let old = buf.len();
    buf.resize(old + 1024, 0);
    let n = io.read(&mut buf[old..]).await?;
    buf.truncate(old + n);
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}
