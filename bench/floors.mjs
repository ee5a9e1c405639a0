/**
 * The floors under the data-plane figures (issue 15), in plain Node, same data as the flows:
 *   node bench/floors.mjs rows    build 1,000,000 row objects + v8.serialize + sha256 + v8.deserialize
 *   node bench/floors.mjs bytes   fill 100 MB (the flow's xorshift) + copy + sha256 + copy
 * Prints {"ms": time of those steps in-process, "peakMiB": the process's peak RSS}.
 */
import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";

function rows() {
  const rows = [];
  for (let i = 0; i < 1_000_000; i++) rows.push({ id: i, name: `name${i}`, value: Math.random(), group: `g${i % 10}` });
  const bytes = serialize(rows);
  createHash("sha256").update(bytes).digest("hex");
  const back = deserialize(bytes);
  if (back.length !== rows.length) throw new Error("floor: rows differ");
}

function bytes() {
  const data = new Uint8Array(100_000_000);
  const words = new Uint32Array(data.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  const stored = data.slice();
  createHash("sha256").update(stored).digest("hex");
  const read = stored.slice();
  if (read[5] !== data[5]) throw new Error("floor: bytes differ");
}

const cases = { rows, bytes };
const which = process.argv[2];
if (!(which in cases)) throw new Error(`usage: node bench/floors.mjs ${Object.keys(cases).join("|")}`);
const started = performance.now();
cases[which]();
const ms = performance.now() - started;
console.log(JSON.stringify({ ms, peakMiB: process.resourceUsage().maxRSS / 1024 }));
