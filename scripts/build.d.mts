/** The whole build into `outdir`: every module transpiled file by file, then the command bundled into `outdir`/bundle. */
export function buildTo(outdir: string): Promise<void>;
