//! Socket.IO packet codec: per-packet decode and encode of a typical ~100 B chat event and of a
//! binary event, plus the server machine's per-event cost. `from_utf8` of the same bytes is the
//! in-run baseline (the floor of touching each byte once).
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
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

// ---- instruction-count mode (`SIO_CALLGRIND=N`): the three peer-bench workloads, N times each,
// under `valgrind --tool=callgrind --toggle-collect='*cg_*'` (divide by N).
const CG_ARGS: &str = r#"{"msg":"hello world, this is a chat message of about 100 bytes","ts":1732550000,"user":"ann"}"#;

#[inline(never)]
fn cg_decode(cfg: &DecodeConfig, text: &str) -> usize {
    let p = packet::decode(text, cfg).unwrap();
    let name = p.event_name().unwrap();
    let (mut msg, mut ts, mut user) = (
        std::borrow::Cow::Borrowed(""),
        0u64,
        std::borrow::Cow::Borrowed(""),
    );
    for (k, v) in p.first_arg_members() {
        match &*packet::unquote(k) {
            "msg" => msg = packet::unquote(v),
            "user" => user = packet::unquote(v),
            "ts" => ts = sockwire::json::parse_u64(v).unwrap(),
            _ => {}
        }
    }
    name.len() + msg.len() + user.len() + ts as usize + p.nsp().len() + p.id().unwrap_or(0) as usize
}

#[inline(never)]
fn cg_encode(text: &mut String, out: &mut Vec<u8>, nsp: &str, id: Option<u64>, args: &str) {
    text.clear();
    let mut atts = Vec::new();
    packet::encode_event(text, &mut atts, nsp, id, "chat-post", &[Value::Json(args)]).unwrap();
    out.extend_from_slice(text.as_bytes());
}

#[inline(never)]
fn cg_binary(d: &mut Decoder, head: &str, data: &[u8]) -> usize {
    assert!(d.feed_text(head).unwrap().is_none());
    let p = d.feed_binary(data).unwrap().unwrap();
    let view = p.packet();
    let bin = p.binary(view.args().next().unwrap()).unwrap();
    view.event_name().unwrap().len() + bin.len() + view.attachments()
}

fn callgrind(n: u32) {
    use std::hint::black_box;
    let cfg = DecodeConfig::new();
    let p1 = format!("2[\"chat-post\",{CG_ARGS}]");
    let p2 = format!("2/chat,17[\"chat-post\",{CG_ARGS}]");
    for _ in 0..n {
        black_box(cg_decode(&cfg, black_box(&p1)));
        black_box(cg_decode(&cfg, black_box(&p2)));
    }
    let mut text = String::with_capacity(256);
    let mut out = Vec::with_capacity(256);
    for _ in 0..n {
        out.clear();
        cg_encode(&mut text, &mut out, "/", None, black_box(CG_ARGS));
        cg_encode(&mut text, &mut out, "/chat", Some(17), black_box(CG_ARGS));
        black_box(&out);
    }
    let mut d = Decoder::new(cfg);
    let data = [7u8; 1024];
    for _ in 0..n {
        black_box(cg_binary(
            &mut d,
            black_box(r#"51-["upload",{"_placeholder":true,"num":0}]"#),
            &data,
        ));
    }
}

fn main() {
    if let Some(n) = std::env::var("SIO_CALLGRIND")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        callgrind(n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
