//! Close payloads (RFC 6455 §5.5.1, §7.4).

use super::*;

// Close payloads
// ---------------------------------------------------------------------------------------------

/// Decodes a received Close payload (already unmasked).
///
/// * empty: `Ok(None)` (no status code, reported locally as [`CloseCode::NO_STATUS`]);
/// * one byte: [`FrameError::CloseTooShort`] (1002);
/// * over 125 bytes: [`FrameError::CloseTooLong`] (1002);
/// * a code that is not [valid to receive](CloseCode::is_valid_received):
///   [`FrameError::InvalidCloseCode`] (1002);
/// * a reason that is not UTF-8: [`FrameError::InvalidCloseReason`] (1007).
pub fn decode_close_payload(payload: &[u8]) -> Result<Option<(CloseCode, &str)>, FrameError> {
    match payload {
        [] => Ok(None),
        [_] => Err(FrameError::CloseTooShort),
        _ if payload.len() > MAX_CONTROL_PAYLOAD => Err(FrameError::CloseTooLong),
        [hi, lo, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*hi, *lo]));
            if !code.is_valid_received() {
                return Err(FrameError::InvalidCloseCode(code.0));
            }
            let reason =
                core::str::from_utf8(reason).map_err(|_| FrameError::InvalidCloseReason)?;
            Ok(Some((code, reason)))
        }
    }
}

/// Writes a Close payload (code, then reason) at the start of `out` and returns its length
/// (`2 + reason.len()`).
///
/// Fails with [`FrameError::UnsendableCloseCode`] for a code that is not
/// [sendable](CloseCode::is_sendable), [`FrameError::CloseReasonTooLong`] for a reason over 123
/// bytes (see [`truncate_close_reason`]) and [`FrameError::InsufficientSize`] if `out` is too
/// short; `out` is untouched on error.
pub fn encode_close_payload(
    code: CloseCode,
    reason: &str,
    out: &mut [u8],
) -> Result<usize, FrameError> {
    if !code.is_sendable() {
        return Err(FrameError::UnsendableCloseCode(code.0));
    }
    if reason.len() > MAX_CLOSE_REASON {
        return Err(FrameError::CloseReasonTooLong { len: reason.len() });
    }
    let required = 2 + reason.len();
    let Some(dst) = out.get_mut(..required) else {
        return Err(FrameError::InsufficientSize { required });
    };
    dst[..2].copy_from_slice(&code.0.to_be_bytes());
    dst[2..].copy_from_slice(reason.as_bytes());
    Ok(required)
}

/// The longest prefix of `reason` that fits a Close frame (at most 123 bytes), cut at a
/// character boundary.
#[must_use]
pub fn truncate_close_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}
