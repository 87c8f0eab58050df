// Per-connection permessage-deflate memory of Node `ws` (its zlib), at ws's defaults: N server
// PerMessageDeflate instances (what ws creates per connection), each accepting a browser-like
// offer and then inflating one client message and compressing one reply (so both zlib streams
// exist, as on a live connection with context takeover). Reports the RSS growth per connection.
// usage: node --expose-gc ws_memory.mjs [N]   (run from tests/interop/ws for its node_modules)
import { createRequire } from 'node:module';
import path from 'node:path';
// ws does not export its internals: load the file by path (cwd = tests/interop/ws).
const require = createRequire(import.meta.url);
const PerMessageDeflate = require(path.resolve('node_modules/ws/lib/permessage-deflate.js'));
import zlib from 'node:zlib';

const N = Number(process.argv[2] || 500);
let s = '';
for (let i = 0; s.length < 2048; i++) s += `{"id":${i},"user":"user${i % 17}","text":"hello number ${i * 7}"},`;
const msg = Buffer.from(s);
const z = zlib.deflateRawSync(msg, { flush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, -4);

function p(f) { return new Promise((res, rej) => f((e, v) => (e ? rej(e) : res(v)))); }

global.gc();
const before = process.memoryUsage();
const keep = [];
for (let i = 0; i < N; i++) {
  const pmd = new PerMessageDeflate({ threshold: 0 }, true, 0);
  pmd.accept([{ client_max_window_bits: [true] }]);
  await p((cb) => pmd.decompress(z, true, cb));
  await p((cb) => pmd.compress(msg, true, cb));
  keep.push(pmd);
}
global.gc();
await new Promise((r) => setTimeout(r, 200));
global.gc();
const after = process.memoryUsage();
const per = (k) => Math.round((after[k] - before[k]) / N);
console.log(`ws ${process.versions.node} zlib ${process.versions.zlib}: ${N} connections, per connection: rss ${per('rss')} B, external ${per('external')} B, heapUsed ${per('heapUsed')} B`);
console.log(`params: ${JSON.stringify(keep[0].params)}`);
