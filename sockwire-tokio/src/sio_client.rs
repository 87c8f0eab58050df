//! A Socket.IO v5 client on tokio: `connect`, `emit`, `emit_with_ack`, `ack`, events with
//! [`SioClient::next_event`], `disconnect`, and automatic reconnection.
//!
//! Every protocol decision is the core's [`Client`]: the transports (HTTP long-polling, the
//! WebSocket, the polling → WebSocket upgrade), the heartbeat, acks, reconnection and its
//! backoff. This adapter only moves bytes: a driver task owns the machine's TCP connections
//! (one small task per connection), feeds it what they read, writes what
//! [`Client::poll_transmit`] returns, and arms one timer at [`Client::poll_timeout`]. The
//! driver runs on its own, so heartbeats are answered and deadlines kept whether or not
//! [`SioClient::next_event`] is being awaited.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sockwire::socketio::client::{Client, ClientOptions, Event, Transmit, Transports};
use sockwire::socketio::{AckHandle, ClientEvent, DisconnectReason, SocketIoError, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SioClientConfig {
    /// The Engine.IO path (default `/socket.io/`).
    pub path: String,
    /// Which transports to use (default long-polling, then the WebSocket when offered).
    pub transports: Transports,
    /// Reconnect after the transport is lost (default true; never after [`SioClient::disconnect`]).
    pub reconnection: bool,
    /// First reconnection delay (default 1 s), doubled per attempt...
    pub reconnection_delay: Duration,
    /// ...up to this (default 5 s).
    pub reconnection_delay_max: Duration,
    /// Attempts before giving up (default unlimited).
    pub reconnection_attempts: u32,
    /// The random part of each delay, in thousandths (default 500: ±50 %).
    pub randomization_permille: u32,
    /// The seed of that jitter (default 0; give each client its own).
    pub seed: u64,
    /// Events held for [`SioClient::next_event`] before the client stops reading from the
    /// server (default 1,024). While the application is behind, the driver keeps its timers
    /// but reads nothing more, so TCP pushes back on the server; the queue holds at most
    /// this many events plus those of one read. An application that stays behind for longer
    /// than the server's ping timeout is disconnected by the server (and reconnects).
    pub event_capacity: usize,
}

impl Default for SioClientConfig {
    fn default() -> Self {
        SioClientConfig {
            path: "/socket.io/".into(),
            transports: Transports::default(),
            reconnection: true,
            reconnection_delay: Duration::from_secs(1),
            reconnection_delay_max: Duration::from_secs(5),
            reconnection_attempts: u32::MAX,
            randomization_permille: 500,
            seed: 0,
            event_capacity: 1024,
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
        /// The server or transport error that ended it; `None` for an orderly end.
        error: Option<sockwire::Error>,
    },
    /// A reconnection attempt is scheduled.
    Reconnecting {
        /// Its number, from 1.
        attempt: u32,
    },
    /// The session moved from long-polling to the WebSocket.
    Upgraded,
}

type Entropy = Box<dyn FnMut() -> [u8; 16] + Send>;

/// The machine, shared by the handle (commands) and the driver (IO).
struct Shared {
    client: Mutex<Client>,
    /// Wakes the driver after a command, or when the event queue has room again.
    wake: Notify,
    start: Instant,
    /// Events for the application, bounded by `capacity` (see [`SioClientConfig::event_capacity`]).
    events: Mutex<Events>,
    /// Wakes [`SioClient::next_event`].
    ready: Notify,
    capacity: usize,
}

/// The application's event queue; `closed` once the driver is done.
#[derive(Default)]
struct Events {
    queue: VecDeque<SioEvent>,
    closed: bool,
}

impl Shared {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A Socket.IO client connected to one namespace.
pub struct SioClient {
    shared: Arc<Shared>,
    driver: Option<JoinHandle<()>>,
    nsp: String,
}

impl std::fmt::Debug for SioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SioClient")
            .field("nsp", &self.nsp)
            .finish_non_exhaustive()
    }
}

impl Drop for SioClient {
    fn drop(&mut self) {
        if let Some(d) = self.driver.take() {
            d.abort(); // its connections end when their write channels close
        }
    }
}

impl SioClient {
    /// Starts a client for the server at `addr` (`host:port`, also the `Host` header) and asks
    /// to join `nsp` with `auth` (raw JSON object). `entropy` gives 16 unpredictable bytes per
    /// call (WebSocket keys and masks; use the OS or a CSPRNG). Returns at once: the join
    /// completes with [`SioEvent::Connect`]; an unreachable server is retried like a lost one.
    pub async fn connect(
        addr: &str,
        nsp: &str,
        auth: Option<&str>,
        cfg: SioClientConfig,
        entropy: impl FnMut() -> [u8; 16] + Send + 'static,
    ) -> io::Result<Self> {
        let source: Arc<Mutex<Entropy>> = Arc::new(Mutex::new(Box::new(entropy)));
        // Every clone draws from the one source: independent draws, never a copied state.
        let draw = move || (source.lock().unwrap())();
        let opts = ClientOptions::new(addr)
            .path(&cfg.path)
            .transports(cfg.transports)
            .reconnection(cfg.reconnection)
            .reconnection_attempts(cfg.reconnection_attempts)
            .reconnection_delay(cfg.reconnection_delay, cfg.reconnection_delay_max)
            .randomization_permille(cfg.randomization_permille)
            .seed(cfg.seed);
        let start = Instant::now();
        let mut client = Client::new(Duration::ZERO, opts, draw);
        client.connect(nsp, auth).map_err(io::Error::other)?;
        let shared = Arc::new(Shared {
            client: Mutex::new(client),
            wake: Notify::new(),
            start,
            events: Mutex::new(Events::default()),
            ready: Notify::new(),
            capacity: cfg.event_capacity.max(1),
        });
        let driver = tokio::spawn(drive(
            Arc::clone(&shared),
            addr.to_string(),
            nsp.to_string(),
        ));
        Ok(SioClient {
            shared,
            driver: Some(driver),
            nsp: nsp.into(),
        })
    }

    /// Runs `f` on the machine (its clock brought to now first), then wakes the driver.
    fn command<T>(&self, f: impl FnOnce(&mut Client, &str) -> T) -> T {
        let now = self.shared.now();
        let r = {
            let mut c = self.shared.client.lock().unwrap();
            c.handle_timeout(now);
            f(&mut c, &self.nsp)
        };
        self.shared.wake.notify_one();
        r
    }

    /// Emits `name` with `args` to the namespace (`socket.emit`).
    pub async fn emit(&mut self, name: &str, args: &[Value<'_>]) -> Result<(), SocketIoError> {
        self.command(|c, nsp| c.emit(nsp, name, args))
    }

    /// Emits and waits for the server's answer until `timeout`; returns the id that the
    /// [`SioEvent::Ack`] (or [`SioEvent::AckTimeout`]) will carry.
    pub async fn emit_with_ack(
        &mut self,
        name: &str,
        args: &[Value<'_>],
        timeout: Duration,
    ) -> Result<u64, SocketIoError> {
        self.command(|c, nsp| c.emit_with_ack(nsp, name, args, Some(timeout)))
    }

    /// Answers an event the server sent with an ack id.
    pub async fn ack(
        &mut self,
        handle: AckHandle,
        args: &[Value<'_>],
    ) -> Result<(), SocketIoError> {
        self.command(|c, _| c.ack(handle, args))
    }

    /// Leaves the namespace and closes the connection (no reconnection); returns once the
    /// goodbye is handed to the connections.
    pub async fn disconnect(&mut self) -> io::Result<()> {
        self.command(|c, nsp| {
            let _ = c.disconnect(nsp);
            c.close();
        });
        if let Some(d) = self.driver.take() {
            d.await.map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// The next event; `None` once the client is closed for good (after
    /// [`disconnect`](Self::disconnect), or when reconnection is off or gave up).
    pub async fn next_event(&mut self) -> Option<SioEvent> {
        loop {
            {
                let mut ev = self.shared.events.lock().unwrap();
                if let Some(e) = ev.queue.pop_front() {
                    if ev.queue.len() + 1 == self.shared.capacity {
                        self.shared.wake.notify_one(); // room again: the driver may read
                    }
                    return Some(e);
                }
                if ev.closed {
                    return None;
                }
            }
            // A notification between the unlock and here is kept as a permit: none is lost.
            self.shared.ready.notified().await;
        }
    }

    /// How many events wait for [`next_event`](Self::next_event).
    pub fn pending_events(&self) -> usize {
        self.shared.events.lock().unwrap().queue.len()
    }
}

/// What a connection task reports.
enum Input {
    Data(Vec<u8>),
    Eof,
}

/// Reads inbound per connection before the driver must catch up (backpressure).
const INBOUND: usize = 64;

/// The driver: moves bytes between the machine and its connections, arms its one timer.
async fn drive(shared: Arc<Shared>, addr: String, nsp: String) {
    let (in_tx, mut in_rx) = mpsc::channel::<(u64, Input)>(INBOUND);
    let mut conns: HashMap<u64, mpsc::UnboundedSender<Option<Vec<u8>>>> = HashMap::new();
    let mut full;
    loop {
        let deadline = {
            let mut c = shared.client.lock().unwrap();
            while let Some(t) = c.poll_transmit() {
                match t {
                    Transmit::Connect { conn } => {
                        let (w_tx, w_rx) = mpsc::unbounded_channel();
                        conns.insert(conn, w_tx);
                        tokio::spawn(connection(addr.clone(), conn, w_rx, in_tx.clone()));
                    }
                    Transmit::Write { conn, data } => {
                        if let Some(w) = conns.get(&conn) {
                            let _ = w.send(Some(data));
                        }
                    }
                    Transmit::Close { conn } => {
                        if let Some(w) = conns.remove(&conn) {
                            let _ = w.send(None);
                        }
                    }
                    _ => {}
                }
            }
            let mut closed = false;
            let mut ev = shared.events.lock().unwrap();
            let before = ev.queue.len();
            while let Some(e) = c.poll_event() {
                if e == Event::Closed {
                    closed = true;
                } else if let Some(e) = map_event(e, &nsp) {
                    ev.queue.push_back(e);
                }
            }
            if closed || c.is_closed() {
                ev.closed = true;
                drop(ev);
                shared.ready.notify_one();
                // What was written stays queued in the connection tasks, which finish it.
                for (_, w) in conns.drain() {
                    let _ = w.send(None);
                }
                return;
            }
            if ev.queue.len() > before {
                shared.ready.notify_one();
            }
            full = ev.queue.len() >= shared.capacity;
            c.poll_timeout()
        };
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(shared.start + d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shared.wake.notified() => {}
            // Behind the application: read nothing more until it takes events.
            Some((conn, input)) = in_rx.recv(), if !full => {
                let now = shared.now();
                let mut c = shared.client.lock().unwrap();
                match input {
                    Input::Data(b) => c.handle_read(now, conn, &b),
                    Input::Eof => c.handle_eof(now, conn),
                }
            }
            () = sleep => {
                let now = shared.now();
                shared.client.lock().unwrap().handle_timeout(now);
            }
        }
    }
}

/// One TCP connection: connects, writes what the driver sends (`None`: close), reports what
/// it reads and its end.
async fn connection(
    addr: String,
    conn: u64,
    mut writes: mpsc::UnboundedReceiver<Option<Vec<u8>>>,
    inbound: mpsc::Sender<(u64, Input)>,
) {
    let tcp = match TcpStream::connect(&addr).await {
        Ok(t) => t,
        Err(_) => {
            let _ = inbound.send((conn, Input::Eof)).await;
            return;
        }
    };
    let _ = tcp.set_nodelay(true);
    let (mut r, mut w) = tcp.into_split();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            m = writes.recv() => match m {
                Some(Some(data)) => {
                    if w.write_all(&data).await.is_err() {
                        break;
                    }
                }
                _ => {
                    let _ = w.shutdown().await;
                    return; // closed by the machine: nothing more to report
                }
            },
            n = r.read(&mut buf) => match n {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if inbound.send((conn, Input::Data(buf[..n].to_vec()))).await.is_err() {
                        return;
                    }
                }
            },
        }
    }
    let _ = inbound.send((conn, Input::Eof)).await;
}

/// The adapter's view of the machine's events (one namespace).
fn map_event(e: Event, nsp: &str) -> Option<SioEvent> {
    Some(match e {
        Event::Socket(s) => match s {
            ClientEvent::Connect { nsp: n, sid } if n == nsp => SioEvent::Connect { sid },
            ClientEvent::ConnectError { nsp: n, data } if n == nsp => {
                SioEvent::ConnectError { data }
            }
            ClientEvent::Event { packet, ack } => {
                let p = packet.packet();
                SioEvent::Event {
                    name: p.event_name().unwrap_or_default().into_owned(),
                    args: p.args().map(String::from).collect(),
                    attachments: packet.attachments().to_vec(),
                    ack,
                }
            }
            ClientEvent::Ack { packet } => {
                let p = packet.packet();
                SioEvent::Ack {
                    id: p.id().unwrap_or(0),
                    args: p.args().map(String::from).collect(),
                }
            }
            ClientEvent::AckTimeout { id, .. } => SioEvent::AckTimeout { id },
            ClientEvent::Disconnect { reason, error, .. } => SioEvent::Disconnect { reason, error },
            _ => return None,
        },
        Event::Reconnecting { attempt, .. } => SioEvent::Reconnecting { attempt },
        Event::Upgraded => SioEvent::Upgraded,
        _ => return None,
    })
}
