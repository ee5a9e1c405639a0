/**
 * `steplab cards [--port N] [--runs N]`: serves the cards of recent runs on 127.0.0.1 (Metaflow's
 * `card server`); a running task's card reloads itself while the task runs. Ctrl-C stops it.
 */
import { UsageError } from "../errors/index.js";
import { startCardServer } from "../runtime/cards/index.js";
import { storeReader } from "../store/index.js";
import { EXIT, type CliIO } from "./io.js";
import { integerOption, parseOptions, single } from "./options.js";
import { openUserStore } from "./store-access.js";

/** Metaflow's card server listens here too. */
export const DEFAULT_CARDS_PORT = 8324;

function portOption(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_CARDS_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`Invalid value for --port: '${raw}' is not a port number (0 picks a free one)`);
  return port;
}

export async function cardsCommand(args: string[], io: CliIO, stop: Promise<unknown> = signalled()): Promise<number> {
  const parsed = parseOptions(
    args,
    [
      { name: "port", kind: "value", help: `the port on 127.0.0.1 (default ${DEFAULT_CARDS_PORT}; 0 picks a free one)` },
      { name: "runs", kind: "value", help: "how many recent runs the index lists (default 20)" },
    ],
    "cards",
  );
  if (parsed.positionals.length)
    throw new UsageError(`cards takes no arguments, got '${parsed.positionals.join(" ")}'. Usage: steplab cards [--port N] [--runs N]`);
  const port = portOption(single(parsed, "port"));
  const recentRuns = integerOption(single(parsed, "runs"), "runs", 20);
  const store = openUserStore(io);
  let server: Awaited<ReturnType<typeof startCardServer>>;
  try {
    server = await startCardServer({ reader: storeReader(store), port, recentRuns });
  } catch (err) {
    await store.close();
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new UsageError(`Port ${port} is in use (another card server?): choose another with --port N, or --port 0 for any free one`);
    throw err;
  }
  io.stdout(`Serving the cards of ${store.root} at ${server.url} (Ctrl-C stops)\n`);
  await stop;
  await server.close();
  await store.close();
  return EXIT.ok;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
}
