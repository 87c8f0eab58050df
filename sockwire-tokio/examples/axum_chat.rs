//! The rooms chat of `sio_chat` (`examples/rooms/app.rs`), mounted into an axum app that keeps its own routes:
//! `cargo run -p sockwire-tokio --features tower --example axum_chat -- 127.0.0.1:3000`
//!
//! `GET /` and `GET /health` are the app's; `/socket.io/` (polling, WebSocket, upgrade) is
//! sockwire's Socket.IO server, mounted with [`SocketIoLayer`]. Socket.IO events: `name` (set
//! your name), `join` (a room; acked), `say` (to your room, or everyone).
#[path = "../../examples/rooms/app.rs"]
mod rooms;

use axum::Router;
use axum::routing::get;
use sockwire::socketio::server::{Server, ServerOptions};
use sockwire_tokio::tower::SocketIoLayer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let server = Server::new(rooms::Chat, ServerOptions::default(), rooms::ids);
    let app = Router::new()
        .route(
            "/",
            get(|| async { "axum app with a Socket.IO chat at /socket.io/\n" }),
        )
        .route("/health", get(|| async { "ok\n" }))
        .layer(SocketIoLayer::new(server));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
