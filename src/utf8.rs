//! Incremental UTF-8 validation (being written).
