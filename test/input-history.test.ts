/**
 * The input history model (runtime/session's InputHistory) over each place it keeps entries: the
 * LMDB store (what the kernel and the REPL use) and memory (sessions without a store).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type HistoryBackend, InputHistory, memoryHistoryBackend } from "../runtime/session/index.js";
import { openStore, type Store } from "../store/index.js";

interface Place {
  backend: HistoryBackend;
  close(): Promise<void>;
}

const places: Record<string, () => Place> = {
  lmdb: () => {
    const dir = mkdtempSync(join(tmpdir(), "steplab-history-"));
    const store: Store = openStore(join(dir, ".steplab"));
    return {
      backend: store,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  memory: () => ({ backend: memoryHistoryBackend(), close: async () => {} }),
};

/** Until every write has committed (the store writes in the background). */
async function settled(backend: HistoryBackend, count: number): Promise<void> {
  for (let i = 0; i < 200 && backend.listHistory().length < count; i++) await new Promise((r) => setTimeout(r, 5));
}

describe.each(Object.keys(places))("input history in %s", (name) => {
  let place: Place;
  afterEach(async () => {
    await place.close();
  });
  const open = () => (place = places[name]!());

  it("lists an input as soon as it is added, with its session and line, oldest first", () => {
    const { backend } = open();
    const history = new InputHistory(backend, { session: "kernel-a" });
    history.add("1 + 1", 1);
    history.add("2 + 2", 2);
    history.add("3 + 3"); // no execution count: the next line
    expect(history.list().map((e) => [e.session, e.line, e.source])).toEqual([
      ["kernel-a", 1, "1 + 1"],
      ["kernel-a", 2, "2 + 2"],
      ["kernel-a", 3, "3 + 3"],
    ]);
    expect(history.list(2).map((e) => e.source)).toEqual(["2 + 2", "3 + 3"]);
    expect(history.list(0)).toEqual([]);
  });

  it("lists each input once while and after its write commits", async () => {
    const { backend } = open();
    const history = new InputHistory(backend, { session: "repl" });
    for (let line = 1; line <= 5; line++) {
      history.add(`x = ${line}`, line);
      expect(history.list().map((e) => e.line)).toEqual(Array.from({ length: line }, (_, i) => i + 1));
    }
    await settled(backend, 5);
    expect(history.list().map((e) => e.source)).toEqual(["x = 1", "x = 2", "x = 3", "x = 4", "x = 5"]);
  });

  it("shows a later session what earlier sessions on the same place ran", async () => {
    const { backend } = open();
    const first = new InputHistory(backend, { session: "kernel-a" });
    first.add("'from the kernel'", 1);
    await settled(backend, 1);
    const later = new InputHistory(backend, { session: "repl" });
    later.add("'from the repl'", 1);
    expect(later.list().map((e) => `${e.session}: ${e.source}`)).toEqual(["kernel-a: 'from the kernel'", "repl: 'from the repl'"]);
  });
});

describe("input history kept in memory", () => {
  it("starts from the entries it is given", () => {
    const history = InputHistory.inMemory({ session: "test", entries: ["old()"] });
    history.add("new()");
    expect(history.list().map((e) => e.source)).toEqual(["old()", "new()"]);
  });
});
