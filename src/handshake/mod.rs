//! RFC 6455 §4 opening handshake (being written; see its issue).

pub mod http;

use core::fmt;

/// Errors of this layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// Placeholder until the layer lands.
    Unimplemented,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not implemented")
    }
}

impl core::error::Error for HandshakeError {}
