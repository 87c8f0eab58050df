//! WebSocket echo server on tokio: `cargo run -p sockwire-tokio --example echo -- 127.0.0.1:9001`
use sockwire::ws::ConnectionConfig;
use sockwire_tokio::accept;
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            // Autobahn's 9.* cases: 16 MiB messages, some in 64-byte fragments.
            let cfg = ConnectionConfig::default()
                .max_message_size(64 << 20)
                .max_frame_size(64 << 20)
                .max_fragments(1_000_000);
            let Ok(mut ws) = accept(tcp, cfg).await else {
                return;
            };
            while let Ok(Some(msg)) = ws.recv().await {
                if ws.send(&msg).await.is_err() {
                    break;
                }
            }
        });
    }
}
