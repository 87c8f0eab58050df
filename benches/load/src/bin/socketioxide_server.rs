//! The socketioxide peer of sio.sh, set up as socketioxide's README and docs show (an axum
//! router with its layer, async handlers) and its defaults (ping every 25 s): `join` (room, ack) joins a room and acks
//! "ok"; `go` (room, payload) emits `msg` with the payload to the room.
//! `socketioxide_server HOST:PORT`
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::extract::{AckSender, Data, SocketRef};

async fn on_connect(s: SocketRef) {
    s.on(
        "join",
        async |s: SocketRef, Data::<String>(room), ack: AckSender| {
            s.join(room);
            ack.send("ok").ok();
        },
    );
    s.on(
        "go",
        async |s: SocketRef, Data::<(String, Value)>((room, payload))| {
            s.within(room).emit("msg", &payload).await.ok();
        },
    );
}

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .expect("usage: socketioxide_server HOST:PORT");
    let (layer, io) = SocketIo::new_layer();
    io.ns("/", on_connect);
    let app = axum::Router::new().layer(layer);
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    axum::serve(listener, app).await.unwrap();
}
