/**
 * The magics the REPL itself answers (they concern the terminal or the notebook file, not cells).
 * Every other `%magic` goes to the session like any cell.
 */
export type ReplMagic =
  | { name: "save"; file?: string }
  | { name: "run"; index: number }
  | { name: "runall" }
  | { name: "cells" }
  | { name: "explore"; flow?: string }
  | { name: "exit" }
  | { name: "usage"; message: string };

export function parseReplMagic(code: string): ReplMagic | undefined {
  const m = /^\s*%(\w+)\b(.*)$/s.exec(code.trim());
  if (!m) return undefined;
  const name = m[1] ?? "";
  const args = (m[2] ?? "").trim().split(/\s+/).filter(Boolean);
  switch (name) {
    case "save":
      return args[0] ? { name: "save", file: args[0] } : { name: "save" };
    case "run": {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1)
        return { name: "usage", message: "usage: %run N   (N: a cell number from the notebook listing; %cells lists them)" };
      return { name: "run", index: n };
    }
    case "runall":
      return { name: "runall" };
    case "cells":
      return { name: "cells" };
    case "explore":
      return args[0] ? { name: "explore", flow: args[0] } : { name: "explore" };
    case "exit":
    case "quit":
      return { name: "exit" };
    default:
      return undefined;
  }
}

/** REPL magics are complete as typed: Enter runs them without asking the session. */
export function isReplMagic(code: string): boolean {
  return parseReplMagic(code) !== undefined;
}
