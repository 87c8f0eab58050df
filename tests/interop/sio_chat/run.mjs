// socket.io-client 4.8 against sockwire-tokio's `sio_chat` example (the rooms chat on
// `sockwire::socketio::server::Server`) on $SIO_URL, over polling only, WebSocket only and
// polling upgraded to WebSocket, and with the three mixed in one room. Checks: connection
// broadcast, per-socket data (name), join with ack, room messages reach the room and only the
// room (never the sender), messages without a room reach everyone else, disconnect broadcast.
// Prints `N passed, N failed`; exits non-zero if anything failed.
import { io } from "socket.io-client";
import assert from "node:assert/strict";
import { check, finish, sleep } from "../harness.mjs";

const URL = process.env.SIO_URL ?? "http://127.0.0.1:3000";
const MODES = {
  polling: { transports: ["polling"] },
  websocket: { transports: ["websocket"] },
  upgrade: { transports: ["polling", "websocket"], upgrade: true },
};
async function client(mode) {
  const s = io(URL, { ...MODES[mode], forceNew: true, reconnection: false });
  s.got = [];
  s.onAny((ev, ...args) => s.got.push([ev, ...args]));
  await new Promise((res, rej) => { s.once("connect", res); s.once("connect_error", rej); });
  if (mode === "upgrade") {
    await new Promise((res) => (s.io.engine.transport.name === "websocket" ? res() : s.io.engine.once("upgrade", res)));
  }
  return s;
}
const events = (s, name) => s.got.filter((g) => g[0] === name);

for (const [ma, mb, mc] of [["polling", "websocket", "upgrade"], ["websocket", "upgrade", "polling"], ["upgrade", "polling", "websocket"]]) {
  await check(`rooms chat: ${ma} + ${mb} + ${mc}`, async () => {
    const a = await client(ma);
    const b = await client(mb);
    await sleep(100);
    assert.ok(events(a, "joined").some((e) => e[1] === b.id), "a saw b connect (broadcast, id as name)");
    assert.equal(events(b, "joined").length, 0, "b does not hear itself");
    const c = await client(mc);
    a.emit("name", "ann");
    b.emit("name", "bob");
    c.emit("name", "cy");
    assert.equal(await a.emitWithAck("join", "blue"), "ok");
    assert.equal(await b.emitWithAck("join", "blue"), "ok");
    assert.equal(await c.emitWithAck("join", "red"), "ok");
    await sleep(100);
    assert.deepEqual(events(a, "joined").at(-1), ["joined", "bob", "blue"], "a saw bob join blue");
    a.got.length = b.got.length = c.got.length = 0;
    a.emit("say", "hello blue");
    c.emit("say", "hello red");
    await sleep(200);
    assert.deepEqual(b.got, [["said", { from: "ann", text: "hello blue" }]]);
    assert.deepEqual(a.got, [], "the sender hears nothing; red is another room");
    assert.deepEqual(c.got, [], "c is alone in red");
    // 50 ordered messages, one room.
    for (let i = 0; i < 50; i++) b.emit("say", `m${i}`);
    await sleep(300);
    assert.deepEqual(a.got.map((g) => g[1].text), Array.from({ length: 50 }, (_, i) => `m${i}`));
    a.got.length = 0;
    c.disconnect();
    await sleep(200);
    assert.deepEqual(events(a, "left"), [["left", "cy"]]);
    a.disconnect();
    b.disconnect();
  });
}

await check("no room: a message reaches everyone else", async () => {
  const [a, b, c] = [await client("websocket"), await client("polling"), await client("upgrade")];
  await sleep(100);
  a.got.length = b.got.length = c.got.length = 0;
  a.emit("say", "hi all");
  await sleep(200);
  for (const s of [b, c]) assert.deepEqual(s.got, [["said", { from: a.id, text: "hi all" }]]);
  assert.deepEqual(a.got, []);
  for (const s of [a, b, c]) s.disconnect();
});

finish();
