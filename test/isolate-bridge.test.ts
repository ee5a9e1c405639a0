/**
 * The isolate's memory limit holds through the host bridge: guest code cannot make the host
 * allocate for it what it could not allocate itself (a lying `byteLength`, strings V8 keeps as
 * cheap trees of parts but copies flat, one string copied a thousand times), and every bridge
 * function checks what it is given. Real isolates, a real LMDB store; the host's peak memory is
 * this test process's own (measured before and after).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFlow } from "../runtime/bundle/index.js";
import { IsolateSandbox } from "../runtime/sandbox/index.js";
import { decodeArtifact, joinParts, openStore, storeReader, type Store } from "../store/index.js";

const FLOW = `import { FlowSpec, step } from "steplab";

function rope(doublings = 28): string {
  let t = "x";
  for (let i = 0; i < doublings; i++) t = t + t; // 2^28: 256 Mi characters in a few hundred bytes of guest memory
  return t;
}

function attempt(results: string[], what: string, fn: () => unknown): void {
  try {
    fn();
    results.push(\`\${what}: ok\`);
  } catch (err) {
    results.push(\`\${what}: \${(err as Error).name}: \${(err as Error).message}\`);
  }
}

export class BridgeFlow extends FlowSpec {
  declare results: string[];
  declare filled: number;
  declare big: string[];

  @step abuse() {
    const results: string[] = [];
    const lying = new Uint8Array(16);
    let reads = 0;
    Object.defineProperty(lying, "byteLength", { get: () => (++reads === 1 ? 16 : 2_000_000_000) });
    attempt(results, "getRandomValues(lying byteLength)", () => crypto.getRandomValues(lying));
    attempt(results, "getRandomValues(look-alike)", () =>
      crypto.getRandomValues({ byteLength: 16, buffer: new ArrayBuffer(16), byteOffset: 0 } as unknown as Uint8Array));
    attempt(results, "getRandomValues(70000 bytes)", () => crypto.getRandomValues(new Uint8Array(70000)));
    const t = rope();
    attempt(results, "console.log(rope)", () => console.log(t));
    attempt(results, "console.log(rope x 16)", () => console.log(Array(16).fill(rope(24))));
    attempt(results, "TextEncoder.encode(rope)", () => new TextEncoder().encode(t));
    attempt(results, "setTimeout(NaN) and beyond 2^31", () => { clearTimeout(setTimeout(() => {}, Number.NaN)); clearTimeout(setTimeout(() => {}, 1e12)); });
    this.filled = lying.some((b) => b !== 0) ? 1 : 0;
    this.results = results;
    this.next(this.end);
  }

  @step store_rope() {
    const t = rope();
    this.big = [t, t, t, t];
    this.next(this.end);
  }

  @step end() {}
}
`;

let dir: string;
let store: Store;
let sandbox: IsolateSandbox;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "steplab-bridge-"));
  store = openStore(path.join(dir, "datastore"));
  const file = path.join(dir, "bridge.ts");
  writeFileSync(file, FLOW);
  sandbox = new IsolateSandbox(await bundleFlow(file, "isolate"), "BridgeFlow");
});
afterAll(async () => {
  await sandbox.dispose();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const request = (step: string) => ({
  flow: "BridgeFlow",
  step,
  pathspec: `BridgeFlow/1/${step}/1`,
  initial: {},
  parameters: {},
  steps: ["abuse", "store_rope", "end"],
});

function io() {
  const out = { stdout: "", stderr: "" };
  return { out, io: { reader: storeReader(store), output: (s: "stdout" | "stderr", t: string) => void (out[s] += t) } };
}

/** Peak resident memory of this process so far, in MB. */
const peakMb = () => process.resourceUsage().maxRSS / 1024;

describe("the isolate bridge under a 64 MB step", () => {
  it("refuses what would make the host allocate beyond the step's limit, and the host's memory stays flat", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const before = peakMb();
    const { out, io: taskIO } = io();
    const result = await sandbox.runTask(request("abuse"), taskIO, { memoryMb: 64 });
    process.off("warning", onWarning);
    const grown = peakMb() - before;

    const results = decodeArtifact(joinParts(result.artifacts.get("results")!.parts)) as string[];
    expect(results).toEqual([
      "getRandomValues(lying byteLength): ok",
      "getRandomValues(look-alike): TypeError: getRandomValues: the argument must be an integer typed array",
      "getRandomValues(70000 bytes): RangeError: getRandomValues: at most 65536 bytes at a time",
      "console.log(rope): RangeError: console output: the value is too large to hand to steplab (more than the step's memoryMb, 64 MB)",
      "console.log(rope x 16): RangeError: console output: the value is too large to hand to steplab (more than the step's memoryMb, 64 MB)",
      "TextEncoder.encode(rope): RangeError: TextEncoder.encode(): the value is too large to hand to steplab (more than the step's memoryMb, 64 MB)",
      "setTimeout(NaN) and beyond 2^31: ok",
    ]);
    expect(decodeArtifact(joinParts(result.artifacts.get("filled")!.parts))).toBe(1);
    expect(out.stdout).toBe("");
    expect(warnings).toEqual([]);
    // The exploits asked the host for gigabytes; none of it was allocated.
    expect(grown).toBeLessThan(256);
  });

  it("an artifact too large to copy out fails its step naming the artifact, and the next task runs", async () => {
    const before = peakMb();
    const err = await sandbox.runTask(request("store_rope"), io().io, { memoryMb: 64 }).catch((e: Error) => e);
    expect(peakMb() - before).toBeLessThan(256);
    expect((err as Error).message).toContain("Artifact 'big' of step 'store_rope' cannot be stored");
    expect((err as Error).message).toContain("too large");
    const after = await sandbox.runTask(request("abuse"), io().io, { memoryMb: 64 });
    expect(after.outcome.next).toEqual({ steps: ["end"] });
  });
});
