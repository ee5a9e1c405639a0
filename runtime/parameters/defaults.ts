/**
 * Parameter defaults computed by code (`process.env.BUCKET ?? "s3://x"`, a module constant,
 * `Number(...)`) are evaluated as Metaflow evaluates them, by loading the flow: in the sandbox
 * the start step runs in (so an isolate flow sees the isolate's globals, a process flow all of
 * Node), once per command. What the flow prints while it loads goes to `output`.
 */
import { decodeArtifact, joinParts, openStore, storeReader, type Store, type StoreReader } from "../../store/index.js";
import { describeFailure, SandboxPool } from "../executor/index.js";
import type { FlowGraph } from "../graph/index.js";
import type { TaskIO } from "../sandbox/index.js";
import { ParameterDefaultsError } from "./errors.js";

export interface EvaluateOptions {
  /** The datastore the flow's code may read through the client while it loads. */
  storeRoot: string;
  output?(stream: "stdout" | "stderr", text: string): void;
}

/** A default's time to evaluate, unless the start step sets its own timeoutSeconds. */
const LOAD_TIMEOUT_SECONDS = 120;

/** Does evaluating the defaults need the flow's code to run? */
export function hasComputedDefaults(graph: FlowGraph): boolean {
  return graph.parameters.some((p) => p.defaultSource !== undefined);
}

/** Opens the datastore only if the flow's code reads it while it loads. */
function lazyReader(root: string): { reader: StoreReader; close(): Promise<void> } {
  let store: Store | undefined;
  let reader: StoreReader | undefined;
  const open = () => (reader ??= storeReader((store = openStore(root))));
  const lazy = new Proxy({} as StoreReader, { get: (_t, key) => (open() as unknown as Record<string | symbol, unknown>)[key] });
  return { reader: lazy, close: async () => store?.close() };
}

/** Every parameter default the flow's code gives, by field name (undefined defaults left out). */
export async function evaluateDefaults(graph: FlowGraph, opts: EvaluateOptions): Promise<Map<string, unknown>> {
  const start = graph.steps.find((s) => s.name === "start");
  const options = start?.options ?? {};
  const pool = new SandboxPool(graph.file, graph.name, opts.storeRoot);
  const { reader, close } = lazyReader(opts.storeRoot);
  const io: TaskIO = { reader, output: (stream, text) => opts.output?.(stream, text) };
  try {
    const sandbox = await pool.acquire({ name: "start", options });
    const result = await sandbox.runTask(
      {
        flow: graph.name,
        step: "start",
        pathspec: `${graph.name}/-/parameters`,
        initial: {},
        parameters: {},
        steps: [],
        defaultsOnly: true,
      },
      io,
      { memoryMb: options.memoryMb, timeoutSeconds: options.timeoutSeconds ?? LOAD_TIMEOUT_SECONDS },
    );
    const values = new Map<string, unknown>();
    // Kept as decoded (class envelopes and all): they are stored as the run's parameter artifacts.
    for (const [field, { parts }] of result.artifacts) values.set(field, decodeArtifact(joinParts(parts)));
    return values;
  } catch (err) {
    throw new ParameterDefaultsError(graph.name, describeFailure(err));
  } finally {
    await Promise.allSettled([pool.dispose(), close()]);
  }
}
