//! The crate-wide error type.
//!
//! Each layer has its own error type ([`HandshakeError`], [`FrameError`], [`ProtocolError`],
//! [`JsonError`], and under `alloc` the Engine.IO, Socket.IO and hub errors). [`Error`] wraps them so
//! that an application driving several layers can use one `Result` type.

use core::fmt;

pub use crate::frame::FrameError;
pub use crate::handshake::HandshakeError;
pub use crate::json::JsonError;
pub use crate::ws::ProtocolError;

#[cfg(feature = "alloc")]
pub use crate::engineio::EngineIoError;
#[cfg(feature = "alloc")]
pub use crate::hub::HubError;
#[cfg(feature = "alloc")]
pub use crate::socketio::SocketIoError;

/// Any error sockwire can report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The opening handshake failed (RFC 6455 §4).
    Handshake(HandshakeError),
    /// A frame header or close payload is malformed (RFC 6455 §5).
    Frame(FrameError),
    /// The WebSocket connection saw a protocol violation or was misused.
    Protocol(ProtocolError),
    /// A JSON document is malformed or exceeds a limit.
    Json(JsonError),
    /// Engine.IO failed.
    #[cfg(feature = "alloc")]
    EngineIo(EngineIoError),
    /// Socket.IO failed.
    #[cfg(feature = "alloc")]
    SocketIo(SocketIoError),
    /// The Socket.IO server hub was misused (unknown session or socket, a cap reached).
    #[cfg(feature = "alloc")]
    Hub(HubError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Handshake(e) => write!(f, "handshake: {e}"),
            Error::Frame(e) => write!(f, "frame: {e}"),
            Error::Protocol(e) => write!(f, "websocket: {e}"),
            Error::Json(e) => write!(f, "json: {e}"),
            #[cfg(feature = "alloc")]
            Error::EngineIo(e) => write!(f, "engine.io: {e}"),
            #[cfg(feature = "alloc")]
            Error::SocketIo(e) => write!(f, "socket.io: {e}"),
            #[cfg(feature = "alloc")]
            Error::Hub(e) => write!(f, "hub: {e}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Handshake(e) => Some(e),
            Error::Frame(e) => Some(e),
            Error::Protocol(e) => Some(e),
            Error::Json(e) => Some(e),
            #[cfg(feature = "alloc")]
            Error::EngineIo(e) => Some(e),
            #[cfg(feature = "alloc")]
            Error::SocketIo(e) => Some(e),
            #[cfg(feature = "alloc")]
            Error::Hub(e) => Some(e),
        }
    }
}

macro_rules! from_layer {
    ($($(#[$m:meta])* $ty:ident => $var:ident),* $(,)?) => {$(
        $(#[$m])*
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::$var(e)
            }
        }
    )*};
}

from_layer! {
    HandshakeError => Handshake,
    FrameError => Frame,
    ProtocolError => Protocol,
    JsonError => Json,
    #[cfg(feature = "alloc")]
    EngineIoError => EngineIo,
    #[cfg(feature = "alloc")]
    SocketIoError => SocketIo,
    #[cfg(feature = "alloc")]
    HubError => Hub,
}
