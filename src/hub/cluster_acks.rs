//! Broadcasts with acks across the cluster. Ours is published as a BROADCAST request; every
//! other node answers with a BROADCAST_CLIENT_COUNT (how many of its clients got it), then
//! one BROADCAST_ACK per client answer. Like socket.io's `emitWithAck`, ours completes as soon
//! as every other node has sent its count (the number of nodes comes from a
//! [`Command::NumSub`] on the request channel; in the sharded variant a
//! [`Command::ShardNumSub`] on the namespace's main channel, as the reference's `serverCount`)
//! and every counted client has answered, and at its deadline otherwise. Another node's
//! broadcast is delivered here with one of our ack ids, and its count and answers are sent
//! back (sharded: to `<prefix>#<nsp>#<requester uid>#`, as `{type, data, uid, nsp}`).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;

use super::{Hub, HubError, HubEvent, Target};
use crate::cluster::sharded;
use crate::cluster::wire::{self, JsonObject};
use crate::cluster::{Command, Flags, Opts, RequestType, WireError};
use crate::socketio::packet::Value;
use crate::socketio::{EncodedPacket, Parser};

impl Hub {
    /// Whether the other nodes' part of broadcast-with-ack `id` is complete: true when it was
    /// not published (no cluster, or another node's broadcast), or when every other node has
    /// sent its client count and every counted client has answered.
    pub(super) fn cluster_part_done(&self, id: u64) -> bool {
        if self.cluster_acks.is_empty() {
            return true;
        }
        self.cluster_acks
            .values()
            .find(|c| c.id == id)
            .is_none_or(ClusterAck::is_done)
    }

    /// Completes broadcast-with-ack `id` if its local and cluster parts are both done.
    fn cluster_ack_progress(&mut self, id: u64) {
        let local_done = self.pending.get(&id).is_some_and(|p| p.waiting.is_empty());
        if local_done && self.cluster_part_done(id) {
            self.complete_ack(id, false);
        }
    }

    /// A server count for our broadcasts with acks still without one (see
    /// [`Hub::handle_cluster_numsub`]); `false` if none waited for `channel`.
    pub(super) fn cluster_acks_numsub(&mut self, channel: &str, count: u64) -> bool {
        let Some((_, c)) = self
            .cluster_acks
            .iter_mut()
            .find(|(_, c)| c.servers.is_none() && *c.channel == *channel)
        else {
            return false;
        };
        c.servers = Some(count.saturating_sub(1));
        let id = c.id;
        self.cluster_ack_progress(id);
        true
    }

    /// Publishes our broadcast with acks as a BROADCAST request (no-op without a cluster).
    pub(super) fn publish_broadcast_with_ack(
        &mut self,
        target: &Target<'_>,
        event: &str,
        args: &[Value<'_>],
        id: u64,
        timeout: Duration,
    ) -> Result<(), HubError> {
        let Some(c) = self.cluster.as_deref() else {
            return Ok(());
        };
        let p = EncodedPacket::event_for(Parser::Msgpack, target.namespace, None, event, args)
            .map_err(HubError::Encode)?;
        let uid = c.uid().to_string();
        let sharded = c.is_sharded();
        // Sharded: the namespace's main channel, where SHARDNUMSUB counts the nodes (never a
        // room's channel, as the reference: its count would not be every node's).
        let channel = if sharded {
            wire::broadcast_channel(&c.config().prefix, target.namespace, &[])
        } else {
            c.request_channel(target.namespace)
        };
        let request_id = alloc::format!("{uid}-{id}");
        let mut except: Vec<&str> = target.except_rooms.to_vec();
        except.extend(target.except_sockets.iter().filter_map(|s| self.sid(*s)));
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        // `{rooms, except, flags: {timeout}}`: the broadcast's own opts encoder, minus the array.
        let opts_value = Opts {
            rooms: target.rooms.to_vec(),
            except,
            flags: Flags {
                timeout: Some(ms),
                ..Flags::default()
            },
        };
        let mut whole = Vec::new();
        wire::encode_broadcast(&mut whole, wire::Writer::Adapter, "", &[0xc0], &opts_value);
        let opts = &whole[3..];
        let packet = p.msgpack().unwrap_or(&[]);
        let mut out = Vec::new();
        if sharded {
            // As the reference: JSON, or msgpack when the arguments hold binary.
            let o = Opts {
                flags: Flags::default(),
                ..opts_value.clone()
            };
            // `None` only for a packet this crate did not write: then it stays local.
            let Some(m) = sharded::encode_broadcast_request(
                &uid,
                target.namespace,
                packet,
                &o,
                Some((&request_id, ms)),
            ) else {
                return Ok(());
            };
            out = m;
        } else {
            out.push(0x85);
            ms_str(&mut out, "uid");
            ms_str(&mut out, &uid);
            ms_str(&mut out, "requestId");
            ms_str(&mut out, &request_id);
            ms_str(&mut out, "type");
            out.push(RequestType::Broadcast.number());
            ms_str(&mut out, "packet");
            out.extend_from_slice(packet);
            ms_str(&mut out, "opts");
            out.extend_from_slice(opts);
        }
        self.cluster_acks.insert(
            request_id.into(),
            ClusterAck {
                id,
                channel: channel.as_str().into(),
                servers: None,
                counted: 0,
                client_count: 0,
                answers: Vec::new(),
                attachments: Vec::new(),
            },
        );
        // How many nodes will answer: the subscribers of the channel, minus us.
        if let Some(c) = self.cluster.as_deref_mut() {
            if sharded {
                c.push_command(Command::SPublish {
                    channel: channel.clone(),
                    payload: out,
                });
                c.push_command(Command::ShardNumSub(channel));
            } else {
                c.publish(channel.clone(), out);
                c.push_command(Command::NumSub(channel));
            }
        }
        Ok(())
    }

    /// Sends one answer of a client to another node's broadcast with acks (BROADCAST_ACK).
    pub(super) fn relay_ack(&mut self, id: u64, args: &str, attachments: &[Vec<u8>]) {
        let Some((nsp, request_id, requester)) = self.remote_acks.get(&id).cloned() else {
            return;
        };
        let first = crate::json::array_items(args)
            .ok()
            .and_then(|mut it| it.next())
            .and_then(Result::ok)
            .unwrap_or("null");
        let refs: Vec<&[u8]> = attachments.iter().map(Vec::as_slice).collect();
        let mut packet = Vec::new();
        if crate::socketio::mpbridge::json_to_msgpack(first, !refs.is_empty(), &refs, &mut packet)
            .is_err()
        {
            packet = alloc::vec![0xc0];
        }
        // Binary in the first argument itself (not only in a later one, which is not relayed).
        let binary = !refs.is_empty()
            && crate::msgpack::decode(&packet, &crate::msgpack::Limits::default())
                .map_or(true, |v| super::cluster_emit::has_binary(&v));
        let mut out = Vec::new();
        if let (Some(to), false) = (&requester, binary) {
            // As the reference: JSON when the answer holds no binary.
            let d = JsonObject::new()
                .str("requestId", &request_id)
                .raw("packet", first)
                .finish();
            self.sharded_json(&nsp, Some(to), sharded::BROADCAST_ACK, &d);
            return;
        }
        if let Some(to) = requester {
            out.push(0x82);
            ms_str(&mut out, "requestId");
            ms_str(&mut out, &request_id);
            ms_str(&mut out, "packet");
            out.extend_from_slice(&packet);
            self.sharded_respond(&nsp, Some(&to), sharded::BROADCAST_ACK, &out);
            return;
        }
        out.push(0x83);
        ms_str(&mut out, "type");
        out.push(RequestType::BroadcastAck.number());
        ms_str(&mut out, "requestId");
        ms_str(&mut out, &request_id);
        ms_str(&mut out, "packet");
        out.extend_from_slice(&packet);
        if let Some(c) = self.cluster.as_deref_mut() {
            let ch = c.response_channel(&nsp);
            c.publish(ch, out);
        }
    }

    /// Queues [`HubEvent::ClusterAcks`] for our broadcast `id`, if it went to the cluster.
    pub(super) fn cluster_ack_complete(&mut self, id: u64) {
        let key = self
            .cluster_acks
            .iter()
            .find(|(_, c)| c.id == id)
            .map(|(k, _)| k.clone());
        if let Some(c) = key.and_then(|k| self.cluster_acks.remove(&k)) {
            self.events.push_back(HubEvent::ClusterAcks {
                id,
                client_count: c.client_count,
                answers: c.answers,
                attachments: c.attachments,
            });
        }
    }

    /// Another node's BROADCAST (with acks): delivered here with one of our ack ids; the count
    /// and every answer go back to it (to `requester`'s channel in the sharded variant).
    pub(super) fn remote_broadcast_with_ack(
        &mut self,
        nsp: &str,
        m: &wire::Message<'_>,
        requester: Option<&str>,
    ) -> Result<(), WireError> {
        let (Some(request_id), Some(packet)) = (m.request_id, &m.packet) else {
            return Err(WireError::BadField("packet"));
        };
        if self.cluster_acks.contains_key(request_id) {
            return Ok(()); // our own
        }
        if !self.namespaces.contains_key(nsp) {
            // No client of ours can get it: say so, so that the sender need not wait.
            self.respond_client_count(nsp, request_id, 0, requester);
            return Ok(());
        }
        let (event, parts) = super::cluster::event_parts(packet, self.config.max_attachments)?;
        let args = super::cluster::part_values(&parts);
        let empty = Opts::default();
        let o = m.opts.as_ref().unwrap_or(&empty);
        let timeout = Duration::from_millis(o.flags.timeout.unwrap_or(5000).min(3_600_000));
        let target = Target::namespace(nsp)
            .rooms(&o.rooms)
            .except_rooms(&o.except);
        let id = self.next_ack;
        self.remote_acks.insert(
            id,
            (nsp.into(), request_id.into(), requester.map(Into::into)),
        );
        // Delivered here only: the request is not published again.
        let c = self.cluster.take();
        let now = self.now;
        let r = self.broadcast_with_ack(&target, event, &args, now, timeout);
        self.cluster = c;
        let Ok(id2) = r else {
            self.remote_acks.remove(&id);
            return Err(WireError::BadField("packet"));
        };
        let count = self
            .pending
            .get(&id2)
            .map_or(0, |p| p.waiting.len() + p.outcomes.len());
        self.respond_client_count(nsp, request_id, count as u64, requester);
        Ok(())
    }

    fn respond_client_count(
        &mut self,
        nsp: &str,
        request_id: &str,
        count: u64,
        requester: Option<&str>,
    ) {
        if let Some(to) = requester {
            let d = JsonObject::new()
                .str("requestId", request_id)
                .num("clientCount", count)
                .finish();
            self.sharded_json(nsp, Some(to), sharded::BROADCAST_CLIENT_COUNT, &d);
            return;
        }
        let json = JsonObject::new()
            .num(
                "type",
                u64::from(RequestType::BroadcastClientCount.number()),
            )
            .str("requestId", request_id)
            .num("clientCount", count)
            .finish();
        self.respond(nsp, json);
    }

    /// A response on the response channel: the parts of our broadcasts with acks.
    pub(super) fn remote_response(&mut self, payload: &[u8], max: usize) -> Result<(), WireError> {
        let mut scratch = Vec::new();
        let m = wire::decode_message(payload, &mut scratch, max)?;
        if self.request_response(&m) {
            return Ok(());
        }
        self.ack_response(&m);
        Ok(())
    }

    /// A BROADCAST_CLIENT_COUNT or BROADCAST_ACK for one of our broadcasts with acks.
    fn ack_response(&mut self, m: &wire::Message<'_>) {
        let max = self.config.max_attachments;
        let Some(c) = m.request_id.and_then(|r| self.cluster_acks.get_mut(r)) else {
            return;
        };
        match m.kind {
            Some(RequestType::BroadcastClientCount) => {
                c.client_count = c.client_count.saturating_add(m.client_count.unwrap_or(0));
                c.counted += 1;
            }
            Some(RequestType::BroadcastAck) => {
                let v = m.packet.as_ref().unwrap_or(&crate::msgpack::Value::Nil);
                // A binary answer (msgpack bin) keeps its bytes as an attachment.
                let (json, atts) =
                    wire::to_json(v, max).unwrap_or_else(|_| (String::from("null"), Vec::new()));
                // At most one answer per remote client; a node sending more is capped.
                if (c.answers.len() as u64) < c.client_count.clamp(1, 1 << 20) {
                    c.answers.push(json);
                    c.attachments.push(atts);
                }
            }
            _ => return,
        }
        let id = c.id;
        self.cluster_ack_progress(id);
    }

    /// A sharded message about broadcasts with acks: another node's BROADCAST with a
    /// `requestId` (delivered here and answered on its channel), or an answer to ours.
    pub(super) fn sharded_acks_message(
        &mut self,
        m: &sharded::Message<'_>,
    ) -> Result<(), WireError> {
        let kind = match m.kind {
            Some(sharded::BROADCAST) => RequestType::Broadcast,
            Some(sharded::BROADCAST_CLIENT_COUNT) => RequestType::BroadcastClientCount,
            Some(sharded::BROADCAST_ACK) => RequestType::BroadcastAck,
            _ => return Ok(()),
        };
        let classic = wire::Message {
            kind: Some(kind),
            uid: m.uid,
            request_id: m.request_id,
            opts: Some(m.opts.clone()),
            packet: m.packet.clone(),
            client_count: m.client_count,
            ..wire::Message::default()
        };
        if kind == RequestType::Broadcast {
            let Some(from) = m.uid else {
                return Err(WireError::BadField("uid"));
            };
            return self.remote_broadcast_with_ack(m.nsp, &classic, Some(from));
        }
        self.ack_response(&classic);
        Ok(())
    }

    /// Publishes a sharded message `{type, data, uid, nsp}` (msgpack; `data` already encoded)
    /// on the namespace's main channel, or with `to` on node `to`'s: `<prefix>#<nsp>#<to>#`.
    pub(super) fn sharded_respond(&mut self, nsp: &str, to: Option<&str>, kind: u64, data: &[u8]) {
        let Some(c) = self.cluster.as_deref_mut() else {
            return;
        };
        let out = sharded_msgpack(kind, data, c.uid(), nsp);
        let mut channel = wire::broadcast_channel(&c.config().prefix, nsp, &[]);
        if let Some(to) = to {
            channel.push_str(to);
            channel.push('#');
        }
        c.push_command(Command::SPublish {
            channel,
            payload: out,
        });
    }
}

/// A sharded message `{type, data, uid, nsp}` as msgpack (`data` already encoded), as the
/// reference writes one whose `data` holds binary.
pub(super) fn sharded_msgpack(kind: u64, data: &[u8], uid: &str, nsp: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    out.push(0x84);
    ms_str(&mut out, "type");
    crate::msgpack::encode(&crate::msgpack::Value::UInt(kind), &mut out);
    ms_str(&mut out, "data");
    out.extend_from_slice(data);
    ms_str(&mut out, "uid");
    ms_str(&mut out, uid);
    ms_str(&mut out, "nsp");
    ms_str(&mut out, nsp);
    out
}

/// Appends `v` as a msgpack string.
fn ms_str(out: &mut Vec<u8>, v: &str) {
    crate::msgpack::encode(&crate::msgpack::Value::Str(v), out);
}

/// Another node's broadcast with acks delivered here: its namespace, its request id, and (in
/// the sharded variant) the requester's uid, whose channel gets the answers.
pub(super) type RemoteAck = (Box<str>, Box<str>, Option<Box<str>>);

/// Our broadcast with acks, as published to the cluster.
#[derive(Debug)]
pub(super) struct ClusterAck {
    pub(super) id: u64,
    /// The request channel it was published on (its server count is asked there).
    channel: alloc::boxed::Box<str>,
    /// Other nodes in the cluster, once the count is known.
    servers: Option<u64>,
    /// Nodes that sent their client count.
    counted: u64,
    pub(super) client_count: u64,
    pub(super) answers: Vec<String>,
    /// The attachments of each answer (binary answers).
    pub(super) attachments: Vec<Vec<Vec<u8>>>,
}

impl ClusterAck {
    fn is_done(&self) -> bool {
        self.servers.is_some_and(|s| self.counted >= s)
            && self.answers.len() as u64 >= self.client_count
    }
}
