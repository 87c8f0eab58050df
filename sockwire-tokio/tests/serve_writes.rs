//! `serve`'s write path over real loopback TCP, with a machine that answers `go` by queueing
//! many large transmits at once: written straight to the socket while it takes them, then
//! handed to the connection's writer task, the bytes arrive whole and in order; a client that
//! does not read gets the bytes already queued and then the connection closed, not an unbounded
//! queue.
use std::collections::VecDeque;
use std::time::Duration;

use sockwire::engineio::endpoint::Transmit;
use sockwire_tokio::{MAX_QUEUED_WRITES, Machine, WRITE_STALL_TIMEOUT, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const SIZE: usize = 64 * 1024;

/// Byte `i` of the whole stream.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// On `go`, queues `count` transmits of SIZE bytes (the pattern), then a close when `close`.
struct Blast {
    count: usize,
    close: bool,
    out: VecDeque<Transmit>,
}

impl Machine for Blast {
    fn handle_accept(&mut self, _: Duration, _: u64) {}
    fn handle_read(&mut self, _: Duration, conn: u64, bytes: &[u8]) {
        assert_eq!(bytes, b"go");
        for k in 0..self.count {
            let data = (k * SIZE..(k + 1) * SIZE).map(pattern).collect();
            self.out.push_back(Transmit {
                conn,
                data,
                close: false,
            });
        }
        if self.close {
            self.out.push_back(Transmit {
                conn,
                data: Vec::new(),
                close: true,
            });
        }
    }
    fn handle_eof(&mut self, _: Duration, _: u64) {}
    fn handle_timeout(&mut self, _: Duration) {}
    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Duration> {
        None
    }
}

/// Starts `serve` with `m`, sends `go` and reads to the end: the bytes received. The test
/// runtime has one thread and the machine's task hands out every transmit of one `handle_read`
/// without yielding, so they all meet a client that is not reading.
async fn run(m: Blast) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, m));
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"go").await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), tcp.read_to_end(&mut got))
        .await
        .expect("the connection ends")
        .unwrap();
    got
}

fn assert_pattern(got: &[u8]) {
    if let Some(i) = got.iter().enumerate().position(|(i, &b)| b != pattern(i)) {
        panic!("byte {i} of {} out of order", got.len());
    }
}

#[tokio::test]
async fn many_large_transmits_arrive_whole_and_in_order() {
    // More than the socket buffers take, fewer than the writer's queue holds.
    let count = MAX_QUEUED_WRITES - 56;
    let got = run(Blast {
        count,
        close: true,
        out: VecDeque::new(),
    })
    .await;
    assert_eq!(got.len(), count * SIZE);
    assert_pattern(&got);
}

#[tokio::test]
async fn a_client_that_does_not_read_is_closed_after_the_queue() {
    // Far more than the socket buffers and the writer's queue hold (39 MB).
    let count = 600;
    let got = run(Blast {
        count,
        close: false,
        out: VecDeque::new(),
    })
    .await;
    assert!(
        got.len() < count * SIZE,
        "closed early, not buffered: {} bytes",
        got.len()
    );
    // The queue (one transmit of it maybe the rest of a partial write) was written out first.
    assert!(
        got.len() >= (MAX_QUEUED_WRITES - 1) * SIZE,
        "only {} bytes",
        got.len()
    );
    assert_pattern(&got);
}

#[tokio::test(start_paused = true)]
async fn a_client_that_stops_reading_is_given_up_after_the_write_stall_timeout() {
    // Within the writer's queue (so not closed as too far behind), far more than the sockets
    // buffer (13 MB against a 4 KiB receive buffer): the writer waits on a full socket.
    let count = MAX_QUEUED_WRITES - 56;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        Blast {
            count,
            close: false,
            out: VecDeque::new(),
        },
    ));
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut tcp = sock.connect(addr).await.unwrap();
    tcp.write_all(b"go").await.unwrap();
    // Not reading past the stall timeout (the paused clock jumps once everything waits).
    tokio::time::sleep(WRITE_STALL_TIMEOUT + Duration::from_secs(1)).await;
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut got))
        .await
        .expect("the server gave the connection up")
        .unwrap();
    assert!(
        got.len() < count * SIZE,
        "given up, not waited for: {} bytes",
        got.len()
    );
    assert_pattern(&got);
}
