/** Transpiles every source file into `outdir` (mirroring the source tree). */
export function transpileTo(outdir: string): Promise<void>;
