//! A Socket.IO server joined to a Redis cluster, the target of `tests/ci/80-cluster.sh`
//! (`--sharded`: the sharded variant, broadcasts only):
//! `cargo run -p sockwire-tokio --features redis --example sio_cluster -- --addr 127.0.0.1:3001
//! --redis 127.0.0.1:6379 --name rust1`
//!
//! Events (the Node server of `tests/interop/cluster/run.mjs` answers the same):
//! * `join(room)`, acked `"ok"`: joins `room`;
//! * `bcast(event, rooms, except)`, acked `"ok"`: `io.to(rooms).except(except).emit(event,
//!   name)` across the cluster, rooms and except as comma-separated lists (empty: none);
//! * `bcast-bin(event, x)`, acked `"ok"`: `io.emit(event, name, x)` across the cluster, x a
//!   Buffer;
//! * `whoami`, acked with the node name;
//! * `sjoin(room, new)` / `sleave(room, old)`: `io.in(room).socketsJoin(new)` / `socketsLeave`
//!   (room `""`: everyone); `kick(room)`: `io.in(room).disconnectSockets(true)`;
//!   `sse(x)`: `serverSideEmit("sse", x)` (x a number, a string or a Buffer);
//! * `fetch(room)`, `rooms`, `sse-ack(x)`, `count`: fetchSockets, allRooms,
//!   serverSideEmitWithAck, serverCount across the cluster; the sorted JSON items come back as
//!   `fetch-result` / `rooms-result` / `sse-ack-result` / `count-result` (binary answers as
//!   binary; `"timed-out"` among them if the request ran to its timeout);
//! * `bcast-ack(event[, x])`: `io.timeout(2000).emitWithAck(event[, x])` across the cluster (x
//!   a Buffer); the sorted
//!   first arguments of every answer (binary ones as binary) come back to the asker as
//!   `acks-result` (with `"timed-out"` among them if it ran to its deadline).
//!
//! A `serverSideEmit("sse", x)` from another node is re-emitted locally as `sse-got(name, x)`,
//! and answered with the node name when the sender waits for answers (with the bytes
//! `"<name>-"` followed by x's when x is binary).
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use sockwire::cluster::{Adapter, ClusterConfig};
use sockwire::hub::{AckOutcome, Hub, HubEvent, Target};
use sockwire::socketio::packet::Value::{self, Binary, Json, Str, WithAttachments};
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};

struct Node {
    name: String,
    /// Broadcasts with acks in flight: ack id -> the asking socket's id.
    asking: HashMap<u64, String>,
    /// The other nodes' answers (JSON, attachments), until the broadcast completes.
    remote: HashMap<u64, Vec<Answer>>,
    /// Cluster requests in flight: request number -> (asker's id, result event name).
    requests: HashMap<u64, (String, &'static str)>,
}

/// The first argument of an ack's JSON arguments array.
fn first_arg(args: &str) -> Option<String> {
    sockwire::json::array_items(args)
        .ok()?
        .next()?
        .ok()
        .map(String::from)
}

/// An answer: its JSON and the attachments its placeholders refer to.
type Answer = (String, Vec<Vec<u8>>);

/// Emits the answers, sorted, as one array argument `kind` to the socket `asker` only: JSON
/// text when none is binary, else with their attachments.
fn send_sorted(hub: &mut Hub, asker: &str, kind: &str, mut all: Vec<Answer>) {
    all.sort();
    let room = [asker];
    let t = Target::namespace("/").rooms(&room);
    if all.iter().all(|(_, a)| a.is_empty()) {
        let items: Vec<&str> = all.iter().map(|(j, _)| j.as_str()).collect();
        let _ = hub.broadcast_local(&t, kind, &[Json(&format!("[{}]", items.join(",")))]);
        return;
    }
    let items: Vec<Value<'_>> = all
        .iter()
        .map(|(j, a)| WithAttachments(j, a.as_slice()))
        .collect();
    let _ = hub.broadcast_local(&t, kind, &[Value::Array(&items)]);
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect()
}

impl App for Node {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, mut ev: Event<'_>) {
        let arg = |i| ev.str_arg(i).unwrap_or_default().into_owned();
        let (a0, a1, a2) = (arg(0), arg(1), arg(2));
        match ev.name() {
            "join" => drop(ctx.join(&a0)),
            "bcast" => {
                let mut e = ctx.everyone();
                for r in list(&a1) {
                    e = e.to(&r);
                }
                for r in list(&a2) {
                    e = e.except(&r);
                }
                let _ = e.emit(&a0, &[Str(&self.name)]);
            }
            // (room, new room): io.in(room).socketsJoin(new room); room "" is everyone.
            "sjoin" | "sleave" => {
                let mut e = ctx.everyone();
                if !a0.is_empty() {
                    e = e.to(&a0);
                }
                let _ = if ev.name() == "sjoin" {
                    e.sockets_join(&[&a1])
                } else {
                    e.sockets_leave(&[&a1])
                };
            }
            "kick" => drop(ctx.everyone().to(&a0).disconnect_sockets(true)),
            // bcast-bin(event, x): io.emit(event, name, x) across the cluster, x binary.
            "bcast-bin" => {
                let x = ev.binary_arg(1).unwrap_or_default();
                let _ = ctx.everyone().emit(&a0, &[Str(&self.name), Binary(x)]);
            }
            "sse" => match ev.binary_arg(0) {
                Some(b) => drop(ctx.hub().server_side_emit_values("/", "sse", &[Binary(b)])),
                None => drop(ctx.hub().server_side_emit("/", "sse", &[&a0])),
            },
            // bcast-ack(event[, x]): io.timeout(2s).emitWithAck(event[, x]) across the cluster
            // (x binary); the sorted answers come back to the asker as `acks-result`.
            "bcast-ack" => {
                let me = ctx.id().to_string();
                let x: Vec<Value<'_>> = ev.binary_arg(1).map(Binary).into_iter().collect();
                if let Ok(id) = ctx
                    .everyone()
                    .emit_with_ack(&a0, &x, Duration::from_secs(2))
                {
                    self.asking.insert(id, me);
                }
            }
            // fetch(room) / rooms / sse-ack(x): fetchSockets, allRooms and
            // serverSideEmitWithAck across the cluster; the result comes back as
            // `<name>-result` with the JSON items sorted.
            "fetch" | "rooms" | "sse-ack" | "count" => {
                let me = ctx.id().to_string();
                let hub = ctx.hub();
                let room = [a0.as_str()];
                let t = Target::namespace("/");
                let t = if a0.is_empty() { t } else { t.rooms(&room) };
                let (r, kind) = match ev.name() {
                    "fetch" => (hub.cluster_fetch_sockets(&t), "fetch-result"),
                    "rooms" => (hub.cluster_all_rooms("/"), "rooms-result"),
                    "count" => (hub.cluster_server_count("/"), "count-result"),
                    _ => (
                        match ev.binary_arg(0) {
                            Some(b) => hub.cluster_server_side_emit_with_ack_values(
                                "/",
                                "sse",
                                &[Binary(b)],
                            ),
                            None => hub.cluster_server_side_emit_with_ack("/", "sse", &[&a0]),
                        },
                        "sse-ack-result",
                    ),
                };
                if let Ok(n) = r {
                    self.requests.insert(n, (me, kind));
                }
            }
            "whoami" => {}
            _ => return,
        }
        if let Some(ack) = ev.take_ack() {
            let answer = if ev.name() == "whoami" {
                self.name.as_str()
            } else {
                "ok"
            };
            let _ = ctx.ack(ack, &[Str(answer)]);
        }
    }

    fn on_hub_event(&mut self, hub: &mut Hub, event: HubEvent) {
        if let HubEvent::ClusterReply {
            request,
            results,
            attachments,
            timed_out,
            ..
        } = event
        {
            if let Some((asker, kind)) = self.requests.remove(&request) {
                let mut all: Vec<Answer> = results.into_iter().zip(attachments).collect();
                // Ended by the request timeout with an answer missing: the CI sees it.
                if timed_out {
                    all.push(("\"timed-out\"".into(), Vec::new()));
                }
                send_sorted(hub, &asker, kind, all);
            }
            return;
        }
        if let HubEvent::ClusterAcks {
            id,
            answers,
            attachments,
            ..
        } = event
        {
            self.remote
                .insert(id, answers.into_iter().zip(attachments).collect());
            return;
        }
        if let HubEvent::AckComplete {
            id,
            outcomes,
            timed_out,
            ..
        } = &event
        {
            let Some(asker) = self.asking.remove(id) else {
                return;
            };
            let mut all: Vec<Answer> = outcomes
                .iter()
                .filter_map(|(_, o)| match o {
                    AckOutcome::Answered { args, attachments } => {
                        first_arg(args).map(|a| (a, attachments.clone()))
                    }
                    _ => None,
                })
                .collect();
            all.extend(self.remote.remove(id).unwrap_or_default());
            // Reached its deadline with a node or an answer missing: the CI sees it.
            if *timed_out {
                all.push(("\"timed-out\"".into(), Vec::new()));
            }
            send_sorted(hub, &asker, "acks-result", all);
            return;
        }
        if let HubEvent::ServerSideEmit {
            nsp,
            data,
            attachments,
            request_id,
        } = event
        {
            // data is `["sse", x, ...]`: re-emit x locally (a binary x with its bytes).
            if let Some(x) = data
                .strip_prefix("[\"sse\",")
                .and_then(|d| d.strip_suffix(']'))
            {
                let x = if attachments.is_empty() {
                    Json(x)
                } else {
                    WithAttachments(x, &attachments)
                };
                let _ =
                    hub.broadcast_local(&Target::namespace(&nsp), "sse-got", &[Str(&self.name), x]);
            }
            if let Some(id) = request_id {
                if let Some(bytes) = attachments.first() {
                    let mut answer = format!("{}-", self.name).into_bytes();
                    answer.extend_from_slice(bytes);
                    let _ = hub.cluster_answer_server_side_emit_value(&nsp, &id, &Binary(&answer));
                } else {
                    let mut answer = String::new();
                    sockwire::json::push_string(&mut answer, &self.name);
                    hub.cluster_answer_server_side_emit(&nsp, &id, &answer);
                }
            }
        }
    }
}

/// Ids from std's randomly keyed SipHash, a fresh key per call (use a CSPRNG in production).
fn ids() -> [u8; 15] {
    let s = RandomState::new();
    let b = (u128::from(s.hash_one(1u8)) << 64 | u128::from(s.hash_one(2u8))).to_le_bytes();
    b[..15].try_into().unwrap()
}

fn flag(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.into())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr = flag(&args, "--addr", "127.0.0.1:3000");
    let redis = flag(&args, "--redis", "127.0.0.1:6379");
    let name = flag(&args, "--name", "rust");
    // The node uid: 6 characters, as the Node adapter's.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let uid: String = ids()[..6]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    let node = Node {
        name,
        asking: HashMap::new(),
        remote: HashMap::new(),
        requests: HashMap::new(),
    };
    // Room for the fan-out benchmark (benches/load/cluster.sh): 20,000 connections.
    let mut opts = ServerOptions::default();
    opts.endpoint = opts
        .endpoint
        .clone()
        .max_connections(20_000)
        .max_sessions(20_000);
    let mut server = Server::new(node, opts, ids);
    let sharded = args.iter().any(|a| a == "--sharded");
    server.set_cluster(Adapter::new(
        ClusterConfig::default().sharded(sharded),
        &uid,
    ));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    sockwire_tokio::serve_cluster(listener, server, &redis).await
}
