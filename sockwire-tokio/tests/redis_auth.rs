//! `serve_cluster` with a Redis that refuses the login: the error is returned (not retried
//! forever), whether Redis refuses the `AUTH` (a wrong password) or the first command (no
//! password in the URL of a Redis that wants one).
#![cfg(feature = "redis")]

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sockwire::cluster::{Adapter, ClusterConfig};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire_tokio::redis::decode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Ignores every event.
struct Quiet;
impl App for Quiet {
    fn on_event(&mut self, _: &mut Ctx<'_>, _: Event<'_>) {}
}

/// A fake Redis answering every command on every connection with `reply`; returns its address
/// and the number of connections it accepted.
async fn refusing_redis(reply: &'static [u8]) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let conns = Arc::new(AtomicUsize::new(0));
    let counted = conns.clone();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = l.accept().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 512];
                loop {
                    let n = match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    buf.extend_from_slice(&chunk[..n]);
                    while let Ok(Some((_, used))) = decode(&buf) {
                        buf.drain(..used);
                        if s.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, conns)
}

async fn serve_with(redis: &str) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut n = 0u8;
    let ids = move || {
        n = n.wrapping_add(1);
        [n; 15]
    };
    let mut server = Server::new(Quiet, ServerOptions::default(), ids);
    server.set_cluster(Adapter::new(ClusterConfig::default(), "n1"));
    // The bound only keeps a regression from hanging the suite; the refusal comes at once.
    tokio::time::timeout(
        Duration::from_secs(20),
        sockwire_tokio::serve_cluster(listener, server, redis),
    )
    .await
    .expect("serve_cluster still running: the refused login was retried")
}

#[tokio::test]
async fn wrong_password_is_returned_not_retried() {
    let (addr, conns) = refusing_redis(b"-WRONGPASS invalid username-password pair\r\n").await;
    let e = serve_with(&format!("redis://:nope@{addr}"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("WRONGPASS"), "{e}");
    assert!(e.to_string().contains(&addr), "{e}");
    // The publisher and the subscriber each tried once.
    assert!(conns.load(Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn missing_password_is_returned_not_retried() {
    let (addr, _) = refusing_redis(b"-NOAUTH Authentication required.\r\n").await;
    let e = serve_with(&addr).await.unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("NOAUTH"), "{e}");
}
