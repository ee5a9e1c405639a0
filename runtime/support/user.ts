/**
 * Who runs steplab, as Metaflow resolves it: an explicit STEPLAB_USER, else the login the
 * environment names (USER, USERNAME, LOGNAME), else the operating system's. Runs are tagged
 * `user:NAME` with it, and the client's default namespace is that tag.
 */
import { userInfo } from "node:os";

export function currentUsername(env: NodeJS.ProcessEnv = process.env): string {
  const named = [env.STEPLAB_USER, env.USER, env.USERNAME, env.LOGNAME].find((u) => u !== undefined && u.trim() !== "");
  if (named) return named.trim();
  try {
    return userInfo().username;
  } catch {
    return "unknown"; // a container user without a passwd entry
  }
}

/** The user a run's `user:NAME` tag names. */
export function usernameOfTags(tags: readonly string[]): string | undefined {
  return tags.find((t) => t.startsWith("user:"))?.slice("user:".length);
}
