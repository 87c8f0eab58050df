//! Strict JSON scanner and writer (being written; see its issue).

use core::fmt;

/// Errors of this layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// Placeholder until the layer lands.
    Unimplemented,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not implemented")
    }
}

impl core::error::Error for JsonError {}
