/**
 * What the session knows for completion, inspection and is_complete: the TypeScript service
 * (runtime/session/language) fed with the types of the artifacts a cell can see, plus which cell
 * declared which local (for the "local of another cell" error).
 */
import type { ArtifactRef } from "../../store/index.js";
import type { CellLocals } from "./cell-locals.js";
import { MAGICS } from "./magics.js";
import type { StoreReader } from "../../store/index.js";
import { CellLanguageService, typeOfValue, type CellContext } from "./language/index.js";
import type { CompletionResult, InspectResult, IsCompleteResult } from "./types.js";

/** What `%` completes to: the session's magics, and the REPL's own (%save, %run, %runall, %explore). */
export const MAGIC_NAMES: readonly string[] = [...MAGICS.map((m) => m.name), "save", "run", "runall", "explore"];

/** Artifacts bigger than this are typed from their stored type name, not by loading them. */
const TYPE_FROM_VALUE_MAX_BYTES = 1 << 20;

export interface LanguageContextInput {
  artifacts: Record<string, ArtifactRef>;
  parameters: Record<string, ArtifactRef>;
  isJoin: boolean;
  reader: StoreReader;
}

const SIMPLE_TYPES = new Set(["number", "string", "boolean", "bigint", "null", "undefined", "Date", "RegExp"]);

export class LanguageSupport {
  private service?: CellLanguageService;
  private setupCode = "";
  private readonly locals = new Map<number, { step?: string; locals: CellLocals }>();
  private readonly typeCache = new Map<string, string>();

  private ts(): CellLanguageService {
    this.service ??= new CellLanguageService({ magics: MAGIC_NAMES });
    return this.service;
  }

  setSetup(code: string): void {
    this.setupCode = code;
  }

  rememberLocals(cell: number, step: string | undefined, locals: CellLocals): void {
    this.locals.set(cell, { step, locals });
  }

  forgetLocals(cell: number): void {
    this.locals.delete(cell);
  }

  ownerOf(name: string, exceptCell: number): { cell: number; step?: string; clientExpression?: string } | undefined {
    for (const [cell, { step, locals }] of this.locals) {
      if (cell === exceptCell || !locals.names.includes(name)) continue;
      const clientExpression = locals.clientExpressions[name];
      return { cell, ...(step !== undefined ? { step } : {}), ...(clientExpression !== undefined ? { clientExpression } : {}) };
    }
    return undefined;
  }

  private typeOf(ref: ArtifactRef, reader: StoreReader): string {
    const cached = this.typeCache.get(ref.sha);
    if (cached) return cached;
    let type: string;
    if (ref.size <= TYPE_FROM_VALUE_MAX_BYTES) {
      try {
        type = typeOfValue(reader.loadBlob(ref.sha));
      } catch {
        type = "any";
      }
    } else {
      type = SIMPLE_TYPES.has(ref.type) || /Array$/.test(ref.type) ? ref.type : "any";
    }
    this.typeCache.set(ref.sha, type);
    return type;
  }

  private context(input: LanguageContextInput): CellContext {
    const types = (refs: Record<string, ArtifactRef>) =>
      Object.fromEntries(Object.entries(refs).map(([n, r]) => [n, this.typeOf(r, input.reader)]));
    return {
      setupCode: this.setupCode,
      artifactTypes: types(input.artifacts),
      parameters: types(input.parameters),
      isJoin: input.isJoin,
    };
  }

  complete(code: string, cursor: number, input: LanguageContextInput): CompletionResult {
    return this.ts().complete(code, cursor, this.context(input));
  }

  inspect(code: string, cursor: number, detailLevel: 0 | 1, input: LanguageContextInput): InspectResult {
    const info = this.ts().inspect(code, cursor, detailLevel, this.context(input));
    return info.found ? { found: true, data: { "text/plain": info.text } } : { found: false, data: {} };
  }

  isComplete(code: string): IsCompleteResult {
    return this.ts().isComplete(code);
  }
}
