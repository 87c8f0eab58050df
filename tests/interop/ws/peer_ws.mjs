// Node `ws` client against sockwire's echo_server.
// usage: node peer_ws.mjs ws://127.0.0.1:PORT
// Prints one line per check and ends with `N passed, N failed`; exit status 1 on any failure.
import WebSocket from 'ws';

const URL = process.argv[2];
const results = [];

function open(opts = {}, protocols = undefined) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(URL, protocols, { maxPayload: 0, ...opts });
    ws.binaryType = 'nodebuffer';
    const queue = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      const w = waiters.shift();
      if (w) w(m); else queue.push(m);
    });
    ws.next = (ms = 20000) => new Promise((res, rej) => {
      const m = queue.shift();
      if (m) return res(m);
      const t = setTimeout(() => rej(new Error('timeout waiting for a message')), ms);
      waiters.push((x) => { clearTimeout(t); res(x); });
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closeAndWait(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(1000);
  });
}

async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(true);
    console.log(`ok   ${name.padEnd(55)} ${((Date.now() - t0) / 1000).toFixed(2)}s`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name.padEnd(55)} ${e && e.message}`);
  }
}

function assert(cond, msg) { if (!cond) throw new Error(msg); }

for (const n of [0, 1, 125, 126, 65535, 65536, 1 << 20]) {
  for (const kind of ['text', 'binary']) {
    await check(`echo ${kind} ${n} bytes`, async () => {
      const ws = await open();
      const buf = Buffer.alloc(n);
      for (let i = 0; i < n; i++) buf[i] = kind === 'text' ? 0x61 + (i % 26) : (i * 7 + 3) & 0xff;
      ws.send(kind === 'text' ? buf.toString('utf8') : buf, { binary: kind === 'binary' });
      const m = await ws.next();
      assert(m.isBinary === (kind === 'binary'), `type: binary=${m.isBinary}`);
      assert(Buffer.compare(m.data, buf) === 0, `payload differs (${m.data.length} vs ${n} bytes)`);
      await closeAndWait(ws);
    });
  }
}

await check('fragmented text splitting UTF-8 code points', async () => {
  const text = 'héllo €𝄞 κόσμε '.repeat(50);
  const raw = Buffer.from(text, 'utf8');
  const ws = await open();
  for (let i = 0; i < raw.length; i += 3) {
    const last = i + 3 >= raw.length;
    ws.send(raw.subarray(i, i + 3), { binary: false, fin: last });
  }
  const m = await ws.next();
  assert(!m.isBinary, 'came back binary');
  assert(m.data.toString('utf8') === text, 'text differs');
  ws.send(Buffer.from([0, 1]), { binary: true, fin: false });
  ws.send(Buffer.alloc(0), { binary: true, fin: false });
  ws.send(Buffer.from([2]), { binary: true, fin: true });
  const b = await ws.next();
  assert(b.isBinary && Buffer.compare(b.data, Buffer.from([0, 1, 2])) === 0, 'binary differs');
  await closeAndWait(ws);
});

await check('ping -> pong', async () => {
  const ws = await open();
  const got = new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('no pong')), 10000);
    ws.once('pong', (data) => { clearTimeout(t); res(data); });
  });
  ws.ping(Buffer.from('are you there'));
  const data = await got;
  assert(data.toString() === 'are you there', `pong payload ${data}`);
  await closeAndWait(ws);
});

await check('close 1000 with reason echoed', async () => {
  const ws = await open();
  const closed = new Promise((res) => ws.once('close', (code, reason) => res([code, reason.toString()])));
  ws.close(1000, 'bye now');
  const [code, reason] = await closed;
  assert(code === 1000, `code ${code}`);
  assert(reason === 'bye now', `reason ${JSON.stringify(reason)}`);
});

await check('100 pipelined messages in order', async () => {
  const ws = await open();
  for (let i = 0; i < 100; i++) ws.send(`message ${i}`);
  for (let i = 0; i < 100; i++) {
    const m = await ws.next();
    assert(m.data.toString() === `message ${i}`, `out of order: ${m.data}`);
  }
  await closeAndWait(ws);
});

await check('50 concurrent connections x 20 echoes', async () => {
  await Promise.all(Array.from({ length: 50 }, async (_, k) => {
    const ws = await open();
    for (let i = 0; i < 20; i++) {
      const msg = `conn ${k} echo ${i}`;
      ws.send(msg);
      const m = await ws.next();
      assert(m.data.toString() === msg, `conn ${k}: got ${m.data}`);
    }
    await closeAndWait(ws);
  }));
});

await check('subprotocol chat selected', async () => {
  const ws = await open({}, ['chat']);
  assert(ws.protocol === 'chat', `protocol ${ws.protocol}`);
  await closeAndWait(ws);
});

// permessage-deflate (RFC 7692): every window size, context takeover on and off, text and
// binary up to 1 MiB, three messages per connection (the later ones use the shared context).
for (const bits of [8, 9, 10, 11, 12, 13, 14, 15]) {
  for (const noTakeover of [false, true]) {
    await check(`deflate window ${bits} ${noTakeover ? 'no ' : ''}context takeover`, async () => {
      const ws = await open({
        perMessageDeflate: {
          threshold: 0,
          serverNoContextTakeover: noTakeover,
          clientNoContextTakeover: noTakeover,
          serverMaxWindowBits: bits,
          clientMaxWindowBits: bits,
        },
      });
      const ext = ws.extensions;
      assert(ext.includes('permessage-deflate'), `not negotiated: ${ext}`);
      const params = ws._extensions['permessage-deflate'].params;
      assert(params.server_max_window_bits === bits || bits === 15 && !params.server_max_window_bits,
        `server window: ${JSON.stringify(params)}`);
      assert(!!params.server_no_context_takeover === noTakeover, `takeover: ${JSON.stringify(params)}`);
      for (const n of [100, 65536, 1 << 20]) {
        for (const kind of ['text', 'binary']) {
          for (let rep = 0; rep < 3; rep++) {
            const buf = Buffer.alloc(n);
            for (let i = 0; i < n; i++) {
              buf[i] = kind === 'text' ? 0x61 + ((i * (rep + 1)) % 26) : ((i >> 4) * 7 + rep) & 0xff;
            }
            ws.send(kind === 'text' ? buf.toString('utf8') : buf, { binary: kind === 'binary' });
            const m = await ws.next();
            assert(m.isBinary === (kind === 'binary'), `type: binary=${m.isBinary}`);
            assert(Buffer.compare(m.data, buf) === 0, `payload differs (${m.data.length} vs ${n} bytes)`);
          }
        }
      }
      await closeAndWait(ws);
    });
  }
}

const passed = results.filter(Boolean).length;
const failed = results.length - passed;
console.log(`ws: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
