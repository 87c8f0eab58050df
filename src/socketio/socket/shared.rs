//! The core both socket machines share: the outgoing queue, the binary-attachment decoder,
//! pending acknowledgements with their deadlines, and the Engine.IO input methods.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Message, Parser, mpbridge};
use crate::socketio::packet::{self, Value};
use crate::socketio::{DecodeConfig, Decoder, OwnedPacket, SocketIoError};

#[derive(Debug, Clone)]
pub(super) struct PendingAck {
    id: u64,
    conn: u64,
    deadline: Option<Duration>,
}

/// The four Engine.IO input methods, identical for both socket machines: each hands the message
/// to the shared decoder in `core` and then to the machine's own `after_decode`.
macro_rules! engineio_inputs {
    () => {
        /// Handles one Engine.IO text message.
        pub fn handle_text(&mut self, now: Duration, text: &str) -> Result<(), SocketIoError> {
            let r = self.core.text(text);
            self.after_decode(now, r)
        }

        /// Handles one Engine.IO text message, taking it without a copy.
        pub fn handle_text_owned(
            &mut self,
            now: Duration,
            text: String,
        ) -> Result<(), SocketIoError> {
            let r = self.core.text_owned(text);
            self.after_decode(now, r)
        }

        /// Handles one Engine.IO binary message (a binary packet's attachment).
        pub fn handle_binary(&mut self, now: Duration, data: &[u8]) -> Result<(), SocketIoError> {
            let r = self.core.binary(data);
            self.after_decode(now, r)
        }

        /// Handles one Engine.IO binary message, taking it without a copy.
        pub fn handle_binary_owned(
            &mut self,
            now: Duration,
            data: Vec<u8>,
        ) -> Result<(), SocketIoError> {
            let r = self.core.binary_owned(data);
            self.after_decode(now, r)
        }
    };
}

pub(super) use engineio_inputs;

#[derive(Debug, Clone)]
pub(super) struct Core {
    pub(super) decoder: Decoder,
    pub(super) tx: VecDeque<Message>,
    pub(super) acks: Vec<PendingAck>,
    next_ack: u64,
    next_conn: u64,
    max_pending_acks: usize,
    pub(super) closed: bool,
    pub(super) parser: Parser,
}

impl Core {
    pub(super) fn new(decode: DecodeConfig, max_pending_acks: usize, parser: Parser) -> Self {
        Core {
            parser,
            decoder: Decoder::new(decode),
            tx: VecDeque::new(),
            acks: Vec::new(),
            next_ack: 0,
            next_conn: 0,
            max_pending_acks,
            closed: false,
        }
    }

    pub(super) fn conn_id(&mut self) -> u64 {
        self.next_conn += 1;
        self.next_conn
    }

    /// Queues an encoded packet: as is with the JSON parser, rewritten as one binary message
    /// with the msgpack parser.
    pub(super) fn push_encoded(
        &mut self,
        text: String,
        atts: Vec<&[u8]>,
    ) -> Result<(), SocketIoError> {
        if self.parser == Parser::Msgpack {
            let b = mpbridge::text_to_msgpack(&text, &atts)?;
            self.tx.push_back(Message::Binary(b));
            return Ok(());
        }
        self.tx.push_back(Message::Text(text));
        for a in atts {
            self.tx.push_back(Message::Binary(Vec::from(a)));
        }
        Ok(())
    }

    /// Queues an encoded packet without attachments (CONNECT, DISCONNECT, CONNECT_ERROR: text
    /// this crate's encoder wrote, which the msgpack rewrite always accepts).
    pub(super) fn push_text(&mut self, text: String) {
        let _ = self.push_encoded(text, Vec::new());
    }

    /// Decodes one msgpack message into the machines' packet form.
    fn msgpack(&mut self, data: &[u8]) -> Result<Option<OwnedPacket>, SocketIoError> {
        let cfg = *self.decoder.config();
        let (text, attachments) = mpbridge::msgpack_to_text(data, &cfg)?;
        let meta = packet::decode(&text, &cfg)?.meta;
        if meta.attachments != attachments.len() {
            return Err(SocketIoError::InvalidPlaceholder);
        }
        Ok(Some(OwnedPacket {
            text,
            meta,
            attachments,
        }))
    }

    pub(super) fn emit(
        &mut self,
        nsp: &str,
        id: Option<u64>,
        name: &str,
        args: &[Value<'_>],
    ) -> Result<(), SocketIoError> {
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_event(&mut text, &mut atts, nsp, id, name, args)?;
        self.push_encoded(text, atts)
    }

    pub(super) fn ack(
        &mut self,
        nsp: &str,
        id: u64,
        args: &[Value<'_>],
    ) -> Result<(), SocketIoError> {
        let mut text = String::new();
        let mut atts = Vec::new();
        packet::encode_ack(&mut text, &mut atts, nsp, id, args)?;
        self.push_encoded(text, atts)
    }

    fn register_ack(
        &mut self,
        conn: u64,
        deadline: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        if self.acks.len() >= self.max_pending_acks {
            return Err(SocketIoError::TooManyPendingAcks);
        }
        let id = self.next_ack;
        self.next_ack += 1;
        self.acks.push(PendingAck { id, conn, deadline });
        Ok(id)
    }

    /// Removes the awaited ack `id` of `conn`; `true` if it was awaited.
    /// Emits with a fresh ack id registered for `conn` (dropped again if the emit fails).
    pub(super) fn emit_with_ack(
        &mut self,
        conn: u64,
        now: Duration,
        nsp: &str,
        name: &str,
        args: &[Value<'_>],
        timeout: Option<Duration>,
    ) -> Result<u64, SocketIoError> {
        let id = self.register_ack(conn, timeout.map(|t| now.saturating_add(t)))?;
        if let Err(e) = self.emit(nsp, Some(id), name, args) {
            self.take_ack(conn, id);
            return Err(e);
        }
        Ok(id)
    }

    pub(super) fn take_ack(&mut self, conn: u64, id: u64) -> bool {
        match self.acks.iter().position(|a| a.id == id && a.conn == conn) {
            Some(i) => {
                self.acks.swap_remove(i);
                true
            }
            None => false,
        }
    }

    pub(super) fn drop_acks(&mut self, conn: u64) {
        self.acks.retain(|a| a.conn != conn);
    }

    pub(super) fn next_ack_deadline(&self) -> Option<Duration> {
        self.acks.iter().filter_map(|a| a.deadline).min()
    }

    /// Removes expired acks, returning `(conn, id)` pairs in id order.
    pub(super) fn expire_acks(&mut self, now: Duration) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        self.acks.retain(|a| match a.deadline {
            Some(d) if d <= now => {
                out.push((a.conn, a.id));
                false
            }
            _ => true,
        });
        out.sort_unstable_by_key(|x| x.1);
        out
    }

    /// Feeds a text message; returns a complete packet.
    pub(super) fn text(&mut self, text: &str) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        if self.parser == Parser::Msgpack {
            return Err(SocketIoError::UnexpectedText);
        }
        // Check before copying: the decoder would refuse it anyway.
        if self.decoder.is_pending() {
            self.decoder.reset();
            return Err(SocketIoError::UnexpectedText);
        }
        match self.decoder.feed_text(text)? {
            None => Ok(None),
            Some(p) => Ok(Some(OwnedPacket {
                text: String::from(text),
                meta: p.meta,
                attachments: Vec::new(),
            })),
        }
    }

    pub(super) fn text_owned(
        &mut self,
        text: String,
    ) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        if self.parser == Parser::Msgpack {
            return Err(SocketIoError::UnexpectedText);
        }
        self.decoder.feed_text_owned(text)
    }

    pub(super) fn binary(&mut self, data: &[u8]) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        if self.parser == Parser::Msgpack {
            return self.msgpack(data);
        }
        self.decoder.feed_binary(data)
    }

    pub(super) fn binary_owned(
        &mut self,
        data: Vec<u8>,
    ) -> Result<Option<OwnedPacket>, SocketIoError> {
        if self.closed {
            return Err(SocketIoError::Closed);
        }
        if self.parser == Parser::Msgpack {
            return self.msgpack(&data);
        }
        self.decoder.feed_binary_owned(data)
    }
}

pub(super) fn check_nsp(nsp: &str) -> Result<(), SocketIoError> {
    if !nsp.starts_with('/') || nsp.contains(',') {
        return Err(SocketIoError::InvalidNamespace);
    }
    Ok(())
}
