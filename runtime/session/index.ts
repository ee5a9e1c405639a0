/** runtime/session: notebook cells promoted to steps, shared by the kernel and the REPL. */
export { createSession, Session, DEFAULT_CELL_MEMORY_MB, type SessionOptions, type SessionCell } from "./session.js";
export { InputHistory, memoryHistoryBackend, type HistoryBackend, type HistoryEntry, type InputHistoryOptions } from "./input-history.js";
export { MAGICS, MAGIC_USAGE, type Magic, type MagicContext } from "./magics.js";
export { cellError } from "../../errors/index.js";
export { MAGIC_NAMES } from "./language-support.js";
export { valueBundle, displayBundle, tableBundle } from "./display.js";
export type * from "./types.js";
