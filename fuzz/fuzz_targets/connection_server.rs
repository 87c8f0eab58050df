#![no_main]
//! A WebSocket `Connection` fed arbitrary reads, timeouts and commands (mostly as a server; the
//! first byte's low bit flips the role). See `connection_common.rs` for what is checked.
use libfuzzer_sys::fuzz_target;

#[path = "connection_common.rs"]
mod connection_common;

fuzz_target!(|data: &[u8]| {
    connection_common::run(data, 0);
});
