// Regenerate tests/data/cluster/redis-adapter-8.3-sharded.tsv (Redis 7, the packages of capture.mjs):
//   node capture_sharded.mjs redis://127.0.0.1:6379 ../../data/cluster/redis-adapter-8.3-sharded.tsv
// Captures what the sharded adapter (createShardedAdapter, Redis 7 SPUBLISH) publishes.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { io as ioc } from "socket.io-client";
import { writeFileSync } from "node:fs";
const url = process.argv[2], out = process.argv[3];
const mon = createClient({ url });
await mon.connect();
const lines = [];
const seen = new Set();
const watch = async (ch) => {
  if (seen.has(ch)) return;
  seen.add(ch);
  await mon.sSubscribe(ch, (msg, c) => lines.push(c + "\t" + msg.toString("hex")), true);
};
async function node(port) {
  const pub = createClient({ url }), sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { adapter: createShardedAdapter(pub, sub) });
  await new Promise((r) => http.listen(port, r));
  return io;
}
const a = await node(4111), b = await node(4112);
for (const ch of ["socket.io#/#", "socket.io#/#room1#", "socket.io#/#room2#", `socket.io#/#${a.of("/").adapter.uid}#`, `socket.io#/#${b.of("/").adapter.uid}#`]) await watch(ch);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
a.on("connection", (s) => s.join("room1"));
b.on("connection", (s) => s.join("room2"));
const c1 = ioc("http://127.0.0.1:4111"), c2 = ioc("http://127.0.0.1:4112");
await new Promise((r) => c1.on("connect", r)); await new Promise((r) => c2.on("connect", r));
await sleep(300);
const mark = async (name) => { await sleep(150); lines.push("#\t" + name); };
await mark("broadcast-all"); a.emit("hello", "world", 1);
await mark("broadcast-room"); a.to("room2").emit("news", { a: 1 });
await mark("broadcast-rooms-except"); a.to(["room1", "room2"]).except("room3").emit("multi", "x");
await mark("broadcast-binary"); a.emit("bin", Buffer.from([1, 2, 3]));
await mark("sockets-join"); a.in("room2").socketsJoin("r9");
await mark("server-side-emit"); a.serverSideEmit("hello-srv", 42);
// A broadcast with acks: the request on the main channel, then b's client count and its
// client's answer on a's own channel (c1 answers a locally).
c1.on("ask", (n, cb) => cb("local-" + n));
c2.on("ask", (n, cb) => cb("answer-" + n));
// (It times out here: SHARDNUMSUB also counts this script's monitor connection.)
await mark("broadcast-ack"); await a.timeout(1000).emitWithAck("ask", 7).catch(() => {});
// serverSideEmitWithAck: the request on the main channel, then b's answer on a's channel
// (it times out too, after the adapter's 5 s, for the same reason).
b.on("sse", (x, cb) => cb("b-" + x));
a.on("sse", (x, cb) => cb("a-" + x));
await mark("sse-ack"); await a.serverSideEmitWithAck("sse", 3).catch(() => {});
// fetchSockets: the request on the main channel, then b's sockets on a's channel (times out
// too, after 5 s).
await mark("fetch-sockets"); await a.fetchSockets().catch(() => {});
await sleep(300);
writeFileSync(out, lines.join("\n") + "\n");
process.exit(0);
