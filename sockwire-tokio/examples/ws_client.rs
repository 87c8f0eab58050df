//! WebSocket client on tokio: `cargo run -p sockwire-tokio --example ws_client -- 127.0.0.1:9001 hello`
//! (start the echo example first). Sends its second argument and prints the answer.
use std::hash::{BuildHasher, RandomState};

use sockwire::frame::CloseCode;
use sockwire::handshake::ClientOptions;
use sockwire::ws::ConnectionConfig;
use sockwire_tokio::{Message, connect};
use tokio::net::TcpStream;

/// Unpredictable bytes from std's per-process random SipHash keys (use your CSPRNG in production).
fn random_u64(state: &RandomState, n: u64) -> u64 {
    state.hash_one(n)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".into());
    let text = args.next().unwrap_or_else(|| "hello".into());
    let rs = RandomState::new();
    let mut nonce = [0u8; 16];
    nonce[..8].copy_from_slice(&random_u64(&rs, 0).to_le_bytes());
    nonce[8..].copy_from_slice(&random_u64(&rs, 1).to_le_bytes());
    let mut n = 1;
    let keys = move || {
        n += 1;
        (random_u64(&rs, n) as u32).to_le_bytes()
    };
    let tcp = TcpStream::connect(&addr).await?;
    tcp.set_nodelay(true)?;
    let opts = ClientOptions::new(&addr, "/", nonce);
    let mut ws = connect(tcp, opts, ConnectionConfig::default(), keys).await?;
    ws.send(&Message::Text(text)).await?;
    if let Some(reply) = ws.recv().await? {
        println!("{reply:?}");
    }
    ws.close(CloseCode::NORMAL, "").await?;
    while ws.recv().await?.is_some() {}
    Ok(())
}
