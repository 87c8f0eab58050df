//! The WebSocket echo server of `benches/load/idle.sh` and `echo.sh`: the `echo` example with
//! default sizes and, when PING_SECS is given, a keepalive Ping every PING_SECS seconds (the
//! core's timer; a peer that does not answer within 20 s is dropped).
//! `cargo run --release -p sockwire-tokio --example ws_bench -- 127.0.0.1:9001 [PING_SECS]`
use std::time::Duration;

use sockwire::ws::ConnectionConfig;
use sockwire_tokio::accept;
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or("127.0.0.1:9001".into());
    let ping = args
        .next()
        .map(|s| Duration::from_secs(s.parse().expect("PING_SECS")));
    let listener = TcpListener::bind(&addr).await?;
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        tokio::spawn(async move {
            let cfg = ConnectionConfig::default().keepalive(ping);
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
