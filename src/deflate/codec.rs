//! The [`Codec`] trait: what a connection needs from a DEFLATE implementation.

use alloc::vec::Vec;
use core::fmt;

/// A permessage-deflate codec for one connection: compresses outgoing messages and inflates
/// incoming ones. `ZlibCodec` (feature `deflate`) is the built-in one; a
/// host can plug its own with [`Connection::set_codec`](crate::ws::Connection::set_codec).
///
/// The codec is built for a negotiated [`PerMessageDeflate`](super::PerMessageDeflate) and a
/// role, and honours its context-takeover and window settings itself.
pub trait Codec {
    /// Compresses one whole message and appends the raw DEFLATE data to `out`, flushed to a
    /// byte boundary **without** the final `00 00 ff ff` (RFC 7692 §7.2.1).
    fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), CodecError>;

    /// Inflates the next piece of a compressed message and appends it to `out`. `fin` marks
    /// the last piece: the codec then appends the `00 00 ff ff` tail itself (RFC 7692
    /// §7.2.2) and ends the message. `out` must never grow beyond `max` bytes: the codec stops
    /// and returns [`CodecError::TooBig`] as soon as the inflated message would exceed it
    /// (memory stays bounded by `max` whatever the input).
    fn decompress(
        &mut self,
        input: &[u8],
        fin: bool,
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), CodecError>;

    /// Bytes of codec state currently allocated (for measurements; 0 when unknown).
    fn allocated(&self) -> usize {
        0
    }
}

impl fmt::Debug for dyn Codec + Send {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("allocated", &self.allocated())
            .finish()
    }
}

/// A codec failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecError {
    /// The inflated message exceeds the size limit (the connection closes with 1009).
    TooBig,
    /// The compressed data is not valid DEFLATE (the connection closes with 1007).
    Corrupt,
    /// The compressor failed (a bug or an allocation failure in the codec).
    Compress,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodecError::TooBig => "inflated message too big",
            CodecError::Corrupt => "invalid compressed data",
            CodecError::Compress => "compression failed",
        })
    }
}

impl core::error::Error for CodecError {}
