// engine.io-client (Node, v6) against sockwire's `sio_server` example.
// Usage: node client.mjs http://127.0.0.1:PORT
// Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
import { Socket } from "engine.io-client";

const base = process.argv[2] || "http://127.0.0.1:3000";
let passed = 0;
let failed = 0;

function check(name, ok, detail = "") {
  if (ok) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name} ${detail}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function bytes(data) {
  if (typeof data === "string") return null;
  if (data instanceof ArrayBuffer) return Array.from(new Uint8Array(data));
  return Array.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function withTimeout(p, ms, what) {
  return Promise.race([
    p,
    sleep(ms).then(() => {
      throw new Error(`timeout: ${what}`);
    }),
  ]);
}

// Opens a socket with `opts`, collecting messages and lifecycle events.
function open(opts) {
  const socket = new Socket(base, opts);
  const state = { socket, messages: [], closed: null, upgraded: false, waiters: [] };
  socket.on("message", (m) => {
    state.messages.push(m);
    state.waiters = state.waiters.filter((w) => !w());
  });
  socket.on("upgrade", () => {
    state.upgraded = true;
    state.waiters = state.waiters.filter((w) => !w());
  });
  socket.on("close", (reason, desc) => {
    state.closed = reason;
    state.waiters = state.waiters.filter((w) => !w());
  });
  socket.on("error", () => {});
  state.until = (cond, ms, what) =>
    withTimeout(
      new Promise((resolve) => {
        const w = () => {
          if (cond()) {
            resolve();
            return true;
          }
          return false;
        };
        if (!w()) state.waiters.push(w);
      }),
      ms,
      what,
    );
  state.opened = withTimeout(
    new Promise((resolve, reject) => {
      socket.on("open", resolve);
      socket.on("close", (r) => reject(new Error(`closed before open: ${r}`)));
    }),
    5000,
    "open",
  );
  return state;
}

async function scenario(name, opts, { expectTransport, waitUpgrade }) {
  const s = open(opts);
  try {
    await s.opened;
    check(`${name}: open`, true);
    // Messages sent right away (mid-upgrade for the upgrade scenario).
    const burst = [];
    for (let i = 0; i < 40; i++) burst.push(`m${i} ${"x".repeat(i)} é€😀`);
    for (const m of burst) s.socket.send(m);
    s.socket.send(Uint8Array.from([1, 2, 3, 250]));
    await s.until(() => s.messages.length >= burst.length + 1, 5000, "burst echo");
    const texts = s.messages.filter((m) => typeof m === "string");
    check(`${name}: 40 text messages echoed in order`, JSON.stringify(texts) === JSON.stringify(burst));
    const bins = s.messages.filter((m) => typeof m !== "string").map(bytes);
    check(`${name}: binary echoed`, JSON.stringify(bins) === JSON.stringify([[1, 2, 3, 250]]), JSON.stringify(bins));
    if (waitUpgrade) {
      await s.until(() => s.upgraded, 5000, "upgrade");
      check(`${name}: upgraded`, s.upgraded);
    }
    check(
      `${name}: transport is ${expectTransport}`,
      s.socket.transport && s.socket.transport.name === expectTransport,
      s.socket.transport && s.socket.transport.name,
    );
    // Heartbeats (pingInterval 300 ms, pingTimeout 200 ms) for more than 2 s.
    await sleep(2200);
    check(`${name}: alive after 2.2 s of heartbeats`, s.closed === null, String(s.closed));
    s.messages.length = 0;
    s.socket.send("after heartbeats");
    s.socket.send(Uint8Array.from([0, 255]));
    await s.until(() => s.messages.length >= 2, 3000, "echo after heartbeats");
    check(`${name}: text echo after heartbeats`, s.messages[0] === "after heartbeats");
    check(`${name}: binary echo after heartbeats`, JSON.stringify(bytes(s.messages[1])) === "[0,255]");
    // A large message (not too close to maxPayload, which counts the whole polling body).
    const big = "y".repeat(200000);
    s.messages.length = 0;
    s.socket.send(big);
    await s.until(() => s.messages.length >= 1, 5000, "big echo");
    check(`${name}: 200 kB message echoed`, s.messages[0] === big);
    s.socket.close();
    await s.until(() => s.closed !== null, 3000, "close");
    check(`${name}: closed cleanly`, s.closed === "forced close", String(s.closed));
  } catch (e) {
    check(`${name}: ${e.message}`, false, `(closed: ${s.closed}, got ${s.messages.length} messages)`);
    try {
      s.socket.close();
    } catch {}
  }
}

await Promise.all([
  scenario("polling-only", { transports: ["polling"] }, { expectTransport: "polling" }),
  scenario("websocket-only", { transports: ["websocket"] }, { expectTransport: "websocket" }),
  scenario(
    "polling-then-upgrade",
    { transports: ["polling", "websocket"], upgrade: true },
    { expectTransport: "websocket", waitUpgrade: true },
  ),
]);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
