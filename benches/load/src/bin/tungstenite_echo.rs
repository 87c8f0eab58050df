//! The peer: a WebSocket echo server on tokio-tungstenite (defaults), one task per connection,
//! as its README shows; with PING_SECS, each task also sends a Ping every PING_SECS seconds
//! (the usual keepalive: an interval in a `select!`). `tungstenite_echo ADDR [PING_SECS]`.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or("127.0.0.1:9002".into());
    let ping: Option<u64> = args.next().map(|s| s.parse().expect("PING_SECS"));
    let listener = TcpListener::bind(&addr).await.unwrap();
    loop {
        let (tcp, _) = listener.accept().await.unwrap();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let Some(secs) = ping else {
                while let Some(Ok(m)) = ws.next().await {
                    if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                        break;
                    }
                }
                return;
            };
            let period = Duration::from_secs(secs);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            loop {
                tokio::select! {
                    m = ws.next() => match m {
                        Some(Ok(m)) => {
                            if (m.is_text() || m.is_binary()) && ws.send(m).await.is_err() {
                                break;
                            }
                        }
                        _ => break,
                    },
                    _ = tick.tick() => {
                        if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        });
    }
}
