// Socket.IO extras against sockwire (tests/ci/47-socketio-extras.sh). Copied next to its
// node_modules (socket.io-client 4.8, socket.io-msgpack-parser 3.0.2, socket.io 4.8) and run as
//
//   node run.mjs msgpack  <sio_server --parser msgpack URL>
//   node run.mjs recovery <--recovery URL> <--recovery --no-skip-middlewares URL> <plain URL>
//   node run.mjs node-server <port>     (a Node socket.io server with recovery, for our client)
//
// The first two print `N passed, N failed` and exit non-zero on any failure.
import { io } from "socket.io-client";
import { Server } from "socket.io";
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import { check, finish, sleep } from "../harness.mjs";

const require = createRequire(import.meta.url);
const msgpackParser = require("socket.io-msgpack-parser");

const MODES = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};

const once = (s, ev) => new Promise((resolve) => s.once(ev, (...args) => resolve(args)));

function connected(socket) {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

/** Deep equality where Buffers / ArrayBuffers / typed arrays compare by content. */
function normalize(v) {
  if (v instanceof ArrayBuffer) return { bin: Buffer.from(v).toString("hex") };
  if (ArrayBuffer.isView(v)) return { bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex") };
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

// ----- msgpack parser -------------------------------------------------------------------------

async function msgpack(url) {
  const big = Buffer.alloc(100_000, 7);
  for (const [mode, opts] of Object.entries(MODES)) {
    const base = { ...opts, forceNew: true, reconnection: false, parser: msgpackParser };
    await check(`msgpack ${mode}: connect with auth, echo with binary, ack`, async () => {
      const s = io(url, { ...base, auth: { token: "abc", n: 1 } });
      const auth = once(s, "auth");
      await connected(s);
      assert.deepEqual(await auth, [{ token: "abc", n: 1 }]);
      if (mode === "upgrade") {
        await new Promise((r) => (s.io.engine.transport.name === "websocket" ? r() : s.io.engine.once("upgrade", r)));
      }
      const args = [
        "héllo ✓",
        42,
        -7,
        1.5,
        2 ** 40,
        null,
        true,
        { nested: { list: [1, "two", Buffer.from([1, 2, 3])], empty: {} } },
        Buffer.from([0, 255, 128]),
        new Uint8Array([9, 8, 7]),
        big,
        Buffer.alloc(0),
      ];
      const back = once(s, "message-back");
      s.emit("message", ...args);
      assert.deepEqual(normalize(await back), normalize(args));
      const acked = await s.timeout(5000).emitWithAck("message-with-ack", "x", Buffer.from("bin"), { a: [1] });
      assert.deepEqual(normalize(acked), normalize("x"));
      s.disconnect();
    });

    await check(`msgpack ${mode}: ack with every argument`, async () => {
      const s = io(url, base);
      await connected(s);
      const ackArgs = await new Promise((resolve) => s.emit("message-with-ack", 1, { b: Buffer.from([5]) }, "z", (...a) => resolve(a)));
      assert.deepEqual(normalize(ackArgs), normalize([1, { b: Buffer.from([5]) }, "z"]));
      s.disconnect();
    });

    await check(`msgpack ${mode}: Date, undefined and NaN read as JSON.stringify would`, async () => {
      const s = io(url, base);
      await connected(s);
      const back = once(s, "message-back");
      s.emit("message", new Date(Date.UTC(2024, 1, 29, 12, 0, 0, 5)), [undefined, 1], { u: undefined, k: 2 }, NaN);
      assert.deepEqual(await back, ["2024-02-29T12:00:00.005Z", [null, 1], { k: 2 }, null]);
      s.disconnect();
    });

    await check(`msgpack ${mode}: unknown namespace refused`, async () => {
      const s = io(url + "/nope", base);
      const [err] = await once(s, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      s.close();
    });

    await check(`msgpack ${mode}: hub broadcast (encoded once) with binary reaches every client`, async () => {
      const a = io(url + "/hub", base);
      const b = io(url + "/hub", base);
      await Promise.all([connected(a), connected(b)]);
      const ga = once(a, "news");
      const gb = once(b, "news");
      const ok = await a.timeout(5000).emitWithAck("all", "news", "hi", Buffer.from([1, 2]));
      assert.equal(ok, true);
      for (const got of [await ga, await gb]) {
        assert.deepEqual(normalize(got), normalize(["hi", Buffer.from([1, 2])]));
      }
      a.disconnect();
      b.disconnect();
    });
  }
  finish();
}

// ----- connection state recovery ----------------------------------------------------------------

/** The recovering client: manual reconnection so that events can be emitted while it is away. */
function recClient(url, mode, extra = {}) {
  return io(url, { ...MODES[mode], forceNew: true, reconnection: false, ...extra });
}

async function control(url) {
  const c = io(url + "/control", { transports: ["websocket"], forceNew: true, reconnection: false });
  await connected(c);
  return {
    emit: (spec, event, ...args) => c.timeout(5000).emitWithAck("emit", spec, event, ...args),
    use: (on = true) => c.timeout(5000).emitWithAck("use-middleware", on),
    stats: () => c.timeout(5000).emitWithAck("stats"),
    close: () => c.close(),
  };
}

/** Connects, receives one broadcast (so the client has an offset), then drops the transport. */
async function init(url, mode, ctl) {
  const s = recClient(url, mode);
  await connected(s);
  assert.ok(s._pid, "the CONNECT reply carries a pid");
  const hello = once(s, "hello");
  await ctl.emit("all", "hello");
  const got = await hello;
  assert.equal(got.length, 1, "the offset is the last argument");
  assert.equal(typeof got[0], "string");
  assert.equal(s._lastOffset, got[0]);
  const sid = s.id;
  const gone = once(s, "disconnect");
  s.io.engine.close(); // a transport close, as the reference test's Engine.IO "1"
  const [reason] = await gone;
  // The client says "forced close"; the server sees the Engine.IO close: "transport close".
  assert.equal(reason, "forced close");
  // Let the server see the close before anything is emitted.
  for (let i = 0; i < 50 && (await ctl.stats()).recoverable === 0; i++) await sleep(20);
  return { s, sid };
}

async function reconnect(s) {
  const p = connected(s);
  s.connect();
  await p;
}

async function state(s) {
  return s.timeout(5000).emitWithAck("state");
}

async function recovery(url, urlNoSkip, urlPlain) {
  for (const mode of Object.keys(MODES)) {
    await check(`recovery ${mode}: restores the session and the missed packets`, async () => {
      const ctl = await control(url);
      const { s, sid } = await init(url, mode, ctl);
      await ctl.emit("all", "hello1"); // broadcast
      await ctl.emit("room:room1", "hello2"); // broadcast to a room
      await ctl.emit(`sid:${sid}`, "hello3"); // direct message
      await ctl.emit("room:elsewhere", "not-for-you");
      const got = [];
      for (const ev of ["hello1", "hello2", "hello3", "not-for-you"]) s.on(ev, (...a) => got.push([ev, ...a]));
      await reconnect(s);
      await sleep(200);
      assert.equal(s.recovered, true);
      assert.equal(s.id, sid);
      assert.deepEqual(got.map((g) => g[0]), ["hello1", "hello2", "hello3"]);
      assert.equal(s._lastOffset, got[2][1]);
      s.disconnect();
      ctl.close();
    });

    await check(`recovery ${mode}: restores rooms and data`, async () => {
      const ctl = await control(url);
      const first = recClient(url, mode);
      await connected(first);
      const st0 = await state(first);
      assert.equal(st0.recovered, false);
      first.disconnect();
      const { s, sid } = await init(url, mode, ctl);
      await reconnect(s);
      const st = await state(s);
      assert.equal(st.id, sid);
      assert.equal(st.recovered, true);
      assert.deepEqual(st.rooms, ["room1", "room2", sid].sort());
      assert.deepEqual(st.data, { foo: "bar" });
      s.disconnect();
      ctl.close();
    });

    await check(`recovery ${mode}: middlewares skipped upon recovery by default`, async () => {
      const ctl = await control(url);
      const { s } = await init(url, mode, ctl);
      await ctl.use();
      await reconnect(s);
      const st = await state(s);
      assert.equal(st.recovered, true);
      assert.equal(st.data.middlewareWasCalled, undefined);
      await ctl.use(false);
      s.disconnect();
      ctl.close();
    });

    await check(`recovery ${mode}: middlewares run upon recovery when not skipped`, async () => {
      const ctl = await control(urlNoSkip);
      const { s } = await init(urlNoSkip, mode, ctl);
      await ctl.use();
      await reconnect(s);
      const st = await state(s);
      assert.equal(st.recovered, true);
      assert.equal(st.data.middlewareWasCalled, true);
      await ctl.use(false);
      s.disconnect();
      ctl.close();
    });

    await check(`recovery ${mode}: an unknown session gets a new one`, async () => {
      const s = recClient(url, mode, { auth: { pid: "foo", offset: "bar" } });
      await connected(s);
      assert.notEqual(s.id, "foo");
      assert.ok(s._pid && s._pid !== "foo");
      assert.equal(s.recovered, false);
      assert.equal((await state(s)).recovered, false);
      s.disconnect();
    });

    await check(`recovery ${mode}: disabled by default`, async () => {
      const s = recClient(urlPlain, mode);
      await connected(s);
      assert.equal(s._pid, undefined);
      const back = once(s, "message-back");
      s.emit("message", "a", 1);
      assert.deepEqual(await back, ["a", 1], "no offset appended");
      s.disconnect();
    });

    await check(`recovery ${mode}: nothing kept or restored when disabled`, async () => {
      const s = recClient(urlPlain, mode, { auth: { pid: "foo", offset: "bar" } });
      const auth = once(s, "auth");
      await connected(s);
      assert.deepEqual(await auth, [{ pid: "foo", offset: "bar" }]);
      const sid = s.id;
      s.io.engine.close();
      await sleep(100);
      await reconnect(s);
      assert.notEqual(s.id, sid);
      assert.ok(!s.recovered);
      s.disconnect();
    });
  }

  await check("recovery: a namespace disconnect is not recoverable", async () => {
    const ctl = await control(url);
    const s = recClient(url, "websocket");
    await connected(s);
    const before = (await ctl.stats()).recoverable;
    s.disconnect();
    await sleep(200);
    assert.equal((await ctl.stats()).recoverable, before);
    ctl.close();
  });

  await check("recovery: the client echo carries the offset (direct emit)", async () => {
    const s = recClient(url, "websocket");
    await connected(s);
    const back = once(s, "message-back");
    s.emit("message", "x");
    const got = await back;
    assert.equal(got[0], "x");
    assert.equal(typeof got[1], "string");
    assert.equal(s._lastOffset, got[1]);
    s.disconnect();
  });
  finish();
}

// ----- a Node server with recovery, for our client machine ------------------------------------

function nodeServer(port) {
  const srv = new Server(+port, {
    connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
    pingInterval: 1000,
    pingTimeout: 1000,
  });
  srv.on("connection", (socket) => {
    if (!socket.recovered) {
      socket.join("room1");
      socket.data.foo = "bar";
    }
    socket.emit("state", { id: socket.id, recovered: socket.recovered, rooms: [...socket.rooms].sort(), data: socket.data });
    socket.on("ping-all", () => srv.emit("hello", 1));
    socket.on("disconnect", (reason) => {
      console.error(`node-server: ${socket.id} left: ${reason}`);
      if (reason === "transport close") {
        setTimeout(() => {
          srv.emit("missed1", "a");
          srv.to("room1").emit("missed2", Buffer.from([1, 2, 3]));
          srv.to("elsewhere").emit("not-for-you");
        }, 100);
      }
    });
  });
  console.log(`node-server listening on ${port}`);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === "msgpack") await msgpack(rest[0]);
else if (cmd === "recovery") await recovery(rest[0], rest[1], rest[2]);
else if (cmd === "node-server") nodeServer(rest[0]);
else {
  console.error("usage: run.mjs msgpack URL | recovery URL URL_NOSKIP URL_PLAIN | node-server PORT");
  process.exit(2);
}
