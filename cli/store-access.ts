/** Opening the datastore the user means (STEPLAB_DATASTORE, else the nearest .steplab/). */
import { openStore, resolveStoreRoot, type Store } from "../store/index.js";
import type { CliIO } from "./io.js";

export function openUserStore(io: CliIO): Store {
  return openStore(resolveStoreRoot(io.cwd, io.env));
}
