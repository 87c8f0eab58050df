//! [`ConnectionConfig`]: budgets, timers and modes of a [`Connection`](super::Connection).

use core::time::Duration;

use crate::deflate::PerMessageDeflate;

/// How received data messages are delivered; see the [module docs](super#receive-modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReceiveMode {
    /// Whole messages, reassembled in one buffer owned by the connection and reused across
    /// messages: [`Event::Text`](super::Event::Text) and [`Event::Binary`](super::Event::Binary).
    #[cfg(feature = "alloc")]
    #[default]
    Messages,
    /// Pieces of payload as they arrive, as byte ranges of the caller's buffer:
    /// [`Event::Chunk`](super::Event::Chunk). Never allocates.
    #[cfg_attr(not(feature = "alloc"), default)]
    Stream,
}

/// Configuration of a [`Connection`](super::Connection): every budget has a sane default and a
/// builder-style setter.
///
/// | setting | default |
/// | --- | --- |
/// | [`max_frame_size`](Self::max_frame_size) | 16 MiB (larger frame → 1009, from the header) |
/// | [`max_message_size`](Self::max_message_size) | 16 MiB (larger message → 1009, from the headers) |
/// | [`max_fragments`](Self::max_fragments) | 16384 frames per message, empty ones included (→ 1008) |
/// | [`receive_mode`](Self::receive_mode) | `Messages` with `alloc`, else `Stream` |
/// | [`auto_pong`](Self::auto_pong) | on |
/// | [`keepalive`](Self::keepalive) | off |
/// | [`pong_timeout`](Self::pong_timeout) | 20 s (only with keepalive) |
/// | [`close_timeout`](Self::close_timeout) | 5 s |
///
/// Control output needs no budget: pending pongs are coalesced (only the latest ping is
/// answered if several arrive before [`poll_transmit`](super::Connection::poll_transmit) is
/// drained), so at most one Pong, one Ping and one Close are ever waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionConfig {
    pub(crate) max_frame_size: u64,
    pub(crate) max_message_size: u64,
    pub(crate) max_fragments: u32,
    pub(crate) receive_mode: ReceiveMode,
    pub(crate) auto_pong: bool,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) pong_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) permessage_deflate: Option<PerMessageDeflate>,
    pub(crate) compression_threshold: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            max_frame_size: 16 << 20,
            max_message_size: 16 << 20,
            max_fragments: 16384,
            receive_mode: ReceiveMode::default(),
            auto_pong: true,
            keepalive: None,
            pong_timeout: Duration::from_secs(20),
            close_timeout: Duration::from_secs(5),
            permessage_deflate: None,
            compression_threshold: 128,
        }
    }
}

impl ConnectionConfig {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        Self::default()
    }

    /// Largest payload of a single received frame. A header declaring more fails the
    /// connection with 1009 before any of the payload is read.
    #[must_use]
    pub fn max_frame_size(mut self, bytes: u64) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Largest received message (sum of its fragments). Checked from each frame header, before
    /// the payload is read; a violation fails the connection with 1009. In
    /// [`ReceiveMode::Messages`] this bounds the reassembly buffer.
    #[must_use]
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Most frames one received message may consist of, counting empty fragments (a flood of
    /// empty continuation frames is otherwise free to send). More fails the connection with
    /// 1008. At least 1.
    #[must_use]
    pub fn max_fragments(mut self, frames: u32) -> Self {
        self.max_fragments = frames.max(1);
        self
    }

    /// Whole messages or streamed chunks; see [`ReceiveMode`].
    #[must_use]
    pub fn receive_mode(mut self, mode: ReceiveMode) -> Self {
        self.receive_mode = mode;
        self
    }

    /// Answer every Ping with a Pong automatically (on by default). When off, the caller
    /// answers [`Event::Ping`](super::Event::Ping) itself with
    /// [`pong`](super::Connection::pong).
    #[must_use]
    pub fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// Send a Ping after every `interval` (`None`, the default: never) and fail the connection
    /// if no Pong arrives within [`pong_timeout`](Self::pong_timeout).
    #[must_use]
    pub fn keepalive(mut self, interval: Option<Duration>) -> Self {
        self.keepalive = interval;
        self
    }

    /// How long to wait for a Pong after a keepalive Ping.
    #[must_use]
    pub fn pong_timeout(mut self, timeout: Duration) -> Self {
        self.pong_timeout = timeout;
        self
    }

    /// How long after sending our Close to wait for the peer's Close (and, on a client, for the
    /// server to close TCP) before giving up.
    #[must_use]
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// The permessage-deflate parameters agreed in the handshake (RFC 7692), or `None` (the
    /// default: RSV1 is refused with 1002). With them, RSV1 is accepted on the first frame of a
    /// data message and such messages are inflated (into one buffer, and reported as
    /// [`Event::Text`](super::Event::Text) / [`Event::Binary`](super::Event::Binary) in either
    /// receive mode), with [`max_message_size`](Self::max_message_size) applied to the
    /// **inflated** size. Whole messages of at least
    /// [`compression_threshold`](Self::compression_threshold) bytes are sent compressed.
    ///
    /// Compression needs a [`Codec`](crate::deflate::Codec): the built-in one (feature
    /// `deflate`) is created by the connection; without that feature, install one with
    /// [`Connection::set_codec`](super::Connection::set_codec), or RSV1 stays refused.
    #[must_use]
    pub fn permessage_deflate(mut self, pmd: Option<PerMessageDeflate>) -> Self {
        self.permessage_deflate = pmd;
        self
    }

    /// Messages shorter than this are sent uncompressed even with permessage-deflate (default
    /// 128 bytes: below that, DEFLATE rarely pays for its own framing).
    #[must_use]
    pub fn compression_threshold(mut self, bytes: usize) -> Self {
        self.compression_threshold = bytes;
        self
    }

    /// The negotiated permessage-deflate parameters, if any.
    pub fn deflate_params(&self) -> Option<PerMessageDeflate> {
        self.permessage_deflate
    }
}
