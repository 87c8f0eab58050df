#![no_main]
// Placeholder: filled in by the issue that owns the `connection_client` layer.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
