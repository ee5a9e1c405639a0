/**
 * Completion, inspection and is_complete for notebook cells. One LanguageService lives as long as
 * the session: each request rewrites one virtual file and bumps its version, so lib files,
 * @types/node and imported modules are parsed once.
 */
import { join } from "node:path";
import ts from "typescript";
import { completeAt, completeMagicOrDirective } from "./completion.js";
import { findNodeTypesRoot, moduleDir, VirtualHost } from "./host.js";
import { inspectAt } from "./inspection.js";
import { isComplete } from "./is-complete.js";
import type { CellCompleteness, CellCompletion, CellContext, CellInspection } from "./types.js";
import { buildVirtualFile, type VirtualFile } from "./virtual-file.js";

export interface CellLanguageServiceOptions {
  /** Where setup-cell imports resolve from (the notebook's directory); default the current directory. */
  baseDir?: string;
  /**
   * Type Node's APIs from @types/node (for setup code run in the process sandbox). Default: when
   * @types/node is installed; otherwise cells see only what the isolate sandbox provides.
   */
  nodeTypes?: boolean;
  /** Magic names `%` completes to (without the `%`): the session's and its front end's. */
  magics?: readonly string[];
}

function compilerOptions(typesRoot: string | undefined): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ["lib.esnext.d.ts"],
    strict: true,
    noImplicitAny: false,
    esModuleInterop: true,
    allowSyntheticDefaultImports: true,
    resolveJsonModule: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    noEmit: true,
    ...(typesRoot ? { typeRoots: [typesRoot], types: ["node"] } : { types: [] }),
  };
}

function clamp(cursor: number, code: string): number {
  return Math.max(0, Math.min(Number.isFinite(cursor) ? Math.trunc(cursor) : code.length, code.length));
}

export class CellLanguageService {
  private readonly host: VirtualHost;
  private readonly service: ts.LanguageService;
  private readonly sandboxGlobals: boolean;
  private readonly magics: readonly string[];

  constructor(options: CellLanguageServiceOptions = {}) {
    const baseDir = options.baseDir ?? process.cwd();
    const typesRoot = options.nodeTypes === false ? undefined : findNodeTypesRoot([baseDir, moduleDir()]);
    this.sandboxGlobals = typesRoot === undefined;
    this.magics = options.magics ?? [];
    this.host = new VirtualHost(join(baseDir, "__steplab_cell__.ts"), compilerOptions(typesRoot), baseDir);
    this.service = ts.createLanguageService(this.host, ts.createDocumentRegistry());
  }

  private load(code: string, ctx: CellContext): VirtualFile {
    const file = buildVirtualFile(code, ctx, this.sandboxGlobals);
    this.host.update(file.text);
    return file;
  }

  complete(code: string, cursor: number, ctx: CellContext): CellCompletion {
    const at = clamp(cursor, code);
    const special = completeMagicOrDirective(code, at, this.magics);
    if (special) return special;
    const file = this.load(code, ctx);
    return completeAt(this.service, file, this.host.fileName, code, at);
  }

  inspect(code: string, cursor: number, detailLevel: 0 | 1, ctx: CellContext): CellInspection {
    const file = this.load(code, ctx);
    return inspectAt(this.service, file, this.host.fileName, code, clamp(cursor, code), detailLevel);
  }

  isComplete(code: string): CellCompleteness {
    return isComplete(code);
  }

  /** Release the service's program (the session is closing). */
  dispose(): void {
    this.service.dispose();
  }
}
