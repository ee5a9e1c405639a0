/**
 * `steplab worker [--concurrency N] [--queue NAME]`: run queued tasks until stopped (Ctrl-C or
 * SIGTERM lets running tasks finish). Connection settings: STEPLAB_REDIS_URL, STEPLAB_DB_URL,
 * STEPLAB_S3_ENDPOINT and AWS credentials, or steplab.config.json.
 */
import { loadRemoteConfig, redactUrl } from "../store/index.js";
import { checkRedis, DEFAULT_LOCK_MS, startWorker } from "../runtime/remote/index.js";
import { UsageError } from "../errors/index.js";
import { EXIT, type CliIO } from "./io.js";
import { integerOption, parseOptions, single, type OptionSpec } from "./options.js";

export const WORKER_USAGE = `Usage: steplab worker [--concurrency N] [--queue NAME]

Runs tasks that \`steplab FLOW.ts run --with queue --datastore s3\` sends, on this machine, until
stopped. Every machine needs the flow's code at the same path. Settings: STEPLAB_REDIS_URL,
STEPLAB_DB_URL, STEPLAB_S3_ENDPOINT, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or steplab.config.json.
`;

const WORKER_OPTIONS: OptionSpec[] = [
  { name: "concurrency", kind: "value", help: "Tasks this worker runs at once (default: the number of CPUs)" },
  { name: "queue", kind: "value", help: "Queue name (default STEPLAB_QUEUE or steplab)" },
  { name: "help", kind: "flag" },
];

export async function workerCommand(args: string[], io: CliIO, signal?: AbortSignal): Promise<number> {
  const parsed = parseOptions(args, WORKER_OPTIONS, "worker");
  if (parsed.values.has("help")) {
    io.stdout(WORKER_USAGE);
    return EXIT.ok;
  }
  if (parsed.positionals.length)
    throw new UsageError(`worker takes no arguments, got '${parsed.positionals.join(" ")}'\n\n${WORKER_USAGE}`);
  const config = loadRemoteConfig(io.cwd, io.env);
  const queue = single(parsed, "queue");
  if (queue) config.queue = queue;
  const { availableParallelism } = await import("node:os");
  const concurrency = integerOption(single(parsed, "concurrency"), "concurrency", availableParallelism());
  const lockMs = integerOption(io.env.STEPLAB_WORKER_LOCK_MS, "STEPLAB_WORKER_LOCK_MS", DEFAULT_LOCK_MS);
  if (!config.redisUrl) throw new UsageError(`worker: no Redis configured: set STEPLAB_REDIS_URL or "redisUrl" in steplab.config.json`);
  await checkRedis(config.redisUrl);

  const worker = await startWorker({ config, concurrency, lockMs, log: (line) => io.stdout(`[worker ${process.pid}] ${line}\n`) });
  io.stdout(
    `[worker ${process.pid}] listening on queue '${config.queue}' at ${redactUrl(config.redisUrl)} (concurrency ${concurrency}); Ctrl-C stops after running tasks finish\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    signal?.addEventListener("abort", stop);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  io.stdout(`[worker ${process.pid}] stopping\n`);
  await worker.close();
  io.stdout(`[worker ${process.pid}] stopped\n`);
  return EXIT.ok;
}
