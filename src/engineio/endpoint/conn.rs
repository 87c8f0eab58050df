//! Connections: HTTP request parsing and routing, bodies, held GETs, timeouts.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::mem;
use core::time::Duration;

use super::{Endpoint, EndpointConfig, OpenRequest};
use crate::deflate::PerMessageDeflate;
use crate::engineio::EngineIoError;
use crate::engineio::http::{
    ErrorCode, HttpConfig, Method, Reject, ResponseOptions, Transport, classify_request,
    write_ok_response, write_payload_response, write_preflight, write_response,
};
use crate::engineio::server::GetOutcome;
use crate::handshake::{AcceptOptions, UpgradeRequest};
use crate::http::{DEFAULT_MAX_HEADERS, HeadConfig, HeadParser, Header, Request, Status};
use crate::ws::Connection;

/// How to answer a request held or read later: keep-alive and the origin for CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Opts {
    pub(super) keep_alive: bool,
    pub(super) origin: Option<String>,
}

impl Opts {
    pub(super) fn response<'a>(&'a self, http: &'a HttpConfig) -> ResponseOptions<'a> {
        ResponseOptions {
            keep_alive: self.keep_alive,
            cors: http.cors.as_ref(),
            origin: self.origin.as_deref(),
        }
    }
}

/// A WebSocket connection: the frame machine, the session it carries, unread bytes.
#[derive(Debug)]
pub(super) struct WsConn {
    pub(super) ws: Connection,
    pub(super) sid: Option<String>,
    pub(super) inbuf: Vec<u8>,
}

/// What a connection is doing.
#[derive(Debug)]
pub(super) enum State {
    /// Waiting for (or reading) a request head.
    Http,
    /// Reading the body of a long-polling POST.
    Body { sid: String, len: usize, opts: Opts },
    /// Skipping the body of a refused POST (`len` bytes), then answering as `keep` says.
    Discard { len: usize, keep: bool },
    /// Holding a long-polling GET for `sid`.
    Held { sid: String, opts: Opts },
    /// A WebSocket.
    Ws(Box<WsConn>),
}

/// One TCP connection.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) state: State,
    /// Received bytes not consumed yet (HTTP states).
    pub(super) buf: Vec<u8>,
    parser: HeadParser,
    /// The whole next request must have arrived by then (HTTP states).
    request_deadline: Duration,
    /// The deadline this connection is scheduled at in the heap.
    pub(super) scheduled: Option<Duration>,
}

impl Conn {
    pub(super) fn new(head: HeadConfig, request_deadline: Duration) -> Self {
        Conn {
            state: State::Http,
            buf: Vec::new(),
            parser: HeadParser::new(head),
            request_deadline,
            scheduled: None,
        }
    }

    /// The connection's own deadline.
    pub(super) fn deadline(&self) -> Option<Duration> {
        match &self.state {
            State::Http | State::Body { .. } | State::Discard { .. } => Some(self.request_deadline),
            State::Held { .. } => None,
            State::Ws(w) => w.ws.poll_timeout(),
        }
    }
}

/// A routed request head, owning what it needs once the head's bytes are released.
enum Routed {
    /// Answer with these bytes; close afterwards unless `keep`.
    Reply { data: Vec<u8>, keep: bool },
    /// A long-polling GET (a handshake without sid).
    Get {
        sid: Option<String>,
        opts: Opts,
        open: Option<OpenRequest>,
        mount: usize,
    },
    /// A long-polling POST with a body of `len` bytes.
    Post {
        sid: String,
        len: usize,
        opts: Opts,
        mount: usize,
    },
    /// A valid WebSocket upgrade; `accept` is the `101` response.
    Upgrade {
        sid: Option<String>,
        accept: Vec<u8>,
        pmd: Option<PerMessageDeflate>,
        open: Option<OpenRequest>,
        mount: usize,
    },
}

fn open_request(path: &str, req: &Request<'_, '_>) -> OpenRequest {
    OpenRequest {
        path: String::from(path),
        target: String::from(req.target()),
        headers: req
            .headers()
            .iter()
            .map(|h| {
                (
                    String::from(h.name()),
                    String::from(h.value_str().unwrap_or_default()),
                )
            })
            .collect(),
    }
}

fn reply(status_reject: Reject, opts: &ResponseOptions<'_>, keep: bool) -> Routed {
    let mut data = Vec::new();
    status_reject.write_response(opts, &mut data);
    Routed::Reply { data, keep }
}

/// Decides what a complete request head asks for. Pure: reads only the config.
fn route(cfg: &EndpointConfig, http: &HttpConfig, req: &Request<'_, '_>) -> Routed {
    // Whether the request certainly has no body: otherwise a refused request's unread body
    // (or one of unknown length) would be parsed as the next request, so the connection closes.
    let no_body = matches!(req.content_length(), Ok(None | Some(0)))
        && req.header("transfer-encoding").is_none();
    let keep = req.version_minor() >= 1 && !req.has_token("connection", "close");
    let path = req.path();
    let mount = cfg
        .paths
        .iter()
        .position(|p| path == p || path == p.trim_end_matches('/'));
    let Some(mount) = mount else {
        let opts = ResponseOptions {
            keep_alive: keep && no_body,
            cors: None,
            origin: None,
        };
        let mut data = Vec::new();
        match cfg.pages.iter().find(|p| p.path == path) {
            Some(p) if matches!(req.method(), "GET" | "HEAD") => {
                write_response(200, Some(&p.content_type), &p.body, &opts, &mut data);
                if req.method() == "HEAD" {
                    data.truncate(data.len() - p.body.len());
                }
            }
            _ => write_response(404, Some("text/plain"), b"not found", &opts, &mut data),
        }
        return Routed::Reply {
            data,
            keep: opts.keep_alive,
        };
    };
    let er = match classify_request(req, http) {
        Ok(er) => er,
        Err(r) => {
            let origin = req
                .header("origin")
                .and_then(|o| core::str::from_utf8(o).ok());
            // An unread body (a 413, a chunked one) makes the connection unusable.
            let keep = keep && no_body;
            let opts = ResponseOptions {
                keep_alive: keep,
                cors: http.cors.as_ref(),
                origin: origin.filter(|o| o.bytes().all(|c| (0x20..0x7f).contains(&c))),
            };
            return reply(r, &opts, keep);
        }
    };
    let opts = Opts {
        keep_alive: er.keep_alive,
        origin: er.origin.map(String::from),
    };
    let bodyless = |o: &Opts| Opts {
        keep_alive: o.keep_alive && er.content_length == 0,
        origin: o.origin.clone(),
    };
    if er.is_preflight() {
        let mut data = Vec::new();
        let o = bodyless(&opts);
        write_preflight(&er, http, &mut data);
        return Routed::Reply {
            data,
            keep: o.keep_alive,
        };
    }
    let sid = er.sid.map(String::from);
    let open = sid.is_none().then(|| open_request(&cfg.paths[mount], req));
    match (er.method, er.transport) {
        (Method::Get, Transport::WebSocket) if er.websocket_upgrade => {
            let upgrade = match UpgradeRequest::validate(*req) {
                Ok(u) => u,
                Err(e) => {
                    let data = Vec::from(e.response().unwrap_or(RESP_400));
                    return Routed::Reply { data, keep: false };
                }
            };
            let pmd = cfg
                .server
                .per_message_deflate
                .filter(|_| crate::deflate::BUILTIN_CODEC)
                .and_then(|p| upgrade.negotiate_deflate(&p));
            let ext = pmd.map(|p| p.response());
            let mut accept = Vec::new();
            match upgrade.accept(&AcceptOptions::new().extensions(ext.as_deref())) {
                Ok(a) => {
                    a.encode_to_vec(&mut accept);
                }
                Err(_) => {
                    return Routed::Reply {
                        data: Vec::from(RESP_400),
                        keep: false,
                    };
                }
            }
            Routed::Upgrade {
                sid,
                accept,
                pmd,
                open,
                mount,
            }
        }
        (Method::Get, Transport::Polling) => Routed::Get {
            sid,
            opts: bodyless(&opts),
            open,
            mount,
        },
        (Method::Post, Transport::Polling) if sid.is_some() => Routed::Post {
            sid: sid.unwrap_or_default(),
            len: er.content_length,
            opts,
            mount,
        },
        _ => {
            let o = bodyless(&opts);
            reply(
                Reject::Code(ErrorCode::BadRequest),
                &o.response(http),
                o.keep_alive,
            )
        }
    }
}

const RESP_400: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// The reply for a session-level error.
pub(super) fn reject_of(e: &EngineIoError) -> Reject {
    match e {
        EngineIoError::Rejected(r) => *r,
        _ => Reject::Code(ErrorCode::BadRequest),
    }
}

impl Endpoint {
    /// Most bytes an HTTP connection may buffer: a head and a body.
    fn buf_cap(&self) -> usize {
        self.cfg
            .head
            .max_head_len
            .saturating_add(self.cfg.server.max_payload)
    }

    /// Bytes for a connection, whatever its state.
    pub(super) fn read(&mut self, id: u64, bytes: &[u8]) {
        let cap = self.buf_cap();
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        if let State::Ws(w) = &mut c.state {
            w.inbuf.extend_from_slice(bytes);
            self.ws_feed(id);
            return;
        }
        if c.buf.len().saturating_add(bytes.len()) > cap {
            self.write_close(id);
            return;
        }
        c.buf.extend_from_slice(bytes);
        if !matches!(c.state, State::Held { .. }) {
            self.process_http(id);
        }
    }

    /// Processes the complete requests buffered on an HTTP connection, in order.
    pub(super) fn process_http(&mut self, id: u64) {
        loop {
            let now = self.now;
            let Some(c) = self.conns.get_mut(id) else {
                return;
            };
            match &c.state {
                State::Http => {}
                State::Body { len, .. } => {
                    if c.buf.len() < *len {
                        return;
                    }
                    self.finish_post(id);
                    continue;
                }
                State::Discard { len, keep } => {
                    let (len, keep) = (*len, *keep);
                    if c.buf.len() < len {
                        return;
                    }
                    c.buf.drain(..len);
                    self.after_response(id, keep);
                    continue;
                }
                State::Held { .. } | State::Ws(_) => return,
            }
            if c.buf.is_empty() {
                return;
            }
            let buf = mem::take(&mut c.buf);
            let mut parser = mem::replace(&mut c.parser, HeadParser::new(self.cfg.head));
            let mut head_len = 0;
            let routed = {
                let mut slots = [Header::EMPTY; DEFAULT_MAX_HEADERS];
                match parser.parse_request(&buf, &mut slots) {
                    Ok(Status::Partial) => None,
                    Err(e) => Some(Routed::Reply {
                        data: Vec::from(e.response()),
                        keep: false,
                    }),
                    Ok(Status::Complete(req)) => {
                        head_len = req.head_len();
                        Some(route(&self.cfg, &self.http, &req))
                    }
                }
            };
            let Some(c) = self.conns.get_mut(id) else {
                return;
            };
            c.buf = buf;
            let Some(routed) = routed else {
                c.parser = parser;
                return;
            };
            c.buf.drain(..head_len);
            match routed {
                Routed::Reply { data, keep } => {
                    self.write(id, &data);
                    self.after_response(id, keep);
                }
                Routed::Get {
                    sid,
                    opts,
                    open,
                    mount,
                } => {
                    let sid = sid.map(|s| self.on_mount(s, mount));
                    self.polling_get(now, id, sid, opts, open, mount)
                }
                Routed::Post {
                    sid,
                    len,
                    opts,
                    mount,
                } => {
                    let sid = self.on_mount(sid, mount);
                    self.begin_post(now, id, sid, len, opts)
                }
                Routed::Upgrade {
                    sid,
                    accept,
                    pmd,
                    open,
                    mount,
                } => {
                    let sid = sid.map(|s| self.on_mount(s, mount));
                    self.upgrade(now, id, sid, accept, pmd, open, mount)
                }
            }
        }
    }

    /// A response was queued on `id`: read the next request, or close.
    pub(super) fn after_response(&mut self, id: u64, keep: bool) {
        if !keep {
            self.write_close(id);
            return;
        }
        let deadline = self.now.saturating_add(self.cfg.request_timeout);
        if let Some(c) = self.conns.get_mut(id) {
            c.state = State::Http;
            c.request_deadline = deadline;
            if !c.buf.is_empty() {
                self.http_ready.push_back(id);
            }
        }
        self.schedule_conn(id);
    }

    /// A sid used on another path than the one that opened it is unknown there.
    fn on_mount(&self, sid: String, mount: usize) -> String {
        match self.sessions.get(&sid) {
            Some(side) if side.mount != mount => String::new(),
            _ => sid,
        }
    }

    fn polling_get(
        &mut self,
        now: Duration,
        id: u64,
        sid: Option<String>,
        opts: Opts,
        open: Option<OpenRequest>,
        mount: usize,
    ) {
        let sid = match sid {
            Some(sid) => sid,
            None => {
                let open = open.unwrap_or_default();
                match self.open_session(now, Transport::Polling, id, open, mount) {
                    Ok(sid) => sid,
                    Err(r) => {
                        let mut data = Vec::new();
                        r.write_response(&opts.response(&self.http), &mut data);
                        self.write(id, &data);
                        self.after_response(id, opts.keep_alive);
                        return;
                    }
                }
            }
        };
        let res = self
            .registry
            .handle_request(now, &sid, Transport::Polling)
            .map_err(EngineIoError::from)
            .and_then(|s| s.handle_get(now));
        self.mark(&sid);
        let mut data = Vec::new();
        match res {
            Ok(GetOutcome::Respond(body)) => {
                write_payload_response(&body, &opts.response(&self.http), &mut data)
            }
            Ok(GetOutcome::Parked) => {
                if let Some(side) = self.sessions.get_mut(&sid) {
                    side.held = Some(id);
                }
                if let Some(c) = self.conns.get_mut(id) {
                    c.state = State::Held { sid, opts };
                }
                self.schedule_conn(id);
                return;
            }
            Err(e) => reject_of(&e).write_response(&opts.response(&self.http), &mut data),
        }
        self.write(id, &data);
        self.after_response(id, opts.keep_alive);
    }

    fn begin_post(&mut self, now: Duration, id: u64, sid: String, len: usize, opts: Opts) {
        let res = self
            .registry
            .handle_request(now, &sid, Transport::Polling)
            .map_err(EngineIoError::from)
            .and_then(|s| s.begin_post(now));
        self.mark(&sid);
        match res {
            Ok(()) => {
                if let Some(c) = self.conns.get_mut(id) {
                    c.state = State::Body { sid, len, opts };
                }
            }
            Err(e) => {
                let mut data = Vec::new();
                reject_of(&e).write_response(&opts.response(&self.http), &mut data);
                self.write(id, &data);
                if len == 0 || !opts.keep_alive {
                    self.after_response(id, opts.keep_alive);
                } else if let Some(c) = self.conns.get_mut(id) {
                    // The body is at most maxPayload (checked from the head): skip it and keep
                    // the connection.
                    c.state = State::Discard {
                        len,
                        keep: opts.keep_alive,
                    };
                }
            }
        }
    }

    /// The body of a POST has arrived: hand it to the session, answer.
    fn finish_post(&mut self, id: u64) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        let State::Body { sid, len, opts } = mem::replace(&mut c.state, State::Http) else {
            return;
        };
        let res = match self.registry.get_mut(&sid) {
            Some(s) => s.handle_post(now, &c.buf[..len]),
            None => Err(Reject::Code(ErrorCode::SessionIdUnknown).into()),
        };
        c.buf.drain(..len);
        self.mark(&sid);
        let mut data = Vec::new();
        match res {
            Ok(()) => write_ok_response(&opts.response(&self.http), &mut data),
            Err(e) => reject_of(&e).write_response(&opts.response(&self.http), &mut data),
        }
        self.write(id, &data);
        self.after_response(id, opts.keep_alive);
    }

    /// The answer to the GET held on `id` (from the session's output).
    pub(super) fn answer_held(&mut self, id: u64, answer: Result<Vec<u8>, Reject>) {
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        let State::Held { opts, .. } = mem::replace(&mut c.state, State::Http) else {
            return;
        };
        let mut data = Vec::new();
        match answer {
            Ok(body) => write_payload_response(&body, &opts.response(&self.http), &mut data),
            Err(r) => r.write_response(&opts.response(&self.http), &mut data),
        }
        self.write(id, &data);
        self.after_response(id, opts.keep_alive);
    }

    #[allow(clippy::too_many_arguments)]
    fn upgrade(
        &mut self,
        now: Duration,
        id: u64,
        sid: Option<String>,
        accept: Vec<u8>,
        pmd: Option<PerMessageDeflate>,
        open: Option<OpenRequest>,
        mount: usize,
    ) {
        let close_only = |opts: ResponseOptions<'_>, r: Reject| {
            let mut data = Vec::new();
            r.write_response(&opts, &mut data);
            data
        };
        let no_keep = ResponseOptions {
            keep_alive: false,
            cors: None,
            origin: None,
        };
        let (sid, usable) = match sid {
            None => {
                match self.open_session(
                    now,
                    Transport::WebSocket,
                    id,
                    open.unwrap_or_default(),
                    mount,
                ) {
                    Ok(sid) => (sid, true),
                    Err(r) => {
                        let data = close_only(no_keep, r);
                        self.write(id, &data);
                        self.write_close(id);
                        return;
                    }
                }
            }
            Some(sid) => match self
                .registry
                .handle_request(now, &sid, Transport::WebSocket)
            {
                Err(r) => {
                    self.mark(&sid);
                    let data = close_only(no_keep, r);
                    self.write(id, &data);
                    self.write_close(id);
                    return;
                }
                // Already upgraded or upgrading, or upgrades are off: like the reference,
                // accept the WebSocket and close it at once.
                Ok(s) => {
                    let usable = s.handle_ws_open(now).is_ok();
                    (sid, usable)
                }
            },
        };
        // The 101 goes out before any frame of the session.
        self.write(id, &accept);
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        let mut ws = Connection::server(self.cfg.ws.permessage_deflate(pmd));
        ws.handle_timeout(now);
        let inbuf = mem::take(&mut c.buf);
        if usable {
            if let Some(side) = self.sessions.get_mut(&sid) {
                side.ws = Some(id);
            }
            c.state = State::Ws(Box::new(WsConn {
                ws,
                sid: Some(sid.clone()),
                inbuf,
            }));
        } else {
            let _ = ws.close(crate::frame::CloseCode::NORMAL, "");
            c.state = State::Ws(Box::new(WsConn {
                ws,
                sid: None,
                inbuf,
            }));
        }
        self.mark(&sid);
        self.ws_feed(id);
    }

    /// Forgets a connection, telling the session that used it.
    pub(super) fn drop_conn(&mut self, id: u64) {
        let now = self.now;
        let Some(c) = self.conns.remove(id) else {
            return;
        };
        let sid = match c.state {
            State::Http | State::Discard { .. } => return,
            State::Held { sid, .. } => {
                if let Some(side) = self.sessions.get_mut(&sid) {
                    if side.held == Some(id) {
                        side.held = None;
                        if let Some(s) = self.registry.get_mut(&sid) {
                            s.handle_get_aborted(now);
                        }
                    }
                }
                sid
            }
            State::Body { sid, .. } => {
                if let Some(s) = self.registry.get_mut(&sid) {
                    s.handle_post_aborted(now);
                }
                sid
            }
            State::Ws(w) => match w.sid {
                Some(sid) => {
                    self.detach_ws(&sid, id, None);
                    sid
                }
                None => return,
            },
        };
        self.mark(&sid);
    }

    /// A connection's deadline passed.
    pub(super) fn conn_timeout(&mut self, id: u64) {
        let now = self.now;
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        match &mut c.state {
            State::Http | State::Body { .. } | State::Discard { .. } => {
                if now >= c.request_deadline {
                    self.write_close(id);
                } else {
                    self.schedule_conn(id);
                }
            }
            State::Held { .. } => {}
            State::Ws(w) => {
                w.ws.handle_timeout(now);
                self.ws_feed(id);
            }
        }
    }
}
