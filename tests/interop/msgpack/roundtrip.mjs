// Round trips between the real socket.io-msgpack-parser (npm) and sockwire::socketio::msgpack.
//   node roundtrip.mjs gen OUT      -> the reference encodes every packet below, one hex line each
//   node roundtrip.mjs check IN     -> the reference decodes our re-encodings; each must equal
//                                      the original packet (deep), and exit non-zero otherwise
import fs from "node:fs";
import assert from "node:assert/strict";
import parser from "socket.io-msgpack-parser";

const big = "x".repeat(70000);
const packets = [
  { type: 0, nsp: "/" },
  { type: 0, data: { token: "abc", n: 1 }, nsp: "/admin" },
  { type: 0, data: { sid: "s1" }, nsp: "/" },
  { type: 1, nsp: "/chat" },
  { type: 2, data: ["hello", 1, -2, 3.5, true, null, "é✓"], nsp: "/" },
  { type: 2, data: ["bin", Buffer.from([1, 2, 3]), { nested: [Buffer.alloc(0)] }], id: 7, nsp: "/" },
  { type: 2, data: ["big", big, Buffer.alloc(300, 9)], nsp: "/" },
  { type: 2, data: ["ints", 127, 128, 65535, 65536, 4294967296, -33, -129, -2147483649], nsp: "/" },
  { type: 3, data: [], id: 0, nsp: "/" },
  // notepack's extensions: undefined (d4 00 00), Date (d7 00), typed arrays (ext 8 type 0),
  // including the lengths a fixext would confuse (1 byte [0], 8 bytes).
  { type: 2, data: ["ext", undefined, new Date(1000000000001), new Date(-5), new Uint8Array([0]), new Uint8Array(8), new Uint16Array([1, 2]).buffer], nsp: "/" },
  { type: 3, data: ["ok", { a: [1, 2, { b: "c" }] }], id: 4294967295, nsp: "/x" },
  { type: 4, data: "Not authorized", nsp: "/" },
  { type: 4, data: { message: "no", data: { code: 3 } }, nsp: "/admin" },
];

const hex = (b) => Buffer.from(b).toString("hex");
const [mode, file] = process.argv.slice(2);
if (mode === "gen") {
  const enc = new parser.Encoder();
  const lines = packets.map((p) => {
    const out = enc.encode(p);
    assert.equal(out.length, 1, "one message per packet");
    return hex(out[0]);
  });
  fs.writeFileSync(file, lines.join("\n") + "\n");
  console.log(`msgpack gen: ${lines.length} packets`);
} else if (mode === "check") {
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  assert.equal(lines.length, packets.length, "one re-encoding per packet");
  let passed = 0;
  lines.forEach((l, i) => {
    const dec = new parser.Decoder();
    let got;
    dec.on("decoded", (p) => (got = p));
    dec.add(Buffer.from(l, "hex"));
    const want = { ...packets[i] };
    assert.deepStrictEqual(normalize(got), normalize(want), `packet ${i}`);
    passed++;
  });
  console.log(`msgpack check: ${passed} passed, 0 failed`);
} else {
  throw new Error("usage: roundtrip.mjs gen|check FILE");
}

// Buffers decode as Buffer from notepack; compare them as plain byte arrays.
function normalize(v) {
  if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return { bytes: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  if (v instanceof ArrayBuffer) return { bytes: [...new Uint8Array(v)] };
  if (v instanceof Date) return { date: v.getTime() };
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = normalize(v[k]);
    return o;
  }
  return v;
}
