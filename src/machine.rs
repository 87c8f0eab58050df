//! [`Machine`]: the run-loop contract of the server machines that multiplex connections by a
//! caller-chosen id (an Engine.IO [`Endpoint`](crate::engineio::Endpoint), a Socket.IO
//! [`Server`](crate::socketio::server::Server)), so that every host (a std thread pool, a
//! tokio task, a C event loop) drives them the same way and is written once.
//!
//! A host accepts a connection and calls [`Machine::handle_accept`], feeds what it reads to
//! [`Machine::handle_read`] and the end of the stream to [`Machine::handle_eof`]; after each of
//! these it writes every [`Transmit`] from [`Machine::poll_transmit`] to its connection (closing
//! it after the bytes when [`Transmit::close`] says so), and arms one timer at
//! [`Machine::poll_timeout`] that calls [`Machine::handle_timeout`]. `now` is the host's
//! monotonic clock, a `Duration` since any fixed start.

use core::time::Duration;

pub use crate::engineio::endpoint::Transmit;

use crate::cluster::Command;

/// A sans-IO server driven by connection ids (see the [module docs](self)).
pub trait Machine {
    /// Connection `conn` was accepted (ids are the host's, never reused while open).
    fn handle_accept(&mut self, now: Duration, conn: u64);
    /// Bytes were read from connection `conn`.
    fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]);
    /// Connection `conn`'s read side ended (a read returned 0 or failed).
    fn handle_eof(&mut self, now: Duration, conn: u64);
    /// The deadline of [`Machine::poll_timeout`] passed.
    fn handle_timeout(&mut self, now: Duration);
    /// The next bytes to write, in order per connection.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Transmit>;
    /// When [`Machine::handle_timeout`] must be called next, if ever.
    #[must_use]
    fn poll_timeout(&self) -> Option<Duration>;
    /// The host will report every written transmit with [`Machine::handle_written`]: the
    /// machine then keeps one write in flight per connection, as the reference server does
    /// ([`pacing`](crate::engineio::endpoint::pacing)). Call once, before the first input.
    /// The default ignores it.
    fn enable_write_pacing(&mut self) {}
    /// The last transmit of `conn` is written (only with [`Machine::enable_write_pacing`]).
    fn handle_written(&mut self, now: Duration, conn: u64) {
        let _ = (now, conn);
    }
    /// A message from the cluster bus on `channel` (see [`crate::cluster`]); ignored by
    /// default (a machine that is not in a cluster).
    fn handle_bus(&mut self, now: Duration, channel: &str, payload: &[u8]) {
        let _ = (now, channel, payload);
    }
    /// The answer to a [`Command::NumSub`]: `count` subscribers of `channel`; ignored by
    /// default.
    fn handle_bus_count(&mut self, now: Duration, channel: &str, count: u64) {
        let _ = (now, channel, count);
    }
    /// The next command for the cluster bus (subscribe, publish, count); none by default.
    #[must_use]
    fn poll_bus(&mut self) -> Option<Command> {
        None
    }
}

impl Machine for crate::engineio::Endpoint {
    fn handle_accept(&mut self, now: Duration, conn: u64) {
        Self::handle_accept(self, now, conn);
    }
    fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]) {
        Self::handle_read(self, now, conn, bytes);
    }
    fn handle_eof(&mut self, now: Duration, conn: u64) {
        Self::handle_eof(self, now, conn);
    }
    fn handle_timeout(&mut self, now: Duration) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Self::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Duration> {
        Self::poll_timeout(self)
    }
    fn enable_write_pacing(&mut self) {
        Self::enable_write_pacing(self);
    }
    fn handle_written(&mut self, now: Duration, conn: u64) {
        Self::handle_written(self, now, conn);
    }
}

impl<A: crate::socketio::server::App> Machine for crate::socketio::server::Server<A> {
    fn handle_accept(&mut self, now: Duration, conn: u64) {
        Self::handle_accept(self, now, conn);
    }
    fn handle_read(&mut self, now: Duration, conn: u64, bytes: &[u8]) {
        Self::handle_read(self, now, conn, bytes);
    }
    fn handle_eof(&mut self, now: Duration, conn: u64) {
        Self::handle_eof(self, now, conn);
    }
    fn handle_timeout(&mut self, now: Duration) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self) -> Option<Transmit> {
        Self::poll_transmit(self)
    }
    fn poll_timeout(&self) -> Option<Duration> {
        Self::poll_timeout(self)
    }
    fn enable_write_pacing(&mut self) {
        Self::enable_write_pacing(self);
    }
    fn handle_written(&mut self, now: Duration, conn: u64) {
        Self::handle_written(self, now, conn);
    }
    fn handle_bus(&mut self, now: Duration, channel: &str, payload: &[u8]) {
        // A malformed or oversized bus message changes nothing; there is no one to tell.
        let _ = Self::handle_cluster_message(self, now, channel, payload);
    }
    fn handle_bus_count(&mut self, now: Duration, channel: &str, count: u64) {
        Self::handle_cluster_numsub(self, now, channel, count);
    }
    fn poll_bus(&mut self) -> Option<Command> {
        Self::poll_cluster_transmit(self)
    }
}
