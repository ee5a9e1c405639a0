/** Transpiles every source file into `outdir` (mirroring the source tree). */
export function transpileTo(outdir: string): Promise<void>;
/** Bundles the command into `outdir`/bundle (cli.js and its chunks). */
export function bundleCli(outdir: string): Promise<void>;
/** The whole build into `outdir`: every module transpiled, then the command bundled. */
export function buildTo(outdir: string): Promise<void>;
