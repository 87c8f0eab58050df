//! A Socket.IO v5 client on tokio (WebSocket transport): `connect`, `emit`, `emit_with_ack`,
//! `ack`, events with [`SioClient::next_event`], `disconnect`, and automatic reconnection with
//! exponential backoff (the namespace is joined again; the core's socket machine re-sends its
//! CONNECT on the new session).
//!
//! The protocol is the core's: an Engine.IO [`ClientSession`] and a Socket.IO [`ClientSocket`]
//! drained into each other here, over a [`WebSocket`](crate::WebSocket) from [`connect`](crate::connect).
//! Timers (heartbeat, ack timeouts, reconnection delay) run while [`SioClient::next_event`] is
//! awaited.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sockwire::engineio::Message as EioMessage;
use sockwire::engineio::client::{
    ClientConfig as EioConfig, ClientEvent as EioEvent, ClientRequest, ClientSession,
};
use sockwire::engineio::http::Transport;
use sockwire::handshake::ClientOptions;
use sockwire::socketio::{
    AckHandle, ClientConfig, ClientEvent, ClientSocket, DisconnectReason, SocketIoError, Value,
};
use sockwire::ws::ConnectionConfig;
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::{Message, WsReader, WsWriter, connect};

/// Client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SioClientConfig {
    /// The Engine.IO path (default `/socket.io/`).
    pub path: String,
    /// Reconnect after the transport is lost (default true; never after [`SioClient::disconnect`]).
    pub reconnection: bool,
    /// First reconnection delay (default 1 s), doubled per attempt...
    pub reconnection_delay: Duration,
    /// ...up to this (default 5 s).
    pub reconnection_delay_max: Duration,
    /// Attempts before giving up (default unlimited).
    pub reconnection_attempts: u32,
}

impl Default for SioClientConfig {
    fn default() -> Self {
        SioClientConfig {
            path: "/socket.io/".into(),
            reconnection: true,
            reconnection_delay: Duration::from_secs(1),
            reconnection_delay_max: Duration::from_secs(5),
            reconnection_attempts: u32::MAX,
        }
    }
}

/// What happened, from [`SioClient::next_event`].
#[derive(Debug)]
#[non_exhaustive]
pub enum SioEvent {
    /// The namespace is joined (again, after a reconnection); `sid` is the socket id.
    Connect {
        /// The socket id.
        sid: String,
    },
    /// The server refused the namespace.
    ConnectError {
        /// Its message (raw JSON), if any.
        data: Option<String>,
    },
    /// An event from the server.
    Event {
        /// The event name.
        name: String,
        /// The arguments as raw JSON (binary ones as their placeholders).
        args: Vec<String>,
        /// The binary attachments, indexed by placeholder number.
        attachments: Vec<Vec<u8>>,
        /// Present when the server waits for an answer ([`SioClient::ack`]).
        ack: Option<AckHandle>,
    },
    /// The answer to [`SioClient::emit_with_ack`] number `id` (arguments as raw JSON).
    Ack {
        /// The id `emit_with_ack` returned.
        id: u64,
        /// The answer's arguments.
        args: Vec<String>,
    },
    /// No answer to `emit_with_ack` number `id` in time.
    AckTimeout {
        /// The id.
        id: u64,
    },
    /// The namespace connection ended.
    Disconnect {
        /// Why.
        reason: DisconnectReason,
    },
    /// A reconnection attempt is starting.
    Reconnecting {
        /// Its number, from 1.
        attempt: u32,
    },
}

/// The two machines, drained into each other.
struct Machines {
    eio: ClientSession,
    sio: ClientSocket,
}

type Keys = Box<dyn FnMut() -> [u8; 4] + Send>;
type Entropy = Arc<Mutex<Box<dyn FnMut() -> [u8; 16] + Send>>>;

/// A Socket.IO client connected to one namespace.
pub struct SioClient {
    m: Arc<Mutex<Machines>>,
    writer: Option<WsWriter<TcpStream, Keys>>,
    reader: Option<WsReader<TcpStream, Keys>>,
    events: VecDeque<SioEvent>,
    /// WebSocket messages the machines produced, not yet handed to the writer (`None`: close).
    /// Kept here so that a `next_event` dropped mid-write loses nothing.
    outbox: VecDeque<Option<Message>>,
    addr: String,
    nsp: String,
    cfg: SioClientConfig,
    entropy: Entropy,
    start: Instant,
    /// Reconnection attempts since the last successful connection.
    attempts: u32,
    /// `disconnect` was called: no reconnection.
    done: bool,
}

impl std::fmt::Debug for SioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SioClient")
            .field("addr", &self.addr)
            .field("nsp", &self.nsp)
            .finish_non_exhaustive()
    }
}

impl SioClient {
    /// Connects to `addr` (`host:port`) and asks to join `nsp` with `auth` (raw JSON object).
    /// `entropy` gives 16 unpredictable bytes per call (handshake nonces, masking keys; use
    /// the OS or a CSPRNG). The join completes with [`SioEvent::Connect`].
    pub async fn connect(
        addr: &str,
        nsp: &str,
        auth: Option<&str>,
        cfg: SioClientConfig,
        entropy: impl FnMut() -> [u8; 16] + Send + 'static,
    ) -> io::Result<Self> {
        let mut sio = ClientSocket::new(ClientConfig::default());
        sio.connect(nsp, auth).map_err(io::Error::other)?;
        let mut c = SioClient {
            m: Arc::new(Mutex::new(Machines {
                eio: new_eio(),
                sio,
            })),
            writer: None,
            reader: None,
            events: VecDeque::new(),
            outbox: VecDeque::new(),
            addr: addr.into(),
            nsp: nsp.into(),
            cfg,
            entropy: Arc::new(Mutex::new(Box::new(entropy))),
            start: Instant::now(),
            attempts: 0,
            done: false,
        };
        c.open_transport().await?;
        Ok(c)
    }

    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    /// Opens a WebSocket for the current Engine.IO session and tells both machines.
    async fn open_transport(&mut self) -> io::Result<()> {
        let query = self.m.lock().unwrap().eio.query(Transport::WebSocket);
        let target = format!("{}?{}", self.cfg.path, query);
        let nonce = (self.entropy.lock().unwrap())();
        let tcp = TcpStream::connect(&self.addr).await?;
        tcp.set_nodelay(true)?;
        let e = Arc::clone(&self.entropy);
        let keys: Keys = Box::new(move || {
            let b = (e.lock().unwrap())();
            [b[0], b[1], b[2], b[3]]
        });
        let opts = ClientOptions::new(&self.addr, &target, nonce);
        let ws = connect(tcp, opts, ConnectionConfig::default(), keys).await?;
        let (r, w) = ws.split();
        self.reader = Some(r);
        self.writer = Some(w);
        let now = self.now();
        self.m.lock().unwrap().eio.handle_ws_open(now);
        self.pump().await
    }

    /// Drains the machines into each other, queues the events, writes what they send.
    async fn pump(&mut self) -> io::Result<()> {
        let now = self.now();
        {
            let mut m = self.m.lock().unwrap();
            drain(&mut m, now, &mut self.outbox, &mut self.events);
        }
        if let Some(w) = &self.writer {
            // Each message is queued in the connection at the first poll of its send, so it is
            // taken off the outbox first; the writer's flush is itself cancel-safe.
            while let Some(msg) = self.outbox.pop_front() {
                match msg {
                    Some(m) => w.send(&m).await?,
                    None => w.close(sockwire::frame::CloseCode::NORMAL, "").await?,
                }
            }
        } else {
            self.outbox.clear(); // no transport: what was for it is moot
        }
        if self
            .events
            .iter()
            .any(|e| matches!(e, SioEvent::Connect { .. }))
        {
            self.attempts = 0;
        }
        Ok(())
    }

    /// Emits `name` with `args` to the namespace (`socket.emit`).
    pub async fn emit(&mut self, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        let nsp = self.nsp.clone();
        self.m.lock().unwrap().sio.emit(&nsp, name, args)?;
        self.pump().await.map_err(|_| SocketIoError::Closed)
    }

    /// Emits and waits for the server's answer until `timeout`; returns the id that the
    /// [`SioEvent::Ack`] (or [`SioEvent::AckTimeout`]) will carry.
    pub async fn emit_with_ack(
        &mut self,
        name: &str,
        args: &[Value<'_>],
        timeout: Duration,
    ) -> Result<u64, SocketIoError> {
        let (nsp, now) = (self.nsp.clone(), self.now());
        let id = self
            .m
            .lock()
            .unwrap()
            .sio
            .emit_with_ack(now, &nsp, name, args, Some(timeout))?;
        self.pump().await.map_err(|_| SocketIoError::Closed)?;
        Ok(id)
    }

    /// Answers an event the server sent with an ack id.
    pub async fn ack(
        &mut self,
        handle: AckHandle,
        args: &[Value<'_>],
    ) -> Result<(), SocketIoError> {
        self.m.lock().unwrap().sio.ack(handle, args)?;
        self.pump().await.map_err(|_| SocketIoError::Closed)
    }

    /// Leaves the namespace and closes the connection (no reconnection).
    pub async fn disconnect(&mut self) -> io::Result<()> {
        self.done = true;
        let nsp = self.nsp.clone();
        {
            let mut m = self.m.lock().unwrap();
            let _ = m.sio.disconnect(&nsp);
        }
        self.pump().await?;
        self.m.lock().unwrap().eio.close();
        self.pump().await
    }

    /// The next event; `None` once the client is disconnected for good (after
    /// [`disconnect`](Self::disconnect), or when reconnection is off or gave up).
    pub async fn next_event(&mut self) -> Option<SioEvent> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Some(e);
            }
            let deadline = {
                let m = self.m.lock().unwrap();
                if m.eio.is_closed() || self.reader.is_none() {
                    None
                } else {
                    [m.eio.poll_timeout(), m.sio.poll_timeout()]
                        .into_iter()
                        .flatten()
                        .min()
                }
            };
            let Some(reader) = self.reader.as_mut() else {
                if self.done || !self.reconnect().await {
                    return None;
                }
                continue;
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(self.start + d).await,
                    None => std::future::pending().await,
                }
            };
            let got = tokio::select! {
                r = reader.recv() => Some(r),
                () = sleep => None,
            };
            let now = self.now();
            {
                let mut m = self.m.lock().unwrap();
                match got {
                    Some(Ok(Some(Message::Text(t)))) => m.eio.handle_ws_text(now, &t),
                    Some(Ok(Some(Message::Binary(b)))) => m.eio.handle_ws_binary(now, &b),
                    Some(_) => {
                        // The WebSocket ended (closed, failed): the session is lost.
                        m.eio.handle_ws_closed(now);
                    }
                    None => {
                        m.eio.handle_timeout(now);
                        m.sio.handle_timeout(now);
                    }
                }
                if m.eio.is_closed() {
                    self.reader = None;
                }
            }
            if self.pump().await.is_err() {
                self.reader = None;
                let mut m = self.m.lock().unwrap();
                m.eio.handle_ws_closed(now);
            }
            if self.reader.is_none() {
                self.writer = None;
                let now = self.now();
                let mut m = self.m.lock().unwrap();
                drain(&mut m, now, &mut VecDeque::new(), &mut self.events);
            }
        }
    }

    /// Waits out the backoff and opens a new session; false when giving up.
    async fn reconnect(&mut self) -> bool {
        if !self.cfg.reconnection {
            return false;
        }
        loop {
            if self.attempts >= self.cfg.reconnection_attempts {
                return false;
            }
            self.attempts += 1;
            let exp = self.attempts.saturating_sub(1).min(16);
            let delay = self
                .cfg
                .reconnection_delay
                .saturating_mul(1 << exp)
                .min(self.cfg.reconnection_delay_max);
            self.events.push_back(SioEvent::Reconnecting {
                attempt: self.attempts,
            });
            tokio::time::sleep(delay).await;
            self.m.lock().unwrap().eio = new_eio();
            if self.open_transport().await.is_ok() {
                return true;
            }
        }
    }
}

fn new_eio() -> ClientSession {
    ClientSession::new(EioConfig {
        transport: Transport::WebSocket,
        upgrade: false,
        ..EioConfig::default()
    })
}

/// Moves messages between the machines until quiet: Socket.IO's packets into Engine.IO,
/// Engine.IO's WebSocket frames to `out` (`None`: close it), its messages into Socket.IO, and
/// Socket.IO's events to `events`.
fn drain(
    m: &mut Machines,
    now: Duration,
    out: &mut VecDeque<Option<Message>>,
    events: &mut VecDeque<SioEvent>,
) {
    loop {
        let mut moved = false;
        // Socket.IO's packets wait in its machine until the Engine.IO session is open.
        while let Some(msg) = m.eio.is_open().then(|| m.sio.poll_transmit()).flatten() {
            moved = true;
            let _ = match (msg.as_text(), msg.as_binary()) {
                (Some(t), _) => m.eio.send_text(t),
                (_, Some(b)) => m.eio.send_binary(b),
                _ => Ok(()),
            };
        }
        while let Some(req) = m.eio.poll_transmit() {
            moved = true;
            match req {
                ClientRequest::WsText(t) => out.push_back(Some(Message::Text(t))),
                ClientRequest::WsBinary(b) => out.push_back(Some(Message::Binary(b))),
                ClientRequest::WsClose => out.push_back(None),
                _ => {} // WebSocket only: no polling requests are made
            }
        }
        while let Some(ev) = m.eio.poll_event() {
            moved = true;
            match ev {
                EioEvent::Open { .. } => m.sio.handle_transport_open(),
                EioEvent::Message(EioMessage::Text(t)) => {
                    let _ = m.sio.handle_text(now, &t);
                }
                EioEvent::Message(EioMessage::Binary(b)) => {
                    let _ = m.sio.handle_binary(now, &b);
                }
                EioEvent::Closed(reason) => m.sio.handle_transport_close(reason.into()),
                _ => {}
            }
        }
        while let Some(ev) = m.sio.poll_event() {
            moved = true;
            match ev {
                ClientEvent::Connect { sid, .. } => events.push_back(SioEvent::Connect { sid }),
                ClientEvent::ConnectError { data, .. } => {
                    events.push_back(SioEvent::ConnectError { data });
                }
                ClientEvent::Event { packet, ack } => {
                    let p = packet.packet();
                    let name = p.event_name().unwrap_or_default().into_owned();
                    let args = p.args().map(String::from).collect();
                    let attachments = packet.attachments().to_vec();
                    events.push_back(SioEvent::Event {
                        name,
                        args,
                        attachments,
                        ack,
                    });
                }
                ClientEvent::Ack { packet } => {
                    let p = packet.packet();
                    events.push_back(SioEvent::Ack {
                        id: p.id().unwrap_or(0),
                        args: p.args().map(String::from).collect(),
                    });
                }
                ClientEvent::AckTimeout { id, .. } => events.push_back(SioEvent::AckTimeout { id }),
                ClientEvent::Disconnect { reason, .. } => {
                    events.push_back(SioEvent::Disconnect { reason });
                }
                _ => {}
            }
        }
        if !moved {
            return;
        }
    }
}
