//! Emits into a Socket.IO cluster without being a server (the `@socket.io/redis-emitter`
//! format, [`sockwire::cluster::Emitter`]):
//! `cargo run -p sockwire-tokio --features redis --example cluster_emit -- --redis
//! redis://[:PASSWORD@]127.0.0.1:6379 --event news [--to ROOM] [--except ROOM] [--arg JSON]`
//! Prints how many Redis subscribers received the message.
use sockwire::cluster::{Command, Emitter};
use sockwire::socketio::packet::Value;
use sockwire_tokio::redis::{RedisUrl, Reply, encode_command, open, request};

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let redis = flag(&args, "--redis").unwrap_or("127.0.0.1:6379".into());
    let event = flag(&args, "--event").unwrap_or("news".into());
    let arg = flag(&args, "--arg").unwrap_or("\"from rust\"".into());
    let mut e = Emitter::new("socket.io").of("/");
    if let Some(r) = flag(&args, "--to") {
        e = e.to(&r);
    }
    if let Some(r) = flag(&args, "--except") {
        e = e.except(&r);
    }
    let Ok(Command::Publish { channel, payload }) = e.emit(&event, &[Value::Json(&arg)]) else {
        return Err(std::io::Error::other("cannot encode the event"));
    };
    let mut out = Vec::new();
    encode_command(&mut out, &[b"PUBLISH", channel.as_bytes(), &payload]);
    let mut s = open(&RedisUrl::parse(&redis)?).await?;
    match request(&mut s, &out).await? {
        Reply::Int(k) => {
            println!("published on {channel} to {k} subscribers");
            Ok(())
        }
        other => Err(std::io::Error::other(format!("unexpected reply {other:?}"))),
    }
}
