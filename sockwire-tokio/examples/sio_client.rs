//! Socket.IO client on tokio: `cargo run -p sockwire-tokio --example sio_client -- 127.0.0.1:3000 NAME ROOM TEXT [polling|websocket|upgrade]`
//! (start `sio_chat` first). Sets a name, joins a room (acked), says TEXT there, prints what
//! arrives for two seconds, then disconnects. The last argument picks the transports (default
//! `upgrade`: long-polling, then the WebSocket).
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use sockwire::socketio::Value::Str;
use sockwire::socketio::client::Transports;
use sockwire_tokio::{SioClient, SioClientConfig, SioEvent};

/// 16 bytes from std's randomly keyed SipHash, a fresh key per call (use a CSPRNG in production).
fn entropy() -> [u8; 16] {
    let s = RandomState::new();
    (u128::from(s.hash_one(1u8)) << 64 | u128::from(s.hash_one(2u8))).to_le_bytes()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| a.get(i).cloned().unwrap_or(d.into());
    let (addr, name, room, text) = (
        arg(0, "127.0.0.1:3000"),
        arg(1, "rust"),
        arg(2, "lobby"),
        arg(3, "hi"),
    );
    let mut cfg = SioClientConfig::default();
    cfg.transports = match arg(4, "upgrade").as_str() {
        "polling" => Transports::Polling,
        "websocket" => Transports::WebSocket,
        _ => Transports::PollingThenUpgrade,
    };
    cfg.seed = u64::from_le_bytes(entropy()[..8].try_into().unwrap());
    let mut io = SioClient::connect(&addr, "/", None, cfg, entropy).await?;
    let deadline = tokio::time::sleep(Duration::from_secs(2));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            ev = io.next_event() => match ev {
                Some(SioEvent::Connect { sid }) => {
                    println!("connected as {sid}");
                    let _ = io.emit("name", &[Str(&name)]).await;
                    let _ = io.emit_with_ack("join", &[Str(&room)], Duration::from_secs(5)).await;
                }
                Some(SioEvent::Ack { args, .. }) => {
                    println!("joined {room}: {}", args.join(","));
                    let _ = io.emit("say", &[Str(&text)]).await;
                }
                Some(SioEvent::Event { name, args, .. }) => println!("{name} {}", args.join(" ")),
                Some(other) => println!("{other:?}"),
                None => break,
            },
            () = &mut deadline => break,
        }
    }
    io.disconnect().await
}
