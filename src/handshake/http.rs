//! Bounded single-pass HTTP/1.1 head parser (being written).
