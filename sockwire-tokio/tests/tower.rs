//! `sockwire_tokio::tower` over real loopback TCP: a Socket.IO server mounted with
//! `SocketIoLayer` into an axum app, reached by a hyper client (HTTP/1.1 and HTTP/2): the
//! polling handshake, POST, a held GET answered, the WebSocket upgrade through hyper, the
//! inner service for every other path, oversized bodies refused.
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::{http1, http2};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use sockwire::engineio::endpoint::EndpointConfig;
use sockwire::engineio::http::Cors;
use sockwire::engineio::server::ServerConfig;
use sockwire::socketio::server::{App, Ctx, Event, Server, ServerOptions};
use sockwire::ws::{Connection, ConnectionConfig};
use sockwire_tokio::Message;
use sockwire_tokio::tower::SocketIoLayer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Sends every event back to its sender.
struct Echo;
impl App for Echo {
    fn on_event(&mut self, ctx: &mut Ctx<'_>, ev: Event<'_>) {
        let args: Vec<_> = ev.args().collect();
        let _ = ctx.emit(ev.name(), &args);
    }
}

/// An axum app with its own `/app` route and the Socket.IO server (`maxPayload` = `max`).
async fn start(max: usize) -> SocketAddr {
    let endpoint = EndpointConfig::default()
        .path("/socket.io/")
        .server(ServerConfig::default().max_payload(max));
    start_with(endpoint).await
}

async fn start_with(endpoint: EndpointConfig) -> SocketAddr {
    let mut n = 0u8;
    let ids = move || {
        n = n.wrapping_add(1);
        [n; 15]
    };
    let server = Server::new(Echo, ServerOptions::default().endpoint(endpoint), ids);
    let app = Router::new()
        .route("/app", get(|| async { "the app" }))
        .layer(SocketIoLayer::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

type H1 = http1::SendRequest<Full<Bytes>>;

async fn h1(addr: SocketAddr) -> H1 {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (send, conn) = http1::handshake(TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn.with_upgrades());
    send
}

fn req(method: &str, target: &str, body: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(target)
        .header("host", "x")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// One request on an HTTP/1.1 connection: status and body.
async fn call(send: &mut H1, r: Request<Full<Bytes>>) -> (StatusCode, String) {
    send.ready().await.unwrap();
    let resp = send.send_request(r).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

const EIO: &str = "/socket.io/?EIO=4&transport=polling";

/// Opens a polling session and connects the main namespace; returns the sid.
async fn open_polling(send: &mut H1) -> String {
    let (status, open) = call(send, req("GET", EIO, "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(open.starts_with("0{\"sid\":\""), "{open}");
    let sid = open[9..29].to_owned();
    let url = format!("{EIO}&sid={sid}");
    assert_eq!(call(send, req("POST", &url, "40")).await.1, "ok");
    let (_, connect) = call(send, req("GET", &url, "")).await;
    assert!(connect.starts_with("40{\"sid\":\""), "{connect}");
    sid
}

#[tokio::test]
async fn polling_handshake_post_and_held_get_answered() {
    let addr = start(1_000_000).await;
    let mut a = h1(addr).await;
    let sid = open_polling(&mut a).await;
    let url = format!("{EIO}&sid={sid}");

    // A GET with nothing to send is held...
    let held = tokio::spawn(async move { call(&mut a, req("GET", &url, "")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !held.is_finished(),
        "the GET is held while there is nothing to send"
    );
    // ...until a POST on another connection makes the server emit.
    let mut b = h1(addr).await;
    let url = format!("{EIO}&sid={sid}");
    let (status, ok) = call(&mut b, req("POST", &url, "42[\"echo\",\"hi\"]")).await;
    assert_eq!((status, ok.as_str()), (StatusCode::OK, "ok"));
    let (status, got) = held.await.unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, "42[\"echo\",\"hi\"]");
}

#[tokio::test]
async fn other_paths_reach_the_inner_service() {
    let addr = start(1_000_000).await;
    let mut c = h1(addr).await;
    assert_eq!(
        call(&mut c, req("GET", "/app", "")).await,
        (StatusCode::OK, "the app".to_owned())
    );
    // Not the mount: the app's router answers (its 404), not the Engine.IO endpoint.
    for path in ["/nope", "/socket.iox/", "/socket/"] {
        assert_eq!(
            call(&mut c, req("GET", path, "")).await,
            (StatusCode::NOT_FOUND, String::new()),
            "{path}"
        );
    }
    // A HEAD to the mount is answered (the endpoint's refusal) without waiting for a body.
    let (status, body) = call(&mut c, req("HEAD", EIO, "")).await;
    assert_eq!((status, body.as_str()), (StatusCode::BAD_REQUEST, ""));
    // The mount without its trailing slash is the endpoint's (an Engine.IO error).
    let (status, body) = call(&mut c, req("GET", "/socket.io", "")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "{\"code\":0,\"message\":\"Transport unknown\"}");
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let addr = start(100).await;
    let mut c = h1(addr).await;
    let sid = open_polling(&mut c).await;
    let url = format!("{EIO}&sid={sid}");
    let at_cap = format!("42[\"echo\",\"{}\"]", "x".repeat(100 - 13));
    assert_eq!(at_cap.len(), 100);
    assert_eq!(
        call(&mut c, req("POST", &url, &at_cap)).await,
        (StatusCode::OK, "ok".to_owned())
    );
    assert_eq!(call(&mut c, req("GET", &url, "")).await.1, at_cap);
    // One byte over, with a Content-Length.
    let mut c = h1(addr).await;
    let over = format!("{at_cap}x");
    let (status, _) = call(&mut c, req("POST", &url, &over)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // A chunked body (no length) that grows past the cap: the adapter stops reading at the cap.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let big = "y".repeat(300);
    let raw = format!(
        "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    tcp.write_all(raw.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tcp.read(&mut buf).await.unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413 "), "{head}");
}

/// Reads one text message (skipping nothing: the test knows what comes).
async fn recv_text<S, K>(ws: &mut sockwire_tokio::WebSocket<S, K>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    K: sockwire::ws::MaskKeySource,
{
    let got = tokio::time::timeout(Duration::from_secs(10), ws.recv())
        .await
        .expect("a message")
        .unwrap();
    match got {
        Some(Message::Text(t)) => t,
        other => panic!("expected text, got {other:?}"),
    }
}

/// Sends a WebSocket upgrade through hyper's client; returns the upgraded WebSocket.
async fn upgrade(
    addr: SocketAddr,
    target: &str,
) -> sockwire_tokio::WebSocket<TokioIo<hyper::upgrade::Upgraded>, impl FnMut() -> [u8; 4]> {
    let mut send = h1(addr).await;
    let r = Request::builder()
        .uri(target)
        .header("host", "x")
        .header("upgrade", "websocket")
        .header("connection", "Upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = send.send_request(r).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SWITCHING_PROTOCOLS);
    // RFC 6455 §1.3's example key and accept value.
    assert_eq!(
        resp.headers()["sec-websocket-accept"],
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let upgraded = hyper::upgrade::on(resp).await.unwrap();
    let mut k = 0u8;
    let keys = move || {
        k = k.wrapping_add(1);
        [k, 1, 2, 3]
    };
    let conn = Connection::client(ConnectionConfig::default(), keys);
    sockwire_tokio::WebSocket::from_upgraded(TokioIo::new(upgraded), conn, Vec::new())
}

#[tokio::test]
async fn websocket_upgrade_through_hyper() {
    let addr = start(1_000_000).await;
    let mut ws = upgrade(addr, "/socket.io/?EIO=4&transport=websocket").await;
    let open = recv_text(&mut ws).await;
    assert!(open.starts_with("0{\"sid\":\""), "{open}");
    ws.send(&Message::Text("40".into())).await.unwrap();
    assert!(recv_text(&mut ws).await.starts_with("40{\"sid\":\""));
    ws.send(&Message::Text("42[\"echo\",\"ws\",1]".into()))
        .await
        .unwrap();
    assert_eq!(recv_text(&mut ws).await, "42[\"echo\",\"ws\",1]");
}

#[tokio::test]
async fn polling_session_upgrades_to_websocket() {
    let addr = start(1_000_000).await;
    let mut c = h1(addr).await;
    let sid = open_polling(&mut c).await;
    let target = format!("/socket.io/?EIO=4&transport=websocket&sid={sid}");
    let mut ws = upgrade(addr, &target).await;
    ws.send(&Message::Text("2probe".into())).await.unwrap();
    assert_eq!(recv_text(&mut ws).await, "3probe");
    ws.send(&Message::Text("5".into())).await.unwrap();
    ws.send(&Message::Text("42[\"echo\",\"up\"]".into()))
        .await
        .unwrap();
    assert_eq!(recv_text(&mut ws).await, "42[\"echo\",\"up\"]");
}

#[tokio::test]
async fn a_dropped_held_get_ends_the_session() {
    let addr = start(1_000_000).await;
    let mut a = h1(addr).await;
    let sid = open_polling(&mut a).await;
    let url = format!("{EIO}&sid={sid}");
    let held = tokio::spawn(async move { call(&mut a, req("GET", &url, "")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    held.abort(); // drops the client connection with the GET held
    let url = format!("{EIO}&sid={sid}");
    // Once hyper drops the response future, the machine hears an EOF and closes the session.
    let mut answer = (StatusCode::OK, String::new());
    for _ in 0..200 {
        let mut b = h1(addr).await;
        answer = call(&mut b, req("GET", &url, "")).await;
        if answer.0 != StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        answer,
        (
            StatusCode::BAD_REQUEST,
            "{\"code\":1,\"message\":\"Session ID unknown\"}".to_owned()
        )
    );
}

#[tokio::test]
async fn http2_long_polling() {
    let addr = start(1_000_000).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let uri = |q: &str| format!("http://x/socket.io/?EIO=4&transport=polling{q}");
    let r = |m: &str, u: String, b: &str| {
        Request::builder()
            .method(m)
            .uri(u)
            .body(Full::new(Bytes::from(b.to_owned())))
            .unwrap()
    };
    let mut call2 = async |r: Request<Full<Bytes>>| {
        send.ready().await.unwrap();
        let resp = send.send_request(r).await.unwrap();
        assert_eq!(resp.version(), hyper::Version::HTTP_2);
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    };
    let (status, open) = call2(r("GET", uri(""), "")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(open.starts_with("0{\"sid\":\""), "{open}");
    let sid = &open[9..29];
    let q = format!("&sid={sid}");
    assert_eq!(call2(r("POST", uri(&q), "40")).await.1, "ok");
    assert!(call2(r("GET", uri(&q), "")).await.1.starts_with("40{"));
    assert_eq!(call2(r("POST", uri(&q), "42[\"echo\",2]")).await.1, "ok");
    assert_eq!(call2(r("GET", uri(&q), "")).await.1, "42[\"echo\",2]");
    // No WebSocket over HTTP/2: the endpoint's answer to a websocket GET without an upgrade.
    let (status, _) = call2(r(
        "GET",
        "http://x/socket.io/?EIO=4&transport=websocket".into(),
        "",
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cors_preflight_and_headers_come_from_the_endpoint() {
    let cors = Cors {
        allow_origin: None,
        allow_credentials: true,
    };
    let addr = start_with(
        EndpointConfig::default()
            .path("/socket.io/")
            .cors(Some(cors)),
    )
    .await;
    let mut c = h1(addr).await;
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri(EIO)
        .header("host", "x")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .body(Full::new(Bytes::new()))
        .unwrap();
    c.ready().await.unwrap();
    let resp = c.send_request(preflight).await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h.get("connection").is_none(),
        "hop-by-hop headers stay in the core's HTTP/1.1"
    );
    let open = Request::builder()
        .uri(EIO)
        .header("host", "x")
        .header("origin", "https://app.example")
        .body(Full::new(Bytes::new()))
        .unwrap();
    c.ready().await.unwrap();
    let resp = c.send_request(open).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://app.example"
    );
}

#[tokio::test]
async fn requests_in_flight_count_against_the_connection_cap() {
    let addr = start_with(
        EndpointConfig::default()
            .path("/socket.io/")
            .max_connections(2),
    )
    .await;
    let mut a = h1(addr).await;
    let sid = open_polling(&mut a).await;
    let url = format!("{EIO}&sid={sid}");
    // The held GET is one virtual connection; a WebSocket is another.
    let held = tokio::spawn(async move { call(&mut a, req("GET", &url, "")).await });
    let mut ws = upgrade(addr, "/socket.io/?EIO=4&transport=websocket").await;
    assert!(recv_text(&mut ws).await.starts_with("0{"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!held.is_finished());
    // A third request in flight is over the cap: the endpoint's 503. The app is not affected.
    let mut b = h1(addr).await;
    assert_eq!(
        call(&mut b, req("GET", EIO, "")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(call(&mut b, req("GET", "/app", "")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_never_ends_gets_408_after_the_request_timeout() {
    let endpoint = EndpointConfig::default()
        .path("/socket.io/")
        .request_timeout(Duration::from_millis(200));
    let addr = start_with(endpoint).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        b"POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\nHost: x\r\n\
          Transfer-Encoding: chunked\r\n\r\n2\r\n40\r\n",
    )
    .await
    .unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut chunk))
            .await
            .expect("answered, then closed")
            .unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
}

/// The app's own service in the plain-hyper test: `404 not here` for everything.
#[derive(Clone)]
struct NotHere;
impl<B> tower_service::Service<Request<B>> for NotHere {
    type Response = hyper::Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<B>) -> Self::Future {
        let mut r = hyper::Response::new(Full::new(Bytes::from_static(b"not here")));
        *r.status_mut() = StatusCode::NOT_FOUND;
        std::future::ready(Ok(r))
    }
}

#[tokio::test]
async fn mounts_on_plain_hyper_too() {
    use tower_layer::Layer;
    let mut n = 0u8;
    let ids = move || {
        n = n.wrapping_add(1);
        [n; 15]
    };
    let layer = SocketIoLayer::new(Server::new(Echo, ServerOptions::default(), ids));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let svc = hyper_util::service::TowerToHyperService::new(layer.layer(NotHere));
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .with_upgrades(),
            );
        }
    });
    let mut c = h1(addr).await;
    assert_eq!(
        call(&mut c, req("GET", "/", "")).await,
        (StatusCode::NOT_FOUND, "not here".to_owned())
    );
    let sid = open_polling(&mut c).await;
    assert_eq!(sid.len(), 20);
    let mut ws = upgrade(addr, "/socket.io/?EIO=4&transport=websocket").await;
    assert!(recv_text(&mut ws).await.starts_with("0{"));
    ws.send(&Message::Text("40".into())).await.unwrap();
    assert!(recv_text(&mut ws).await.starts_with("40{"));
}
