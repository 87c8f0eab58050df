// Two headless Chromium pages chat through the demo; a socket.io-client (Node) user joins too.
// Usage: node browser.mjs <base-url> <screenshot-path>
import { chromium } from "playwright-core";
import { io } from "socket.io-client";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as pathJoin, dirname } from "node:path";
import { ok, check, once, timeout, sleep, summary } from "./lib.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080";
const shot = process.argv[3] || "ci-artifacts/chat.png";
const T = 8000;

const profile = mkdtempSync(pathJoin(tmpdir(), "sockwire-chromium-"));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1000, height: 640 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
} catch (e) {
  ok(false, "launch Chromium", String(e));
  process.exit(summary());
}

const logs = [];
async function openPage(label) {
  const page = await context.newPage();
  page.on("console", (m) => logs.push(`[${label}] ${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`[${label}] pageerror: ${e}`));
  await page.goto(base + "/", { waitUntil: "load" });
  return page;
}

async function join(page, name) {
  await page.waitForSelector("#status.online", { timeout: T });
  await page.fill("#name", name);
  await page.click("#join");
  await page.waitForSelector("#overlay.hidden", { state: "attached", timeout: T });
}

const text = (page, sel) => page.$$eval(sel, (els) => els.map((e) => e.textContent));
const users = (page) => text(page, "#users li");
async function waitFor(page, fn, arg, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: T });
    return true;
  } catch (e) {
    throw new Error(`${what}: ${e.message.split("\n")[0]}`);
  }
}
const hasNotice = (page, s) =>
  waitFor(page, (s) => [...document.querySelectorAll(".notice")].some((n) => n.textContent.includes(s)), s, `notice '${s}'`);
const hasPost = (page, who, msg) =>
  waitFor(
    page,
    ([who, msg]) => [...document.querySelectorAll(".msg:not(.mine)")].some(
      (m) => m.querySelector(".who").textContent.startsWith(who) && m.querySelector(".text").textContent === msg),
    [who, msg],
    `post '${msg}' from ${who}`,
  );
const hasUsers = (page, list) =>
  waitFor(page, (list) => {
    const got = [...document.querySelectorAll("#users li")].map((l) => l.textContent).sort();
    return JSON.stringify(got) === JSON.stringify([...list].sort());
  }, list, `user list ${JSON.stringify(list)}`);

let alice, bob, carol;
await check("page is served with its inline client (no external script)", async () => {
  alice = await openPage("alice");
  const scripts = await alice.$$eval("script[src], link[rel=stylesheet]", (s) => s.length);
  return scripts === 0 && (await alice.title()).includes("chat");
});
await check("alice connects over WebSocket and sets her name", async () => {
  await join(alice, "alice");
  return (await alice.textContent("#me")) === "as alice";
});
await check("Chromium and the server negotiated permessage-deflate", async () => {
  const ext = await alice.evaluate(() => document.documentElement.dataset.wsExtensions || "");
  return ext.startsWith("permessage-deflate");
});
await check("bob joins; alice sees the join notice", async () => {
  bob = await openPage("bob");
  await join(bob, "bob");
  await hasNotice(alice, "bob joined");
  return true;
});
await check("both user lists are current", async () => {
  await hasUsers(alice, ["alice", "bob"]);
  await hasUsers(bob, ["alice", "bob"]);
  return true;
});
await check("alice posts; bob sees it, alice gets chat-post-rcd (✓)", async () => {
  await alice.fill("#msg", "Hello Bob! <b>not bold</b>");
  await alice.click("#send");
  await hasPost(bob, "alice", "Hello Bob! <b>not bold</b>");
  await waitFor(alice, () => document.querySelector(".msg.mine .tick") !== null, null, "tick");
  // The sender does not get its own post back as someone else's.
  return (await alice.$$(".msg:not(.mine)")).length === 0;
});
await check("bob answers; alice sees it", async () => {
  await bob.fill("#msg", "Hi Alice, all good here.");
  await bob.press("#msg", "Enter");
  await hasPost(alice, "bob", "Hi Alice, all good here.");
  return true;
});

await check("socket.io-client (Node) joins the chat: set/get user, post, receive", async () => {
  carol = io(base, { transports: ["polling", "websocket"], reconnection: false });
  await once(carol, "connect", T);
  const setOk = await timeout(carol.emitWithAck("set user", "carol"), T, "set user ack");
  const name = await timeout(carol.emitWithAck("get user"), T, "get user ack");
  ok(name === "carol", "get user returns the stored name", JSON.stringify([setOk, name]));
  await hasNotice(alice, "carol joined");
  await hasUsers(bob, ["alice", "bob", "carol"]);
  const rcd = once(carol, "chat-post-rcd", T);
  carol.emit("chat-post-send", { msg: "Carol here, from Node." });
  const [status] = await rcd;
  ok(status && status.status === "ok", "carol gets chat-post-rcd {status:'ok'}", JSON.stringify(status));
  await hasPost(alice, "carol", "Carol here, from Node.");
  await hasPost(bob, "carol", "Carol here, from Node.");
  const got = once(carol, "chat-post", T);
  await alice.fill("#msg", "Welcome carol");
  await alice.click("#send");
  const [post] = await got;
  return post.user === "alice" && post.msg === "Welcome carol";
});

await check("screenshot saved", async () => {
  mkdirSync(dirname(shot), { recursive: true });
  await alice.bringToFront();
  await sleep(200);
  await alice.screenshot({ path: shot, timeout: T });
  return true;
});

await check("carol leaves; the pages see the leave notice and the list shrinks", async () => {
  carol.disconnect();
  await hasNotice(alice, "carol left");
  await hasUsers(bob, ["alice", "bob"]);
  return true;
});
await check("bob closes his page; alice sees him leave", async () => {
  await bob.close();
  await hasNotice(alice, "bob left");
  await hasUsers(alice, ["alice"]);
  return true;
});

await check("fan-out: 50 socket.io-client users, one post reaches the 49 others once", async () => {
  const crowd = [];
  for (let i = 0; i < 50; i++) {
    const c = io(base, { transports: [i % 2 ? "websocket" : "polling"], reconnection: false, forceNew: true });
    crowd.push(c);
  }
  await Promise.all(crowd.map((c) => once(c, "connect", T)));
  await Promise.all(crowd.map((c, i) => timeout(c.emitWithAck("set user", `user${i}`), T, "set user")));
  const counts = crowd.map(() => 0);
  crowd.forEach((c, i) => c.on("chat-post", (p) => { if (p.msg === "fan-out") counts[i]++; }));
  const rcd = once(crowd[0], "chat-post-rcd", T);
  crowd[0].emit("chat-post-send", { msg: "fan-out" });
  await rcd;
  await waitFor(alice, () => [...document.querySelectorAll(".msg .text")].some((t) => t.textContent === "fan-out"), null, "fan-out on alice's page");
  await sleep(500);
  crowd.forEach((c) => c.disconnect());
  return counts[0] === 0 && counts.slice(1).every((n) => n === 1);
});

const errors = logs.filter((l) => /pageerror|error:/.test(l));
ok(errors.length === 0, "no page errors", errors.join(" | "));
await context.close();
rmSync(profile, { recursive: true, force: true });
process.exit(summary());
