//! In-place masking (RFC 6455 §5.3) (being written).
