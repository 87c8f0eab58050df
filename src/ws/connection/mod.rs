//! [`Connection`]: the WebSocket state machine. See the [module docs](super).

use core::ops::Range;
use core::time::Duration;

#[cfg(feature = "alloc")]
use alloc::boxed::Box;
#[cfg(feature = "alloc")]
use alloc::string::String;
#[cfg(feature = "alloc")]
use alloc::vec::Vec;

#[cfg(feature = "alloc")]
use crate::deflate::{Codec, CodecError};

use super::config::{ConnectionConfig, ReceiveMode};
use super::error::ProtocolError;
use crate::Role;
use crate::frame::{
    CloseCode, DecodeConfig, Decoded, FrameHeader, HeaderBytes, HeaderDecoder, MAX_CLOSE_REASON,
    MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode, RSV1, decode_close_payload,
};
use crate::mask::apply_mask;
use crate::utf8::Utf8Validator;

mod recv;
mod send;

/// Where a client's masking keys come from (RFC 6455 §5.3 wants them unpredictable: feed it
/// from a strong random source). Any `FnMut() -> [u8; 4]` is one.
pub trait MaskKeySource {
    /// The key for the next frame.
    fn next_key(&mut self) -> [u8; 4];
}

impl<F: FnMut() -> [u8; 4]> MaskKeySource for F {
    fn next_key(&mut self) -> [u8; 4] {
        self()
    }
}

/// The key source of a server, which never masks. (Used by a client it would produce the
/// all-zero key, which is valid on the wire but predictable: give clients a real source.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoMaskKeys;

impl MaskKeySource for NoMaskKeys {
    fn next_key(&mut self) -> [u8; 4] {
        [0; 4]
    }
}

/// The type of a data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// UTF-8 text (opcode 1).
    Text,
    /// Binary data (opcode 2).
    Binary,
}

/// A whole data message, owned: what [`Connection::take_message`] hands over. Text is valid
/// UTF-8 (checked as it arrived); these are the only two data messages RFC 6455 defines.
#[cfg(feature = "alloc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

#[cfg(feature = "alloc")]
impl Message {
    /// Whether it is text or binary.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Text(_) => MessageKind::Text,
            Message::Binary(_) => MessageKind::Binary,
        }
    }

    /// The message's bytes (a text message's UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(t) => t.as_bytes(),
            Message::Binary(b) => b,
        }
    }
}

impl MessageKind {
    fn opcode(self) -> OpCode {
        match self {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        }
    }
}

/// Something that happened on the connection, from [`Connection::poll_event`].
///
/// Borrowed data stays valid until the next call that mutates the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A complete text message ([`ReceiveMode::Messages`]).
    #[cfg(feature = "alloc")]
    Text(&'a str),
    /// A complete binary message ([`ReceiveMode::Messages`]).
    #[cfg(feature = "alloc")]
    Binary(&'a [u8]),
    /// A piece of a message ([`ReceiveMode::Stream`]): bytes `data` of the buffer passed to the
    /// latest [`handle_read`](Connection::handle_read), already unmasked. Text chunks are valid
    /// UTF-8 so far but may end inside a code point (the whole message is checked by the time
    /// `fin` is reported). A message may end with an empty chunk.
    Chunk {
        /// Text or binary (the type of the message's first frame).
        kind: MessageKind,
        /// Byte range of the payload in the caller's buffer.
        data: Range<usize>,
        /// This chunk ends the message.
        fin: bool,
    },
    /// A Ping arrived (with [`ConnectionConfig::auto_pong`] the Pong is already queued).
    Ping(&'a [u8]),
    /// A Pong arrived.
    Pong(&'a [u8]),
    /// The peer's Close frame arrived. Unless we had already sent a Close, the reply (the same
    /// code and reason) is already queued.
    CloseReceived {
        /// The peer's code; `None` if its Close had no payload (1005 locally).
        code: Option<CloseCode>,
        /// The peer's reason (valid UTF-8, possibly empty).
        reason: &'a str,
    },
    /// The connection is over (reported exactly once, always last).
    Closed {
        /// The peer's code after a completed closing handshake ([`CloseCode::NO_STATUS`] if it
        /// sent none); the code we sent after a protocol error; [`CloseCode::ABNORMAL`] when
        /// the connection ended without a closing handshake (EOF, timeout).
        code: CloseCode,
        /// Both Close frames were exchanged.
        clean: bool,
        /// The peer error that failed the connection (always an [`Error::Protocol`](crate::Error::Protocol),
        /// the value [`handle_read`](Connection::handle_read) returned, or
        /// [`ProtocolError::PongTimeout`]); `None` after a closing handshake, an EOF, or a close
        /// timeout. The same field on every machine's terminal event (see the crate docs, "Errors").
        error: Option<crate::Error>,
    },
}

/// A queued control frame: on the heap with `alloc`, so that an idle connection does not carry
/// three 126-byte payload buffers it is not using (they were a fifth of a connection's size).
#[cfg(feature = "alloc")]
type CtlSlot = alloc::boxed::Box<Ctl>;
#[cfg(not(feature = "alloc"))]
type CtlSlot = Ctl;

/// `c` as a [`CtlSlot`].
#[inline]
fn slot(c: Ctl) -> CtlSlot {
    #[cfg(feature = "alloc")]
    {
        alloc::boxed::Box::new(c)
    }
    #[cfg(not(feature = "alloc"))]
    {
        c
    }
}

/// The payload of a [`CtlSlot`].
#[inline]
#[allow(clippy::boxed_local)]
fn unslot(c: CtlSlot) -> Ctl {
    #[cfg(feature = "alloc")]
    {
        *c
    }
    #[cfg(not(feature = "alloc"))]
    {
        c
    }
}

/// The payload of the control frame being received. With `alloc` it is allocated when a
/// control frame with a payload arrives and released once its event was handed out (at the next
/// input), so an idle connection holds no 125-byte buffer; without `alloc` it is inline.
#[derive(Debug)]
struct CtlBuf {
    #[cfg(feature = "alloc")]
    buf: Option<alloc::boxed::Box<[u8; MAX_CONTROL_PAYLOAD]>>,
    #[cfg(not(feature = "alloc"))]
    buf: [u8; MAX_CONTROL_PAYLOAD],
}

impl CtlBuf {
    fn new() -> Self {
        CtlBuf {
            #[cfg(feature = "alloc")]
            buf: None,
            #[cfg(not(feature = "alloc"))]
            buf: [0; MAX_CONTROL_PAYLOAD],
        }
    }

    /// The first `len` bytes (empty if nothing was written since the last release).
    #[inline]
    fn get(&self, len: usize) -> &[u8] {
        #[cfg(feature = "alloc")]
        {
            self.buf
                .as_deref()
                .map_or(&[], |b| &b[..len.min(MAX_CONTROL_PAYLOAD)])
        }
        #[cfg(not(feature = "alloc"))]
        {
            &self.buf[..len.min(MAX_CONTROL_PAYLOAD)]
        }
    }

    /// Writes `bytes` at `at` (`at + bytes.len()` is at most [`MAX_CONTROL_PAYLOAD`]).
    #[inline]
    fn write(&mut self, at: usize, bytes: &[u8]) {
        #[cfg(feature = "alloc")]
        let buf = self
            .buf
            .get_or_insert_with(|| alloc::boxed::Box::new([0; MAX_CONTROL_PAYLOAD]));
        #[cfg(not(feature = "alloc"))]
        let buf = &mut self.buf;
        if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    /// Frees the buffer (with `alloc`).
    #[inline]
    fn release(&mut self) {
        #[cfg(feature = "alloc")]
        {
            self.buf = None;
        }
    }
}

/// One control frame payload waiting to be serialized.
#[derive(Debug, Clone, Copy)]
struct Ctl {
    buf: [u8; MAX_CONTROL_PAYLOAD],
    len: u8,
}

impl Ctl {
    fn new(payload: &[u8]) -> Ctl {
        let mut buf = [0; MAX_CONTROL_PAYLOAD];
        let len = payload.len().min(MAX_CONTROL_PAYLOAD);
        buf[..len].copy_from_slice(&payload[..len]);
        Ctl {
            buf,
            len: len as u8,
        }
    }

    fn close(code: Option<CloseCode>, reason: &str) -> Ctl {
        let mut c = Ctl {
            buf: [0; MAX_CONTROL_PAYLOAD],
            len: 0,
        };
        if let Some(code) = code {
            c.buf[..2].copy_from_slice(&code.0.to_be_bytes());
            let r = &reason.as_bytes()[..reason.len().min(MAX_CLOSE_REASON)];
            c.buf[2..2 + r.len()].copy_from_slice(r);
            c.len = (2 + r.len()) as u8;
        }
        c
    }

    fn payload(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

/// The output queue: bytes ready for `poll_transmit`.
#[cfg(feature = "alloc")]
#[derive(Debug, Default)]
struct OutBuf(Vec<u8>);

#[cfg(feature = "alloc")]
impl OutBuf {
    fn extend(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn clear(&mut self) {
        self.0.clear();
    }
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn tail_mut(&mut self, from: usize) -> &mut [u8] {
        &mut self.0[from..]
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Without `alloc` only control frames are queued: one Pong, one Ping, one Close at most.
#[cfg(not(feature = "alloc"))]
const OUT_CAP: usize = 3 * (6 + MAX_CONTROL_PAYLOAD);

#[cfg(not(feature = "alloc"))]
#[derive(Debug)]
struct OutBuf {
    buf: [u8; OUT_CAP],
    len: usize,
}

#[cfg(not(feature = "alloc"))]
impl Default for OutBuf {
    fn default() -> Self {
        OutBuf {
            buf: [0; OUT_CAP],
            len: 0,
        }
    }
}

#[cfg(not(feature = "alloc"))]
impl OutBuf {
    fn extend(&mut self, b: &[u8]) {
        // Never exceeds OUT_CAP: at most three control frames are serialized into an empty buffer.
        let n = b.len().min(OUT_CAP - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }
    fn clear(&mut self) {
        self.len = 0;
    }
    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
    fn tail_mut(&mut self, from: usize) -> &mut [u8] {
        &mut self.buf[from..self.len]
    }
    fn len(&self) -> usize {
        self.len
    }
}

/// The frame whose payload is being received.
#[derive(Debug, Clone, Copy)]
struct RxFrame {
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    remaining: u64,
    phase: usize,
    /// A frame of a compressed message (its payload goes to the codec; never without `alloc`).
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    compressed: bool,
}

/// The data message being received.
#[derive(Debug, Clone, Copy)]
struct RxMsg {
    kind: MessageKind,
    fragments: u32,
    size: u64,
    /// RSV1 was set on the first frame: the payload is DEFLATE data (RFC 7692). Without
    /// `alloc` there is no codec and RSV1 is never accepted.
    #[cfg_attr(not(feature = "alloc"), allow(dead_code))]
    compressed: bool,
}

/// An event waiting in `poll_event` (its data lives in the connection or the caller's buffer).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Pending {
    #[default]
    None,
    #[cfg(feature = "alloc")]
    Message(MessageKind),
    Chunk {
        kind: MessageKind,
        /// Start and end offsets (below 2^32, see `MAX_READ`) packed in one word: written and
        /// read back whole, so the load right after the store forwards instead of stalling.
        span: u64,
        fin: bool,
    },
    Ping,
    Pong,
    CloseReceived,
}

/// `true` when an event was produced and `handle_read` must return.
type Stop = bool;

/// What follows a frame header.
enum Next {
    /// An event was produced: return.
    Stop,
    /// Read this frame's payload.
    Payload(RxFrame),
    /// The frame is complete (empty payload, no event): read the next header.
    Header,
}

impl Next {
    fn stop_if(stop: Stop) -> Next {
        if stop { Next::Stop } else { Next::Header }
    }
}

/// A WebSocket connection (RFC 6455) after the opening handshake, either role. See the
/// [module docs](super) for the run loop, the drain order and the close handshake.
///
/// `K` supplies the masking keys of a client ([`MaskKeySource`]); servers use [`NoMaskKeys`].
#[derive(Debug)]
pub struct Connection<K: MaskKeySource = NoMaskKeys> {
    role: Role,
    cfg: ConnectionConfig,
    keys: K,
    decoder: HeaderDecoder,
    now: Duration,
    started: bool,

    // Receiving.
    hdr: [u8; MAX_HEADER_LEN],
    hdr_len: u8,
    rx: Option<RxFrame>,
    msg: Option<RxMsg>,
    utf8: Utf8Validator,
    /// The message being assembled (binary, or text not yet checked whole).
    #[cfg(feature = "alloc")]
    msg_buf: Vec<u8>,
    /// A complete text message, as a `String` (made by `recv::complete`, or by the small-frame
    /// path straight from the checked payload).
    #[cfg(feature = "alloc")]
    msg_text: String,
    ctl_buf: CtlBuf,
    ctl_len: u8,
    pending: Pending,
    closed_pending: Option<(CloseCode, bool)>,
    closed_reported: bool,
    peer_code: Option<CloseCode>,

    // Sending.
    out: OutBuf,
    out_taken: bool,
    pong: Option<CtlSlot>,
    ping: Option<CtlSlot>,
    close: Option<CtlSlot>,
    tx_msg: Option<MessageKind>,

    // Lifecycle.
    sent_close: bool,
    recv_close: bool,
    failed: bool,
    terminated: bool,
    error: Option<ProtocolError>,

    // Timers.
    close_deadline: Option<Duration>,
    keepalive_at: Option<Duration>,
    pong_deadline: Option<Duration>,

    // permessage-deflate.
    #[cfg(feature = "alloc")]
    codec: Option<Box<dyn Codec + Send>>,
    #[cfg(feature = "alloc")]
    zbuf: Vec<u8>,
}

impl Connection<NoMaskKeys> {
    /// A server-side connection (frames from the peer must be masked, ours are not).
    pub fn server(config: ConnectionConfig) -> Self {
        Connection::new(Role::Server, config, NoMaskKeys)
    }
}

impl<K: MaskKeySource> Connection<K> {
    /// A client-side connection masking its frames with keys from `keys`.
    pub fn client(config: ConnectionConfig, keys: K) -> Self {
        Connection::new(Role::Client, config, keys)
    }

    /// A connection playing `role`. `keys` is only used by clients.
    pub fn new(role: Role, config: ConnectionConfig, keys: K) -> Self {
        #[cfg(feature = "deflate")]
        let codec: Option<Box<dyn Codec + Send>> = match config.permessage_deflate {
            Some(pmd) => Some(Box::new(crate::deflate::ZlibCodec::new(
                &pmd,
                role,
                crate::deflate::ZlibOptions::default(),
            ))),
            None => None,
        };
        #[cfg(all(feature = "alloc", not(feature = "deflate")))]
        let codec: Option<Box<dyn Codec + Send>> = None;
        #[cfg(feature = "alloc")]
        let rsv = if codec.is_some() { RSV1 } else { 0 };
        #[cfg(not(feature = "alloc"))]
        let rsv = 0;
        let decoder = HeaderDecoder::new(
            DecodeConfig::new(role)
                .max_payload(config.max_frame_size)
                .allowed_rsv(rsv),
        );
        Connection {
            role,
            cfg: config,
            keys,
            decoder,
            now: Duration::ZERO,
            started: false,
            hdr: [0; MAX_HEADER_LEN],
            hdr_len: 0,
            rx: None,
            msg: None,
            utf8: Utf8Validator::new(),
            #[cfg(feature = "alloc")]
            msg_buf: Vec::new(),
            #[cfg(feature = "alloc")]
            msg_text: String::new(),
            ctl_buf: CtlBuf::new(),
            ctl_len: 0,
            pending: Pending::None,
            closed_pending: None,
            closed_reported: false,
            peer_code: None,
            out: OutBuf::default(),
            out_taken: false,
            pong: None,
            ping: None,
            close: None,
            tx_msg: None,
            sent_close: false,
            recv_close: false,
            failed: false,
            terminated: false,
            error: None,
            close_deadline: None,
            keepalive_at: None,
            pong_deadline: None,
            #[cfg(feature = "alloc")]
            codec,
            #[cfg(feature = "alloc")]
            zbuf: Vec::new(),
        }
    }

    /// Installs the host's own permessage-deflate [`Codec`] (built for the negotiated
    /// parameters, which must also be in the config: [`ConnectionConfig::permessage_deflate`]).
    /// Replaces the built-in one; call it before the first input.
    #[cfg(feature = "alloc")]
    pub fn set_codec(&mut self, codec: Box<dyn Codec + Send>) {
        self.codec = Some(codec);
        self.decoder = HeaderDecoder::new(
            DecodeConfig::new(self.role)
                .max_payload(self.cfg.max_frame_size)
                .allowed_rsv(RSV1),
        );
    }

    /// The permessage-deflate codec in use, if any (for instance to read
    /// [`Codec::allocated`]).
    #[cfg(feature = "alloc")]
    pub fn codec(&self) -> Option<&(dyn Codec + Send)> {
        self.codec.as_deref()
    }

    /// The role this connection plays.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration.
    pub fn config(&self) -> &ConnectionConfig {
        &self.cfg
    }

    /// Open for data in both directions: no Close sent or received, no failure.
    pub fn is_open(&self) -> bool {
        !self.sent_close && !self.recv_close && !self.failed && !self.terminated
    }

    /// The connection is over: [`Event::Closed`] has been (or is about to be) reported.
    pub fn is_closed(&self) -> bool {
        self.closed_reported || self.closed_pending.is_some()
    }

    /// The protocol error that failed the connection, if any.
    pub fn error(&self) -> Option<&ProtocolError> {
        self.error.as_ref()
    }

    /// The code of the peer's Close frame, once received (`None` before, or if it had none).
    pub fn peer_close_code(&self) -> Option<CloseCode> {
        self.peer_code
    }

    /// Whether the caller should now close the TCP connection (after writing what
    /// [`poll_transmit`](Self::poll_transmit) returned):
    ///
    /// * after EOF, or when a close or pong deadline passed;
    /// * after a protocol error, once our Close frame has been handed out;
    /// * on a server, once both Close frames have been exchanged and ours handed out (the
    ///   server closes first, RFC 6455 §7.1.1). A client instead waits for the server's EOF
    ///   until the close timer fires.
    #[must_use]
    pub fn should_close_tcp(&self) -> bool {
        self.terminated
            || ((self.failed || (self.role == Role::Server && self.sent_close && self.recv_close))
                && self.transmit_drained())
    }

    fn transmit_drained(&self) -> bool {
        (self.out_taken || self.out.len() == 0)
            && self.pong.is_none()
            && self.ping.is_none()
            && self.close.is_none()
    }

    /// Housekeeping at the start of every input: time, keepalive start, taken output.
    fn touch(&mut self, now: Duration) {
        self.now = self.now.max(now);
        if !self.started {
            self.started = true;
            if let Some(iv) = self.cfg.keepalive {
                self.keepalive_at = Some(self.now.saturating_add(iv));
            }
        }
        self.release_out();
        self.release_ctl();
    }

    /// Frees the control payload buffer when its event was handed out and no control frame is
    /// being received (an idle connection keeps none).
    #[inline]
    fn release_ctl(&mut self) {
        if self.pending == Pending::None && !self.rx.is_some_and(|f| f.opcode.is_control()) {
            self.ctl_buf.release();
        }
    }

    fn release_out(&mut self) {
        if self.out_taken {
            self.out.clear();
            self.out_taken = false;
        }
    }

    fn input_ignored(&self) -> bool {
        self.recv_close || self.failed || self.terminated
    }

    /// The peer closed its side of the TCP connection (a read returned 0 bytes).
    ///
    /// Before a completed closing handshake this is an abnormal closure, reported as
    /// [`Event::Closed`] with [`CloseCode::ABNORMAL`] (1006, never sent). Afterwards the
    /// connection is terminal and [`should_close_tcp`](Self::should_close_tcp) holds.
    ///
    /// `now` is taken like every other input (one run-loop shape for every machine); the
    /// connection needs no timer after EOF.
    pub fn handle_eof(&mut self, now: Duration) {
        let _ = now;
        self.release_out();
        if self.terminated {
            return;
        }
        self.terminated = true;
        self.rx = None;
        self.msg = None;
        self.pong = None;
        self.ping = None;
        self.close = None;
        self.close_deadline = None;
        self.pong_deadline = None;
        self.keepalive_at = None;
        if !self.closed_reported && self.closed_pending.is_none() {
            self.closed_pending = Some((CloseCode::ABNORMAL, false));
        }
    }

    /// Advances the timers to `now`: the close deadline (gives up waiting for the peer's Close
    /// or, on a client, for the server's EOF), the keepalive Ping and its pong deadline.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.touch(now);
        if self.terminated {
            return;
        }
        let now = self.now;
        if self.close_deadline.is_some_and(|d| now >= d) {
            self.close_deadline = None;
            self.terminated = true;
            if !self.closed_reported && self.closed_pending.is_none() {
                self.closed_pending = Some((CloseCode::ABNORMAL, false));
            }
            return;
        }
        if self.pong_deadline.is_some_and(|d| now >= d) {
            self.pong_deadline = None;
            self.keepalive_at = None;
            self.terminated = true;
            self.failed = true;
            self.error = Some(ProtocolError::PongTimeout);
            if !self.closed_reported && self.closed_pending.is_none() {
                self.closed_pending = Some((CloseCode::ABNORMAL, false));
            }
            return;
        }
        if let (Some(at), Some(iv)) = (self.keepalive_at, self.cfg.keepalive) {
            if now >= at {
                if self.is_open() {
                    self.ping = Some(slot(Ctl::new(&[])));
                    if self.pong_deadline.is_none() {
                        self.pong_deadline = Some(now.saturating_add(self.cfg.pong_timeout));
                    }
                    self.keepalive_at = Some(now.saturating_add(iv));
                } else {
                    self.keepalive_at = None;
                }
            }
        }
    }
}

/// The reassembly buffer, and the last text message's when `poll_event` only borrowed it, are
/// each kept across messages up to this capacity (larger ones are freed when the next message
/// starts; a text message's buffer becomes the next message's reassembly buffer when that has
/// none).
#[cfg(feature = "alloc")]
const RETAIN_CAPACITY: usize = 1 << 20;

/// At most this many bytes are looked at per `handle_read` call (so offsets fit in 32 bits).
const MAX_READ: usize = u32::MAX as usize;

/// Packs a chunk's range (both ends at most `MAX_READ`).
#[inline(always)]
fn span(start: usize, end: usize) -> u64 {
    (start as u64) | ((end as u64) << 32)
}

/// Unmasks a short payload (phase 0) in place and says whether it is all ASCII, in one pass.
#[inline(always)]
fn unmask_small(b: &mut [u8], key: [u8; 4]) -> bool {
    let k32 = u32::from_ne_bytes(key);
    let k64 = u64::from(k32) | (u64::from(k32) << 32);
    let mut acc = 0u64;
    let mut chunks = b.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let v = u64::from_ne_bytes(w) ^ k64;
        c.copy_from_slice(&v.to_ne_bytes());
        acc |= v;
    }
    for (i, x) in chunks.into_remainder().iter_mut().enumerate() {
        *x ^= key[i & 3];
        acc |= u64::from(*x);
    }
    acc & 0x8080_8080_8080_8080 == 0
}

/// Whether every byte is ASCII, 8 bytes at a time (matching the stores of the unmasking that
/// just wrote them, so the loads forward).
#[inline(always)]
fn is_ascii(b: &[u8]) -> bool {
    let mut chunks = b.chunks_exact(8);
    let mut acc = 0u64;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        acc |= u64::from_ne_bytes(w);
    }
    for &x in chunks.remainder() {
        acc |= u64::from(x);
    }
    acc & 0x8080_8080_8080_8080 == 0
}
