//! The sending half of [`Connection`]: data and control commands, `poll_transmit`, `poll_event`,
//! `poll_timeout`.

use super::*;

impl<K: MaskKeySource> Connection<K> {
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
    fn push_frame(&mut self, op: OpCode, fin: bool, rsv: u8, payload: &[u8]) {
        let key = self.next_mask();
        let h = FrameHeader::new(op, payload.len() as u64)
            .with_fin(fin)
            .with_rsv(rsv)
            .with_mask(key);
        // A slice is shorter than 2^63 bytes and rsv is RSV1 or 0: the header always encodes.
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
    #[inline(always)]
    fn send_message(&mut self, kind: MessageKind, data: &[u8]) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if self.tx_msg.is_some() {
            return Err(ProtocolError::FragmentMismatch);
        }
        if data.len() >= self.cfg.compression_threshold {
            if let Some(codec) = self.codec.as_mut() {
                let mut z = core::mem::take(&mut self.zbuf);
                z.clear();
                let r = codec.compress(data, &mut z);
                if r.is_ok() {
                    self.push_frame(kind.opcode(), true, RSV1, &z);
                }
                if z.capacity() <= RETAIN_CAPACITY {
                    self.zbuf = z;
                }
                // A failed compressor sends nothing: an internal failure, reported as closed.
                return r.map_err(|_| ProtocolError::Closed);
            }
        }
        self.push_frame(kind.opcode(), true, 0, data);
        Ok(())
    }

    /// Queues bytes already encoded as whole frames for this connection, for instance a
    /// message compressed once for many connections by
    /// `deflate::SharedCompressor` (server connections that
    /// negotiated `server_no_context_takeover` only; the caller vouches for the encoding).
    #[cfg(feature = "alloc")]
    pub fn send_encoded(&mut self, frames: &[u8]) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if self.tx_msg.is_some() {
            return Err(ProtocolError::FragmentMismatch);
        }
        self.out.extend(frames);
        Ok(())
    }

    /// [`send_encoded`](Self::send_encoded) for a host that writes an owned buffer per
    /// transmit: when nothing else waits to be sent, `frames` come back as that buffer (one
    /// copy, the connection's output buffer untouched); otherwise they are queued behind what
    /// waits and `None` comes back (take them with [`poll_transmit`](Self::poll_transmit)).
    ///
    /// # Errors
    /// As [`send_encoded`](Self::send_encoded); nothing is queued.
    #[cfg(feature = "alloc")]
    pub fn send_encoded_owned(
        &mut self,
        frames: &[u8],
    ) -> Result<Option<alloc::vec::Vec<u8>>, ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if self.tx_msg.is_some() {
            return Err(ProtocolError::FragmentMismatch);
        }
        if self.out.len() == 0 && self.pong.is_none() && self.ping.is_none() && self.close.is_none()
        {
            return Ok(Some(alloc::vec::Vec::from(frames)));
        }
        self.out.extend(frames);
        Ok(None)
    }

    /// Queues one fragment of a streamed message: the first call for a message sends a `kind`
    /// frame, later ones continuation frames, until one with `fin` ends it. Control frames may
    /// be sent in between; other data may not ([`ProtocolError::FragmentMismatch`]).
    ///
    /// For text, the caller must make the whole message valid UTF-8 (fragments may split code
    /// points). A whole message (`fin` on the first frame) is compressed like
    /// [`send_binary`](Self::send_binary) when permessage-deflate is on; fragmented ones are
    /// sent uncompressed.
    #[cfg(feature = "alloc")]
    pub fn send_frame(
        &mut self,
        kind: MessageKind,
        fin: bool,
        payload: &[u8],
    ) -> Result<(), ProtocolError> {
        if fin && self.tx_msg.is_none() {
            return self.send_message(kind, payload);
        }
        self.release_out();
        self.check_can_send_data()?;
        let op = self.fragment_opcode(kind)?;
        self.push_frame(op, fin, 0, payload);
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
        self.check_vectored()?;
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

    /// [`send_frame_vectored`](Self::send_frame_vectored) for a connection whose frames are
    /// not masked (a server's): `payload` is only read, so a borrowed message goes out with
    /// no copy at all. Write the returned header, then `payload`, completely, before the next
    /// [`poll_transmit`](Self::poll_transmit) output. A client connection must mask what it
    /// sends: [`ProtocolError::Unsupported`] (use `send_frame_vectored`). Never compressed.
    pub fn send_frame_vectored_unmasked(
        &mut self,
        kind: MessageKind,
        fin: bool,
        payload: &[u8],
    ) -> Result<HeaderBytes, ProtocolError> {
        if self.role == Role::Client {
            return Err(ProtocolError::Unsupported);
        }
        self.check_vectored()?;
        let op = self.fragment_opcode(kind)?;
        let h = FrameHeader::new(op, payload.len() as u64).with_fin(fin);
        let bytes = h.header_bytes().map_err(ProtocolError::Frame)?;
        self.tx_msg = if fin { None } else { Some(kind) };
        Ok(bytes)
    }

    /// What a zero-copy send needs: a connection that may send data, with its output drained.
    fn check_vectored(&mut self) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if !self.transmit_drained() {
            return Err(ProtocolError::TransmitPending);
        }
        Ok(())
    }

    /// Queues a Ping (payload up to 125 bytes). A Ping not yet handed out by
    /// [`poll_transmit`](Self::poll_transmit) is replaced.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), ProtocolError> {
        self.release_out();
        self.check_can_send_data()?;
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(ProtocolError::ControlTooLong);
        }
        self.ping = Some(slot(Ctl::new(payload)));
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
        self.pong = Some(slot(Ctl::new(payload)));
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
        self.close = Some(slot(Ctl::close(Some(code), reason)));
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
            self.serialize_ctl(OpCode::Pong, unslot(c));
        }
        if let Some(c) = self.ping.take() {
            self.serialize_ctl(OpCode::Ping, unslot(c));
        }
        if let Some(c) = self.close.take() {
            self.serialize_ctl(OpCode::Close, unslot(c));
        }
        if self.out.len() == 0 {
            return None;
        }
        self.out_taken = true;
        Some(self.out.as_slice())
    }

    /// Takes the next event when it is a whole message ([`Event::Text`] or [`Event::Binary`],
    /// [`ReceiveMode::Messages`]), as the buffer it was assembled in: no copy, and a text
    /// message is a `String` already (its UTF-8 was checked on the way in, so no caller checks it
    /// again). The next message starts a new buffer. `None`, with nothing changed, when the
    /// next event is anything else or there is none: take it with
    /// [`poll_event`](Self::poll_event).
    #[cfg(feature = "alloc")]
    pub fn take_message(&mut self) -> Option<Message> {
        match self.pending {
            Pending::Message(MessageKind::Text) => {
                self.pending = Pending::None;
                Some(Message::Text(core::mem::take(&mut self.msg_text)))
            }
            Pending::Message(MessageKind::Binary) => {
                self.pending = Pending::None;
                Some(Message::Binary(core::mem::take(&mut self.msg_buf)))
            }
            _ => None,
        }
    }

    /// The next event, if any. See [`Event`]; [`Event::Closed`] always comes last.
    #[must_use]
    #[inline(always)]
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
            // Drained: the last control frame's payload is no longer borrowed.
            self.release_ctl();
            let (code, clean) = self.closed_pending.take()?;
            self.closed_reported = true;
            let error = self.error.clone().map(crate::Error::Protocol);
            return Some(Event::Closed { code, clean, error });
        }
        self.pending = Pending::None;
        match pending {
            Pending::None => None,
            #[cfg(feature = "alloc")]
            Pending::Message(MessageKind::Text) => Some(Event::Text(&self.msg_text)),
            #[cfg(feature = "alloc")]
            Pending::Message(MessageKind::Binary) => Some(Event::Binary(&self.msg_buf)),
            Pending::Chunk { kind, span, fin } => Some(Event::Chunk {
                kind,
                data: (span & 0xFFFF_FFFF) as usize..(span >> 32) as usize,
                fin,
            }),
            Pending::Ping => Some(Event::Ping(self.ctl_buf.get(usize::from(self.ctl_len)))),
            Pending::Pong => Some(Event::Pong(self.ctl_buf.get(usize::from(self.ctl_len)))),
            Pending::CloseReceived => {
                let payload = self.ctl_buf.get(usize::from(self.ctl_len));
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
    ///
    /// Keepalive runs from construction: before the first input, with a keepalive interval
    /// configured, this is [`Duration::ZERO`] (already due), so the caller's first
    /// `handle_timeout(now)` starts the keepalive clock even if the peer never sends a byte.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.terminated {
            return None;
        }
        if !self.started && self.cfg.keepalive.is_some() {
            return Some(Duration::ZERO);
        }
        [self.close_deadline, self.pong_deadline, self.keepalive_at]
            .into_iter()
            .flatten()
            .min()
    }
}
