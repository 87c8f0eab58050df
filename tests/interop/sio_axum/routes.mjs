// The axum app around sockwire-tokio's SocketIoLayer (`axum_chat` example) on $SIO_URL keeps
// its own routes: `/` and `/health` are the app's, unknown paths get the app's 404, and only
// `/socket.io/` reaches the Socket.IO server (its handshake and its 413 over maxPayload).
// Uses Node's built-in fetch only. Prints `N passed, N failed`; exits non-zero on any failure.
import assert from "node:assert/strict";

const URL = process.env.SIO_URL ?? "http://127.0.0.1:3000";
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  }
}

await check("the app's own routes", async () => {
  const root = await fetch(`${URL}/`);
  assert.equal(root.status, 200);
  assert.match(await root.text(), /axum app/);
  const health = await fetch(`${URL}/health`);
  assert.equal(await health.text(), "ok\n");
  const missing = await fetch(`${URL}/nope`);
  assert.equal(missing.status, 404);
});

await check("the Socket.IO mount answers the Engine.IO handshake", async () => {
  const r = await fetch(`${URL}/socket.io/?EIO=4&transport=polling`);
  assert.equal(r.status, 200);
  const open = JSON.parse((await r.text()).slice(1));
  assert.equal(open.sid.length, 20);
  assert.deepEqual(open.upgrades, ["websocket"]);
  // A body over maxPayload (1,000,000 bytes) is refused by the server, not buffered.
  const big = await fetch(`${URL}/socket.io/?EIO=4&transport=polling&sid=${open.sid}`, {
    method: "POST",
    body: "4".repeat(1_000_001),
  });
  assert.equal(big.status, 413);
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
