/**
 * The scale-out services (.ci/services.sh): Redis, PostgreSQL, Swift's S3 API. A test file that
 * needs them asks `remoteServices()` and skips, naming the reason, when they are not running — so
 * a developer without them still runs the rest. Under CI (CI=true) missing services are an error.
 */
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";

export interface RemoteServices {
  env: Record<string, string>;
  /** Set when the services cannot be used; the reason names what is missing. */
  skip?: string;
}

function reachable(url: string): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === "https:" ? 443 : 80);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port, timeout: 1000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

export async function remoteServices(): Promise<RemoteServices> {
  const file = process.env.STEPLAB_SERVICES_ENV ?? "/tmp/steplab-services.env";
  let skip: string | undefined;
  const env: Record<string, string> = {};
  if (!existsSync(file)) {
    skip = `scale-out services are not running (no ${file}): run .ci/services.sh`;
  } else {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m) env[m[1]!] = m[2]!;
    }
    for (const key of ["STEPLAB_REDIS_URL", "STEPLAB_DB_URL", "STEPLAB_S3_ENDPOINT"]) {
      const url = env[key];
      if (!url) skip ??= `${file} does not set ${key}: run .ci/services.sh`;
      else if (!(await reachable(url))) skip ??= `${key} (${url}) does not answer: run .ci/services.sh`;
    }
  }
  if (skip && process.env.CI === "true") throw new Error(`CI must run the scale-out tests, but ${skip}`);
  if (skip) console.warn(`skipping: ${skip}`);
  return { env, skip };
}

/** A datastore root of its own for one test (one bucket, many prefixes). */
export function uniqueRoot(env: Record<string, string>, name: string): string {
  return `s3://${env.STEPLAB_TEST_BUCKET ?? "steplab-test"}/${name}-${process.pid}-${Date.now().toString(36)}`;
}
