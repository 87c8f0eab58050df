// Node's zlib (what `ws` compresses with) on the message of `benches/deflate.rs`: a 16 KiB
// chat-like JSON text, raw DEFLATE, level 6, 15-bit window, memLevel 8, sync flush.
// Per message with a fresh stream (deflateRawSync / inflateRawSync), like no context takeover:
// Node has no synchronous API for a kept stream (ws's asynchronous one adds its own scheduling).
// usage: node node_zlib.mjs [seconds per row]
import zlib from 'node:zlib';

const SECS = Number(process.argv[2] || 3);
let s = '';
for (let i = 0; s.length < 16384; i++) {
  s += `{"id":${i},"user":"user${i % 17}","text":"hello number ${Number((BigInt(i) * 2654435761n) % 100000n)}"},`;
}
const msg = Buffer.from(s.slice(0, 16384));
const opts = { level: 6, windowBits: 15, memLevel: 8 };
const SYNC = zlib.constants.Z_SYNC_FLUSH;

function row(name, fn) {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = process.hrtime.bigint();
  let t;
  do {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (t < SECS);
  const us = (t / n) * 1e6;
  console.log(`${name.padEnd(36)} ${us.toFixed(2).padStart(8)} us/msg  ${(msg.length / (t / n) / 2 ** 20).toFixed(1).padStart(7)} MiB/s`);
}

const z = zlib.deflateRawSync(msg, { ...opts, finishFlush: SYNC }).subarray(0, -4);
const tail = Buffer.from([0, 0, 0xff, 0xff]);
row('node_compress_fresh_stream', () => zlib.deflateRawSync(msg, { ...opts, finishFlush: SYNC }));
row('node_inflate_fresh_stream', () => zlib.inflateRawSync(Buffer.concat([z, tail]), { windowBits: 15, finishFlush: SYNC }));
console.log(`node ${process.versions.node}, zlib ${process.versions.zlib}; compressed size ${z.length} B of ${msg.length}`);
