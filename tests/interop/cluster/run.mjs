// The cluster interop test: one Node socket.io 4.8 server with @socket.io/redis-adapter 8.3 and
// two sockwire servers (sockwire-tokio/examples/sio_cluster.rs) sharing one redis-server, two
// socket.io-client clients on each.
//   node run.mjs node-server PORT REDIS_URL   (the Node node; forked by `test`)
//   node run.mjs test REDIS_URL RUST_URL1 RUST_URL2   (SHARDED=1: the sharded variant,
//                                                     broadcasts only)
//   node run.mjs cross URL1 URL2 | local URL1    (Redis restart checks)
//   node run.mjs chat URL1 URL2                  (the chat demo, two processes)
//   node run.mjs restart URL1 URL2 DIR           (subscriptions across a Redis restart)
// Exits non-zero on the first failed check.
import { createServer } from "node:http";
import { fork } from "node:child_process";
import { Server } from "socket.io";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { io as ioc } from "socket.io-client";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";

const [mode, ...rest] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const list = (s) => (s ? s.split(",") : []);
// Sorts answers, Buffers by their bytes.
const sorted = (r) => r.slice().sort((x, y) =>
  Buffer.isBuffer(x) && Buffer.isBuffer(y) ? Buffer.compare(x, y) : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0);
const hex = (b) => Buffer.from(b).toString("hex");
// A Buffer whose bytes are no valid UTF-8 text, so that any text round trip would show.
const BIN = Buffer.from([0x00, 0xc1, 0xfe, 0xff, 0x80, 0x7f]);

if (mode === "node-server") {
  const [port, url, variant] = rest;
  const pub = createClient({ url }), sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const adapter = variant === "sharded" ? createShardedAdapter(pub, sub) : createAdapter(pub, sub);
  const io = new Server(http, { adapter });
  const name = "node";
  const onConnection = (s) => {
    s.on("join", (room, cb) => { s.join(room); cb?.("ok"); });
    s.on("bcast", (ev, rooms, except, cb) => {
      s.nsp.to(list(rooms)).except(list(except)).emit(ev, name);
      cb?.("ok");
    });
    s.on("whoami", (cb) => cb(name));
    s.on("fetch", async (room, cb) => {
      const sockets = await (room ? io.in(room) : io).fetchSockets();
      cb(sockets.map((x) => x.id).sort());
    });
    s.on("sjoin", (room, newRoom, cb) => { io.in(room).socketsJoin(newRoom); cb?.("ok"); });
    s.on("sleave", (room, oldRoom, cb) => { (room ? io.in(room) : io).socketsLeave(oldRoom); cb?.("ok"); });
    s.on("sse", (x, cb) => { io.serverSideEmit("sse", x); cb?.("ok"); });
    s.on("sse-ack", async (x, cb) => {
      try {
        const r = await io.serverSideEmitWithAck("sse", x);
        cb(sorted(r));
      } catch (e) {
        cb("error: " + e.message);
      }
    });
    s.on("bcast-bin", (ev, x, cb) => { io.emit(ev, name, x); cb?.("ok"); });
    s.on("bcast-ack", async (ev, x, cb) => {
      if (typeof x === "function") [cb, x] = [x, undefined];
      try {
        const r = await io.timeout(2000).emitWithAck(ev, ...(x === undefined ? [] : [x]));
        s.emit("acks-result", sorted(r));
      } catch (e) {
        s.emit("acks-result", "error: " + e.message + " " + JSON.stringify(e.responses));
      }
      cb?.("ok");
    });
    s.on("kick", (room, cb) => { io.in(room).disconnectSockets(true); cb?.("ok"); });
    s.on("rooms", async (cb) => cb([...(await io.of("/").adapter.allRooms())].sort()));
  };
  io.on("connection", onConnection);
  // Another namespace, with its own channels.
  io.of("/chat").on("connection", onConnection);
  // serverSideEmit("sse", x) from another node: re-emitted locally, answered with the name
  // (a Buffer x: with the bytes of "<name>-" then x's).
  io.on("sse", (x, cb) => {
    io.local.emit("sse-got", name, x);
    if (typeof cb === "function") cb(Buffer.isBuffer(x) ? Buffer.concat([Buffer.from(name + "-"), x]) : name);
  });
  http.listen(Number(port), () => process.send?.("ready"));
} else if (mode === "test") {
  const [url, rust1, rust2] = rest;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const sharded = process.env.SHARDED === "1";
  const child = fork(new URL(import.meta.url).pathname, ["node-server", String(port), url, sharded ? "sharded" : "classic"]);
  await new Promise((r, j) => { child.on("message", r); child.on("exit", j); });
  const urls = [`http://127.0.0.1:${port}`, rust1, rust2];
  const names = ["node", "rust1", "rust2"];
  let failures = 0;
  const check = (ok, what) => {
    console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
    if (!ok) failures++;
  };
  // Two clients per node; clients 0, 2, 4 are "even", 1, 3, 5 "odd".
  const clients = [];
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 2; j++) {
      const c = ioc(urls[k], { transports: ["websocket"], forceNew: true, reconnection: false });
      c.got = [];
      c.onAny((ev, ...args) => c.got.push([ev, ...args]));
      c.node = k;
      clients.push(c);
    }
  }
  await Promise.all(clients.map((c) => new Promise((r) => c.on("connect", r))));
  clients.forEach((c, i) => c.on("ask", (cb) => cb(`c${i}`)));
  // Binary answers: BIN then the client's index; "ask-echo" answers its Buffer argument then the
  // index (and fails to answer if the argument is no Buffer).
  clients.forEach((c, i) => c.on("ask-bin", (cb) => cb(Buffer.concat([BIN, Buffer.from([i])]))));
  clients.forEach((c, i) => c.on("ask-echo", (x, cb) => Buffer.isBuffer(x) && cb(Buffer.concat([x, Buffer.from([i])]))));
  for (const [i, c] of clients.entries()) {
    await c.timeout(10000).emitWithAck("join", i % 2 ? "odd" : "even");
  }
  const who = await Promise.all(clients.map((c) => c.timeout(10000).emitWithAck("whoami")));
  check(JSON.stringify(who) === JSON.stringify(["node", "node", "rust1", "rust1", "rust2", "rust2"]), `whoami ${who}`);
  await sleep(300);
  const count = (c, ev) => c.got.filter((g) => g[0] === ev).length;
  // Waits until no client received anything for 400 ms (at most 10 s): a late duplicate would
  // still arrive inside the window on a loaded machine, a missing message gets time to come.
  const quiet = async () => {
    let last = -1;
    for (let i = 0; i < 25; i++) {
      const total = clients.reduce((n, c) => n + c.got.length, 0);
      if (total === last) return;
      last = total;
      await sleep(400);
    }
  };
  // The last checks of both variants: disconnectSockets both ways (the even clients of every
  // node from node; the Node node's client by its id room from rust1), then the Node node
  // killed mid-run: the Rust nodes go on working.
  const endChecks = async () => {
    const tag = sharded ? "sharded " : "";
    const ids = clients.map((c) => c.id);
    const gone = clients.map((c) => new Promise((r) => c.on("disconnect", () => r(true))));
    await clients[1].timeout(10000).emitWithAck("kick", "even");
    const outcome = await Promise.all(gone.map((p, i) => (i % 2 ? Promise.resolve(false) : Promise.race([p, sleep(8000).then(() => false)]))));
    check([0, 2, 4].every((i) => outcome[i] && !clients[i].connected) && [1, 3, 5].every((i) => clients[i].connected), `${tag}disconnectSockets from node closes the even clients of every node`);
    const gone1 = new Promise((r) => clients[1].on("disconnect", () => r(true)));
    await clients[3].timeout(10000).emitWithAck("kick", ids[1]);
    const kicked = await Promise.race([gone1, sleep(8000).then(() => false)]);
    check(kicked && clients[3].connected && clients[5].connected, `${tag}disconnectSockets from rust1 closes the node's client (by its id room)`);
    // A node killed mid-run: the others go on working.
    child.kill("SIGKILL");
    await quiet();
    await clients[3].timeout(10000).emitWithAck("bcast", "after-kill", "", "");
    await quiet();
    check(count(clients[3], "after-kill") === 1 && count(clients[5], "after-kill") === 1, `${tag}node killed: rust1's broadcast still reaches rust2's client once`);
    // A broadcast with acks after the kill counts the nodes left and completes (no "timed-out").
    const result = new Promise((r) => clients[3].once("acks-result", r));
    clients[3].emit("bcast-ack", "ask");
    const got = await Promise.race([result, sleep(10000).then(() => "no result")]);
    check(JSON.stringify(got) === '["c3","c5"]', `${tag}node killed: emitWithAck from rust1 completes with the clients left: ${JSON.stringify(got)}`);
  };
  // A node that is subscribed but never answers (a raw Redis client): the Rust node's request
  // counts it, waits for it, and ends at the adapter's 5 s timeout with the answers it got.
  // Classic: a raw SOCKETS request (type 0, what older adapters send for allSockets) is
  // answered by every node with its sockets in the rooms.
  const silentChecks = async () => {
    const tag = sharded ? "sharded " : "";
    const pub = createClient({ url }), silent = pub.duplicate();
    await Promise.all([pub.connect(), silent.connect()]);
    const responses = [];
    if (sharded) {
      await silent.sSubscribe("socket.io#/#", () => {});
    } else {
      await silent.subscribe("socket.io-response#/#", (m) => responses.push(JSON.parse(m)));
      await silent.subscribe("socket.io-request#/#", () => {});
      await pub.publish("socket.io-request#/#", JSON.stringify({ uid: "tester", requestId: "t0", type: 0, rooms: ["odd"] }));
      await sleep(1000);
      const mine = responses.filter((r) => r.requestId === "t0");
      const got = JSON.stringify(mine.flatMap((r) => r.sockets).sort());
      check(mine.length === 3 && got === JSON.stringify([1, 3, 5].map((i) => clients[i].id).sort()), `raw SOCKETS request: ${mine.length} nodes answer with the odd sockets`);
    }
    const r = await askB(clients[2], "sse-ack", "9");
    check(JSON.stringify(r) === '["node","rust2","timed-out"]', `${tag}serverSideEmitWithAck from rust1 with a silent subscriber ends at the timeout with the answers: ${JSON.stringify(r)}`);
    await Promise.all([pub.quit(), silent.quit()]);
    await sleep(300);
  };
  // Binary across the cluster, checked byte by byte (BIN is no valid UTF-8): serverSideEmit
  // with a Buffer both ways (sharded: a Buffer arrives as a Buffer; classic: as the reference,
  // as its JSON form {"type":"Buffer","data":[..]}), serverSideEmitWithAck with a Buffer and
  // binary answers both ways, and broadcasts with acks whose answers are Buffers, from each
  // node (every client's bytes collected).
  const askB = async (c, ev, ...args) => {
    const result = new Promise((r) => c.once(`${ev}-result`, r));
    c.emit(ev, ...args);
    return Promise.race([result, sleep(10000).then(() => "no result")]);
  };
  const binaryChecks = async () => {
    const tag = sharded ? "sharded" : "classic";
    const asJson = JSON.stringify({ type: "Buffer", data: [...BIN] });
    const isBin = (x) => (sharded ? Buffer.isBuffer(x) && hex(x) === hex(BIN) : JSON.stringify(x) === asJson);
    for (const [from, k, want] of [[0, "node", "[0,0,1,1,1,1]"], [3, "rust1", "[1,1,0,0,1,1]"]]) {
      const before = clients.map((c) => count(c, "sse-got"));
      await clients[from].timeout(10000).emitWithAck("sse", BIN);
      await quiet();
      const got = clients.map((c, i) => c.got.filter((g) => g[0] === "sse-got").slice(before[i]));
      const counts = got.map((g) => g.length);
      const bytes = got.flat().every((g) => isBin(g[2]));
      check(JSON.stringify(counts) === want && bytes, `${tag} serverSideEmit with a Buffer from ${k}: counts ${counts}, bytes ${bytes ? "equal" : JSON.stringify(got.flat()).slice(0, 120)}`);
    }
    const answer = (n) => (sharded ? hex(Buffer.concat([Buffer.from(n + "-"), BIN])) : n);
    const norm = (r) => (Array.isArray(r) ? JSON.stringify(r.map((x) => (Buffer.isBuffer(x) ? hex(x) : x)).sort()) : String(r));
    const sa = await clients[0].timeout(8000).emitWithAck("sse-ack", BIN);
    check(norm(sa) === JSON.stringify(["rust1", "rust2"].map(answer).sort()), `${tag} serverSideEmitWithAck with a Buffer from node${sharded ? ", binary answers" : ""}: ${norm(sa)}`);
    const sr = await askB(clients[4], "sse-ack", BIN);
    check(norm(sr) === JSON.stringify(["node", "rust1"].map(answer).sort()), `${tag} serverSideEmitWithAck with a Buffer from rust2${sharded ? ", binary answers" : ""}: ${norm(sr)}`);
    const want = JSON.stringify(clients.map((_, i) => hex(Buffer.concat([BIN, Buffer.from([i])]))).sort());
    for (const k of [0, 1, 2]) {
      const asker = clients[2 * k + 1];
      const result = new Promise((r) => asker.once("acks-result", r));
      asker.emit("bcast-ack", "ask-bin");
      const got = await Promise.race([result, sleep(10000).then(() => "no result")]);
      const ok = Array.isArray(got) && got.every((x) => Buffer.isBuffer(x)) && JSON.stringify(got.map(hex).sort()) === want;
      check(ok, `${tag} emitWithAck from ${names[k]} collects all 6 binary answers byte for byte: ${norm(got).slice(0, 160)}`);
    }
    // A broadcast with acks whose argument is a Buffer (the request carries binary): every
    // client gets the bytes and echoes them.
    for (const k of [0, 1, 2]) {
      const asker = clients[2 * k + 1];
      const result = new Promise((r) => asker.once("acks-result", r));
      asker.emit("bcast-ack", "ask-echo", BIN);
      const got = await Promise.race([result, sleep(10000).then(() => "no result")]);
      const ok = Array.isArray(got) && got.every((x) => Buffer.isBuffer(x)) && JSON.stringify(got.map(hex).sort()) === want;
      check(ok, `${tag} emitWithAck with a Buffer argument from ${names[k]}: all 6 clients echo the bytes: ${norm(got).slice(0, 160)}`);
    }
    // A broadcast with a Buffer argument from each node reaches every client once, byte for byte.
    for (const k of [0, 1, 2]) {
      await clients[2 * k].timeout(10000).emitWithAck("bcast-bin", `bin-${k}`, BIN);
    }
    await quiet();
    for (const k of [0, 1, 2]) {
      const got = clients.map((c) => c.got.filter((g) => g[0] === `bin-${k}`));
      const ok = got.every((g) => g.length === 1 && g[0][1] === names[k] && Buffer.isBuffer(g[0][2]) && hex(g[0][2]) === hex(BIN));
      check(ok, `${tag} broadcast with a Buffer from ${names[k]} reaches every client once, bytes equal: counts ${got.map((g) => g.length)}`);
    }
  };
  // A broadcast from every node reaches every client of every node exactly once; rooms and
  // except across nodes.
  const cases = [
    ["all", "", "", [0, 1, 2, 3, 4, 5]],
    ["even", "even", "", [0, 2, 4]],
    ["noteven", "", "even", [1, 3, 5]],
    ["union-except", "even,odd", "odd", [0, 2, 4]],
  ];
  for (let k = 0; k < 3; k++) {
    for (const [ev, rooms, except] of cases) {
      await clients[2 * k].timeout(10000).emitWithAck("bcast", `${ev}-${k}`, rooms, except);
    }
  }
  await quiet();
  for (let k = 0; k < 3; k++) {
    for (const [ev, , , who] of cases) {
      const counts = clients.map((c) => count(c, `${ev}-${k}`));
      const want = clients.map((_, i) => (who.includes(i) ? 1 : 0));
      const senders = clients.flatMap((c) => c.got.filter((g) => g[0] === `${ev}-${k}`).map((g) => g[1]));
      check(
        JSON.stringify(counts) === JSON.stringify(want) && senders.every((s) => s === names[k]),
        `${sharded ? "sharded " : ""}broadcast ${ev} from ${names[k]}: counts ${counts} (want ${want})`,
      );
    }
  }
  // Another namespace (/chat, its own channels): a client of each node; broadcasts to all and
  // to a room of /chat from each node reach the /chat clients once and no client of "/" (whose
  // room "even" has the same name).
  {
    const tag = sharded ? "sharded " : "";
    const chat = urls.map((u) => {
      const c = ioc(`${u}/chat`, { transports: ["websocket"], forceNew: true, reconnection: false });
      c.got = [];
      c.onAny((ev, ...args) => c.got.push([ev, ...args]));
      return c;
    });
    await Promise.all(chat.map((c) => new Promise((r) => c.on("connect", r))));
    await chat[0].timeout(10000).emitWithAck("join", "even");
    await chat[2].timeout(10000).emitWithAck("join", "even");
    await sleep(500);
    for (let k = 0; k < 3; k++) {
      await chat[k].timeout(10000).emitWithAck("bcast", `chat-all-${k}`, "", "");
      await chat[k].timeout(10000).emitWithAck("bcast", `chat-even-${k}`, "even", "");
    }
    await quiet();
    await sleep(500);
    for (let k = 0; k < 3; k++) {
      const all = chat.map((c) => c.got.filter((g) => g[0] === `chat-all-${k}` && g[1] === names[k]).length);
      const even = chat.map((c) => c.got.filter((g) => g[0] === `chat-even-${k}`).length);
      const leak = clients.map((c) => count(c, `chat-all-${k}`) + count(c, `chat-even-${k}`));
      check(JSON.stringify([all, even, leak]) === "[[1,1,1],[1,0,1],[0,0,0,0,0,0]]", `${tag}namespace /chat: broadcasts from ${names[k]} to all ${all} and to its room "even" ${even}; "/" clients got ${leak}`);
    }
    for (const c of chat) c.disconnect();
  }
  if (sharded) {
    // The sharded variant: broadcasts, socketsJoin / serverSideEmit (with acks too) both
    // ways, broadcasts with acks, serverCount, fetchSockets (allRooms is not a request of the
    // sharded adapter).
    await clients[0].timeout(10000).emitWithAck("sjoin", "odd", "late");
    await sleep(1000);
    await clients[2].timeout(10000).emitWithAck("bcast", "late-1", "late", "");
    await quiet();
    const late = clients.map((c) => count(c, "late-1"));
    check(JSON.stringify(late) === "[0,1,0,1,0,1]", `sharded socketsJoin from node, then a broadcast from rust1 to the new room (its own channel): ${late}`);
    await clients[0].timeout(10000).emitWithAck("sse", 5);
    await quiet();
    const sse = clients.map((c) => count(c, "sse-got"));
    check(JSON.stringify(sse) === "[0,0,1,1,1,1]", `sharded serverSideEmit from node reaches both rust nodes once: ${sse}`);
    await clients[2].timeout(10000).emitWithAck("sjoin", "even", "late2");
    await sleep(1000);
    await clients[1].timeout(10000).emitWithAck("bcast", "late-2", "late2", "");
    await quiet();
    const late2 = clients.map((c) => count(c, "late-2"));
    check(JSON.stringify(late2) === "[1,0,1,0,1,0]", `sharded socketsJoin from rust1, then a broadcast from node to the new room: ${late2}`);
    await clients[3].timeout(10000).emitWithAck("sse", "7");
    await quiet();
    const sse2 = clients.map((c, i) => count(c, "sse-got") - sse[i]);
    check(JSON.stringify(sse2) === "[1,1,0,0,1,1]", `sharded serverSideEmit from rust1 reaches node and rust2 once: ${sse2}`);
    // Broadcasts with acks, from each node: every node's clients answer, and each completes
    // before its deadline (the Rust nodes count the nodes with PUBSUB SHARDNUMSUB, as the
    // reference; a Rust node that ran to its deadline adds "timed-out").
    const all6s = JSON.stringify(clients.map((_, i) => `c${i}`).sort());
    for (const k of [0, 1, 2]) {
      const asker = clients[2 * k + 1];
      const result = new Promise((r) => asker.once("acks-result", r));
      asker.emit("bcast-ack", "ask");
      const got = await Promise.race([result, sleep(10000).then(() => "no result")]);
      check(JSON.stringify(got) === all6s, `sharded emitWithAck from ${names[k]} collects all 6 answers: ${JSON.stringify(got)}`);
    }
    // serverSideEmitWithAck both ways, and serverCount from a Rust node (SHARDNUMSUB).
    const askS = async (c, ev, ...args) => {
      const result = new Promise((r) => c.once(`${ev}-result`, r));
      c.emit(ev, ...args);
      return Promise.race([result, sleep(10000).then(() => "no result")]);
    };
    const sa = await clients[0].timeout(8000).emitWithAck("sse-ack", 6);
    check(JSON.stringify(sa) === JSON.stringify(["rust1", "rust2"]), `sharded serverSideEmitWithAck from node: ${JSON.stringify(sa)}`);
    const sr = await askS(clients[4], "sse-ack", "8");
    check(JSON.stringify(sr) === JSON.stringify(["node", "rust1"]), `sharded serverSideEmitWithAck from rust2: ${JSON.stringify(sr)}`);
    const sc = await askS(clients[2], "count");
    check(JSON.stringify(sc) === "[3]", `sharded serverCount from rust1: ${JSON.stringify(sc)}`);
    // fetchSockets both ways: every node's sockets.
    const sids = JSON.stringify(clients.map((c) => c.id).sort());
    const sf = await clients[0].timeout(8000).emitWithAck("fetch", "");
    check(JSON.stringify(sf) === sids, `sharded fetchSockets from node sees all 6 sockets (${sf.length})`);
    const sfr = await askS(clients[2], "fetch", "");
    check(Array.isArray(sfr) && JSON.stringify(sfr.map((x) => x.id).sort()) === sids, `sharded fetchSockets from rust1 sees all 6 sockets: ${JSON.stringify(sfr).slice(0, 80)}`);
    const odd = JSON.stringify([1, 3, 5].map((i) => clients[i].id).sort());
    const sfo = await clients[0].timeout(8000).emitWithAck("fetch", "odd");
    check(JSON.stringify(sfo) === odd, `sharded fetchSockets("odd") from node: ${sfo.length} sockets`);
    const sfro = await askS(clients[4], "fetch", "odd");
    check(Array.isArray(sfro) && JSON.stringify(sfro.map((x) => x.id).sort()) === odd, `sharded fetchSockets("odd") from rust2: ${JSON.stringify(sfro).slice(0, 80)}`);
    // socketsLeave both ways: from node (room "late", on every node), then from rust2 (room
    // "late2"); a broadcast to the left room then reaches nobody.
    await clients[0].timeout(10000).emitWithAck("sleave", "", "late");
    await sleep(1000);
    await clients[2].timeout(10000).emitWithAck("bcast", "late-3", "late", "");
    await clients[4].timeout(10000).emitWithAck("sleave", "", "late2");
    await sleep(1000);
    await clients[1].timeout(10000).emitWithAck("bcast", "late-4", "late2", "");
    await quiet();
    const left = clients.map((c) => count(c, "late-3") + count(c, "late-4"));
    check(JSON.stringify(left) === "[0,0,0,0,0,0]", `sharded socketsLeave from node and from rust2, then broadcasts to the left rooms: ${left}`);
    await binaryChecks();
    await silentChecks();
    await endChecks();
    for (const c of clients) c.disconnect();
    child.kill("SIGKILL");
    console.log(failures ? `${failures} sharded check(s) failed` : "all sharded cluster checks passed");
    process.exit(failures ? 1 : 0);
  }
  // Requests from the Node node acting on Rust clients.
  const ids = clients.map((c) => c.id);
  const fetched = await clients[0].timeout(8000).emitWithAck("fetch", "");
  check(JSON.stringify(fetched) === JSON.stringify(ids.slice().sort()), `fetchSockets from node sees all 6 sockets (${fetched.length})`);
  const fetchedOdd = await clients[0].timeout(8000).emitWithAck("fetch", "odd");
  check(JSON.stringify(fetchedOdd) === JSON.stringify([1, 3, 5].map((i) => ids[i]).sort()), `fetchSockets("odd") from node: ${fetchedOdd.length} sockets`);
  const rooms = await clients[0].timeout(8000).emitWithAck("rooms");
  check(["even", "odd", ...ids].every((r) => rooms.includes(r)), `allRooms from node: ${rooms.length} rooms`);
  await clients[0].timeout(10000).emitWithAck("sjoin", "odd", "late");
  await sleep(1000);
  await clients[2].timeout(10000).emitWithAck("bcast", "late-1", "late", "");
  await quiet();
  check(JSON.stringify(clients.map((c) => count(c, "late-1"))) === "[0,1,0,1,0,1]", "socketsJoin from node, then a broadcast from rust1 to the new room");
  await clients[0].timeout(10000).emitWithAck("sleave", "", "late");
  await sleep(1000);
  await clients[2].timeout(10000).emitWithAck("bcast", "late-2", "late", "");
  await quiet();
  check(clients.every((c) => count(c, "late-2") === 0), "socketsLeave from node");
  await clients[0].timeout(10000).emitWithAck("sse", 5);
  await quiet();
  check(JSON.stringify(clients.map((c) => count(c, "sse-got"))) === "[0,0,1,1,1,1]", "serverSideEmit from node reaches both rust nodes once");
  const acks = await clients[0].timeout(8000).emitWithAck("sse-ack", 6);
  check(JSON.stringify(acks) === JSON.stringify(["rust1", "rust2"]), `serverSideEmitWithAck from node: ${JSON.stringify(acks)}`);
  // Broadcasts with acks collect every node's clients' answers, from each node.
  const all6 = JSON.stringify(clients.map((_, i) => `c${i}`).sort());
  for (const k of [0, 1, 2]) {
    const asker = clients[2 * k + 1];
    const result = new Promise((r) => asker.once("acks-result", r));
    asker.emit("bcast-ack", "ask");
    const got = await Promise.race([result, sleep(10000).then(() => "no result")]);
    check(JSON.stringify(got) === all6, `emitWithAck from ${names[k]} collects all 6 answers: ${JSON.stringify(got)}`);
  }
  // The Rust emitter (not a server) publishes into the cluster: every node delivers.
  if (process.env.EMIT_BIN) {
    const redisAddr = url.replace("redis://", "");
    execFileSync(process.env.EMIT_BIN, ["--redis", redisAddr, "--event", "emitted", "--to", "odd", "--arg", "[1,{\"a\":true}]"]);
    execFileSync(process.env.EMIT_BIN, ["--redis", redisAddr, "--event", "emitted-all"]);
    await quiet();
    const e1 = clients.map((c) => count(c, "emitted"));
    const e2 = clients.map((c) => count(c, "emitted-all"));
    const arg = clients[1].got.find((g) => g[0] === "emitted");
    check(JSON.stringify(e1) === "[0,1,0,1,0,1]" && JSON.stringify(e2) === "[1,1,1,1,1,1]" && JSON.stringify(arg?.[1]) === '[1,{"a":true}]', `Rust emitter (cluster::Emitter): to("odd") ${e1}, everyone ${e2}`);
  } else {
    check(false, "EMIT_BIN not set");
  }
  // fetchSockets / allRooms / serverSideEmitWithAck from a Rust node see the Node node's
  // clients and answers.
  const ask = async (c, ev, ...args) => {
    const result = new Promise((r) => c.once(`${ev}-result`, r));
    c.emit(ev, ...args);
    return Promise.race([result, sleep(10000).then(() => "no result")]);
  };
  const rf = await ask(clients[2], "fetch", "");
  check(Array.isArray(rf) && JSON.stringify(rf.map((x) => x.id).sort()) === JSON.stringify(ids.slice().sort()), `fetchSockets from rust1 sees all 6 sockets: ${JSON.stringify(rf).slice(0, 80)}`);
  const rfo = await ask(clients[4], "fetch", "odd");
  check(Array.isArray(rfo) && JSON.stringify(rfo.map((x) => x.id).sort()) === JSON.stringify([1, 3, 5].map((i) => ids[i]).sort()), `fetchSockets("odd") from rust2: ${rfo.length} sockets`);
  const rr = await ask(clients[2], "rooms");
  check(Array.isArray(rr) && ["even", "odd", ...ids].every((r) => rr.includes(r)), `allRooms from rust1: ${rr.length} rooms`);
  const rc = await ask(clients[2], "count");
  check(JSON.stringify(rc) === "[3]", `serverCount from rust1: ${JSON.stringify(rc)}`);
  const rs = await ask(clients[4], "sse-ack", "8");
  check(JSON.stringify(rs) === JSON.stringify(["node", "rust1"]), `serverSideEmitWithAck from rust2: ${JSON.stringify(rs)}`);
  // The same requests from a Rust node acting on the Node node's clients (and the other's).
  await clients[2].timeout(10000).emitWithAck("sjoin", "odd", "late3");
  await sleep(1000);
  await clients[1].timeout(10000).emitWithAck("bcast", "late-3", "late3", "");
  await quiet();
  check(JSON.stringify(clients.map((c) => count(c, "late-3"))) === "[0,1,0,1,0,1]", "socketsJoin from rust1, then a broadcast from node to the new room");
  await clients[4].timeout(10000).emitWithAck("sleave", "", "late3");
  await sleep(1000);
  await clients[1].timeout(10000).emitWithAck("bcast", "late-4", "late3", "");
  await quiet();
  check(clients.every((c) => count(c, "late-4") === 0), "socketsLeave from rust2");
  const sseBefore = clients.map((c) => count(c, "sse-got"));
  await clients[3].timeout(10000).emitWithAck("sse", "7");
  await quiet();
  const sseGot = clients.map((c, i) => count(c, "sse-got") - sseBefore[i]);
  check(JSON.stringify(sseGot) === "[1,1,0,0,1,1]", `serverSideEmit from rust1 reaches node and rust2 once: ${sseGot}`);
  await binaryChecks();
  await silentChecks();
  await endChecks();
  for (const c of clients) c.disconnect();
  console.log(failures ? `${failures} check(s) failed` : "all cluster checks passed");
  process.exit(failures ? 1 : 0);
} else if (mode === "chat") {
  // chat URL1 URL2: the chat demo as two processes sharing Redis; a post by alice on the first
  // reaches bob on the second once.
  const [u1, u2] = rest;
  const alice = ioc(u1, { transports: ["websocket"], forceNew: true, reconnection: false });
  const bob = ioc(u2, { transports: ["websocket"], forceNew: true, reconnection: false });
  const posts = [];
  bob.on("chat-post", (p) => posts.push(p));
  await Promise.all([alice, bob].map((c) => new Promise((r, j) => { c.on("connect", r); c.on("connect_error", j); })));
  await alice.timeout(10000).emitWithAck("set user", "alice");
  await bob.timeout(10000).emitWithAck("set user", "bob");
  alice.emit("chat-post-send", { msg: "hello across processes" });
  await sleep(1500);
  const ok = posts.length === 1 && posts[0].user === "alice" && posts[0].msg === "hello across processes";
  console.log(`${ok ? "ok  " : "FAIL"} chat demo on two ports sharing Redis: ${JSON.stringify(posts)}`);
  alice.disconnect(); bob.disconnect();
  process.exit(ok ? 0 : 1);
} else if (mode === "restart") {
  // restart URL1 URL2 DIR: a client on each node joins room "kept" and DIR/ready is written;
  // the caller restarts Redis and writes DIR/go; then a broadcast to "kept" from the first node
  // reaches the second node's client once (in the sharded variant through the room's own
  // channel, so its subscription was replayed), and one to everyone from the second node
  // reaches both clients once.
  const [u1, u2, dir] = rest;
  const clients = [u1, u2].map((u) => {
    const c = ioc(u, { transports: ["websocket"], forceNew: true, reconnection: false });
    c.got = [];
    c.onAny((ev) => c.got.push(ev));
    return c;
  });
  await Promise.all(clients.map((c) => new Promise((r, j) => { c.on("connect", r); c.on("connect_error", j); })));
  for (const c of clients) await c.timeout(10000).emitWithAck("join", "kept");
  await sleep(500);
  writeFileSync(`${dir}/ready`, "");
  for (let i = 0; i < 400 && !existsSync(`${dir}/go`); i++) await sleep(100);
  await clients[0].timeout(10000).emitWithAck("bcast", "after-restart-room", "kept", "");
  await clients[1].timeout(10000).emitWithAck("bcast", "after-restart-all", "", "");
  await sleep(1500);
  const counts = clients.map((c) => ["after-restart-room", "after-restart-all"].map((e) => c.got.filter((x) => x === e).length));
  const ok = JSON.stringify(counts) === "[[1,1],[1,1]]";
  console.log(`${ok ? "ok  " : "FAIL"} across a Redis restart: to room "kept" and to everyone, counts ${JSON.stringify(counts)}`);
  for (const c of clients) c.disconnect();
  process.exit(ok ? 0 : 1);
} else if (mode === "cross" || mode === "local") {
  // cross URL1 URL2: a broadcast from URL1's node reaches a client of each node once.
  // local URL1: with Redis down, the node still delivers its own broadcast locally.
  const urls = rest;
  const clients = urls.map((u) => {
    const c = ioc(u, { transports: ["websocket"], forceNew: true, reconnection: false });
    c.got = [];
    c.onAny((ev) => c.got.push(ev));
    return c;
  });
  await Promise.all(clients.map((c) => new Promise((r, j) => { c.on("connect", r); c.on("connect_error", j); })));
  await clients[0].timeout(10000).emitWithAck("bcast", mode, "", "");
  await sleep(1500);
  const counts = clients.map((c) => c.got.filter((e) => e === mode).length);
  const ok = counts.every((n) => n === 1);
  console.log(`${ok ? "ok  " : "FAIL"} ${mode}: counts ${counts}`);
  for (const c of clients) c.disconnect();
  process.exit(ok ? 0 : 1);
} else {
  console.error("usage: run.mjs node-server PORT REDIS_URL | test REDIS_URL RUST_URL1 RUST_URL2");
  process.exit(2);
}
