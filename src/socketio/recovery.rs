//! Connection state recovery (Socket.IO 4.6+): the server-side store of disconnected sessions
//! and of the packets they may have missed.
//!
//! With recovery on, a server socket gets a private session id (`pid`, sent only to its own
//! client in the CONNECT reply), and every EVENT emitted without an ack id (broadcasts and direct
//! emits alike) carries an *offset* as its last argument. When the transport drops for a
//! recoverable reason, the socket's id, rooms and data are kept for
//! [`RecoveryConfig::max_disconnection_duration`]; a client reconnecting with
//! `{"pid": …, "offset": …}` in its CONNECT gets its old id, rooms and data back, and the packets
//! it missed — those emitted after its offset that would have reached it — are replayed.
//!
//! [`RecoveryStore`] is that store for one namespace, pure and bounded: it never reads a clock
//! (every call takes `now`), never generates ids (the caller supplies the `pid`), and caps the
//! number of kept sessions, stored packets and stored bytes. It is generic over the packet `P`
//! (the hub stores its encoded-once `Arc`, so a replay copies nothing) and the session data `D`.
//!
//! # Where it differs from the reference adapter, on purpose
//!
//! * **No offset yet.** A client that disconnects before it received any offset-carrying event
//!   reconnects without an offset; the reference then cannot find a start and refuses to recover.
//!   Here each session remembers the store position when it was created, and a restore without
//!   an offset replays from there.
//! * **One restore per disconnection.** The reference keeps a restored session in its map, so the
//!   same `pid` and offset restore (and replay) again. Here a restore takes the session out; the
//!   next disconnection stores it again with the offset position refreshed.
//! * **Offsets are positions, not random ids.** An offset is the decimal sequence number of the
//!   stored packet, so finding it is a binary search, and an offset older than the oldest packet
//!   still stored is known to be unrecoverable (packets were evicted) instead of merely unknown.
//! * **Bounded.** When a cap is reached the oldest packets are evicted (sessions whose offsets
//!   point before them can no longer recover) and the oldest disconnected session is dropped.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::time::Duration;

/// The disconnect reasons after which the reference server keeps a session for recovery
/// (`RECOVERABLE_DISCONNECT_REASONS`), as their reason strings
/// ([`DisconnectReason::as_str`](super::DisconnectReason::as_str)).
pub const RECOVERABLE_REASONS: [&str; 6] = [
    "transport error",
    "transport close",
    "forced close",
    "ping timeout",
    "server shutting down",
    "forced server close",
];

/// Whether a disconnect reason (its reference string) keeps the session for recovery.
pub fn is_recoverable(reason: &str) -> bool {
    RECOVERABLE_REASONS.contains(&reason)
}

/// Recovery settings and caps, with the reference's defaults where it has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecoveryConfig {
    /// How long a disconnected session (and a stored packet) is kept. Default 2 minutes, as the
    /// reference's `maxDisconnectionDuration`.
    pub max_disconnection_duration: Duration,
    /// Whether a recovered socket skips the connection middlewares (reference
    /// `skipMiddlewares`, default `true`). The store only carries the setting for the server.
    pub skip_middlewares: bool,
    /// Cap on disconnected sessions kept at once. Default 10,000; the oldest goes first.
    pub max_sessions: usize,
    /// Cap on stored packets. Default 10,000; the oldest goes first.
    pub max_packets: usize,
    /// Cap on the total size of stored packets, as the caller measures them. Default 16 MiB.
    pub max_bytes: usize,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RecoveryConfig {
    /// The defaults: 2 minutes, middlewares skipped, 10,000 sessions, 10,000 packets, 16 MiB.
    pub const fn new() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_secs(120),
            skip_middlewares: true,
            max_sessions: 10_000,
            max_packets: 10_000,
            max_bytes: 16 << 20,
        }
    }

    /// Sets [`max_disconnection_duration`](Self::max_disconnection_duration).
    pub const fn max_disconnection_duration(mut self, d: Duration) -> Self {
        self.max_disconnection_duration = d;
        self
    }

    /// Sets [`skip_middlewares`](Self::skip_middlewares).
    pub const fn skip_middlewares(mut self, skip: bool) -> Self {
        self.skip_middlewares = skip;
        self
    }

    /// Sets [`max_sessions`](Self::max_sessions).
    pub const fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n;
        self
    }

    /// Sets [`max_packets`](Self::max_packets).
    pub const fn max_packets(mut self, n: usize) -> Self {
        self.max_packets = n;
        self
    }

    /// Sets [`max_bytes`](Self::max_bytes).
    pub const fn max_bytes(mut self, n: usize) -> Self {
        self.max_bytes = n;
        self
    }
}

/// Who a stored packet was for: the union of `rooms` (all sockets of the namespace when empty),
/// minus the members of `except`. A direct emit is the room named by the socket's own id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    /// The rooms the packet went to; empty means the whole namespace.
    pub rooms: Vec<String>,
    /// Rooms whose members were excluded.
    pub except: Vec<String>,
}

impl Audience {
    /// Every socket of the namespace.
    pub fn all() -> Self {
        Audience::default()
    }

    /// The members of one room (a direct emit: the socket's own id).
    pub fn room(room: &str) -> Self {
        Audience {
            rooms: alloc::vec![String::from(room)],
            except: Vec::new(),
        }
    }

    /// Whether a socket in `rooms` (its own id room included) was part of this audience (the
    /// reference's `shouldIncludePacket`).
    pub fn includes<S: AsRef<str>>(&self, rooms: &[S]) -> bool {
        let included = self.rooms.is_empty()
            || rooms
                .iter()
                .any(|r| self.rooms.iter().any(|t| t == r.as_ref()));
        let excluded = rooms
            .iter()
            .any(|r| self.except.iter().any(|e| e == r.as_ref()));
        included && !excluded
    }
}

/// What a socket leaves behind when it disconnects for a recoverable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState<D> {
    /// The socket's public id (`sid`), given back on recovery.
    pub sid: String,
    /// Its rooms, its own id room included.
    pub rooms: Vec<String>,
    /// Its session data.
    pub data: D,
}

/// A successful restore: the old state and the packets to replay, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored<P, D> {
    /// The id, rooms and data the socket had.
    pub state: SessionState<D>,
    /// The packets it missed, each with the offset it carries.
    pub missed: Vec<(String, P)>,
}

/// Why a restore did not happen (the client then gets a new session, as with the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RestoreRefused {
    /// No session with that `pid` (never issued, already restored, or dropped for the cap).
    UnknownSession,
    /// The session was kept longer than the maximum disconnection duration.
    Expired,
    /// The offset is not one this store issued, or packets after it were evicted.
    UnknownOffset,
}

struct Kept<D> {
    state: SessionState<D>,
    disconnected_at: Duration,
    /// Sequence number of the first packet the session may not have seen: the one after its
    /// offset, or the store position when the socket was created.
    resume_from: u64,
    /// The store position when the socket was created: nothing older is replayed, whatever
    /// offset the client presents.
    created: u64,
}

struct Stored<P> {
    seq: u64,
    at: Duration,
    audience: Audience,
    bytes: usize,
    packet: P,
}

/// The recovery store of one namespace. See the [module docs](self).
pub struct RecoveryStore<P, D> {
    cfg: RecoveryConfig,
    sessions: BTreeMap<String, Kept<D>>,
    /// Expiry index: (disconnected_at, pid).
    by_time: BTreeSet<(Duration, String)>,
    packets: VecDeque<Stored<P>>,
    /// Sequence number the next stored packet gets.
    next_seq: u64,
    /// Every packet with a smaller sequence number is gone (evicted or expired).
    gone_before: u64,
    bytes: usize,
}

impl<P, D> core::fmt::Debug for RecoveryStore<P, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecoveryStore")
            .field("cfg", &self.cfg)
            .field("sessions", &self.sessions.len())
            .field("packets", &self.packets.len())
            .field("bytes", &self.bytes)
            .field("next_seq", &self.next_seq)
            .field("gone_before", &self.gone_before)
            .finish()
    }
}

impl<P: Clone, D> RecoveryStore<P, D> {
    /// An empty store.
    pub fn new(cfg: RecoveryConfig) -> Self {
        RecoveryStore {
            cfg,
            sessions: BTreeMap::new(),
            by_time: BTreeSet::new(),
            packets: VecDeque::new(),
            next_seq: 1,
            gone_before: 1,
            bytes: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &RecoveryConfig {
        &self.cfg
    }

    /// The position a socket created now starts from; keep it with the socket and hand it to
    /// [`persist`](Self::persist) if it disconnects before it has seen an offset.
    pub fn position(&self) -> u64 {
        self.next_seq
    }

    /// The offset the next [`record`](Self::record) will assign, to append as the packet's last
    /// argument before encoding it.
    pub fn next_offset(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "{}", self.next_seq);
        s
    }

    /// Stores an EVENT packet without ack id that was just emitted to `audience` (carrying
    /// [`next_offset`](Self::next_offset) as its last argument), `bytes` long as the caller
    /// measures it. Returns its offset. Evicts the oldest packets past the caps.
    pub fn record(&mut self, now: Duration, audience: Audience, bytes: usize, packet: P) -> String {
        let offset = self.next_offset();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.packets.push_back(Stored {
            seq,
            at: now,
            audience,
            bytes,
            packet,
        });
        while self.packets.len() > self.cfg.max_packets
            || (self.bytes > self.cfg.max_bytes && !self.packets.is_empty())
        {
            self.evict_oldest_packet();
        }
        offset
    }

    fn evict_oldest_packet(&mut self) {
        if let Some(p) = self.packets.pop_front() {
            self.bytes -= p.bytes;
            self.gone_before = p.seq + 1;
        }
    }

    /// Keeps a disconnected socket's state, if `reason` (the reference reason string) is
    /// recoverable; returns whether it was kept. `last_offset` is the newest offset the socket
    /// was sent, if any; `position` is what [`position`](Self::position) returned when the socket
    /// was created (used when it never got an offset). A full store drops its oldest session.
    pub fn persist(
        &mut self,
        now: Duration,
        pid: &str,
        reason: &str,
        last_offset: Option<&str>,
        position: u64,
        state: SessionState<D>,
    ) -> bool {
        if !is_recoverable(reason) || self.cfg.max_sessions == 0 {
            return false;
        }
        let resume_from = match last_offset.and_then(parse_offset) {
            Some(seq) => seq + 1,
            None => position,
        };
        self.remove_session(pid);
        while self.sessions.len() >= self.cfg.max_sessions {
            let Some((_, oldest)) = self.by_time.pop_first() else {
                break;
            };
            self.sessions.remove(&oldest);
        }
        self.by_time.insert((now, String::from(pid)));
        self.sessions.insert(
            String::from(pid),
            Kept {
                state,
                disconnected_at: now,
                resume_from,
                created: position,
            },
        );
        true
    }

    fn remove_session(&mut self, pid: &str) -> Option<Kept<D>> {
        let kept = self.sessions.remove(pid)?;
        self.by_time
            .remove(&(kept.disconnected_at, String::from(pid)));
        Some(kept)
    }

    /// Restores the session `pid` for a client that reconnected with `offset` (absent if it never
    /// received one): takes the session out of the store and returns its state with the packets
    /// it missed. The session is gone afterwards whatever the outcome, except when unknown.
    pub fn restore(
        &mut self,
        now: Duration,
        pid: &str,
        offset: Option<&str>,
    ) -> Result<Restored<P, D>, RestoreRefused> {
        let kept = self
            .remove_session(pid)
            .ok_or(RestoreRefused::UnknownSession)?;
        if now.saturating_sub(kept.disconnected_at) > self.cfg.max_disconnection_duration {
            return Err(RestoreRefused::Expired);
        }
        let from = match offset {
            None => kept.resume_from,
            Some(o) => match parse_offset(o) {
                Some(seq) if seq >= 1 && seq < self.next_seq => (seq + 1).max(kept.created),
                _ => return Err(RestoreRefused::UnknownOffset),
            },
        };
        if from < self.gone_before {
            return Err(RestoreRefused::UnknownOffset);
        }
        // Packets are in sequence order without gaps from `gone_before`.
        let start = usize::try_from(from - self.gone_before).unwrap_or(usize::MAX);
        let missed = self
            .packets
            .iter()
            .skip(start)
            .filter(|p| p.audience.includes(&kept.state.rooms))
            .map(|p| {
                let mut o = String::new();
                let _ = write!(o, "{}", p.seq);
                (o, p.packet.clone())
            })
            .collect();
        Ok(Restored {
            state: kept.state,
            missed,
        })
    }

    /// Drops the sessions and packets older than the maximum disconnection duration.
    pub fn handle_timeout(&mut self, now: Duration) {
        let Some(threshold) = now.checked_sub(self.cfg.max_disconnection_duration) else {
            return;
        };
        while let Some((at, _)) = self.by_time.first() {
            if *at >= threshold {
                break;
            }
            if let Some((_, pid)) = self.by_time.pop_first() {
                self.sessions.remove(&pid);
            }
        }
        while self.packets.front().is_some_and(|p| p.at < threshold) {
            self.evict_oldest_packet();
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has something to drop.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Duration> {
        let session = self.by_time.first().map(|(at, _)| *at);
        let packet = self.packets.front().map(|p| p.at);
        let oldest = match (session, packet) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(oldest.saturating_add(self.cfg.max_disconnection_duration) + Duration::from_nanos(1))
    }

    /// Number of sessions kept.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Number of packets stored, and their total size.
    pub fn stored(&self) -> (usize, usize) {
        (self.packets.len(), self.bytes)
    }
}

/// An offset is the decimal sequence number of a stored packet (no sign, no leading zero).
fn parse_offset(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 19 || (b[0] == b'0' && b.len() > 1) {
        return None;
    }
    if !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_canonical_decimals() {
        assert_eq!(parse_offset("1"), Some(1));
        assert_eq!(
            parse_offset("1234567890123456789"),
            Some(1_234_567_890_123_456_789)
        );
        for bad in [
            "",
            "0x1",
            "01",
            "-1",
            "+1",
            "1 ",
            "12345678901234567890",
            "a",
        ] {
            assert_eq!(parse_offset(bad), None, "{bad:?}");
        }
    }
}
