//! Socket.IO packet codec: per-packet decode and encode of a typical ~100 B chat event and of a
//! binary event, plus the server machine's per-event cost. `from_utf8` of the same bytes is the
//! in-run baseline (the floor of touching each byte once).
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::socketio::{
    DecodeConfig, Decoder, ServerConfig, ServerEvent, ServerSocket, Value, packet,
};

const EVENT: &str = r#"2["chat-post",{"user":"alice","room":"general","text":"hello world, how are you today?","ts":1700000000000}]"#;
const ARG: &str = r#"{"user":"alice","room":"general","text":"hello world, how are you today?","ts":1700000000000}"#;
const BIN_HEAD: &str = r#"51-["upload",{"name":"a.png","data":{"_placeholder":true,"num":0}}]"#;

fn bench(c: &mut Criterion) {
    let cfg = DecodeConfig::new();
    let mut g = c.benchmark_group("socketio");
    g.throughput(Throughput::Elements(1));

    g.bench_function("baseline/from_utf8_event", |b| {
        b.iter(|| core::str::from_utf8(std::hint::black_box(EVENT.as_bytes())).is_ok())
    });
    g.bench_function("decode/event", |b| {
        b.iter(|| {
            let p = packet::decode(std::hint::black_box(EVENT), &cfg).unwrap();
            let name = p.event_name().unwrap();
            let n = p.args().count();
            (name.len(), n)
        })
    });
    let mut out = String::with_capacity(256);
    let mut atts = Vec::new();
    g.bench_function("encode/event", |b| {
        b.iter(|| {
            out.clear();
            packet::encode_event(
                &mut out,
                &mut atts,
                "/",
                None,
                "chat-post",
                &[Value::Json(std::hint::black_box(ARG))],
            )
            .unwrap();
            out.len()
        })
    });
    g.bench_function("encode/event_unchecked", |b| {
        b.iter(|| {
            out.clear();
            packet::encode_event(
                &mut out,
                &mut atts,
                "/",
                None,
                "chat-post",
                &[Value::JsonUnchecked(std::hint::black_box(ARG))],
            )
            .unwrap();
            out.len()
        })
    });
    let data = [7u8; 1024];
    let fields = [
        ("name", Value::Str("a.png")),
        ("data", Value::Binary(&data)),
    ];
    let mut batts: Vec<&[u8]> = Vec::new();
    g.bench_function("encode/binary_event", |b| {
        b.iter(|| {
            out.clear();
            batts.clear();
            packet::encode_event(
                &mut out,
                &mut batts,
                "/",
                None,
                "upload",
                &[Value::Object(std::hint::black_box(&fields))],
            )
            .unwrap();
            out.len() + batts.len()
        })
    });
    let mut d = Decoder::new(cfg);
    g.bench_function("decode/binary_event", |b| {
        b.iter(|| {
            assert!(
                d.feed_text(std::hint::black_box(BIN_HEAD))
                    .unwrap()
                    .is_none()
            );
            let p = d.feed_binary(&data).unwrap().unwrap();
            let view = p.packet();
            let arg = view.args().next().unwrap();
            (view.event_name().unwrap().len(), arg.len())
        })
    });

    let mut s = ServerSocket::new(ServerConfig::default(), Duration::ZERO);
    s.handle_text(Duration::ZERO, "0").unwrap();
    let _ = s.poll_event();
    s.accept("/", [0; 15]).unwrap();
    let _ = s.poll_transmit();
    g.bench_function("server/handle_event", |b| {
        b.iter(|| {
            s.handle_text(Duration::ZERO, std::hint::black_box(EVENT))
                .unwrap();
            match s.poll_event() {
                Some(ServerEvent::Event { packet, .. }) => packet.text().len(),
                _ => 0,
            }
        })
    });
    g.bench_function("server/emit_event", |b| {
        b.iter(|| {
            s.emit("/", "chat-post", &[Value::Json(std::hint::black_box(ARG))])
                .unwrap();
            s.poll_transmit().map(|m| m.as_text().map_or(0, str::len))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
