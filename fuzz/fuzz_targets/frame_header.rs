#![no_main]
// Placeholder: filled in by the issue that owns the `frame_header` layer.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = data;
});
