//! The encode-once packet of a broadcast ([`Encoded`]): one buffer holding the WebSocket
//! frames, the Engine.IO messages and the bare Socket.IO text and attachments.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::engineio::MessageRef;
use crate::frame::{FrameHeader, OpCode};

/// A Socket.IO packet encoded once for all its recipients.
///
/// One buffer holds the WebSocket frames; the Engine.IO messages and the Socket.IO text are views
/// into it. See the [module docs](super) for the shapes.
#[derive(Debug, PartialEq, Eq)]
pub struct Encoded {
    buf: Box<[u8]>,
    /// Start of the Engine.IO text message (`4...`) inside `buf` (after its frame header).
    text_start: usize,
    /// End of the text message.
    text_end: usize,
    /// Byte ranges of the attachments (payloads, after their frame headers).
    attachments: Box<[(usize, usize)]>,
    /// A msgpack packet: one binary message at `text_start..text_end`, no text.
    msgpack: bool,
}

/// permessage-deflate for the encode-once broadcast (the `deflate` feature).
#[cfg(feature = "deflate")]
impl Encoded {
    /// The same frames compressed once, for every WebSocket session that negotiated
    /// permessage-deflate without server context takeover (what the default
    /// [`DeflatePolicy`](crate::deflate::DeflatePolicy) answers) and a server window at least the
    /// compressor's: the text frame, then one binary frame per attachment, each compressed (RSV1)
    /// by `compressor`. Appends them to `out`; compress once per broadcast and queue the bytes on
    /// each such connection with [`Connection::send_encoded`](crate::ws::Connection::send_encoded)
    /// (the others get [`ws_frames`](Self::ws_frames)).
    pub fn ws_frames_deflated(
        &self,
        compressor: &mut crate::deflate::SharedCompressor,
        out: &mut Vec<u8>,
    ) -> Result<(), crate::deflate::CodecError> {
        let mark = out.len();
        let r = (|| {
            if self.msgpack {
                return compressor.encode_frame(false, self.msgpack_message().unwrap_or(&[]), out);
            }
            compressor.encode_frame(true, self.engineio_text().as_bytes(), out)?;
            for &(s, e) in self.attachments.iter() {
                compressor.encode_frame(false, &self.buf[s..e], out)?;
            }
            Ok(())
        })();
        if r.is_err() {
            out.truncate(mark);
        }
        r
    }
}

impl Encoded {
    /// Wraps an already-encoded Socket.IO packet (its text without the Engine.IO prefix, and
    /// its binary attachments in `num` order) for
    /// [`Hub::broadcast_encoded`](super::Hub::broadcast_encoded). Copies the bytes
    /// once into the shared buffer. A packet written by a conforming encoder never contains the
    /// long-polling separator `\x1e`; that is the caller's to guarantee here.
    #[must_use]
    pub fn new(text: &str, attachments: &[&[u8]]) -> Self {
        let text_len = 1 + text.len();
        let mut total = ws_header(OpCode::Text, text_len).encoded_len() + text_len;
        for a in attachments {
            total += ws_header(OpCode::Binary, a.len()).encoded_len() + a.len();
        }
        let mut buf = Vec::with_capacity(total);
        push_ws_header(&mut buf, &ws_header(OpCode::Text, text_len));
        let text_start = buf.len();
        buf.push(b'4');
        buf.extend_from_slice(text.as_bytes());
        let text_end = buf.len();
        let mut ranges = Vec::with_capacity(attachments.len());
        for a in attachments {
            push_ws_header(&mut buf, &ws_header(OpCode::Binary, a.len()));
            let s = buf.len();
            buf.extend_from_slice(a);
            ranges.push((s, buf.len()));
        }
        Encoded {
            buf: buf.into_boxed_slice(),
            text_start,
            text_end,
            attachments: ranges.into_boxed_slice(),
            msgpack: false,
        }
    }

    /// Wraps one packet encoded for the msgpack parser
    /// ([`Parser::Msgpack`](crate::socketio::Parser::Msgpack)): a single binary Engine.IO message
    /// (one binary WebSocket frame), no text and no attachments.
    #[must_use]
    pub fn msgpack(message: &[u8]) -> Self {
        let header = ws_header(OpCode::Binary, message.len());
        let mut buf = Vec::with_capacity(header.encoded_len() + message.len());
        push_ws_header(&mut buf, &header);
        let start = buf.len();
        buf.extend_from_slice(message);
        Encoded {
            text_end: buf.len(),
            buf: buf.into_boxed_slice(),
            text_start: start,
            attachments: Box::new([]),
            msgpack: true,
        }
    }

    /// The msgpack message, for a packet made by [`Encoded::msgpack`].
    #[must_use]
    pub fn msgpack_message(&self) -> Option<&[u8]> {
        self.msgpack
            .then(|| &self.buf[self.text_start..self.text_end])
    }

    /// The complete WebSocket frames, server to client (unmasked, FIN set): one text frame with
    /// the Engine.IO message `4<packet>` then one binary frame per attachment. Write them as is.
    #[must_use]
    pub fn ws_frames(&self) -> &[u8] {
        &self.buf
    }

    /// The Engine.IO text message, `4` followed by the Socket.IO packet.
    #[must_use]
    pub fn engineio_text(&self) -> &str {
        if self.msgpack {
            return "";
        }
        // The range holds `b'4'` followed by a `&str` copied verbatim: valid UTF-8.
        core::str::from_utf8(&self.buf[self.text_start..self.text_end]).unwrap_or("")
    }

    /// The Socket.IO packet text (for example `2["chat",1]`), without the Engine.IO prefix.
    #[must_use]
    pub fn text(&self) -> &str {
        self.engineio_text().get(1..).unwrap_or("")
    }

    /// Number of binary attachments.
    #[must_use]
    pub fn attachment_count(&self) -> usize {
        self.attachments.len()
    }

    /// Attachment `i`, if any.
    #[must_use]
    pub fn attachment(&self, i: usize) -> Option<&[u8]> {
        self.attachments.get(i).map(|&(s, e)| &self.buf[s..e])
    }

    /// The Engine.IO messages in order: the text message (the packet text, without the `4`
    /// type prefix: pass it to [`Endpoint::send_text`](crate::engineio::Endpoint::send_text)
    /// as is), then the attachments (a msgpack packet: its one binary message).
    pub fn engineio_messages(&self) -> impl Iterator<Item = MessageRef<'_>> + '_ {
        let first = match self.msgpack_message() {
            Some(m) => MessageRef::Binary(m),
            None => MessageRef::Text(self.text()),
        };
        core::iter::once(first).chain(
            self.attachments
                .iter()
                .map(|&(s, e)| MessageRef::Binary(&self.buf[s..e])),
        )
    }
}

/// The RFC 6455 §5.2 server header of a final, unmasked frame (the frame layer's encoder).
fn ws_header(opcode: OpCode, len: usize) -> FrameHeader {
    FrameHeader::new(opcode, len as u64)
}

/// Appends `header`; a server header always has a wire form, so nothing can fail here.
fn push_ws_header(out: &mut Vec<u8>, header: &FrameHeader) {
    let _ = header.encode_to_vec(out);
}
