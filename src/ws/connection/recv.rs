//! The receiving half of [`Connection`]: `handle_read` and the frame/message parsing.

use super::*;

impl<K: MaskKeySource> Connection<K> {
    // -----------------------------------------------------------------------------------------
    // Input
    // -----------------------------------------------------------------------------------------

    /// Feeds bytes read from the peer and returns how many of them were consumed.
    ///
    /// Stops right after producing an event, so the event can borrow from the connection or
    /// from `buf`: drain the polls, then call again with `&mut buf[consumed..]`. Payloads are
    /// unmasked in place in `buf` (see the [module docs](crate::ws)). Bytes after the peer's Close,
    /// or after a failure, are consumed and ignored.
    ///
    /// A protocol violation fails the connection: the error is returned (and kept in
    /// [`error`](Self::error)), the Close frame with its code is queued for
    /// [`poll_transmit`](Self::poll_transmit) and [`Event::Closed`] follows. Called while an
    /// event is still pending, it returns [`ProtocolError::EventPending`] and does nothing.
    #[inline(always)]
    pub fn handle_read(&mut self, now: Duration, buf: &mut [u8]) -> Result<usize, ProtocolError> {
        if self.pending != Pending::None {
            return Err(ProtocolError::EventPending);
        }
        self.touch(now);
        if self.input_ignored() {
            return Ok(buf.len());
        }
        // The fast path reads at most 131 bytes, so it needs no `MAX_READ` cut.
        if let Some(n) = self.read_small_message(buf) {
            return Ok(n);
        }
        self.read_general(buf)
    }

    /// Everything but a small whole message, out of line so that `handle_read` stays small
    /// enough to inline into its callers (the C ABI's wrappers among them).
    #[inline(never)]
    fn read_general(&mut self, buf: &mut [u8]) -> Result<usize, ProtocolError> {
        let buf = match buf.get_mut(..MAX_READ) {
            Some(b) => b,
            None => buf,
        };
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
        // In `Messages` mode a text payload is checked by `from_utf8`, which gives the `&str`
        // the message is made of (one pass); a chunk only needs the check (none when ASCII).
        #[cfg(feature = "alloc")]
        let messages = self.cfg.receive_mode == ReceiveMode::Messages;
        #[cfg(not(feature = "alloc"))]
        let messages = false;
        let text = match kind {
            MessageKind::Text if messages || !ascii => match core::str::from_utf8(payload) {
                Ok(t) => Some(t),
                Err(_) => {
                    // Undo the unmasking and let the general path report the exact error.
                    if let Some(key) = key {
                        apply_mask(payload, key, 0);
                    }
                    return None;
                }
            },
            _ => None,
        };
        #[cfg(not(feature = "alloc"))]
        let _ = text;
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
                match text {
                    // Checked whole just above: straight into the text buffer.
                    Some(t) => {
                        if self.msg_text.capacity() > RETAIN_CAPACITY {
                            self.msg_text = String::new();
                        }
                        self.msg_text.clear();
                        self.msg_text.push_str(t);
                    }
                    None => {
                        fresh_msg_buf(&mut self.msg_buf, &mut self.msg_text);
                        self.msg_buf.extend_from_slice(payload);
                    }
                }
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
            if f.compressed {
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
                if self.on_data_inflate(chunk, remaining == 0 && f.fin)? {
                    return Ok(pos);
                }
                continue;
            }
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
                self.ctl_buf.write(have, &chunk[..end - have]);
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
            compressed: false,
        };
        let rsv1 = h.rsv & RSV1 != 0;
        if h.opcode.is_control() {
            if rsv1 {
                return Err(ProtocolError::UnexpectedRsv1);
            }
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
            (None, Some(_)) if rsv1 => return Err(ProtocolError::UnexpectedRsv1),
            (None, Some(m)) => m,
            (Some(kind), msg @ None) => {
                self.utf8.reset();
                #[cfg(feature = "alloc")]
                fresh_msg_buf(&mut self.msg_buf, &mut self.msg_text);
                msg.insert(RxMsg {
                    kind,
                    fragments: 0,
                    size: 0,
                    compressed: rsv1,
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
            #[cfg(feature = "alloc")]
            if msg.compressed {
                return Ok(Next::stop_if(self.on_data_inflate(&[], h.fin)?));
            }
            return Ok(Next::stop_if(self.on_data(&[], pos, h.fin)?));
        }
        Ok(Next::Payload(RxFrame {
            compressed: msg.compressed,
            ..frame
        }))
    }

    /// Payload bytes of a compressed message (already unmasked): inflated into the message
    /// buffer, never beyond `max_message_size`. Returns whether an event was produced.
    #[cfg(feature = "alloc")]
    fn on_data_inflate(&mut self, chunk: &[u8], msg_done: bool) -> Result<Stop, ProtocolError> {
        let Some(msg) = self.msg.as_mut() else {
            return Ok(false);
        };
        let Some(codec) = self.codec.as_mut() else {
            return Err(ProtocolError::InvalidCompressedData);
        };
        let at = self.msg_buf.len();
        let max = self.cfg.max_message_size;
        codec
            .decompress(
                chunk,
                msg_done,
                &mut self.msg_buf,
                usize::try_from(max).unwrap_or(usize::MAX),
            )
            .map_err(|e| match e {
                CodecError::TooBig => ProtocolError::MessageTooBig { max },
                _ => ProtocolError::InvalidCompressedData,
            })?;
        msg.size += chunk.len() as u64;
        if msg.kind == MessageKind::Text {
            if let Err(e) = self.utf8.feed(&self.msg_buf[at..]) {
                let off = at as u64 + e.offset().unwrap_or(0) as u64;
                return Err(ProtocolError::InvalidUtf8 { offset: off });
            }
            if msg_done && self.utf8.finish().is_err() {
                return Err(ProtocolError::InvalidUtf8 {
                    offset: self.msg_buf.len() as u64,
                });
            }
        }
        if !msg_done {
            return Ok(false);
        }
        let kind = msg.kind;
        self.msg = None;
        self.complete(kind)
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
                    self.complete(kind)
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
        // A text message wholly in this chunk (its first bytes and its last) is checked once,
        // whole, when it is complete (`complete`): no incremental pass as well. One that
        // arrives in parts is checked as it arrives, so that bad UTF-8 fails it at once.
        let check_now = msg.kind == MessageKind::Text && !(msg_done && msg.size == 0);
        // Room for all of it at once: no regrowth copies block by block (a buffer handed out
        // by `take_message` starts empty), and never more than the bytes actually here.
        self.msg_buf.reserve(chunk.len());
        for block in chunk.chunks(BLOCK) {
            let at = self.msg_buf.len();
            self.msg_buf.extend_from_slice(block);
            let fresh = &mut self.msg_buf[at..];
            if let Some(key) = mask {
                apply_mask(fresh, key, phase);
                phase = (phase + fresh.len()) & 3;
            }
            if check_now {
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
        if check_now && self.utf8.finish().is_err() {
            return Err(ProtocolError::InvalidUtf8 { offset: msg.size });
        }
        let kind = msg.kind;
        self.msg = None;
        self.complete(kind)
    }

    /// The message in `msg_buf` is complete: a text message moves to `msg_text` as a `String`.
    /// For a text message checked as it arrived, that check cannot fail; for one that came
    /// whole in one chunk it is the only check, and bad UTF-8 is reported at the offset the
    /// incremental validator gives. Returns that an event was produced.
    #[cfg(feature = "alloc")]
    fn complete(&mut self, kind: MessageKind) -> Result<Stop, ProtocolError> {
        if kind == MessageKind::Text {
            match String::from_utf8(core::mem::take(&mut self.msg_buf)) {
                Ok(text) => self.msg_text = text,
                Err(e) => {
                    self.msg_buf = e.into_bytes();
                    let mut v = crate::utf8::Utf8Validator::new();
                    let offset = match v.feed(&self.msg_buf) {
                        Err(e) => e.offset().unwrap_or(0) as u64,
                        Ok(()) => self.msg_buf.len() as u64,
                    };
                    return Err(ProtocolError::InvalidUtf8 { offset });
                }
            }
        }
        self.pending = Pending::Message(kind);
        Ok(true)
    }

    /// A complete control frame (payload in `ctl_buf`). Returns whether an event was produced.
    fn on_control(&mut self, op: OpCode) -> Result<Stop, ProtocolError> {
        let payload = self.ctl_buf.get(usize::from(self.ctl_len));
        match op {
            OpCode::Ping => {
                if self.cfg.auto_pong && !self.sent_close {
                    self.pong = Some(slot(Ctl::new(payload)));
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
                    self.close = Some(slot(Ctl::new(payload)));
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
                self.close = Some(slot(Ctl::close(Some(code), e.close_reason())));
                self.sent_close = true;
            }
        }
        if !self.closed_reported && self.closed_pending.is_none() {
            self.closed_pending = Some((code.unwrap_or(CloseCode::ABNORMAL), false));
        }
        self.error = Some(e.clone());
        e
    }
}

/// Empties `msg_buf` for a new message, taking back the allocation of the last text message
/// (`msg_text`) if it has none, and not keeping a huge one alive after a huge message.
#[cfg(feature = "alloc")]
fn fresh_msg_buf(msg_buf: &mut Vec<u8>, msg_text: &mut String) {
    if msg_buf.capacity() == 0 {
        *msg_buf = core::mem::take(msg_text).into_bytes();
    }
    if msg_buf.capacity() > RETAIN_CAPACITY {
        *msg_buf = Vec::new();
    }
    msg_buf.clear();
}
