//! Requests from this node that wait for the other nodes' answers: `fetchSockets`,
//! `allRooms`, `serverSideEmitWithAck`. Like the Node adapter, a request first asks the bus how
//! many servers there are ([`Command::NumSub`] on the request channel, answered with
//! [`Hub::handle_cluster_numsub`]), then waits for that many answers minus itself, or for
//! [`ClusterConfig::request_timeout`](crate::cluster::ClusterConfig::request_timeout). In the
//! sharded variant, `fetchSockets`, `serverSideEmitWithAck` and `serverCount` count with
//! [`Command::ShardNumSub`] on the namespace's channel and publish there, as the reference.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::{Hub, HubError, HubEvent, Target};
use crate::cluster::wire::{self, JsonObject};
use crate::cluster::{Command, RequestType};

/// A request of ours waiting for answers.
#[derive(Debug)]
pub(super) struct Request {
    kind: RequestType,
    /// The message to publish once the server count is known (JSON, or msgpack for a sharded
    /// serverSideEmit with binary).
    body: Option<Vec<u8>>,
    /// Answers expected (servers minus this one), once known.
    expected: Option<u64>,
    got: u64,
    deadline: Duration,
    /// The items, with the attachments of each (binary answers).
    results: Vec<(String, Vec<Vec<u8>>)>,
    /// `serverCount()`: done as soon as the count is known.
    count_only: bool,
    /// The channel whose subscribers are counted, and the request published on.
    channel: Box<str>,
    /// Sharded: counted with SHARDNUMSUB, published with SPUBLISH.
    sharded: bool,
}

impl Hub {
    pub(super) fn start_request(
        &mut self,
        kind: RequestType,
        nsp: &str,
        body: impl FnOnce(&str, &str) -> Vec<u8>,
        local: Vec<String>,
    ) -> Result<u64, HubError> {
        let Some(c) = self.cluster.as_deref_mut() else {
            return Err(HubError::LimitExceeded { limit: "cluster" });
        };
        if self.requests.len() >= c.config().max_pending_requests {
            return Err(HubError::LimitExceeded {
                limit: "max_pending_requests",
            });
        }
        let n = self.next_request;
        self.next_request += 1;
        let request_id = alloc::format!("{}-r{n}", c.uid());
        let json = body(c.uid(), &request_id);
        let deadline = self.now.saturating_add(c.config().request_timeout);
        // Sharded: fetchSockets, serverSideEmitWithAck and serverCount as the reference
        // (SHARDNUMSUB of the namespace's channel); allRooms, not a request of the sharded
        // adapter, stays local (the classic channel's NUMSUB counts no node there).
        let sharded = c.is_sharded()
            && matches!(
                kind,
                RequestType::ServerSideEmit | RequestType::Sockets | RequestType::RemoteFetch
            );
        let channel = if sharded {
            wire::broadcast_channel(&c.config().prefix, nsp, &[])
        } else {
            c.request_channel(nsp)
        };
        c.push_command(if sharded {
            Command::ShardNumSub(channel.clone())
        } else {
            Command::NumSub(channel.clone())
        });
        self.requests.insert(
            request_id.into(),
            Request {
                kind,
                body: Some(json),
                expected: None,
                got: 0,
                deadline,
                results: local.into_iter().map(|s| (s, Vec::new())).collect(),
                count_only: false,
                channel: channel.into(),
                sharded,
            },
        );
        Ok(n)
    }

    /// `fetchSockets()` across the cluster: the sockets `target` selects on every node. The
    /// result is one [`HubEvent::ClusterReply`] whose items are the sockets as the Node adapter
    /// writes them (`{"id","handshake","rooms","data"}`), this node's first.
    ///
    /// # Errors
    /// No cluster, or [`ClusterConfig::max_pending_requests`](crate::cluster::ClusterConfig::max_pending_requests).
    pub fn cluster_fetch_sockets(&mut self, target: &Target<'_>) -> Result<u64, HubError> {
        let sockets = self.recipients(target);
        let local = self.fetch_items(&sockets);
        let mut except: Vec<&str> = target.except_rooms.to_vec();
        except.extend(target.except_sockets.iter().filter_map(|s| self.sid(*s)));
        let opts = wire::json_opts(target.rooms, &except);
        // The sharded adapter's opts carry `flags` too.
        let sharded_opts = JsonObject::new()
            .list("rooms", target.rooms.iter().copied())
            .list("except", except.iter().copied())
            .raw("flags", "{}")
            .finish();
        let sharded = self.cluster.as_deref().is_some_and(|c| c.is_sharded());
        let nsp = target.namespace;
        self.start_request(
            RequestType::RemoteFetch,
            nsp,
            |uid, id| {
                if sharded {
                    // `{type: 7, data: {opts: {rooms, except, flags}, requestId}, uid, nsp}`.
                    let d = JsonObject::new()
                        .raw("opts", &sharded_opts)
                        .str("requestId", id)
                        .finish();
                    return JsonObject::new()
                        .num("type", crate::cluster::sharded::FETCH_SOCKETS)
                        .raw("data", &d)
                        .str("uid", uid)
                        .str("nsp", nsp)
                        .finish()
                        .into_bytes();
                }
                JsonObject::new()
                    .str("uid", uid)
                    .str("requestId", id)
                    .num("type", u64::from(RequestType::RemoteFetch.number()))
                    .raw("opts", &opts)
                    .finish()
                    .into_bytes()
            },
            local,
        )
    }

    /// `allRooms()` across the cluster; the [`HubEvent::ClusterReply`] items are room names
    /// as JSON strings, duplicates removed.
    ///
    /// # Errors
    /// As [`Hub::cluster_fetch_sockets`].
    pub fn cluster_all_rooms(&mut self, nsp: &str) -> Result<u64, HubError> {
        let local: Vec<String> = self
            .namespaces
            .get(nsp)
            .map(|n| n.rooms.keys().map(|k| json_str(k)).collect())
            .unwrap_or_default();
        self.start_request(
            RequestType::AllRooms,
            nsp,
            |uid, id| {
                JsonObject::new()
                    .str("uid", uid)
                    .str("requestId", id)
                    .num("type", u64::from(RequestType::AllRooms.number()))
                    .finish()
                    .into_bytes()
            },
            local,
        )
    }

    /// `serverCount()`: the number of servers in the cluster, this one included (the
    /// subscribers of the namespace's request channel; sharded: of its main channel, by
    /// SHARDNUMSUB), as the single item of a
    /// [`HubEvent::ClusterReply`].
    ///
    /// # Errors
    /// As [`Hub::cluster_fetch_sockets`].
    pub fn cluster_server_count(&mut self, nsp: &str) -> Result<u64, HubError> {
        let n = self.start_request(RequestType::Sockets, nsp, |_, _| Vec::new(), Vec::new())?;
        if let Some(r) = self
            .requests
            .values_mut()
            .find(|r| r.body.as_ref().is_some_and(Vec::is_empty))
        {
            r.count_only = true;
        }
        Ok(n)
    }

    /// The answer to a [`Command::NumSub`]: `count` subscribers of `channel` (this node
    /// included). The oldest request waiting for that channel's count publishes now, or
    /// completes at once when this node is alone.
    pub fn handle_cluster_numsub(&mut self, now: Duration, channel: &str, count: u64) {
        self.now = self.now.max(now);
        if self.cluster_acks_numsub(channel, count) {
            return; // each NumSub is answered once, and answers for one channel are alike
        }
        let key = self
            .requests
            .iter()
            .filter(|(_, r)| r.expected.is_none() && *r.channel == *channel)
            .map(|(k, _)| k.clone())
            .next();
        let Some(key) = key else {
            return;
        };
        let Some(r) = self.requests.get_mut(&key) else {
            return;
        };
        r.expected = Some(count.saturating_sub(1));
        let body = r.body.take().unwrap_or_default();
        if r.count_only {
            r.results.push((alloc::format!("{count}"), Vec::new()));
            self.finish_request(&key, false);
            return;
        }
        if count <= 1 {
            self.finish_request(&key, false);
            return;
        }
        let ch = String::from(channel);
        let sharded = r.sharded;
        if let Some(c) = self.cluster.as_deref_mut() {
            if sharded {
                c.push_command(Command::SPublish {
                    channel: ch,
                    payload: body,
                });
            } else {
                c.publish(ch, body);
            }
        }
    }

    /// An answer to one of our requests (from the response channel); `true` if it was one.
    pub(super) fn request_response(&mut self, m: &wire::Message<'_>) -> bool {
        let Some(id) = m.request_id else {
            return false;
        };
        let Some(r) = self.requests.get_mut(id) else {
            return false;
        };
        let max = self.config.max_attachments;
        // An answer holding binary (sharded serverSideEmitWithAck) keeps it as attachments.
        let item = |v: &crate::msgpack::Value<'_>| wire::to_json(v, max).ok();
        match r.kind {
            RequestType::RemoteFetch => {
                if let Some(crate::msgpack::Value::Array(items)) = &m.sockets {
                    r.results.extend(items.iter().filter_map(item));
                }
            }
            RequestType::AllRooms => {
                for room in &m.rooms {
                    let j = json_str(room);
                    if !r.results.iter().any(|(x, _)| *x == j) {
                        r.results.push((j, Vec::new()));
                    }
                }
            }
            _ => r.results.push(
                m.data
                    .as_ref()
                    .and_then(item)
                    .unwrap_or_else(|| ("null".into(), Vec::new())),
            ),
        }
        r.got += 1;
        if r.expected.is_some_and(|e| r.got >= e) {
            let key: Box<str> = id.into();
            self.finish_request(&key, false);
        }
        true
    }

    fn finish_request(&mut self, key: &str, timed_out: bool) {
        if let Some((k, r)) = self.requests.remove_entry(key) {
            let request = k
                .rsplit_once("-r")
                .and_then(|(_, n)| n.parse().ok())
                .unwrap_or(0);
            let (results, attachments) = r.results.into_iter().unzip();
            self.events.push_back(HubEvent::ClusterReply {
                request,
                results,
                attachments,
                timed_out,
            });
        }
    }

    /// The earliest request deadline.
    pub(super) fn requests_timeout(&self) -> Option<Duration> {
        self.requests.values().map(|r| r.deadline).min()
    }

    /// Ends the requests whose deadline passed (with what they got).
    pub(super) fn requests_handle_timeout(&mut self, now: Duration) {
        let due: Vec<Box<str>> = self
            .requests
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            self.finish_request(&k, true);
        }
    }
}

fn json_str(s: &str) -> String {
    let mut j = String::new();
    crate::json::push_string(&mut j, s);
    j
}
