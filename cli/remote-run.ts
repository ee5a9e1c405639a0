/**
 * `run --with queue --datastore s3 --datastore-root s3://bucket/prefix`: where a run keeps its data
 * and where its tasks run. Without these options a run is local (LMDB, tasks in this process).
 */
import { isRemoteRoot, loadRemoteConfig, RemoteStore, resolveStoreRoot, type Store } from "../store/index.js";
import type { TaskExecutor } from "../runtime/executor/index.js";
import { UsageError } from "../errors/index.js";
import type { CliIO } from "./io.js";
import { single, type OptionSpec, type ParsedOptions } from "./options.js";

export const REMOTE_RUN_OPTIONS: OptionSpec[] = [
  { name: "with", kind: "value", repeatable: true, help: "queue: send each task to `steplab worker`s through Redis (BullMQ)" },
  { name: "datastore", kind: "value", help: "local (LMDB, the default) or s3 (artifacts in S3, metadata in PostgreSQL)" },
  {
    name: "datastore-root",
    kind: "value",
    help: "s3://BUCKET/PREFIX for --datastore s3 (default: STEPLAB_DATASTORE or steplab.config.json)",
  },
];

export interface RemoteRun {
  store: Store;
  executor?: TaskExecutor;
  close(): Promise<void>;
}

/** The store and executor the options ask for, or undefined for a plain local run. */
/** The queue (bullmq, ioredis) loads only for `--with queue`: a local run never pays for it. */
export async function remoteRun(
  parsed: ParsedOptions,
  io: CliIO,
  maxWorkers: number,
  flow: { file: string; name: string },
): Promise<RemoteRun | undefined> {
  const withs = parsed.values.get("with") ?? [];
  for (const w of withs) if (w !== "queue") throw new UsageError(`--with ${w} is not supported: use --with queue`);
  const queue = withs.includes("queue");
  const kind = single(parsed, "datastore");
  if (kind !== undefined && kind !== "s3" && kind !== "local") throw new UsageError(`--datastore ${kind}: use local or s3`);
  let rootArg = single(parsed, "datastore-root");
  if (!queue && kind === undefined && rootArg === undefined) return undefined;
  if (kind === "local") {
    if (queue) {
      throw new UsageError(
        "--with queue needs a datastore every worker can reach: add --datastore s3 --datastore-root s3://BUCKET/PREFIX (LMDB is local to one machine)",
      );
    }
    if (rootArg && isRemoteRoot(rootArg)) throw new UsageError(`--datastore local cannot use ${rootArg}: use --datastore s3`);
    return undefined;
  }
  const config = loadRemoteConfig(io.cwd, io.env);
  const envRoot = resolveStoreRoot(io.cwd, io.env);
  rootArg ??= isRemoteRoot(envRoot) ? envRoot : config.datastore;
  if (!rootArg || !isRemoteRoot(rootArg)) {
    throw new UsageError(
      `${queue ? "--with queue" : "--datastore s3"} needs an S3 datastore root: --datastore-root s3://BUCKET/PREFIX (or STEPLAB_DATASTORE, or "datastore" in steplab.config.json)`,
    );
  }
  const store = new RemoteStore(rootArg, { config });
  const executor = queue
    ? new (await import("../runtime/remote/index.js")).QueueExecutor({
        store,
        flow,
        config,
        maxWorkers,
        note: (text) => io.stderr(`${text}\n`),
      })
    : undefined;
  return {
    store,
    executor,
    async close() {
      await executor?.close();
      await store.close();
    },
  };
}
