/**
 * Compiled cells. A module without imports only needs TypeScript -> JavaScript and is kept by its
 * source, so running a cell again compiles nothing; a module with imports is bundled each time
 * (the files it imports may have changed). A process cell's module is bundled for a child process.
 */
import { bundleSource, bundleSourceForProcess, transformSource, type FlowBundle } from "../bundle/index.js";
import { CELL_SOURCE_NAME, type CellModule } from "./cell-module.js";

/** Compiled cell modules kept for re-runs. */
const COMPILED_CELLS_KEPT = 64;

export class CellBundles {
  readonly #compiled = new Map<string, FlowBundle>();

  constructor(private readonly cwd: string) {}

  async forIsolate(module: CellModule): Promise<FlowBundle> {
    if (module.imports) return bundleSource(module.source, this.cwd, CELL_SOURCE_NAME);
    const kept = this.#compiled.get(module.source);
    if (kept) return kept;
    const bundle = { ...(await transformSource(module.source, this.cwd, CELL_SOURCE_NAME)), declarationsOnly: module.declarationsOnly };
    if (this.#compiled.size >= COMPILED_CELLS_KEPT) this.#compiled.delete(this.#compiled.keys().next().value!);
    this.#compiled.set(module.source, bundle);
    return bundle;
  }

  forProcess(module: CellModule): Promise<FlowBundle> {
    return bundleSourceForProcess(module.source, this.cwd, CELL_SOURCE_NAME);
  }
}
