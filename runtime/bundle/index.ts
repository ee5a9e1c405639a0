/**
 * Bundles a flow file (or a notebook's generated module) with esbuild into code one sandbox can run:
 * an IIFE for isolates (Node built-ins replaced by shims that explain the fix), or an ES module
 * for child processes (npm packages left external, resolved from the flow's directory).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuildFailure, BuildOptions, BuildResult, Plugin } from "esbuild";
import { SteplabError } from "../../errors/index.js";
import { packageRoot } from "../support/index.js";
import { readBundleCache, writeBundleCache } from "./cache.js";
import { FINGERPRINT_VERSION } from "./fingerprint-version.js";
import { ownClassesPlugin, withOwnClasses } from "./own-classes.js";

import { build, transform } from "./esbuild.js";

/** esbuild itself, for the sandboxes' own builds (reloaded when its service died). */
export { build, transform };

export type BundleTarget = "isolate" | "process";

export interface FlowBundle {
  target: BundleTarget;
  /** The bundle reads "steplab" from `globalThis.__steplabRuntime` (see guestRuntimeCode). */
  externalRuntime?: boolean;
  code: string;
  /** The source map (JSON) for the isolate bundle; process bundles carry theirs inline. */
  map?: string;
  /** The virtual filename stack traces show for this bundle. */
  filename: string;
  /**
   * Evaluating the bundle only declares things (no user code runs at its top level), so a sandbox
   * may evaluate it synchronously. Set by notebook sessions for cells without setup code or imports.
   */
  declarationsOnly?: boolean;
}

export class BundleError extends SteplabError {
  constructor(message: string) {
    super("BUNDLE", message);
  }
}

/** Where `import ... from "steplab"` points inside a bundle. */
export function guestEntry(): string {
  const js = fileURLToPath(new URL("../sandbox/guest/api.js", import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, ".ts");
}

/** Where `import ... from "tslab"` points: tslab's display API over steplab's (tslab notebooks run unchanged). */
export function tslabEntry(): string {
  const js = fileURLToPath(new URL("../sandbox/guest/tslab.js", import.meta.url));
  return existsSync(js) ? js : js.replace(/\.js$/, ".ts");
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function builtinShim(name: string): string {
  const message =
    `The Node built-in '${name}' is not available in an isolate step. ` +
    `Run the step that uses it in a child process: @step({ isolation: "process" }).`;
  return `
const message = ${JSON.stringify(message)};
const fail = () => { const e = new Error(message); e.name = "NodeBuiltinError"; e.code = "NODE_BUILTIN"; throw e; };
const quiet = new Set(["__esModule", "then", "default", "toJSON"]);
const thrower = new Proxy(function () {}, {
  get(_t, key) { if (typeof key === "symbol" || quiet.has(key)) return undefined; fail(); },
  apply: fail, construct: fail,
});
module.exports = new Proxy({}, {
  get(_t, key) { if (key === "default") return thrower; if (typeof key === "symbol" || quiet.has(key)) return undefined; fail(); },
  getPrototypeOf: () => thrower,
});`;
}

function isolatePlugin(): Plugin {
  return {
    name: "steplab-isolate",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => (builtins.has(args.path) ? { path: args.path, namespace: "node-builtin" } : undefined));
      build.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => ({
        contents: builtinShim(args.path.replace(/^node:/, "")),
        loader: "js",
      }));
    },
  };
}

/** Leaves npm packages to Node, by absolute path, so the bundle can live anywhere. */
function externalPackagesPlugin(fromDir: string): Plugin {
  const require = createRequire(path.join(fromDir, "noop.js"));
  return {
    name: "steplab-external-packages",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path === "steplab" || args.path === "tslab" || builtins.has(args.path)) return undefined;
        try {
          return { path: require.resolve(args.path), external: true };
        } catch {
          return undefined; // esbuild reports it as unresolvable, with the importer's line
        }
      });
    },
  };
}

function commonOptions(): BuildOptions {
  return {
    bundle: true,
    write: false,
    target: "es2022",
    alias: { steplab: guestEntry(), tslab: tslabEntry() },
    logLevel: "silent",
    keepNames: true,
    define: { "process.env.NODE_ENV": '"production"' },
    tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
  };
}

/** steplab's own code, which is not the flow's (the flow's own files register their classes). */
function steplabCode(file: string): boolean {
  const root = packageRoot();
  return ["runtime", "store", "errors", "dist"].some((dir) => file.startsWith(path.join(root, dir) + path.sep));
}

function isolateOptions(outfile: string): BuildOptions {
  return {
    ...commonOptions(),
    platform: "neutral",
    format: "iife",
    globalName: "__steplabFlowModule",
    mainFields: ["browser", "module", "main"],
    conditions: ["browser", "import", "default"],
    sourcemap: "external",
    outfile,
    plugins: [isolatePlugin(), ownClassesPlugin(steplabCode)],
  };
}

function isolateBundle(out: BuildResult, filename: string): FlowBundle {
  const code = out.outputFiles!.find((f) => f.path.endsWith(".js"))!.text;
  const map = out.outputFiles!.find((f) => f.path.endsWith(".map"))?.text;
  return { target: "isolate", code, map, filename };
}

let runtimeCode: Promise<string> | undefined;

/**
 * The guest runtime ("steplab" inside a sandbox) as one script that sets
 * `globalThis.__steplabRuntime`, built once per process. Notebook cells run it from a compiled
 * copy instead of bundling it into every cell, which keeps a cell's bundle to its own code.
 */
export function guestRuntimeCode(): Promise<string> {
  runtimeCode ??= build({
    ...isolateOptions("steplab-runtime.js"),
    plugins: [isolatePlugin()],
    entryPoints: [guestEntry()],
    globalName: "__steplabRuntime",
    sourcemap: false,
  }).then((out) => out.outputFiles!.find((f) => f.path.endsWith(".js"))!.text);
  return runtimeCode;
}

function externalRuntimePlugin(): Plugin {
  return {
    name: "steplab-external-runtime",
    setup(build) {
      build.onResolve({ filter: /^(steplab|tslab)$/ }, (args) => ({ path: args.path, namespace: "steplab-runtime" }));
      build.onLoad({ filter: /.*/, namespace: "steplab-runtime" }, (args) => ({
        contents:
          args.path === "tslab" ? "module.exports = globalThis.__steplabRuntime.tslab;" : "module.exports = globalThis.__steplabRuntime;",
        loader: "js",
      }));
    },
  };
}

/**
 * Bundles generated source (a notebook cell's module) for an isolate. `resolveDir` is where its
 * imports resolve from (the notebook's folder); `sourcefile` is the name stack frames show.
 * "steplab" is left to the prebuilt guest runtime (guestRuntimeCode).
 */
export async function bundleSource(source: string, resolveDir: string, sourcefile: string): Promise<FlowBundle> {
  const filename = path.join(resolveDir, `${sourcefile}.isolate.bundle.js`);
  try {
    const options = isolateOptions(filename);
    const out = await build({
      ...options,
      plugins: [externalRuntimePlugin(), ...(options.plugins ?? [])],
      stdin: {
        contents: await withOwnClasses(sourcefile, source, sourcefile, "global"),
        resolveDir,
        sourcefile,
        loader: "ts",
      },
    });
    return { ...isolateBundle(out, filename), externalRuntime: true };
  } catch (err) {
    throw bundleError(err);
  }
}

/**
 * Bundles generated source (a notebook cell's module) for a child process, as bundleFlow does a
 * flow file: npm packages stay external (resolved from `resolveDir`), "steplab" is bundled in.
 */
export async function bundleSourceForProcess(source: string, resolveDir: string, sourcefile: string): Promise<FlowBundle> {
  const filename = path.join(resolveDir, `${sourcefile}.process.bundle.mjs`);
  try {
    const out = await build({
      ...commonOptions(),
      platform: "node",
      format: "esm",
      sourcemap: "inline",
      outfile: filename,
      plugins: [externalPackagesPlugin(resolveDir)],
      stdin: { contents: source, resolveDir, sourcefile, loader: "ts" },
    });
    return { target: "process", code: out.outputFiles![0]!.text, filename };
  } catch (err) {
    throw bundleError(err);
  }
}

/**
 * Compiles a module that imports nothing but "steplab" (read from the prebuilt guest runtime):
 * a notebook cell without imports needs no bundling, only TypeScript -> JavaScript.
 */
export async function transformSource(source: string, resolveDir: string, sourcefile: string): Promise<FlowBundle> {
  const filename = path.join(resolveDir, `${sourcefile}.isolate.bundle.js`);
  try {
    const out = await transform(await withOwnClasses(sourcefile, source, sourcefile, "global"), {
      loader: "ts",
      format: "iife",
      globalName: "__steplabFlowModule",
      target: "es2022",
      sourcemap: "external",
      sourcefile,
      keepNames: true,
      tsconfigRaw: { compilerOptions: { experimentalDecorators: false, useDefineForClassFields: true } },
    });
    return { target: "isolate", code: out.code, map: out.map, filename, externalRuntime: true };
  } catch (err) {
    throw bundleError(err);
  }
}

function bundleError(err: unknown): unknown {
  const failure = err as BuildFailure;
  const first = failure.errors?.[0];
  if (!first) return err;
  const where = first.location ? `${first.location.file}:${first.location.line}: ` : "";
  return new BundleError(`${where}${first.text}`);
}

/** Builds in progress, so that two callers (the sandboxes, the task cache) share one esbuild run. */
const building = new Map<string, Promise<FlowBundle>>();

/** This module and the own-classes plugin, as source or as their build. */
function bundlerFiles(): string[] {
  return ["./index.js", "./own-classes.js"].map((f) => {
    const file = fileURLToPath(new URL(f, import.meta.url));
    return existsSync(file) ? file : file.replace(/\.js$/, ".ts");
  });
}

export function bundleFlow(file: string, target: BundleTarget): Promise<FlowBundle> {
  const absolute = path.resolve(file);
  const key = `${target}\0${absolute}\0${guestEntry()}`;
  const cached = readBundleCache<FlowBundle>(key);
  if (cached) return Promise.resolve(cached);
  let pending = building.get(key);
  if (!pending) {
    pending = buildFlow(absolute, target)
      .then(({ bundle, inputs }) => {
        // How bundles are made counts too: a new steplab build must not reuse an older one's bundles.
        writeBundleCache(key, [...inputs, ...bundlerFiles()], bundle);
        return bundle;
      })
      .finally(() => building.delete(key));
    building.set(key, pending);
  }
  return pending;
}

/**
 * The fingerprint of each step's code in the flow file's bundle for `target` (see fingerprint.ts).
 * Isolate bundles hold all their code, so their fingerprints are kept by the bundle's content;
 * process bundles import packages from node_modules, whose versions are read each time.
 */
export async function flowStepFingerprints(file: string, target: BundleTarget, steps: readonly string[]): Promise<Record<string, string>> {
  const bundle = await bundleFlow(file, target);
  // The parser (acorn) loads only when a fingerprint is computed: a run of unchanged code never needs it.
  const compute = async () => (await import("./fingerprint.js")).stepFingerprints(bundle.code, steps);
  if (target !== "isolate") return compute();
  const key = `fingerprints\0${FINGERPRINT_VERSION}\0${createHash("sha256").update(bundle.code).digest("hex")}\0${steps.join(",")}`;
  const cached = readBundleCache<Record<string, string>>(key);
  if (cached) return cached;
  const fingerprints = await compute();
  writeBundleCache(key, [], fingerprints);
  return fingerprints;
}

/** The fingerprint of each step's code in a bundle built elsewhere (a notebook cell's module; see fingerprint.ts). */
export async function bundleStepFingerprints(code: string, steps: readonly string[]): Promise<Record<string, string>> {
  return (await import("./fingerprint.js")).stepFingerprints(code, steps);
}

async function buildFlow(absolute: string, target: BundleTarget): Promise<{ bundle: FlowBundle; inputs: string[] }> {
  const filename = `${absolute}.${target}.bundle.js`;
  const common: BuildOptions = { ...commonOptions(), entryPoints: [absolute], metafile: true, absWorkingDir: process.cwd() };
  // Files only: shims of Node built-ins live in their own namespace.
  const inputsOf = (out: BuildResult) =>
    Object.keys(out.metafile?.inputs ?? {})
      .filter((f) => !/^[a-z-]+:/.test(f))
      .map((f) => path.resolve(process.cwd(), f));
  try {
    if (target === "isolate") {
      const out = await build({ ...isolateOptions(filename), entryPoints: [absolute], metafile: true, absWorkingDir: process.cwd() });
      return { bundle: isolateBundle(out, filename), inputs: inputsOf(out) };
    }
    const out = await build({
      ...common,
      platform: "node",
      format: "esm",
      sourcemap: "inline",
      outfile: filename.replace(/\.js$/, ".mjs"),
      plugins: [externalPackagesPlugin(path.dirname(absolute)), ownClassesPlugin(steplabCode)],
    });
    const bundle: FlowBundle = { target, code: out.outputFiles![0]!.text, filename: filename.replace(/\.js$/, ".mjs") };
    return { bundle, inputs: inputsOf(out) };
  } catch (err) {
    throw bundleError(err);
  }
}
