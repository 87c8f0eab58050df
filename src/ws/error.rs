//! [`ProtocolError`]: what went wrong on a WebSocket connection.

use core::fmt;

use crate::frame::{CloseCode, FrameError};

/// A protocol violation by the peer (terminal; carries the close code that was sent) or a misuse
/// by the caller (not terminal: nothing changed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    // ----- caused by the peer: the connection is failed -----
    /// A frame header or Close payload was rejected by the frame codec (reserved opcode or
    /// bits, control frame rules, masking, length encoding, frame too big, bad close code or
    /// reason).
    Frame(FrameError),
    /// A continuation frame arrived with no fragmented message open (1002).
    UnexpectedContinuation,
    /// A new Text or Binary frame arrived while a fragmented message was still open (1002).
    ExpectedContinuation,
    /// A message grew beyond [`max_message_size`](super::ConnectionConfig::max_message_size)
    /// (1009).
    MessageTooBig {
        /// The configured limit in bytes.
        max: u64,
    },
    /// A message used more frames than
    /// [`max_fragments`](super::ConnectionConfig::max_fragments) (1008).
    TooManyFragments {
        /// The configured limit.
        max: u32,
    },
    /// A text message is not valid UTF-8 (1007). `offset` is the index of the offending byte
    /// in the message (the end of the message if it ends inside a code point).
    InvalidUtf8 {
        /// Byte offset within the message's payload.
        offset: u64,
    },
    /// RSV1 on a control or continuation frame, where permessage-deflate never sets it
    /// (RFC 7692 §6.1; 1002).
    UnexpectedRsv1,
    /// A compressed message is not valid DEFLATE data (1007).
    InvalidCompressedData,
    /// No Pong arrived within the keepalive's pong timeout (the connection is dropped, 1006).
    PongTimeout,

    // ----- caused by the caller: nothing changed -----
    /// `handle_read` was called while an event was still waiting in `poll_event`.
    EventPending,
    /// A zero-copy send was attempted while `poll_transmit` still holds undrained bytes.
    TransmitPending,
    /// A data frame was to be sent after our Close frame.
    AfterClose,
    /// The connection is closed or failed; nothing can be sent any more.
    Closed,
    /// A Ping or Pong payload over 125 bytes.
    ControlTooLong,
    /// A close code that may not be sent (1005, 1006, 1015 or outside the valid ranges).
    UnsendableCloseCode(u16),
    /// A close reason over 123 bytes.
    CloseReasonTooLong,
    /// A whole message was to be sent while a fragmented send was open, or a fragment of the
    /// other kind (text vs binary) than the open message.
    FragmentMismatch,
    /// The operation needs a receive mode, feature or role this connection does not have.
    Unsupported,
}

impl ProtocolError {
    /// The close code sent to the peer because of this error; `None` for caller misuse (and
    /// for [`PongTimeout`](Self::PongTimeout), after which nothing is sent).
    #[must_use]
    pub fn close_code(&self) -> Option<CloseCode> {
        match self {
            ProtocolError::Frame(e) => e.close_code(),
            ProtocolError::UnexpectedContinuation | ProtocolError::ExpectedContinuation => {
                Some(CloseCode::PROTOCOL_ERROR)
            }
            ProtocolError::MessageTooBig { .. } => Some(CloseCode::TOO_BIG),
            ProtocolError::TooManyFragments { .. } => Some(CloseCode::POLICY),
            ProtocolError::InvalidUtf8 { .. } => Some(CloseCode::INVALID_PAYLOAD),
            ProtocolError::UnexpectedRsv1 => Some(CloseCode::PROTOCOL_ERROR),
            ProtocolError::InvalidCompressedData => Some(CloseCode::INVALID_PAYLOAD),
            _ => None,
        }
    }

    /// Whether the caller caused this error (the connection is unchanged and usable).
    #[must_use]
    pub fn is_misuse(&self) -> bool {
        matches!(
            self,
            ProtocolError::EventPending
                | ProtocolError::TransmitPending
                | ProtocolError::AfterClose
                | ProtocolError::Closed
                | ProtocolError::ControlTooLong
                | ProtocolError::UnsendableCloseCode(_)
                | ProtocolError::CloseReasonTooLong
                | ProtocolError::FragmentMismatch
                | ProtocolError::Unsupported
        )
    }

    /// A short reason for the Close frame sent because of this error.
    pub(crate) fn close_reason(&self) -> &'static str {
        match self {
            ProtocolError::Frame(FrameError::TooBig { .. }) => "frame too big",
            ProtocolError::Frame(FrameError::InvalidCloseReason) => "invalid UTF-8 in close reason",
            ProtocolError::Frame(FrameError::InvalidCloseCode(_)) => "invalid close code",
            ProtocolError::Frame(_) => "invalid frame",
            ProtocolError::UnexpectedContinuation => "unexpected continuation frame",
            ProtocolError::ExpectedContinuation => "expected a continuation frame",
            ProtocolError::MessageTooBig { .. } => "message too big",
            ProtocolError::TooManyFragments { .. } => "too many fragments",
            ProtocolError::InvalidUtf8 { .. } => "invalid UTF-8 in text",
            ProtocolError::UnexpectedRsv1 => "RSV1 on a control or continuation frame",
            ProtocolError::InvalidCompressedData => "invalid compressed data",
            _ => "",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Frame(e) => write!(f, "invalid frame from the peer: {e}"),
            ProtocolError::UnexpectedContinuation => {
                f.write_str("continuation frame without a fragmented message")
            }
            ProtocolError::ExpectedContinuation => {
                f.write_str("new data frame while a fragmented message is open")
            }
            ProtocolError::MessageTooBig { max } => {
                write!(f, "message exceeds the limit of {max} bytes")
            }
            ProtocolError::TooManyFragments { max } => {
                write!(f, "message exceeds the limit of {max} fragments")
            }
            ProtocolError::InvalidUtf8 { offset } => {
                write!(f, "text message is not valid UTF-8 at byte {offset}")
            }
            ProtocolError::UnexpectedRsv1 => {
                f.write_str("RSV1 set on a control or continuation frame")
            }
            ProtocolError::InvalidCompressedData => {
                f.write_str("compressed message is not valid DEFLATE data")
            }
            ProtocolError::PongTimeout => f.write_str("no pong received before the deadline"),
            ProtocolError::EventPending => {
                f.write_str("handle_read called before poll_event was drained")
            }
            ProtocolError::TransmitPending => {
                f.write_str("zero-copy send while poll_transmit still holds bytes")
            }
            ProtocolError::AfterClose => f.write_str("data frame after our close frame"),
            ProtocolError::Closed => f.write_str("connection is closed"),
            ProtocolError::ControlTooLong => f.write_str("control payload over 125 bytes"),
            ProtocolError::UnsendableCloseCode(c) => write!(f, "close code {c} must not be sent"),
            ProtocolError::CloseReasonTooLong => f.write_str("close reason over 123 bytes"),
            ProtocolError::FragmentMismatch => {
                f.write_str("send does not fit the open fragmented message")
            }
            ProtocolError::Unsupported => {
                f.write_str("operation not supported by this connection's mode or features")
            }
        }
    }
}

impl core::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ProtocolError::Frame(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FrameError> for ProtocolError {
    fn from(e: FrameError) -> Self {
        ProtocolError::Frame(e)
    }
}
