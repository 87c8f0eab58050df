//! # sockwire
//!
//! Sans-IO protocol state machines for WebSockets ([RFC 6455]), Engine.IO v4 and Socket.IO v5.
//!
//! sockwire never opens a socket, never reads a clock and never draws a random number. The caller
//! hands it bytes, the current time and entropy; it hands back bytes to write, events and deadlines.
//! That is what lets the same code run under std threads, an async runtime, an embedded loop or a C
//! host, and be fuzzed and replayed byte for byte.
//!
//! ## Layers
//!
//! 1. **Codecs**, stateless and allocation-free, borrowing from the input: [`http`]
//!    (bounded HTTP/1.1 head parser), [`frame`] (RFC 6455 §5 headers and close payloads), [`mask`]
//!    (in-place XOR with a phase), [`utf8`] (incremental validation), [`json`] (a small strict JSON
//!    scanner and `JSON.stringify`-compatible writer), and the Engine.IO / Socket.IO packet codecs.
//! 2. **Protocol state machines** that own their state but never their IO: the [`handshake`] client
//!    and server, [`ws::Connection`], the Engine.IO sessions and the Socket.IO sockets.
//! 3. **Composition**, still pure: the Socket.IO [`hub`] (rooms, broadcast encoded once,
//!    session data), [`engineio::Endpoint`] (a whole Engine.IO server over raw TCP bytes by
//!    connection id: HTTP routing, held GETs, WebSocket upgrades, one deadline) and
//!    [`socketio::server::Server`] on top of both (one socket machine per session, an `App` of
//!    callbacks with `emit` / `to(room)` / `broadcast` / `join` / `set`), so a runtime only moves
//!    bytes: `handle_read(now, conn, bytes)` in, `poll_transmit()` out, one timer. The
//!    [`cluster`] adapter joins several servers through a pub/sub bus in the wire format of
//!    Node's `@socket.io/redis-adapter` (`handle_cluster_message` in, `poll_cluster_transmit`
//!    out).
//!
//! How they connect, for a Socket.IO server: TCP bytes → [`http`] head parser → Engine.IO
//! request routing ([`engineio::http`], [`engineio::server`]) or the WebSocket [`handshake`]
//! and [`ws::Connection`] ([`frame`], [`mask`], [`utf8`]) → Engine.IO packets
//! ([`engineio::packet`], [`engineio::payload`]) → Socket.IO packets ([`socketio::packet`],
//! [`json`] or [`msgpack`]) → the socket machines ([`socketio::ServerSocket`]) → the
//! application and the [`hub`]; output flows back down the same way, a broadcast as bytes
//! encoded once for all recipients. Each arrow is a plain function call inside one `handle_*`.
//!
//! ## The sans-IO contract (one shape for every machine)
//!
//! * **Input** goes in through `handle_*` methods, `now` always first: `handle_read(now, bytes)`,
//!   `handle_timeout(now)`, `handle_eof(now)`. Incomplete input is never an error.
//! * **Commands** from the application: `send_*`, `close`, `emit`, `ack`, `join`, ...
//! * **Output** comes out of `poll_*` methods: `poll_transmit` (bytes to write), `poll_event`
//!   (application events) and `poll_timeout` (the next deadline).
//! * **Time** is a [`core::time::Duration`] measured from an epoch of the caller's choosing (for
//!   example `Instant::now() - start`). It must never go backwards.
//! * **Randomness** (handshake nonces, mask keys, session ids) is supplied by the caller.
//!
//! After every input or command, drain the polls (transmit, then events, then the timeout) before
//! the next mutation. A machine never panics on peer input: every size it buffers has a configured
//! cap, and an error caused by the peer carries the reply to send (a close code or an HTTP response).
//!
//! ## Errors: one terminal event per peer, carrying the cause
//!
//! Every machine ends each peer (a WebSocket, an Engine.IO session, a Socket.IO namespace
//! connection) with exactly one terminal event, and that event has an `error: Option<Error>`
//! field: `Some` with the typed error of the layer that failed when the peer broke the protocol
//! or its transport failed, `None` for an orderly end (a closing handshake, a close packet, a
//! local close, EOF, a heartbeat timeout). The error travels up through the layers, so a
//! Socket.IO application learns that its socket ended because of, say, a masked server frame
//! ([`ProtocolError`](ws::ProtocolError)) and not only "transport error":
//!
//! | machine | terminal event |
//! | --- | --- |
//! | [`ws::Connection`] | [`ws::Event::Closed`] `{ code, clean, error }` |
//! | [`engineio::server::ServerSession`], [`engineio::client::ClientSession`] | `Closed { reason, error }` |
//! | [`engineio::Endpoint`] | [`engineio::endpoint::Event::Closed`] `{ sid, reason, error }` |
//! | [`socketio::ServerSocket`], [`socketio::ClientSocket`] | `Disconnect { nsp, reason, error }` per namespace |
//! | [`socketio::server::Server`] | [`App::on_disconnect`](socketio::server::App::on_disconnect)`(ctx, reason, error)` |
//! | [`socketio::client::Client`] | [`socketio::client::Event::TransportClosed`] `{ reason, error }` per session |
//!
//! Where a single-peer machine's `handle_*` returns a `Result` (`ws::Connection::handle_read`,
//! the Engine.IO server session's inputs, the Socket.IO sockets' `handle_text`), the `Err` is that
//! same error, for a caller that wants to stop reading at once; the terminal event follows it.
//! Errors that are the caller's misuse are only ever returned, never reported as events.
//!
//! ## The run loop, end to end
//!
//! A server reads an Upgrade request and, in the same read, the client's first frame. The
//! handshake answers `101` and says where the head ended; the rest belongs to the connection.
//! Replace the byte arrays with a socket, and `now` with a real clock, and this is a server.
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use core::time::Duration;
//! use sockwire::handshake::{AcceptOptions, ServerHandshake};
//! use sockwire::http::{HeadConfig, Header, Status};
//! use sockwire::ws::{Connection, ConnectionConfig, Event};
//!
//! // What one `read` returned: the request head, then a masked text frame "Hello".
//! let mut input = Vec::from(&b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n\
//! Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//! Sec-WebSocket-Version: 13\r\n\r\n"[..]);
//! input.extend_from_slice(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//! let mut wire = Vec::new(); // what we write back
//!
//! // 1. The opening handshake (RFC 6455 §4). `Partial` would mean: read more, call again.
//! let mut handshake = ServerHandshake::new(HeadConfig::default());
//! let mut slots = [Header::EMPTY; sockwire::http::DEFAULT_MAX_HEADERS];
//! let head_len = match handshake.parse(&input, &mut slots) {
//!     Ok(Status::Complete(request)) => {
//!         request.accept(&AcceptOptions::new())?.encode_to_vec(&mut wire);
//!         request.head_len()
//!     }
//!     Ok(Status::Partial) => unreachable!("the whole head is here"),
//!     Err(refused) => {
//!         wire.extend_from_slice(refused.response().unwrap_or_default()); // 400 / 426 / 431
//!         return Ok(());
//!     }
//! };
//! assert!(wire.ends_with(b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
//!
//! // 2. The connection takes the bytes after the head. Feed, then drain transmit and events.
//! let mut conn = Connection::server(ConnectionConfig::default());
//! let now = Duration::from_millis(5); // time since the caller's epoch
//! let mut rest = input.split_off(head_len);
//! let mut at = 0;
//! let mut echoes = Vec::new();
//! while at < rest.len() {
//!     at += conn.handle_read(now, &mut rest[at..])?;
//!     while let Some(bytes) = conn.poll_transmit() {
//!         wire.extend_from_slice(bytes);
//!     }
//!     while let Some(event) = conn.poll_event() {
//!         if let Event::Text(text) = event {
//!             echoes.push(text.to_owned());
//!         }
//!     }
//! }
//! // 3. Commands queue output; drain it the same way.
//! for text in &echoes {
//!     conn.send_text(text)?;
//! }
//! while let Some(bytes) = conn.poll_transmit() {
//!     wire.extend_from_slice(bytes);
//! }
//! assert!(wire.ends_with(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']));
//! let _next_deadline: Option<Duration> = conn.poll_timeout(); // arm a timer for handle_timeout
//! # }
//! # Ok::<(), sockwire::Error>(())
//! ```
//!
//! ## Features
//!
//! * `std` (default): implies `alloc`; adds run-time CPU feature detection
//!   (`is_x86_feature_detected!`) for the AVX2 masking loop and the SHA-1 instructions of the
//!   handshake digest. Without it those paths are taken only when the crate is compiled with the
//!   target features enabled (`-C target-feature=+avx2,+sha,+ssse3`).
//! * `alloc`: whole-message reassembly, `Vec`-appending encoders, Engine.IO, Socket.IO and the hub.
//!
//! Without `alloc` the handshake codec, the frame codec, masking, UTF-8 validation and the
//! streaming WebSocket connection still work on caller-provided buffers.
//!
//! [RFC 6455]: https://www.rfc-editor.org/rfc/rfc6455
#![no_std]
#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod arch;
pub mod deflate;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod http;
pub mod json;
pub mod mask;
pub mod utf8;
pub mod ws;

mod b64;

#[cfg(feature = "alloc")]
pub mod cluster;
#[cfg(feature = "alloc")]
pub mod engineio;
#[cfg(feature = "alloc")]
pub mod hub;
#[cfg(feature = "alloc")]
pub mod machine;
#[cfg(feature = "alloc")]
pub mod msgpack;
#[cfg(feature = "alloc")]
pub mod socketio;

pub use error::Error;

/// The README's Rust blocks, compiled as doctests so that the snippet users copy keeps building.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Which end of a connection a machine plays.
///
/// WebSocket clients mask every frame they send and servers never do (RFC 6455 §5.1); the
/// handshake, the connection and the Engine.IO / Socket.IO machines all take a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that opened the connection (sends the HTTP Upgrade request, masks frames).
    Client,
    /// The end that accepted the connection (sends the 101 response, never masks frames).
    Server,
}
