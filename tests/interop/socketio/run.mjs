// socket.io-client 4.8 against sockwire's `sio_server` on $SIO_URL (default http://127.0.0.1:3000),
// over polling only, WebSocket only, and polling upgraded to WebSocket. Prints
// `N passed, N failed` and exits non-zero if anything failed.
import { io } from "socket.io-client";
import assert from "node:assert/strict";
import { check, finish, sleep } from "../harness.mjs";

const URL = process.env.SIO_URL ?? "http://127.0.0.1:3000";
const MODES = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};


function connect(nsp, opts, auth) {
  const socket = io(URL + nsp, { ...opts, forceNew: true, reconnection: false, auth });
  const authEvent = new Promise((resolve) => socket.once("auth", resolve));
  const connected = new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return { socket, connected, authEvent };
}

function once(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

/** Deep equality where Buffers / ArrayBuffers compare by content. */
function normalize(v) {
  if (v instanceof ArrayBuffer) return { bin: Buffer.from(v).toString("hex") };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { bin: Buffer.from(v).toString("hex") };
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

async function modeTests(mode, opts) {
  await check(`${mode}: connect / with auth`, async () => {
    const { socket, connected, authEvent } = connect("/", opts, { token: "abc", n: 1 });
    await connected;
    assert.deepEqual(await authEvent, { token: "abc", n: 1 });
    assert.equal(typeof socket.id, "string");
    socket.disconnect();
  });

  await check(`${mode}: connect /custom with auth`, async () => {
    const { socket, connected, authEvent } = connect("/custom", opts, { token: "xyz" });
    await connected;
    assert.deepEqual(await authEvent, { token: "xyz" });
    socket.disconnect();
  });

  await check(`${mode}: unknown namespace → connect_error`, async () => {
    const socket = io(URL + "/random", { ...opts, forceNew: true, reconnection: false });
    const [err] = await once(socket, "connect_error");
    assert.equal(err.message, "Invalid namespace");
    socket.close();
  });

  const { socket, connected, authEvent } = connect("/", opts, undefined);
  await connected.catch(() => {});
  await authEvent;

  await check(`${mode}: auth defaults to {}`, async () => {
    const { socket: s2, connected: c2, authEvent: a2 } = connect("/", opts, undefined);
    await c2;
    assert.deepEqual(await a2, {});
    s2.disconnect();
  });

  await check(`${mode}: message round trip, mixed JSON and nested binary`, async () => {
    const big = Buffer.alloc(100_000, 0xab);
    const args = [
      1,
      "two",
      null,
      true,
      { a: [1.5, "x", { b: Buffer.from([1, 2, 3]) }], empty: Buffer.alloc(0) },
      Buffer.from("top"),
      [big, { deep: { deeper: [Buffer.from([0xff])] } }],
      "é😀\n\"\\",
    ];
    const back = once(socket, "message-back");
    socket.emit("message", ...args);
    assert.deepEqual(normalize(await back), normalize(args));
  });

  await check(`${mode}: ack with the same arguments (text and binary)`, async () => {
    const got = await new Promise((resolve) =>
      socket.emit("message-with-ack", 42, { k: "v" }, (...a) => resolve(a)),
    );
    assert.deepEqual(got, [42, { k: "v" }]);
    const gotBin = await new Promise((resolve) =>
      socket.emit("message-with-ack", Buffer.from([9, 8, 7]), { x: [Buffer.alloc(0)] }, (...a) => resolve(a)),
    );
    assert.deepEqual(normalize(gotBin), normalize([Buffer.from([9, 8, 7]), { x: [Buffer.alloc(0)] }]));
    const viaPromise = await socket.timeout(5000).emitWithAck("message-with-ack", "p");
    assert.equal(viaPromise, "p");
  });

  await check(`${mode}: 200 events in order`, async () => {
    const got = [];
    const done = new Promise((resolve) => {
      const h = (i) => {
        got.push(i);
        if (got.length === 200) {
          socket.off("message-back", h);
          resolve();
        }
      };
      socket.on("message-back", h);
    });
    for (let i = 0; i < 200; i++) socket.emit("message", i);
    await done;
    assert.deepEqual(got, [...Array(200).keys()]);
  });

  await check(`${mode}: 500 kB string`, async () => {
    const s = "x".repeat(250_000) + "é".repeat(125_000);
    const back = once(socket, "message-back");
    socket.emit("message", s);
    const [r] = await back;
    assert.equal(r, s);
  });

  await check(`${mode}: heartbeats keep the session alive for 2 s`, async () => {
    const id = socket.id;
    await sleep(2200);
    assert.equal(socket.connected, true);
    assert.equal(socket.id, id);
    const transport = socket.io.engine.transport.name;
    assert.equal(transport, mode === "polling" ? "polling" : "websocket");
    const back = once(socket, "message-back");
    socket.emit("message", "still here");
    assert.deepEqual(await back, ["still here"]);
  });

  await check(`${mode}: disconnect`, async () => {
    const reason = once(socket, "disconnect");
    socket.disconnect();
    assert.equal((await reason)[0], "io client disconnect");
    assert.equal(socket.connected, false);
  });

  await check(`${mode}: 20 concurrent clients`, async () => {
    const clients = Array.from({ length: 20 }, (_, i) => connect("/", opts, { i }));
    await Promise.all(clients.map((c) => c.connected));
    const auths = await Promise.all(clients.map((c) => c.authEvent));
    assert.deepEqual(auths.map((a) => a.i), [...Array(20).keys()]);
    const backs = await Promise.all(
      clients.map(({ socket: s }, i) => {
        const p = once(s, "message-back");
        s.emit("message", i, Buffer.from([i]));
        return p;
      }),
    );
    backs.forEach((b, i) => assert.deepEqual(normalize(b), normalize([i, Buffer.from([i])])));
    clients.forEach((c) => c.socket.disconnect());
  }, 20000);
}

for (const [mode, opts] of Object.entries(MODES)) {
  await modeTests(mode, opts);
}

finish();
