// The check harness of the Node interop scripts (tests/interop/*/run.mjs): each check is an async
// function given a time limit; `finish()` prints `N passed, N failed` and exits non-zero when
// anything failed or nothing ran, so a script that silently skips its checks cannot pass.
let passed = 0;
let failed = 0;

/** Runs `fn` as the check `name`; a throw, a rejection or `timeoutMs` passing fails it. */
export async function check(name, fn, timeoutMs = 10000) {
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Prints the totals and exits: 0 only when every check passed and at least one ran. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
