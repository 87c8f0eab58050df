//! [`Connection`]: the WebSocket state machine. See the [module docs](super).

use core::ops::Range;
use core::time::Duration;

#[cfg(feature = "alloc")]
use alloc::vec::Vec;

use super::config::{ConnectionConfig, ReceiveMode};
use super::error::ProtocolError;
use crate::Role;
use crate::frame::{
    CloseCode, DecodeConfig, Decoded, FrameHeader, HeaderBytes, HeaderDecoder, MAX_CLOSE_REASON,
    MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode, decode_close_payload,
};
use crate::mask::apply_mask;
use crate::utf8::Utf8Validator;

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
    },
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
}

/// The data message being received.
#[derive(Debug, Clone, Copy)]
struct RxMsg {
    kind: MessageKind,
    fragments: u32,
    size: u64,
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
    #[cfg(feature = "alloc")]
    msg_buf: Vec<u8>,
    ctl_buf: [u8; MAX_CONTROL_PAYLOAD],
    ctl_len: u8,
    pending: Pending,
    closed_pending: Option<(CloseCode, bool)>,
    closed_reported: bool,
    peer_code: Option<CloseCode>,

    // Sending.
    out: OutBuf,
    out_taken: bool,
    pong: Option<Ctl>,
    ping: Option<Ctl>,
    close: Option<Ctl>,
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
        let decoder =
            HeaderDecoder::new(DecodeConfig::new(role).max_payload(config.max_frame_size));
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
            ctl_buf: [0; MAX_CONTROL_PAYLOAD],
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
        }
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

    // -----------------------------------------------------------------------------------------
    // Input
    // -----------------------------------------------------------------------------------------

    /// Feeds bytes read from the peer and returns how many of them were consumed.
    ///
    /// Stops right after producing an event, so the event can borrow from the connection or
    /// from `buf`: drain the polls, then call again with `&mut buf[consumed..]`. Payloads are
    /// unmasked in place in `buf` (see the [module docs](super)). Bytes after the peer's Close,
    /// or after a failure, are consumed and ignored.
    ///
    /// A protocol violation fails the connection: the error is returned (and kept in
    /// [`error`](Self::error)), the Close frame with its code is queued for
    /// [`poll_transmit`](Self::poll_transmit) and [`Event::Closed`] follows. Called while an
    /// event is still pending, it returns [`ProtocolError::EventPending`] and does nothing.
    pub fn handle_read(&mut self, now: Duration, buf: &mut [u8]) -> Result<usize, ProtocolError> {
        if self.pending != Pending::None {
            return Err(ProtocolError::EventPending);
        }
        self.touch(now);
        if self.input_ignored() {
            return Ok(buf.len());
        }
        let buf = match buf.get_mut(..MAX_READ) {
            Some(b) => b,
            None => buf,
        };
        if let Some(n) = self.read_small_message(buf) {
            return Ok(n);
        }
        match self.read_frames(buf) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Fast path for the most common input: a complete, unfragmented text or binary message of
    /// at most 125 bytes at the start of `buf`, with no frame or message in progress. Returns
    /// the bytes consumed, or `None` to take the general path (which also reports every error).
    #[inline(always)]
    fn read_small_message(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.rx.is_some() || self.msg.is_some() || self.hdr_len != 0 {
            return None;
        }
        let (&b0, &b1) = (buf.first()?, buf.get(1)?);
        let kind = match b0 {
            0x81 => MessageKind::Text,
            0x82 => MessageKind::Binary,
            _ => return None,
        };
        let len = usize::from(b1 & 0x7F);
        if len > 125
            || len as u64 > self.cfg.max_frame_size
            || len as u64 > self.cfg.max_message_size
        {
            return None;
        }
        let (head_len, key) = match (self.role, b1 & 0x80 != 0) {
            (Role::Server, true) => {
                let k = buf.get(2..6)?;
                (6, Some([k[0], k[1], k[2], k[3]]))
            }
            (Role::Client, false) => (2, None),
            _ => return None,
        };
        let total = head_len + len;
        let payload = buf.get_mut(head_len..total)?;
        let ascii = match key {
            Some(key) => unmask_small(payload, key),
            None => is_ascii(payload),
        };
        if kind == MessageKind::Text && !ascii && core::str::from_utf8(payload).is_err() {
            // Undo the unmasking and let the general path report the exact error.
            if let Some(key) = key {
                apply_mask(payload, key, 0);
            }
            return None;
        }
        match self.cfg.receive_mode {
            ReceiveMode::Stream => {
                self.pending = Pending::Chunk {
                    kind,
                    span: span(head_len, total),
                    fin: true,
                };
            }
            #[cfg(feature = "alloc")]
            ReceiveMode::Messages => {
                if self.msg_buf.capacity() > RETAIN_CAPACITY {
                    self.msg_buf = Vec::new();
                }
                self.msg_buf.clear();
                self.msg_buf.extend_from_slice(payload);
                self.pending = Pending::Message(kind);
            }
        }
        Some(total)
    }

    fn read_frames(&mut self, buf: &mut [u8]) -> Result<usize, ProtocolError> {
        // The frame in progress lives in a local while we work (kept in registers; writing it to
        // `self` and reading it straight back costs a store-forwarding stall per frame).
        let mut cur = self.rx.take();
        let r = self.read_loop(buf, &mut cur);
        self.rx = cur;
        r
    }

    #[inline(always)]
    fn read_loop(
        &mut self,
        buf: &mut [u8],
        cur: &mut Option<RxFrame>,
    ) -> Result<usize, ProtocolError> {
        let len = buf.len();
        let mut pos = 0;
        loop {
            let Some(f) = *cur else {
                // A header.
                let avail = &buf[pos..];
                if avail.is_empty() {
                    return Ok(pos);
                }
                let (header, used) = if self.hdr_len == 0 {
                    match self.decoder.decode(avail)? {
                        Decoded::Header { header, header_len } => (header, header_len),
                        Decoded::Partial { .. } => {
                            // Partial: fewer bytes than the header needs (at most 14).
                            let n = avail.len().min(MAX_HEADER_LEN);
                            self.hdr[..n].copy_from_slice(&avail[..n]);
                            self.hdr_len = n as u8;
                            return Ok(pos + n);
                        }
                    }
                } else {
                    let have = usize::from(self.hdr_len);
                    let take = (MAX_HEADER_LEN - have).min(avail.len());
                    self.hdr[have..have + take].copy_from_slice(&avail[..take]);
                    match self.decoder.decode(&self.hdr[..have + take])? {
                        Decoded::Header { header, header_len } => {
                            self.hdr_len = 0;
                            // The header was Partial with `have` bytes: header_len > have.
                            (header, header_len.saturating_sub(have))
                        }
                        Decoded::Partial { .. } => {
                            self.hdr_len = (have + take) as u8;
                            return Ok(pos + take);
                        }
                    }
                };
                pos += used;
                match self.on_header(header, pos)? {
                    Next::Stop => return Ok(if self.recv_close { len } else { pos }),
                    Next::Payload(f) => *cur = Some(f),
                    Next::Header => {}
                }
                continue;
            };

            // Payload of the current frame.
            let avail = len - pos;
            if avail == 0 {
                return Ok(pos);
            }
            let n = usize::try_from(f.remaining).map_or(avail, |r| r.min(avail));
            let start = pos;
            pos += n;
            let chunk = &mut buf[start..pos];
            let remaining = f.remaining - n as u64;
            #[cfg(feature = "alloc")]
            if !f.opcode.is_control() && self.cfg.receive_mode == ReceiveMode::Messages {
                *cur = if remaining == 0 {
                    None
                } else {
                    Some(RxFrame {
                        remaining,
                        phase: (f.phase + n) & 3,
                        ..f
                    })
                };
                if self.on_data_copy(chunk, f.mask, f.phase, remaining == 0 && f.fin)? {
                    return Ok(pos);
                }
                continue;
            }
            if let Some(key) = f.mask {
                apply_mask(chunk, key, f.phase);
            }
            *cur = if remaining == 0 {
                None
            } else {
                Some(RxFrame {
                    remaining,
                    phase: (f.phase + n) & 3,
                    ..f
                })
            };
            if f.opcode.is_control() {
                let have = usize::from(self.ctl_len);
                // Control payloads are at most 125 bytes (checked by the decoder).
                let end = (have + n).min(MAX_CONTROL_PAYLOAD);
                self.ctl_buf[have..end].copy_from_slice(&chunk[..end - have]);
                self.ctl_len = end as u8;
                if remaining == 0 && self.on_control(f.opcode)? {
                    return Ok(if self.recv_close { len } else { pos });
                }
            } else if self.on_data(chunk, start, remaining == 0 && f.fin)? {
                return Ok(pos);
            }
        }
    }

    /// A complete header at `pos`: what comes next.
    #[inline]
    fn on_header(&mut self, h: FrameHeader, pos: usize) -> Result<Next, ProtocolError> {
        let frame = RxFrame {
            opcode: h.opcode,
            fin: h.fin,
            mask: h.mask,
            remaining: h.payload_len,
            phase: 0,
        };
        if h.opcode.is_control() {
            self.ctl_len = 0;
            if h.payload_len == 0 {
                return Ok(Next::stop_if(self.on_control(h.opcode)?));
            }
            return Ok(Next::Payload(frame));
        }
        let kind = match h.opcode {
            OpCode::Text => Some(MessageKind::Text),
            OpCode::Binary => Some(MessageKind::Binary),
            _ => None,
        };
        let msg = match (kind, &mut self.msg) {
            (None, None) => return Err(ProtocolError::UnexpectedContinuation),
            (Some(_), Some(_)) => return Err(ProtocolError::ExpectedContinuation),
            (None, Some(m)) => m,
            (Some(kind), msg @ None) => {
                self.utf8.reset();
                #[cfg(feature = "alloc")]
                {
                    // Reuse the buffer, but do not keep a huge one alive after a huge message.
                    if self.msg_buf.capacity() > RETAIN_CAPACITY {
                        self.msg_buf = Vec::new();
                    }
                    self.msg_buf.clear();
                }
                msg.insert(RxMsg {
                    kind,
                    fragments: 0,
                    size: 0,
                })
            }
        };
        msg.fragments += 1;
        if msg.fragments > self.cfg.max_fragments {
            return Err(ProtocolError::TooManyFragments {
                max: self.cfg.max_fragments,
            });
        }
        if msg.size.saturating_add(h.payload_len) > self.cfg.max_message_size {
            return Err(ProtocolError::MessageTooBig {
                max: self.cfg.max_message_size,
            });
        }
        if h.payload_len == 0 {
            return Ok(Next::stop_if(self.on_data(&[], pos, h.fin)?));
        }
        Ok(Next::Payload(frame))
    }

    /// Payload bytes of the current data message (already unmasked), at `start` in the caller's
    /// buffer. Returns whether an event was produced.
    fn on_data(
        &mut self,
        chunk: &[u8],
        start: usize,
        msg_done: bool,
    ) -> Result<Stop, ProtocolError> {
        let Some(msg) = self.msg.as_mut() else {
            return Ok(false);
        };
        if msg.kind == MessageKind::Text {
            if let Err(e) = self.utf8.feed(chunk) {
                let at = msg.size + e.offset().unwrap_or(0) as u64;
                return Err(ProtocolError::InvalidUtf8 { offset: at });
            }
        }
        msg.size += chunk.len() as u64;
        if msg_done && msg.kind == MessageKind::Text && self.utf8.finish().is_err() {
            return Err(ProtocolError::InvalidUtf8 { offset: msg.size });
        }
        let kind = msg.kind;
        if msg_done {
            self.msg = None;
        }
        match self.cfg.receive_mode {
            ReceiveMode::Stream => {
                if chunk.is_empty() && !msg_done {
                    return Ok(false);
                }
                self.pending = Pending::Chunk {
                    kind,
                    span: span(start, start + chunk.len()),
                    fin: msg_done,
                };
                Ok(true)
            }
            #[cfg(feature = "alloc")]
            ReceiveMode::Messages => {
                self.msg_buf.extend_from_slice(chunk);
                if msg_done {
                    self.pending = Pending::Message(kind);
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
        }
    }

    /// Payload bytes of the current data message in [`ReceiveMode::Messages`], still masked:
    /// copied into the reassembly buffer and unmasked and validated there, a block at a time so
    /// that each block is still in L1 for the second and third pass (one pass over memory
    /// instead of two, and the caller's buffer is left alone). Returns whether an event was
    /// produced.
    #[cfg(feature = "alloc")]
    fn on_data_copy(
        &mut self,
        chunk: &[u8],
        mask: Option<[u8; 4]>,
        mut phase: usize,
        msg_done: bool,
    ) -> Result<Stop, ProtocolError> {
        const BLOCK: usize = 4096;
        let Some(msg) = self.msg.as_mut() else {
            return Ok(false);
        };
        for block in chunk.chunks(BLOCK) {
            let at = self.msg_buf.len();
            self.msg_buf.extend_from_slice(block);
            let fresh = &mut self.msg_buf[at..];
            if let Some(key) = mask {
                apply_mask(fresh, key, phase);
                phase = (phase + fresh.len()) & 3;
            }
            if msg.kind == MessageKind::Text {
                if let Err(e) = self.utf8.feed(fresh) {
                    let at = msg.size + e.offset().unwrap_or(0) as u64;
                    return Err(ProtocolError::InvalidUtf8 { offset: at });
                }
            }
            msg.size += block.len() as u64;
        }
        if !msg_done {
            return Ok(false);
        }
        if msg.kind == MessageKind::Text && self.utf8.finish().is_err() {
            return Err(ProtocolError::InvalidUtf8 { offset: msg.size });
        }
        self.pending = Pending::Message(msg.kind);
        self.msg = None;
        Ok(true)
    }

    /// A complete control frame (payload in `ctl_buf`). Returns whether an event was produced.
    fn on_control(&mut self, op: OpCode) -> Result<Stop, ProtocolError> {
        let payload = &self.ctl_buf[..usize::from(self.ctl_len)];
        match op {
            OpCode::Ping => {
                if self.cfg.auto_pong && !self.sent_close {
                    self.pong = Some(Ctl::new(payload));
                }
                self.pending = Pending::Ping;
            }
            OpCode::Pong => {
                self.pong_deadline = None;
                self.pending = Pending::Pong;
            }
            _ => {
                let parsed = decode_close_payload(payload)?;
                let code = parsed.map(|(code, _)| code);
                if !self.sent_close {
                    // Echo the peer's code and reason (an empty Close if it sent none).
                    self.close = Some(Ctl::new(payload));
                    self.sent_close = true;
                }
                self.recv_close = true;
                self.peer_code = code;
                self.pending = Pending::CloseReceived;
                self.rx = None;
                self.msg = None;
                self.closed_pending = Some((code.unwrap_or(CloseCode::NO_STATUS), true));
                if self.role == Role::Client {
                    // Wait for the server to close TCP, but not forever.
                    self.close_deadline = Some(self.now.saturating_add(self.cfg.close_timeout));
                } else {
                    self.close_deadline = None;
                }
            }
        }
        Ok(true)
    }

    /// Fails the connection because of `e` (a peer error); returns `e`.
    fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        if e.is_misuse() {
            return e;
        }
        self.failed = true;
        self.rx = None;
        self.msg = None;
        self.hdr_len = 0;
        let code = e.close_code();
        if let Some(code) = code {
            if !self.sent_close {
                self.close = Some(Ctl::close(Some(code), e.close_reason()));
                self.sent_close = true;
            }
        }
        if !self.closed_reported && self.closed_pending.is_none() {
            self.closed_pending = Some((code.unwrap_or(CloseCode::ABNORMAL), false));
        }
        self.error = Some(e.clone());
        e
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
                    self.ping = Some(Ctl::new(&[]));
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

    // -----------------------------------------------------------------------------------------
    // Commands
    // -----------------------------------------------------------------------------------------

    fn check_can_send_data(&self) -> Result<(), ProtocolError> {
        if self.failed || self.terminated {
            Err(ProtocolError::Closed)
        } else if self.sent_close {
            Err(ProtocolError::AfterClose)
        } else {
            Ok(())
        }
    }

    /// The opcode of the next fragment of a `kind` message and whether it is allowed.
    fn fragment_opcode(&self, kind: MessageKind) -> Result<OpCode, ProtocolError> {
        match self.tx_msg {
            None => Ok(kind.opcode()),
            Some(k) if k == kind => Ok(OpCode::Continuation),
            Some(_) => Err(ProtocolError::FragmentMismatch),
        }
    }

    fn next_mask(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => Some(self.keys.next_key()),
            Role::Server => None,
        }
    }

    /// Appends a whole frame to the output queue (masking it for a client).
    #[cfg(feature = "alloc")]
    fn push_frame(&mut self, op: OpCode, fin: bool, payload: &[u8]) {
        let key = self.next_mask();
        let h = FrameHeader::new(op, payload.len() as u64)
            .with_fin(fin)
            .with_mask(key);
        // A slice is shorter than 2^63 bytes and rsv is 0: the header always encodes.
        if let Ok(bytes) = h.header_bytes() {
            self.out.extend(&bytes);
        }
        let start = self.out.len();
        self.out.extend(payload);
        if let Some(key) = key {
            apply_mask(self.out.tail_mut(start), key, 0);
        }
    }

    /// Queues a whole text message.
    #[cfg(feature = "alloc")]
    pub fn send_text(&mut self, text: &str) -> Result<(), ProtocolError> {
        self.send_message(MessageKind::Text, text.as_bytes())
    }

    /// Queues a whole binary message.
    #[cfg(feature = "alloc")]
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), ProtocolError> {
        self.send_message(MessageKind::Binary, data)
    }

    #[cfg(feature = "alloc")]
    fn send_message(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if self.tx_msg.is_some() {
            return Err(ProtocolError::FragmentMismatch);
        }
        self.push_frame(kind.opcode(), true, data);
        Ok(())
    }

    /// Queues one fragment of a streamed message: the first call for a message sends a `kind`
    /// frame, later ones continuation frames, until one with `fin` ends it. Control frames may
    /// be sent in between; other data may not ([`ProtocolError::FragmentMismatch`]).
    ///
    /// For text, the caller must make the whole message valid UTF-8 (fragments may split code
    /// points).
    #[cfg(feature = "alloc")]
    pub fn send_frame(
        &mut self,
        kind: MessageKind,
        fin: bool,
        payload: &[u8],
    ) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        let op = self.fragment_opcode(kind)?;
        self.push_frame(op, fin, payload);
        self.tx_msg = if fin { None } else { Some(kind) };
        Ok(())
    }

    /// Zero-copy send of one frame (works without `alloc`): returns the header to write,
    /// followed by `payload` itself (a vectored write of server frames needs no copy). A client
    /// connection masks `payload` in place. Fragments as in [`send_frame`](Self::send_frame);
    /// `fin = true` on the first call sends a whole message.
    ///
    /// Everything [`poll_transmit`](Self::poll_transmit) had must have been handed out first
    /// ([`ProtocolError::TransmitPending`] otherwise), and the caller must write the header and
    /// the payload completely before the next `poll_transmit` output.
    pub fn send_frame_vectored(
        &mut self,
        kind: MessageKind,
        fin: bool,
        payload: &mut [u8],
    ) -> Result<HeaderBytes, ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if !self.transmit_drained() {
            return Err(ProtocolError::TransmitPending);
        }
        let op = self.fragment_opcode(kind)?;
        let key = self.next_mask();
        let h = FrameHeader::new(op, payload.len() as u64)
            .with_fin(fin)
            .with_mask(key);
        let bytes = h.header_bytes().map_err(ProtocolError::Frame)?;
        if let Some(key) = key {
            apply_mask(payload, key, 0);
        }
        self.tx_msg = if fin { None } else { Some(kind) };
        Ok(bytes)
    }

    /// Queues a Ping (payload up to 125 bytes). A Ping not yet handed out by
    /// [`poll_transmit`](Self::poll_transmit) is replaced.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlTooLong);
        }
        self.ping = Some(Ctl::new(payload));
        Ok(())
    }

    /// Queues a Pong (payload up to 125 bytes; usually the payload of the Ping being answered,
    /// when [`auto_pong`](ConnectionConfig::auto_pong) is off). A Pong not yet handed out is
    /// replaced.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlTooLong);
        }
        self.pong = Some(Ctl::new(payload));
        Ok(())
    }

    /// Starts the closing handshake: queues a Close with `code` and `reason` (at most 123
    /// bytes) and arms the close timer from the latest `now` seen. A no-op if a Close was
    /// already sent (for instance as the automatic reply to the peer's).
    ///
    /// `code` must be sendable: never 1005, 1006 or 1015
    /// ([`ProtocolError::UnsendableCloseCode`]).
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), ProtocolError> {
        self.release_out();
        if self.failed || self.terminated {
            return Err(ProtocolError::Closed);
        }
        if !code.is_sendable() {
            return Err(ProtocolError::UnsendableCloseCode(code.0));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(ProtocolError::CloseReasonTooLong);
        }
        if self.sent_close {
            return Ok(());
        }
        self.close = Some(Ctl::close(Some(code), reason));
        self.sent_close = true;
        self.keepalive_at = None;
        self.close_deadline = Some(self.now.saturating_add(self.cfg.close_timeout));
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Output
    // -----------------------------------------------------------------------------------------

    fn serialize_ctl(&mut self, op: OpCode, c: Ctl) {
        let key = self.next_mask();
        let h = FrameHeader::new(op, u64::from(c.len)).with_mask(key);
        if let Ok(bytes) = h.header_bytes() {
            self.out.extend(&bytes);
        }
        let start = self.out.len();
        self.out.extend(c.payload());
        if let Some(key) = key {
            apply_mask(self.out.tail_mut(start), key, 0);
        }
    }

    /// The bytes to write to the peer next, in order; `None` when there is nothing to write.
    ///
    /// Returns everything queued at once (data frames in the order they were sent, then a
    /// pending Pong, Ping and Close, in that order). The slice counts as handed out: write all
    /// of it before the next mutation.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.release_out();
        if let Some(c) = self.pong.take() {
            self.serialize_ctl(OpCode::Pong, c);
        }
        if let Some(c) = self.ping.take() {
            self.serialize_ctl(OpCode::Ping, c);
        }
        if let Some(c) = self.close.take() {
            self.serialize_ctl(OpCode::Close, c);
        }
        if self.out.len() == 0 {
            return None;
        }
        self.out_taken = true;
        Some(self.out.as_slice())
    }

    /// The next event, if any. See [`Event`]; [`Event::Closed`] always comes last.
    #[must_use]
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        // Field by field rather than `mem::take` of the whole enum: the pending event was just
        // written field by field, and a wide load across those stores stalls.
        // The two hot cases (a chunk; nothing) are tested directly before the general match,
        // which compiles to an indirect jump.
        let pending = self.pending;
        if let Pending::Chunk { kind, span, fin } = pending {
            self.pending = Pending::None;
            return Some(Event::Chunk {
                kind,
                data: (span & 0xFFFF_FFFF) as usize..(span >> 32) as usize,
                fin,
            });
        }
        if pending == Pending::None {
            let (code, clean) = self.closed_pending.take()?;
            self.closed_reported = true;
            return Some(Event::Closed { code, clean });
        }
        self.pending = Pending::None;
        match pending {
            Pending::None => None,
            #[cfg(feature = "alloc")]
            Pending::Message(MessageKind::Text) => Some(Event::Text(
                // Validated incrementally as it arrived.
                core::str::from_utf8(&self.msg_buf).unwrap_or_default(),
            )),
            #[cfg(feature = "alloc")]
            Pending::Message(MessageKind::Binary) => Some(Event::Binary(&self.msg_buf)),
            Pending::Chunk { kind, span, fin } => Some(Event::Chunk {
                kind,
                data: (span & 0xFFFF_FFFF) as usize..(span >> 32) as usize,
                fin,
            }),
            Pending::Ping => Some(Event::Ping(&self.ctl_buf[..usize::from(self.ctl_len)])),
            Pending::Pong => Some(Event::Pong(&self.ctl_buf[..usize::from(self.ctl_len)])),
            Pending::CloseReceived => {
                let payload = &self.ctl_buf[..usize::from(self.ctl_len)];
                let reason = match payload.get(2..) {
                    Some(r) => core::str::from_utf8(r).unwrap_or_default(),
                    None => "",
                };
                Some(Event::CloseReceived {
                    code: self.peer_code,
                    reason,
                })
            }
        }
    }

    /// The next deadline at which [`handle_timeout`](Self::handle_timeout) must be called, if
    /// any (close timer, keepalive Ping, pong deadline).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.terminated {
            return None;
        }
        [self.close_deadline, self.pong_deadline, self.keepalive_at]
            .into_iter()
            .flatten()
            .min()
    }
}

/// The reassembly buffer is kept across messages up to this capacity (larger ones are freed
/// when the next message starts).
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
