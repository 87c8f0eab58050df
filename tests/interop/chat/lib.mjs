// Tiny test harness shared by the chat and /hub checks: named checks, timeouts, a summary.
export let passed = 0;
export let failed = 0;

export function ok(cond, name, detail = "") {
  if (cond) {
    passed++;
    console.log(`ok   - ${name}`);
  } else {
    failed++;
    console.log(`FAIL - ${name}${detail ? `: ${detail}` : ""}`);
  }
  return cond;
}

export async function check(name, fn) {
  try {
    const r = await fn();
    ok(r !== false, name);
  } catch (e) {
    ok(false, name, e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : String(e));
  }
}

export function timeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise,
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

export function once(socket, event, ms = 3000) {
  return timeout(new Promise((res) => socket.once(event, (...args) => res(args))), ms, `'${event}'`);
}

/// Resolves after `ms` with the list of `event` arguments received meanwhile.
export function collect(socket, event, ms = 400) {
  const got = [];
  const h = (...args) => got.push(args);
  socket.on(event, h);
  return new Promise((res) => setTimeout(() => { socket.off(event, h); res(got); }, ms));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function summary() {
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 && passed > 0 ? 0 : 1;
}
