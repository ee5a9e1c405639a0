/**
 * Which StoreReader the client API reads through: inside a sandbox the host's bridge, in a
 * script the datastore the host names with setDefaultReader.
 */
import type { StoreReader } from "../../store/index.js";

export type { StoreReader };

let defaultReader: (() => StoreReader) | undefined;

/** The host sets how to open the default store (the datastore resolved from cwd/env). */
export function setDefaultReader(factory: () => StoreReader): void {
  defaultReader = factory;
}

export function currentReader(): StoreReader {
  const fromHost = globalThis.__steplabHost?.reader;
  if (fromHost) return fromHost;
  if (!defaultReader) throw new Error("steplab: no datastore is available in this context");
  return defaultReader();
}
