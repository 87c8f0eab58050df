//! Round trips with the real npm `socket.io-msgpack-parser`, driven by
//! `tests/ci/45-msgpack.sh`: the Node side writes the reference encodings (hex, one a line) to
//! `$SOCKWIRE_MSGPACK_IN`; every one must decode with our checks and re-encode **byte-exact**;
//! the re-encodings go to `$SOCKWIRE_MSGPACK_OUT` for the Node side to decode and compare.
//! It is `#[ignore]`d (plain `cargo test` has no reference encodings); the script runs it with
//! `--ignored`, and without its variables it fails rather than pass having checked nothing.
#![cfg(feature = "alloc")]

use sockwire::msgpack::Limits;
use sockwire::socketio::msgpack as socketio;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
#[ignore = "needs the npm reference encodings: run by tests/ci/45-msgpack.sh"]
fn reference_encodings_round_trip_byte_exact() {
    let (Ok(input), Ok(output)) = (
        std::env::var("SOCKWIRE_MSGPACK_IN"),
        std::env::var("SOCKWIRE_MSGPACK_OUT"),
    ) else {
        panic!("msgpack interop: SOCKWIRE_MSGPACK_IN/OUT unset; run tests/ci/45-msgpack.sh");
    };
    let text = std::fs::read_to_string(input).expect("reference vectors");
    let mut out = String::new();
    let mut n = 0;
    for (i, line) in text.lines().filter(|l| !l.is_empty()).enumerate() {
        let bytes = unhex(line);
        let p = socketio::decode_packet(&bytes, &Limits::default())
            .unwrap_or_else(|e| panic!("packet {i}: {e}"));
        let again = socketio::encode_packet(p.kind, p.nsp, p.data.as_ref(), p.id).unwrap();
        assert_eq!(again, bytes, "packet {i} re-encodes byte-exact");
        for b in &again {
            out.push_str(&format!("{b:02x}"));
        }
        out.push('\n');
        n += 1;
    }
    assert!(n > 0, "no reference vectors");
    std::fs::write(output, out).unwrap();
    println!("msgpack interop: {n} reference packets decoded and re-encoded byte-exact");
}
