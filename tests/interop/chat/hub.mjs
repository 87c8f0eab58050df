// Standard socket.io-client clients against sio_server's /hub namespace: rooms, except, session
// data, binary broadcast, and the `left` notice — what the reference server would do.
// Usage: node hub.mjs <base-url>
import { io } from "socket.io-client";
import { ok, check, once, collect, timeout, summary } from "./lib.mjs";

const base = process.argv[2] || "http://127.0.0.1:3000";
const T = 5000;
const connect = async (transports) => {
  const s = io(base + "/hub", { transports, reconnection: false, forceNew: true });
  await once(s, "connect", T);
  return s;
};
const ack = (s, ...args) => timeout(s.emitWithAck(...args), T, `ack of ${args[0]}`);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

let a, b, c;
await check("three clients connect to /hub (websocket, polling, polling+upgrade)", async () => {
  a = await connect(["websocket"]);
  b = await connect(["polling"]);
  c = await connect(["polling", "websocket"]);
  return a.id && b.id && c.id && new Set([a.id, b.id, c.id]).size === 3;
});

await check("join acks true", async () => {
  const r = [await ack(a, "join", "r"), await ack(b, "join", "r"), await ack(c, "join", "x"), await ack(b, "join", "x")];
  return same(r, [true, true, true, true]);
});

await check("others: every /hub socket but the sender", async () => {
  const got = [collect(a, "ev"), collect(b, "ev"), collect(c, "ev")];
  a.emit("others", "ev", 1, "two", { three: [3] });
  const [ga, gb, gc] = await Promise.all(got);
  ok(ga.length === 0, "others: sender excluded", JSON.stringify(ga));
  return same(gb, [[1, "two", { three: [3] }]]) && same(gc, gb);
});

await check("all: every /hub socket, sender included", async () => {
  const got = [collect(a, "ev2"), collect(b, "ev2"), collect(c, "ev2")];
  b.emit("all", "ev2", null);
  const r = await Promise.all(got);
  return r.every((g) => same(g, [[null]]));
});

await check("to: room members but the sender", async () => {
  const got = [collect(a, "ev3"), collect(b, "ev3"), collect(c, "ev3")];
  a.emit("to", "r", "ev3", "hi");
  const [ga, gb, gc] = await Promise.all(got);
  return ga.length === 0 && same(gb, [["hi"]]) && gc.length === 0;
});

await check("to from a non-member reaches every member once", async () => {
  const got = [collect(a, "ev4"), collect(b, "ev4"), collect(c, "ev4")];
  c.emit("to", "r", "ev4", 4);
  const [ga, gb, gc] = await Promise.all(got);
  return same(ga, [[4]]) && same(gb, [[4]]) && gc.length === 0;
});

await check("to-except: room members not in the except room", async () => {
  const got = [collect(a, "ev5"), collect(b, "ev5"), collect(c, "ev5")];
  c.emit("to-except", "r", "x", "ev5", "only-a");
  const [ga, gb, gc] = await Promise.all(got);
  return same(ga, [["only-a"]]) && gb.length === 0 && gc.length === 0;
});

await check("leave acks true and stops delivery", async () => {
  const left = await ack(b, "leave", "r");
  const got = [collect(a, "ev6"), collect(b, "ev6")];
  c.emit("to", "r", "ev6");
  const [ga, gb] = await Promise.all(got);
  return left === true && same(ga, [[]]) && gb.length === 0;
});

await check("set/get session data per socket", async () => {
  const s1 = await ack(a, "set", "user", { name: "ada", tags: ["x", 1] });
  const g1 = await ack(a, "get", "user");
  const g2 = await ack(b, "get", "user");
  const g3 = await ack(a, "get", "missing");
  const s2 = await ack(a, "set", "user", "replaced");
  const g4 = await ack(a, "get", "user");
  return s1 === true && same(g1, { name: "ada", tags: ["x", 1] }) && g2 === null && g3 === null && s2 === true && g4 === "replaced";
});

await check("binary arguments survive a broadcast (nested, empty, 100 kB)", async () => {
  const big = Buffer.alloc(100_000, 7);
  const got = [once(b, "bin", T), once(c, "bin", T)];
  a.emit("others", "bin", Buffer.from([1, 2, 3]), { nested: [Buffer.alloc(0), big], n: 1 });
  for (const p of got) {
    const [x, y] = await p;
    if (!Buffer.isBuffer(x) || !x.equals(Buffer.from([1, 2, 3]))) return false;
    if (!Buffer.isBuffer(y.nested[0]) || y.nested[0].length !== 0) return false;
    if (!Buffer.isBuffer(y.nested[1]) || !y.nested[1].equals(big) || y.n !== 1) return false;
  }
  return true;
});

await check("binary through to-room as well", async () => {
  const got = once(b, "bin2", T);
  c.emit("to", "x", "bin2", Buffer.from("xyz"));
  const [x] = await got;
  return Buffer.isBuffer(x) && x.toString() === "xyz";
});

await check("disconnect: every remaining /hub socket gets left with the sid", async () => {
  const sid = b.id;
  const got = [once(a, "left", T), once(c, "left", T)];
  b.disconnect();
  const r = await Promise.all(got);
  return r.every((args) => same(args, [sid]));
});

await check("the departed socket is gone from rooms", async () => {
  const got = collect(a, "ev7");
  c.emit("to", "r", "ev7", "after");
  const ga = await got;
  return same(ga, [["after"]]);
});

a.disconnect();
c.disconnect();
process.exit(summary());
