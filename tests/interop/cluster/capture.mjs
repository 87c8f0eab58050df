// Regenerate tests/data/cluster/redis-adapter-8.3.tsv: with socket.io@4.8, @socket.io/redis-adapter@8.3,
// @socket.io/redis-emitter@5.1, redis@4 and socket.io-client@4.8 installed, and a redis-server on URL:
//   node capture.mjs redis://127.0.0.1:6379 ../../data/cluster/redis-adapter-8.3.tsv
// Captures what @socket.io/redis-adapter 8.3 publishes, as "channel<TAB>hex" lines.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Emitter } from "@socket.io/redis-emitter";
import { createClient } from "redis";
import { io as ioc } from "socket.io-client";
import { writeFileSync } from "node:fs";
const url = process.argv[2], out = process.argv[3];
const mon = createClient({ url });
await mon.connect();
const lines = [];
await mon.pSubscribe("*", (msg, ch) => lines.push(ch + "\t" + msg.toString("hex")), true);
async function node(port) {
  const pub = createClient({ url }), sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { adapter: createAdapter(pub, sub) });
  await new Promise((r) => http.listen(port, r));
  return io;
}
const a = await node(4101), b = await node(4102);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
a.on("connection", (s) => { s.join("room1"); });
b.on("connection", (s) => { s.join("room2"); s.on("ping2", (x, cb) => cb && cb("pong")); });
b.on("hello-srv", (x, cb) => { if (typeof cb === "function") cb("srv-ack"); });
const c1 = ioc("http://127.0.0.1:4101"), c2 = ioc("http://127.0.0.1:4102");
c2.on("ask", (x, cb) => cb("answer-" + x)); c1.on("ask", (x, cb) => cb("a1-" + x));
await new Promise((r) => c1.on("connect", r)); await new Promise((r) => c2.on("connect", r));
await sleep(300);
const mark = async (name) => { await sleep(150); lines.push("#\t" + name); };
await mark("broadcast-all"); a.emit("hello", "world", 1);
await mark("broadcast-room"); a.to("room1").emit("news", { a: [1, 2.5, null, true] });
await mark("broadcast-rooms-except"); a.to(["room1", "room2"]).except("room3").emit("multi", "x");
await mark("broadcast-binary"); a.emit("bin", Buffer.from([1, 2, 3]), "t");
await mark("broadcast-volatile-compress"); a.volatile.compress(false).emit("flags");
await mark("broadcast-nsp"); a.of("/chat").emit("in-chat", -5);
await mark("fetch-sockets"); await a.fetchSockets();
await mark("fetch-sockets-room"); await a.in("room2").fetchSockets();
await mark("sockets-join"); a.in("room1").socketsJoin(["r9", "r10"]);
await mark("sockets-leave"); a.except("room1").socketsLeave("room2");
await mark("all-rooms"); await a.of("/").adapter.allRooms();
await mark("server-side-emit"); a.serverSideEmit("hello-srv", 42);
await mark("server-side-emit-ack"); await a.serverSideEmitWithAck("hello-srv", 43);
await mark("broadcast-ack"); await a.timeout(2000).emitWithAck("ask", 7);
await mark("disconnect-sockets"); a.in("room2").disconnectSockets(true);
await mark("emitter");
const ep = createClient({ url }); await ep.connect();
const em = new Emitter(ep);
em.emit("from-emitter", 1); await sleep(50);
em.to("room1").except("room2").emit("from-emitter-room", "z"); await sleep(50);
em.of("/chat").emit("emitter-nsp"); await sleep(50);
em.in("room1").socketsJoin("r5"); await sleep(50);
em.in("room1").socketsLeave("r5"); await sleep(50);
em.in("room1").disconnectSockets(); await sleep(50);
em.serverSideEmit("hello-srv", 9);
await sleep(300);
writeFileSync(out, lines.join("\n") + "\n");
process.exit(0);
