/**
 * An in-memory LanguageServiceHost for one virtual file; everything else (lib files, @types/node,
 * modules imported by setup cells) is read from disk and cached, so after the first request only
 * the virtual file is re-parsed.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The nearest node_modules/@types holding `node`, from `dirs` upwards. */
export function findNodeTypesRoot(dirs: string[]): string | undefined {
  for (const from of dirs) {
    let dir = from;
    for (;;) {
      const root = join(dir, "node_modules", "@types");
      if (existsSync(join(root, "node", "package.json"))) return root;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

export function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

export class VirtualHost implements ts.LanguageServiceHost {
  private text = "";
  private version = 0;
  private readonly snapshots = new Map<string, ts.IScriptSnapshot | undefined>();

  constructor(
    readonly fileName: string,
    private readonly options: ts.CompilerOptions,
    private readonly cwd: string,
  ) {}

  /** Replace the virtual file's text; a new version makes the service re-read it. */
  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    this.version++;
  }

  getCompilationSettings(): ts.CompilerOptions {
    return this.options;
  }
  getScriptFileNames(): string[] {
    return [this.fileName];
  }
  getScriptVersion(fileName: string): string {
    return fileName === this.fileName ? String(this.version) : "0";
  }
  getScriptSnapshot(fileName: string): ts.IScriptSnapshot | undefined {
    if (fileName === this.fileName) return ts.ScriptSnapshot.fromString(this.text);
    if (!this.snapshots.has(fileName)) {
      const content = ts.sys.readFile(fileName);
      this.snapshots.set(fileName, content === undefined ? undefined : ts.ScriptSnapshot.fromString(content));
    }
    return this.snapshots.get(fileName);
  }
  getCurrentDirectory(): string {
    return this.cwd;
  }
  getDefaultLibFileName(options: ts.CompilerOptions): string {
    return ts.getDefaultLibFilePath(options);
  }
  fileExists(path: string): boolean {
    return path === this.fileName || ts.sys.fileExists(path);
  }
  readFile(path: string, encoding?: string): string | undefined {
    return path === this.fileName ? this.text : ts.sys.readFile(path, encoding);
  }
  readDirectory = ts.sys.readDirectory;
  directoryExists = ts.sys.directoryExists;
  getDirectories = ts.sys.getDirectories;
  realpath = ts.sys.realpath;
  useCaseSensitiveFileNames(): boolean {
    return ts.sys.useCaseSensitiveFileNames;
  }
}
