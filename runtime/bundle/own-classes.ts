/**
 * Instances of classes defined in a flow's own files come back as instances in later steps. Each
 * of the flow's own modules tells the artifact registry its top-level classes (and the capitalised
 * values it imports and uses, of which the registry keeps those with the ml.js toJSON()/load()
 * convention), so every context running the flow's code knows them by name. Read with TypeScript's parser: an import used only as a type must not be referenced, or
 * esbuild would keep an import that has no value behind it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Plugin } from "esbuild";
import type ts from "typescript";
import { memoize } from "../support/index.js";

type TS = typeof ts;
let typescript: Promise<TS> | undefined;

/** The TypeScript compiler, loaded when a bundle is built (a cached bundle never needs it). */
function loadTypeScript(): Promise<TS> {
  typescript ??= import("typescript").then((m) => (m as unknown as { default: TS }).default ?? (m as unknown as TS));
  return typescript;
}

/** The name the guest runtime exports the registration under (runtime/sandbox/guest/api.ts). */
export const OWN_CLASSES_EXPORT = "__steplabOwnClasses";

interface OwnNames {
  /** Top-level classes, with the offset of each one's closing brace. */
  declared: { name: string; closingBrace: number }[];
  imported: string[];
}

function hasModifier(ts: TS, node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** An identifier that stands for a value here (not a type, a property name or the import itself). */
function isValueUse(ts: TS, id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isImportSpecifier(parent) || ts.isImportClause(parent) || ts.isNamespaceImport(parent)) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if (ts.isQualifiedName(parent) && parent.right === id) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent)) &&
    parent.name === id
  ) {
    return false;
  }
  for (let n: ts.Node = parent; !ts.isSourceFile(n); n = n.parent) {
    if (ts.isTypeNode(n) || ts.isInterfaceDeclaration(n) || ts.isTypeAliasDeclaration(n)) return false;
    if (ts.isHeritageClause(n) && n.token === ts.SyntaxKind.ImplementsKeyword) return false;
  }
  return true;
}

function scriptKind(ts: TS, file: string): ts.ScriptKind {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".tsx") return ts.ScriptKind.TSX;
  if (ext === ".jsx") return ts.ScriptKind.JSX;
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

const capitalised = (name: string) => /^[A-Z]/.test(name);

/** The classes a module declares at its top level and the capitalised imports it uses as values. */
const ownNamesOf = memoize((key: string): OwnNames => {
  const ts = loaded!;
  const split = key.indexOf("\0");
  const file = key.slice(0, split);
  const source = key.slice(split + 1);
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, scriptKind(ts, file));
  const declared: OwnNames["declared"] = [];
  const importedNames = new Set<string>();
  let isModule = false;
  for (const stmt of sf.statements) {
    if (ts.isClassDeclaration(stmt) && stmt.name && !hasModifier(ts, stmt, ts.SyntaxKind.DeclareKeyword)) {
      declared.push({ name: stmt.name.text, closingBrace: stmt.getEnd() - 1 });
    }
    if (ts.isImportDeclaration(stmt)) {
      isModule = true;
      const clause = stmt.importClause;
      if (!clause || clause.isTypeOnly) continue;
      if (clause.name && capitalised(clause.name.text)) importedNames.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamedImports(bindings)) {
        for (const el of bindings.elements) if (!el.isTypeOnly && capitalised(el.name.text)) importedNames.add(el.name.text);
      }
    }
    if (ts.isExportDeclaration(stmt) || ts.isExportAssignment(stmt) || hasModifier(ts, stmt, ts.SyntaxKind.ExportKeyword)) isModule = true;
  }
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && importedNames.has(node.text) && isValueUse(ts, node)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  if (importedNames.size) visit(sf);
  // A CommonJS file gains no import: esbuild would stop treating it as CommonJS.
  if (!isModule && scriptKind(ts, file) === ts.ScriptKind.JS) return { declared: [], imported: [] };
  return { declared, imported: [...used] };
}, 512);

let loaded: TS | undefined;

export async function ownNames(file: string, source: string): Promise<OwnNames> {
  loaded ??= await loadTypeScript();
  return ownNamesOf(`${file}\0${source}`);
}

/**
 * The module's source with its classes made known to the artifact registry. Each top-level class
 * gets a static block that queues itself (`this`) as its definition runs, so no statement outside
 * the class names it: a step's fingerprint (run --cache) still depends only on the classes it
 * uses. The ml.js-convention values it imports are named in one last statement; `runtime` is how
 * that statement reaches the guest runtime: an import of "steplab" (flow bundles), or the prebuilt
 * runtime's global (notebook cells).
 */
export async function withOwnClasses(file: string, source: string, label: string, runtime: "import" | "global"): Promise<string> {
  const { declared, imported } = await ownNames(file, source);
  let out = source;
  const register = ` static { (globalThis.__steplabOwnClassQueue ||= []).push([this, ${JSON.stringify(label)}]); }`;
  for (const { closingBrace } of [...declared].sort((a, b) => b.closingBrace - a.closingBrace)) {
    out = out.slice(0, closingBrace) + register + out.slice(closingBrace);
  }
  if (imported.length === 0) return out;
  const args = `${JSON.stringify(label)}, {}, { ${imported.join(", ")} }`;
  if (runtime === "global") return `${out}\n;(globalThis as any).__steplabRuntime.${OWN_CLASSES_EXPORT}(${args});\n`;
  return `${out}\nimport { ${OWN_CLASSES_EXPORT} as __steplab_own_classes__ } from "steplab";\n__steplab_own_classes__(${args});\n`;
}

const OWN_SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/**
 * Adds the footer to each of the flow's own files (anything outside node_modules and steplab).
 * Files are labelled relative to the entry's folder, the same on every machine that bundles it.
 */
export function ownClassesPlugin(isSteplabCode: (file: string) => boolean): Plugin {
  return {
    name: "steplab-own-classes",
    setup(build) {
      const entries = build.initialOptions.entryPoints;
      const entry = Array.isArray(entries) && typeof entries[0] === "string" ? entries[0] : undefined;
      const base = entry ? path.dirname(path.resolve(entry)) : process.cwd();
      build.onLoad({ filter: OWN_SOURCE }, async (args) => {
        if (args.namespace !== "file" || args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        if (isSteplabCode(args.path)) return undefined;
        const source = await readFile(args.path, "utf8");
        const label = path.relative(base, args.path).split(path.sep).join("/");
        const ext = path.extname(args.path).slice(1).toLowerCase();
        const loader = ext === "tsx" || ext === "jsx" ? ext : /^[cm]?ts$/.test(ext) ? "ts" : "js";
        return { contents: await withOwnClasses(args.path, source, label, "import"), loader, resolveDir: path.dirname(args.path) };
      });
    },
  };
}
