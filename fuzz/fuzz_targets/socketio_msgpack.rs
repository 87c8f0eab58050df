#![no_main]
//! The msgpack codec and the Socket.IO msgpack packet decoder: never panic; whatever decodes
//! re-encodes to a fixed point; a decoded packet re-encodes to a packet that decodes equal.
use libfuzzer_sys::fuzz_target;
use sockwire::msgpack::{self, Limits};
use sockwire::socketio::msgpack as socketio;

fuzz_target!(|data: &[u8]| {
    let lim = Limits {
        max_input: 1 << 16,
        max_depth: 16,
        max_values: 4096,
    };
    if let Ok(v) = msgpack::decode(data, &lim) {
        let mut a = Vec::new();
        msgpack::encode(&v, &mut a);
        let v2 = msgpack::decode(&a, &Limits::default()).expect("re-encoded value decodes");
        let mut b = Vec::new();
        msgpack::encode(&v2, &mut b);
        assert_eq!(a, b);
    }
    if let Ok(p) = socketio::decode_packet(data, &lim) {
        let bytes =
            socketio::encode_packet(p.kind, p.nsp, p.data.as_ref(), p.id).expect("types 0-4");
        let q =
            socketio::decode_packet(&bytes, &Limits::default()).expect("re-encoded packet decodes");
        assert_eq!((q.kind, q.nsp, q.id), (p.kind, p.nsp, p.id));
    }
});
