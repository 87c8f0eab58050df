//! `chat`: the lecture's chat demo. One HTML page (CSS and JS inline, no CDN, no build step) and
//! the Socket.IO endpoint on the same origin, served by `sockwire-tokio`.
//!
//! ```text
//! cargo run --release --example chat [-- --addr 127.0.0.1:8080] [--redis redis://[:PASSWORD@]127.0.0.1:6379]
//! ```
//!
//! With `--redis`, several chat processes (on several ports) share one Redis as one cluster,
//! wire-compatible with Node's `@socket.io/redis-adapter`: a post on one reaches the others.
//!
//! The page speaks Socket.IO v5 through a small client written on the browser's WebSocket; any
//! standard Socket.IO client can join too. The chat logic lives in `chat/app.rs`, on
//! `sockwire::socketio::server`; this file only configures and serves it.

#[path = "chat/app.rs"]
mod app;

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use sockwire::cluster::{Adapter, ClusterConfig};
use sockwire::engineio::server::ServerConfig;
use sockwire::socketio::server::{Server, ServerOptions};

/// The page, served at `/`.
const INDEX: &str = include_str!("chat/index.html");

/// Ids from std's randomly keyed SipHash, a fresh key per call (use a CSPRNG in production).
fn ids() -> [u8; 15] {
    let s = RandomState::new();
    let b = (u128::from(s.hash_one(1u8)) << 64 | u128::from(s.hash_one(2u8))).to_le_bytes();
    b[..15].try_into().unwrap_or_default()
}

/// The node's uid in a cluster: 6 characters, as the Node adapter's.
fn node_uid() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    ids()[..6]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// The chat server: Socket.IO at `/socket.io/`, the page at `/`.
fn chat_server() -> Server<app::Chat> {
    let eio = ServerConfig::default()
        .ping_interval(Duration::from_secs(25))
        .ping_timeout(Duration::from_secs(20))
        .max_payload(1_000_000)
        // Every browser offers permessage-deflate; the lean policy (no context takeover) keeps
        // no compressor state between messages.
        .per_message_deflate(Some(sockwire::deflate::DeflatePolicy::default()));
    let mut opts = ServerOptions::default();
    opts.endpoint = opts.endpoint.clone().server(eio).page(
        "/",
        "text/html; charset=utf-8",
        INDEX.as_bytes().to_vec(),
    );
    Server::new(app::Chat, opts, ids)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut addr = String::from("127.0.0.1:8080");
    let mut redis: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--addr", Some(v)) => addr = v,
            ("--redis", Some(v)) => redis = Some(v),
            _ => {
                eprintln!(
                    "usage: chat [--addr HOST:PORT] [--redis HOST:PORT or redis://[USER:PASSWORD@]HOST:PORT]"
                );
                std::process::exit(2);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("chat: {addr}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("chat: open http://{addr}/ in two browser windows");
    let served = match redis {
        Some(r) => {
            let mut server = chat_server();
            server.set_cluster(Adapter::new(ClusterConfig::default(), &node_uid()));
            eprintln!("chat: cluster through Redis at {r}");
            sockwire_tokio::serve_cluster(listener, server, &r).await
        }
        None => sockwire_tokio::serve(listener, chat_server()).await,
    };
    if let Err(e) = served {
        eprintln!("chat: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    //! The chat driven in process through the whole server: HTTP long-polling bytes in,
    //! Socket.IO packets out (no sockets, a fixed clock).
    use super::*;
    use sockwire::engineio::endpoint::Transmit;

    const NOW: Duration = Duration::from_secs(1);

    /// Polling clients of one server: GETs on connection `2i+1`, POSTs on `2i+2`.
    struct Net {
        io: Server<app::Chat>,
        sids: Vec<String>,
        pending: Vec<Transmit>,
    }

    impl Net {
        fn new() -> Self {
            let mut n = 0u8;
            let ids = move || {
                n = n.wrapping_add(1);
                [n; 15]
            };
            Net {
                io: Server::new(app::Chat, ServerOptions::default(), ids),
                sids: Vec::new(),
                pending: Vec::new(),
            }
        }
        fn out(&mut self, conn: u64) -> Option<String> {
            while let Some(t) = self.io.poll_transmit() {
                self.pending.push(t);
            }
            let i = self.pending.iter().position(|t| t.conn == conn)?;
            let t = self.pending.remove(i);
            let s = String::from_utf8(t.data).unwrap();
            Some(s[s.find("\r\n\r\n").unwrap() + 4..].to_string())
        }
        fn send(&mut self, conn: u64, req: String) {
            self.io.handle_read(NOW, conn, req.as_bytes());
        }
        /// A new client, connected to `/`; returns its index.
        fn join(&mut self) -> usize {
            let i = self.sids.len();
            let (g, p) = (2 * i as u64 + 1, 2 * i as u64 + 2);
            self.io.handle_accept(NOW, g);
            self.io.handle_accept(NOW, p);
            self.send(
                g,
                "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\n\r\n".into(),
            );
            let open = self.out(g).unwrap();
            self.sids.push(open[9..29].to_string());
            self.post(i, "40");
            i
        }
        fn post(&mut self, i: usize, body: &str) {
            let (sid, p) = (&self.sids[i], 2 * i as u64 + 2);
            let req = format!(
                "POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n\
                 Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            self.send(p, req);
            assert_eq!(self.out(p).as_deref(), Some("ok"));
        }
        /// Everything queued for client `i`, as packets (a GET answered at once, or nothing).
        fn take(&mut self, i: usize) -> Vec<String> {
            let (sid, g) = (&self.sids[i], 2 * i as u64 + 1);
            let req = format!("GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n\r\n");
            self.send(g, req);
            let body = self
                .out(g)
                .unwrap_or_else(|| panic!("nothing queued for client {i}"));
            body.split('\x1e').map(String::from).collect()
        }
    }

    #[test]
    fn lecture_chat_flow() {
        let mut n = Net::new();
        let a = n.join();
        let got = n.take(a);
        assert!(got[0].starts_with("40{\"sid\":"), "{got:?}");
        assert_eq!(got[1..], ["42[\"users\",[]]"]);
        n.post(a, "421[\"set user\",\"alice\"]");
        assert_eq!(n.take(a), ["431[true]", "42[\"users\",[\"alice\"]]"]);
        n.post(a, "422[\"get user\"]");
        assert_eq!(n.take(a), ["432[\"alice\"]"]);

        let b = n.join();
        assert_eq!(n.take(b)[1], "42[\"users\",[\"alice\"]]");
        n.post(b, "423[\"set user\",\"Bob\"]");
        assert_eq!(
            n.take(a),
            [
                "42[\"user connected\",{\"user\":\"Bob\"}]",
                "42[\"users\",[\"alice\",\"Bob\"]]"
            ]
        );
        n.take(b);
        n.post(b, "424[\"get user\"]");
        assert_eq!(n.take(b), ["434[\"Bob\"]"]);

        n.post(a, r#"42["chat-post-send",{"msg":"hi \"bob\""}]"#);
        assert_eq!(n.take(a), ["42[\"chat-post-rcd\",{\"status\":\"ok\"}]"]);
        assert_eq!(
            n.take(b),
            [r#"42["chat-post",{"user":"alice","msg":"hi \"bob\""}]"#]
        );

        // Bob leaves: alice hears it and gets the new list.
        n.post(b, "41");
        assert_eq!(
            n.take(a),
            [
                "42[\"user disconnected\",{\"user\":\"Bob\"}]",
                "42[\"users\",[\"alice\"]]"
            ]
        );
        assert_eq!(n.io.hub().socket_count("/"), 1);
    }

    /// Two chat servers joined as one cluster through an in-memory bus (what Redis does
    /// between two processes): a post on one reaches a client of the other, once.
    #[test]
    fn two_chat_nodes_share_posts_through_the_cluster() {
        use sockwire::cluster::Command;
        let (mut a, mut b) = (Net::new(), Net::new());
        a.io.set_cluster(Adapter::new(ClusterConfig::default(), "nodeAA"));
        b.io.set_cluster(Adapter::new(ClusterConfig::default(), "nodeBB"));
        // Every publish goes to both nodes, as Redis does (each skips its own).
        let bus = |a: &mut Net, b: &mut Net| {
            let mut msgs = Vec::new();
            for n in [&mut *a, &mut *b] {
                while let Some(c) = n.io.poll_cluster_transmit() {
                    if let Command::Publish { channel, payload } = c {
                        msgs.push((channel, payload));
                    }
                }
            }
            for (ch, p) in &msgs {
                for n in [&mut *a, &mut *b] {
                    n.io.handle_cluster_message(NOW, ch, p).unwrap();
                }
            }
        };
        let alice = a.join();
        a.take(alice);
        // Both test servers draw the same ids: a first client on b makes bob's differ from
        // alice's (real servers draw random ones).
        let first = b.join();
        b.take(first);
        let bob = b.join();
        b.take(bob);
        a.post(alice, "421[\"set user\",\"alice\"]");
        bus(&mut a, &mut b);
        a.take(alice);
        // Bob (on the other node) heard alice arrive (the user list is each node's own).
        let heard = b.take(bob);
        assert!(
            heard.contains(&"42[\"user connected\",{\"user\":\"alice\"}]".to_string()),
            "{heard:?}"
        );
        a.post(alice, r#"42["chat-post-send",{"msg":"hi from a"}]"#);
        bus(&mut a, &mut b);
        assert_eq!(
            b.take(bob),
            [r#"42["chat-post",{"user":"alice","msg":"hi from a"}]"#]
        );
        assert_eq!(a.take(alice), ["42[\"chat-post-rcd\",{\"status\":\"ok\"}]"]);
    }

    #[test]
    fn bad_input_is_refused_politely() {
        let mut n = Net::new();
        let a = n.join();
        n.take(a);
        n.post(a, "421[\"set user\",\"   \"]");
        assert_eq!(n.take(a), ["431[false]"]);
        n.post(a, "422[\"set user\",42]");
        assert_eq!(n.take(a), ["432[false]"]);
        n.post(a, "423[\"get user\"]");
        assert_eq!(n.take(a), ["433[null]"]);
        // A post without a name goes out as anonymous, cut at 2000 characters; one without
        // msg is ignored.
        let b = n.join();
        n.take(b);
        n.post(a, "42[\"chat-post-send\",{}]");
        n.post(
            a,
            &format!(
                "42[\"chat-post-send\",{{\"msg\":\"{}\"}}]",
                "x".repeat(5000)
            ),
        );
        let got = n.take(b);
        assert_eq!(got.len(), 1);
        let want = format!(
            "42[\"chat-post\",{{\"user\":\"anonymous\",\"msg\":\"{}\"}}]",
            "x".repeat(2000)
        );
        assert_eq!(got[0], want);
        assert_eq!(n.take(a), ["42[\"chat-post-rcd\",{\"status\":\"ok\"}]"]);
        // Another namespace is refused with the reference's CONNECT_ERROR.
        n.post(a, "40/admin,");
        assert_eq!(n.take(a), ["44/admin,{\"message\":\"Invalid namespace\"}"]);
    }
}
