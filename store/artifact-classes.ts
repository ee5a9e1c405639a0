/**
 * The classes whose instances can be stored as artifacts and rebuilt later, by name: those a flow
 * registers (`registerArtifactClass(C)`), and those the flow's own files define (registered by the
 * bundle as its modules load, see runtime/bundle/own-classes.ts), together with classes of the
 * ml.js convention (`toJSON()` plus a static `load(json)`) that the flow's own files import.
 * The registry lives in each context that runs a flow's code; a script that reads artifacts
 * registers the classes it wants back.
 */
import { SteplabError } from "../errors/index.js";

/** A class: its instances get its prototype back; `load(json)` rebuilds one from its toJSON(). */
export interface ArtifactClass {
  name: string;
  load?: (json: any) => unknown;
  prototype: object;
}

const byName = new Map<string, ArtifactClass>();
const byClass = new Map<ArtifactClass, string>();

declare global {
  /** Classes of the flow's own files, queued by their static blocks as they are defined (see runtime/bundle/own-classes.ts). */
  // eslint-disable-next-line no-var
  var __steplabOwnClassQueue: [ArtifactClass, string][] | undefined;
}

/** Registers the own classes defined since the last look. */
function drainOwnClasses(): void {
  const queue = globalThis.__steplabOwnClassQueue;
  if (queue?.length) for (const [cls, file] of queue.splice(0)) registerOwn(cls, file);
}

export function registerArtifactClass(cls: ArtifactClass, name: string = cls.name): void {
  if (!isClass(cls)) throw new TypeError(`registerArtifactClass() takes a class, got ${cls === null ? "null" : typeof cls}`);
  byName.set(name, cls);
  byClass.set(cls, name);
}

/** The name a class is known by here, if it is known. */
export function registeredName(cls: unknown): string | undefined {
  drainOwnClasses();
  return byClass.get(cls as ArtifactClass);
}

export function registeredClass(name: string): ArtifactClass | undefined {
  drainOwnClasses();
  return byName.get(name);
}

function isClass(value: unknown): value is ArtifactClass {
  return typeof value === "function" && typeof (value as { prototype?: unknown }).prototype === "object";
}

/** A class following the ml.js convention: instances have toJSON(), the class a static load(json). */
export function hasJsonConvention(cls: ArtifactClass): boolean {
  return typeof cls.load === "function" && typeof (cls.prototype as { toJSON?: unknown }).toJSON === "function";
}

/** Registers a class under its own name, or, when another class has it, under NAME@FILE. */
function registerOwn(cls: ArtifactClass, file: string): void {
  if (byClass.has(cls)) return;
  const taken = byName.get(cls.name);
  registerArtifactClass(cls, taken && taken !== cls ? `${cls.name}@${file}` : cls.name);
}

/**
 * Called by the bundle at the end of each of the flow's own modules: the classes the module
 * declares at its top level, and the values it imports that follow the ml.js convention.
 */
export function registerOwnClasses(file: string, declared: Record<string, unknown>, imported: Record<string, unknown>): void {
  for (const value of Object.values(declared)) if (isClass(value)) registerOwn(value, file);
  for (const value of Object.values(imported)) if (isClass(value) && hasJsonConvention(value)) registerOwn(value, file);
}

/** The name as users wrote it (NAME@FILE is NAME defined in FILE). */
export function className(registered: string): string {
  const at = registered.indexOf("@");
  return at > 0 ? registered.slice(0, at) : registered;
}

/** A value holds an instance of a class that later steps could not rebuild: refused when stored. */
export class UnstorableClassError extends SteplabError {
  constructor(
    readonly className: string,
    /** Where in the value the instance sits (`.items[2]`), "" for the value itself. */
    readonly path: string,
    convention: boolean,
  ) {
    const where = path === "" ? "" : ` (at ${path})`;
    super(
      "ARTIFACT_CLASS",
      convention
        ? `it holds an instance of class ${className}${where}, which has toJSON() and load() but is not imported by the flow's own files, ` +
            `so later steps cannot find it: import ${className} in the flow file or call registerArtifactClass(${className})`
        : `it holds an instance of class ${className}${where}, which later steps could not rebuild: ` +
            `define ${className} in the flow's own files, call registerArtifactClass(${className}) at the top of the flow file, ` +
            `or give it toJSON() and a static load(json)`,
    );
  }
}

/** Reading an instance of a class this context does not know. */
export class UnknownArtifactClassError extends SteplabError {
  constructor(
    readonly className: string,
    subject: string,
  ) {
    super(
      "ARTIFACT_CLASS_UNKNOWN",
      `${subject} holds an instance of class ${className}, which is not known here: ` +
        `import ${className} and call registerArtifactClass(${className}) before reading it ` +
        `(a flow's steps know the classes its own files define)`,
    );
  }
}
