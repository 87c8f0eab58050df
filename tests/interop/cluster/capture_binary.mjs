// Regenerate tests/data/cluster/redis-adapter-8.3-binary.tsv (Redis 7, the packages of capture.mjs):
//   node capture_binary.mjs redis://127.0.0.1:6379 ../../data/cluster/redis-adapter-8.3-binary.tsv
// Captures what the adapters publish when serverSideEmit arguments, serverSideEmitWithAck
// answers and broadcast-with-acks answers hold binary (Buffers): the sharded adapter
// (createShardedAdapter, SPUBLISH) switches to msgpack; the classic one (createAdapter)
// JSON-stringifies a serverSideEmit's Buffers.
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { io as ioc } from "socket.io-client";
import { writeFileSync } from "node:fs";
const url = process.argv[2], out = process.argv[3];
const mon = createClient({ url });
await mon.connect();
const lines = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mark = async (name) => { await sleep(150); lines.push("#\t" + name); };
async function node(port, sharded) {
  const pub = createClient({ url }), sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const adapter = sharded ? createShardedAdapter(pub, sub) : createAdapter(pub, sub);
  const io = new Server(http, { adapter });
  await new Promise((r) => http.listen(port, r));
  return io;
}
// The classic adapter: serverSideEmit's request is JSON, Buffers as {"type":"Buffer",...}.
const ca = await node(4121, false), cb = await node(4122, false);
for (const ch of ["socket.io-request#/#", "socket.io-response#/#"]) {
  await mon.subscribe(ch, (msg, c) => lines.push(c + "\t" + msg.toString("hex")), true);
}
await mark("classic-sse-binary"); ca.serverSideEmit("bin-srv", Buffer.from([1, 2, 3]), "x");
// serverSideEmitWithAck with a Buffer, answered with a Buffer by cb: both JSON (times out after
// 5 s: NUMSUB also counts this script's monitor connection).
cb.on("sse-bin", (x, ack) => ack(Buffer.concat([Buffer.from("b-"), Buffer.from(x.data)])));
await mark("classic-sse-ack-binary"); await ca.serverSideEmitWithAck("sse-bin", Buffer.from([4, 5])).catch(() => {});
await sleep(300);
await mon.unsubscribe("socket.io-request#/#");
await mon.unsubscribe("socket.io-response#/#");
ca.close(); cb.close();
// The sharded adapter.
const a = await node(4111, true), b = await node(4112, true);
for (const ch of ["socket.io#/#", `socket.io#/#${a.of("/").adapter.uid}#`, `socket.io#/#${b.of("/").adapter.uid}#`]) {
  await mon.sSubscribe(ch, (msg, c) => lines.push(c + "\t" + msg.toString("hex")), true);
}
const c1 = ioc("http://127.0.0.1:4111"), c2 = ioc("http://127.0.0.1:4112");
await new Promise((r) => c1.on("connect", r)); await new Promise((r) => c2.on("connect", r));
await sleep(300);
await mark("sse-binary"); a.serverSideEmit("bin-srv", Buffer.from([1, 2, 3]), "x");
// serverSideEmitWithAck with a Buffer, answered with a Buffer by b (times out after 5 s:
// SHARDNUMSUB also counts this script's monitor connection).
b.on("sse-bin", (x, cb) => cb(Buffer.concat([Buffer.from("b-"), x])));
await mark("sse-ack-binary"); await a.serverSideEmitWithAck("sse-bin", Buffer.from([4, 5])).catch(() => {});
// A broadcast with acks whose answers are Buffers: b's client count and its client's answer
// on a's channel (msgpack).
c1.on("ask-bin", (cb) => cb(Buffer.from([0xc1])));
c2.on("ask-bin", (cb) => cb(Buffer.from([9, 8, 7])));
await mark("broadcast-ack-binary"); await a.timeout(1000).emitWithAck("ask-bin").catch(() => {});
await sleep(300);
writeFileSync(out, lines.join("\n") + "\n");
process.exit(0);
