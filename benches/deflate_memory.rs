//! Bytes of permessage-deflate state per connection, for every window size and memLevel, and
//! the lean policy's idle cost: a counting global allocator measures what a pair of
//! connections holds after exchanging one message each way (what stays allocated between
//! messages) and the peak while a message is compressed. Prints a Markdown table.
//!
//! ```text
//! cargo bench --features deflate --bench deflate_memory
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use sockwire::Role;
use sockwire::deflate::{Codec, DeflatePolicy, PerMessageDeflate, ZlibCodec, ZlibOptions};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// A measuring allocator in a bench binary (as in benches/broadcast.rs), not library code.
#[allow(unsafe_code)]
// SAFETY: forwards to the system allocator unchanged, so the `GlobalAlloc` contract holds as it
// does for `System`; the counters are relaxed atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
        PEAK.fetch_max(n, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let n = LIVE.fetch_add(l.size() as isize, Ordering::Relaxed) + l.size() as isize;
        PEAK.fetch_max(n, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn message() -> Vec<u8> {
    // A chat-like JSON message of 2 KiB.
    let mut s = String::new();
    let mut i = 0u32;
    while s.len() < 2048 {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"text\":\"hello number {}\"}},",
            i % 17,
            i * 7
        ));
        i += 1;
    }
    s.into_bytes()
}

/// (bytes held after one message each way, peak bytes during it) for one server codec.
fn measure(pmd: &PerMessageDeflate, opts: ZlibOptions) -> (isize, isize) {
    let msg = message();
    // The peer's compressed message, made outside the measurement.
    let mut peer = ZlibCodec::new(pmd, Role::Client, opts);
    let mut z = Vec::new();
    peer.compress(&msg, &mut z).unwrap();
    let mut out = Vec::with_capacity(8192);
    let mut inflated = Vec::with_capacity(8192);
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut codec = ZlibCodec::new(pmd, Role::Server, opts);
    codec.decompress(&z, true, &mut inflated, 1 << 20).unwrap();
    codec.compress(&msg, &mut out).unwrap();
    let held = LIVE.load(Ordering::Relaxed) - base;
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!(inflated, msg);
    drop(codec);
    (held, peak)
}

fn main() {
    println!("| setting | memLevel | held per connection (bytes) | peak while sending (bytes) |");
    println!("| --- | --- | ---: | ---: |");
    for bits in [9u8, 10, 12, 15] {
        for mem in [1u8, 4, 8] {
            let pmd = DeflatePolicy::context_takeover(bits)
                .negotiate(sockwire::handshake::http::Extensions::value(
                    b"permessage-deflate; server_max_window_bits=15; client_max_window_bits",
                ))
                .unwrap();
            let opts = ZlibOptions {
                level: 6,
                mem_level: mem,
            };
            let (held, peak) = measure(&pmd, opts);
            println!("| context takeover, {bits}-bit windows | {mem} | {held} | {peak} |");
        }
    }
    for bits in [9u8, 12, 15] {
        let policy = DeflatePolicy {
            server_no_context_takeover: true,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: bits,
        };
        let pmd = policy
            .negotiate(sockwire::handshake::http::Extensions::value(
                b"permessage-deflate; client_max_window_bits",
            ))
            .unwrap();
        let (held, peak) = measure(&pmd, ZlibOptions::default());
        println!(
            "| server no context takeover, client takeover with {bits}-bit window | 8 | {held} | {peak} |"
        );
    }
    let lean = DeflatePolicy::default()
        .negotiate(sockwire::handshake::http::Extensions::value(
            b"permessage-deflate; client_max_window_bits",
        ))
        .unwrap();
    for mem in [1u8, 8] {
        let (held, peak) = measure(
            &lean,
            ZlibOptions {
                level: 6,
                mem_level: mem,
            },
        );
        println!(
            "| lean default (no context takeover both ways), 15-bit | {mem} | {held} | {peak} |"
        );
    }
}
