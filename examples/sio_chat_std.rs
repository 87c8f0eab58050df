//! Socket.IO rooms chat on the std host: `cargo run --example sio_chat_std -- 127.0.0.1:3000`
//! The application (`Chat`: events `name`, `join`, `say`) is `examples/rooms/app.rs`, the same
//! one the tokio host and the axum mount serve; this file is the host.
#[path = "rooms/app.rs"]
mod rooms;

use sockwire::socketio::server::{Server, ServerOptions};

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or("127.0.0.1:3000".into());
    let io = Server::new(
        rooms::Chat,
        ServerOptions::default(),
        sockwire_std::entropy(),
    );
    sockwire_std::serve(std::net::TcpListener::bind(addr)?, io)
}
