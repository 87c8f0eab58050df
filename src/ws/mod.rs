//! The WebSocket connection (RFC 6455 §5–§7): one sans-IO state machine per WebSocket.
//!
//! A [`Connection`] starts right after the opening handshake (feed it any bytes the handshake
//! left over) and handles everything after it: reassembly or streaming of fragmented messages,
//! incremental UTF-8 validation of text, ping/pong, the closing handshake, keepalive and close
//! timers, and the size budgets that keep a hostile peer from making it allocate without bound.
//!
//! # Driving a connection
//!
//! Inputs, commands and outputs, as everywhere in sockwire:
//!
//! | input | when |
//! | --- | --- |
//! | [`handle_read(now, buf)`](Connection::handle_read) | bytes arrived from the peer |
//! | [`handle_timeout(now)`](Connection::handle_timeout) | the deadline of `poll_timeout` passed |
//! | [`handle_eof(now)`](Connection::handle_eof) | the peer closed its side of TCP |
//!
//! | command | does |
//! | --- | --- |
//! | [`send_text`](Connection::send_text) / [`send_binary`](Connection::send_binary) (`alloc`) | queue a whole message |
//! | [`send_frame`](Connection::send_frame) (`alloc`) | queue one fragment of a streamed message |
//! | [`send_frame_vectored`](Connection::send_frame_vectored) | zero-copy: returns the header, the caller writes header then payload |
//! | [`ping`](Connection::ping) / [`pong`](Connection::pong) | queue a control frame |
//! | [`close(code, reason)`](Connection::close) | start the closing handshake |
//!
//! | output | gives |
//! | --- | --- |
//! | [`poll_transmit`](Connection::poll_transmit) | bytes to write to the socket, in order |
//! | [`poll_event`](Connection::poll_event) | what happened: messages, chunks, pings, close |
//! | [`poll_timeout`](Connection::poll_timeout) | the next deadline for `handle_timeout` |
//! | [`should_close_tcp`](Connection::should_close_tcp) | the caller should now close the socket |
//!
//! **Drain order.** After every input or command: write everything [`poll_transmit`] returns,
//! then take every [`poll_event`], then read [`poll_timeout`] and
//! [`should_close_tcp`](Connection::should_close_tcp). Do this before the next mutation: a
//! [`handle_read`](Connection::handle_read) made while an event is still pending is refused
//! with [`ProtocolError::EventPending`] (nothing is lost).
//!
//! **Consumed bytes.** [`handle_read`](Connection::handle_read) returns how many bytes of `buf`
//! it consumed. It stops early right after it produced an event (a message, a chunk, a control
//! frame), so that the event can borrow the data: call it again with the rest of the buffer
//! after draining. Bytes it consumed are never needed again (partial headers and control
//! payloads are copied into the connection, a few bytes at most); bytes it did not consume must
//! be passed again. `buf` is mutable because payloads are unmasked **in place** (always in
//! stream mode; in messages mode large payloads are instead copied into the reassembly buffer
//! and unmasked there, so treat the consumed part of `buf` as scratch either way).
//!
//! ```
//! # #[cfg(feature = "alloc")] {
//! use core::time::Duration;
//! use sockwire::ws::{Connection, ConnectionConfig, Event};
//!
//! let mut server = Connection::server(ConnectionConfig::default());
//! // A masked text frame "Hello" (RFC 6455 §5.7), as read from the socket.
//! let mut input = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! let now = Duration::ZERO;
//! let mut pos = 0;
//! let mut out = Vec::new();
//! while pos < input.len() {
//!     pos += server.handle_read(now, &mut input[pos..])?;
//!     while let Some(bytes) = server.poll_transmit() {
//!         out.extend_from_slice(bytes); // write to the socket
//!     }
//!     while let Some(event) = server.poll_event() {
//!         if let Event::Text(text) = event {
//!             assert_eq!(text, "Hello");
//!         }
//!     }
//! }
//! server.send_text("Hi")?;
//! assert_eq!(server.poll_transmit(), Some(&[0x81, 0x02, b'H', b'i'][..]));
//! # }
//! # Ok::<(), sockwire::ws::ProtocolError>(())
//! ```
//!
//! # Receive modes
//!
//! [`ReceiveMode::Messages`] (the default with `alloc`) reassembles every message into one
//! buffer owned by the connection, reused from message to message, and reports
//! [`Event::Text`] / [`Event::Binary`]. [`ReceiveMode::Stream`] (the only mode without
//! `alloc`) never allocates: every piece of payload is reported as an [`Event::Chunk`] naming
//! the byte range of the caller's buffer that holds it, already unmasked (and, for text,
//! validated so far), with `fin` set on the message's last chunk. Chunk boundaries follow the
//! frames and reads, so a chunk of text may end in the middle of a code point.
//!
//! # Compression (permessage-deflate, RFC 7692)
//!
//! With the parameters negotiated in the handshake
//! ([`crate::deflate`]) in [`ConnectionConfig::permessage_deflate`], RSV1 is accepted on the
//! first frame of a data message (1002 on control and continuation frames, and whenever
//! nothing was negotiated); such messages are inflated into the connection's buffer, with
//! [`ConnectionConfig::max_message_size`] counting **inflated** bytes (1009 as soon as it is
//! exceeded; invalid DEFLATE data is 1007), and reported whole as [`Event::Text`] /
//! [`Event::Binary`] in either receive mode. Whole messages sent with `send_text`,
//! `send_binary` or a single `send_frame(.., fin = true, ..)` are compressed from
//! [`ConnectionConfig::compression_threshold`] bytes up; fragmented and zero-copy sends are
//! not. The codec is the built-in one (feature `deflate`) or the host's
//! ([`Connection::set_codec`]); [`Connection::send_encoded`] queues frames compressed once for
//! many connections ([`crate::deflate`]'s `SharedCompressor`).
//!
//! # Closing
//!
//! * [`close`](Connection::close) queues our Close frame and arms the close timer
//!   ([`ConnectionConfig::close_timeout`]); no data may be sent after it
//!   ([`ProtocolError::AfterClose`]). Data the peer still sends is delivered until its Close.
//! * A Close from the peer is reported as [`Event::CloseReceived`] and, unless we already sent
//!   one, answered automatically with the same code and reason (an empty Close if it had
//!   none). Everything
//!   the peer sends after its Close is ignored.
//! * When both Close frames have been exchanged, [`Event::Closed`] reports a clean close. A
//!   server should then close TCP at once; a client waits for the server to do so (RFC 6455
//!   §7.1.1) until the close timer fires. [`should_close_tcp`](Connection::should_close_tcp)
//!   says when.
//! * A protocol violation by the peer is returned by `handle_read` as a [`ProtocolError`]; the
//!   Close frame carrying its code (1002, 1007, 1008 or 1009) is queued in `poll_transmit`, an
//!   [`Event::Closed`] carrying the same error in its `error` field is reported, and the
//!   connection is terminal ([`error`](Connection::error) keeps the cause).
//! * End of stream before the closing handshake completed is reported as
//!   [`Event::Closed`] with [`CloseCode::ABNORMAL`] (1006), which is never sent.
//!
//! [`CloseCode::ABNORMAL`]: crate::frame::CloseCode::ABNORMAL
//! [`poll_transmit`]: Connection::poll_transmit
//! [`poll_event`]: Connection::poll_event
//! [`poll_timeout`]: Connection::poll_timeout

mod config;
mod connection;
mod error;

pub use config::{ConnectionConfig, ReceiveMode};
#[cfg(feature = "alloc")]
pub use connection::Message;
pub use connection::{Connection, Event, MaskKeySource, MessageKind, NoMaskKeys};
pub use error::ProtocolError;
