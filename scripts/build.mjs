// Transpiles the TypeScript sources to dist/ file by file (what `import "steplab"`, the child
// processes and the sandboxes' builds load), then bundles the command (dist/bundle/cli.js) so that
// `steplab` starts without resolving and reading ~140 modules one by one. Type checking is
// `npm run typecheck`, separate so a type error never blocks install.
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const folders = ["errors", "cli", "runtime", "store", "kernel", "repl", "notebooks"];

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === "examples" || name === "node_modules") return [];
    if (statSync(full).isDirectory()) return sources(full);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

/** What both builds emit: ES modules for the Node version the package supports. */
const NODE_ESM = { format: "esm", platform: "node", target: "node20", jsx: "automatic", logLevel: "error" };

/** Transpiles every source file into `outdir` (mirroring the source tree). */
async function transpileTo(outdir) {
  await esbuild.build({
    ...NODE_ESM,
    entryPoints: folders.flatMap((f) => sources(path.join(root, f))),
    outdir,
    outbase: root,
    sourcemap: "inline",
  });
}

/**
 * Inside the bundle, each module's `import.meta.url` is its file-by-file twin's URL, so that files
 * a module finds beside itself (the isolate prelude, the guest API, the child process script)
 * and packages it requires are found where they are for the unbundled modules.
 */
function ownUrlPlugin(outdir, bundleDir) {
  return {
    name: "own-url",
    setup(build) {
      build.onLoad({ filter: /\.tsx?$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const twin = path.join(outdir, path.relative(root, args.path)).replace(/\.tsx?$/, ".js");
        const fromBundle = path.relative(bundleDir, twin).split(path.sep).join("/");
        const source = readFileSync(args.path, "utf8");
        return {
          contents: source.replaceAll("import.meta.url", `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`),
          loader: args.path.endsWith(".tsx") ? "tsx" : "ts",
        };
      });
    },
  };
}

/** Bundles the command into `outdir`/bundle: cli.js and the chunks its lazy imports load. */
async function bundleCli(outdir) {
  const bundleDir = path.join(outdir, "bundle");
  await esbuild.build({
    ...NODE_ESM,
    entryPoints: { cli: path.join(root, "cli", "main.ts") },
    bundle: true,
    splitting: true,
    // npm packages stay external: they load from node_modules as they would for any caller.
    packages: "external",
    outdir: bundleDir,
    chunkNames: "chunk-[hash]",
    sourcemap: "linked",
    plugins: [ownUrlPlugin(outdir, bundleDir)],
  });
}

/** The whole build into `outdir`: every module transpiled, then the command bundled. */
export async function buildTo(outdir) {
  await transpileTo(outdir);
  await bundleCli(outdir);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Build beside dist/ and swap it in, so a command running meanwhile never sees half a build.
  const dist = path.join(root, "dist");
  const fresh = `${dist}.${process.pid}.tmp`;
  const stale = `${dist}.${process.pid}.old`;
  await buildTo(fresh);
  try {
    renameSync(dist, stale);
  } catch {
    // first build
  }
  renameSync(fresh, dist);
  rmSync(stale, { recursive: true, force: true });
}
