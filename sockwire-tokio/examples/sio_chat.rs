//! Socket.IO rooms chat on tokio: `cargo run -p sockwire-tokio --example sio_chat -- 127.0.0.1:3000`
//! The application (`Chat`: events `name`, `join`, `say`) is `examples/rooms/app.rs`, the same
//! one the std host and the axum mount serve; this file is the host.
#[path = "../../examples/rooms/app.rs"]
mod rooms;

use sockwire::socketio::server::{Server, ServerOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let server = Server::new(rooms::Chat, ServerOptions::default(), rooms::ids);
    sockwire_tokio::serve(listener, server).await
}
