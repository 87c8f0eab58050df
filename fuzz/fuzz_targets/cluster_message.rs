#![no_main]
//! The cluster adapter's decoders and a hub fed cluster messages: never panic. The first byte
//! picks the channel kind and the variant (classic or sharded); a decoded broadcast re-encodes to a message that decodes equal.
use libfuzzer_sys::fuzz_target;
use sockwire::cluster::{Adapter, ClusterConfig, Writer, wire};
use sockwire::hub::{Hub, HubConfig, SessionInfo};

fuzz_target!(|data: &[u8]| {
    let Some((&sel, msg)) = data.split_first() else {
        return;
    };
    if let Ok(m) = wire::decode_broadcast(msg, 1 << 16) {
        let mut packet = Vec::new();
        sockwire::msgpack::encode(&m.packet, &mut packet);
        let mut out = Vec::new();
        wire::encode_broadcast(&mut out, Writer::Adapter, m.uid, &packet, &m.opts);
        let again = wire::decode_broadcast(&out, 1 << 20).expect("re-encoded broadcast decodes");
        assert_eq!((again.uid, again.nsp, &again.opts), (m.uid, m.nsp, &m.opts));
    }
    let mut scratch = Vec::new();
    let _ = wire::decode_message(msg, &mut scratch, 1 << 16);
    let _ = sockwire::cluster::sharded::decode(msg, &mut scratch, 1 << 16);
    // Bit 2 of the selector: the sharded variant.
    let cfg = ClusterConfig::default()
        .max_message_len(1 << 16)
        .sharded(sel & 4 != 0);
    let mut hub = Hub::new(HubConfig::default());
    hub.set_cluster(Adapter::new(cfg, "fuzz00"));
    for sid in ["aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"] {
        let s = hub.add_session(SessionInfo::default()).unwrap();
        let id = hub.add_socket(s, "/", sid, None).unwrap();
        let _ = hub.join(id, "room1");
    }
    let channel = match sel % 4 {
        0 => "socket.io#/#",
        1 => "socket.io#/#room1#",
        2 => "socket.io-request#/#",
        _ => "socket.io-response#/#",
    };
    let _ = hub.handle_cluster_message(core::time::Duration::ZERO, channel, msg);
    while hub.poll_transmit().is_some() {}
    while hub.poll_event().is_some() {}
    while hub.poll_cluster_transmit().is_some() {}
});
