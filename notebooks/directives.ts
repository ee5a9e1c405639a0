/**
 * Cell directives: what a notebook cell says about itself, from its leading `//% ...` lines and
 * its Jupyter tags. Pure functions, shared by convert, the kernel and the REPL session.
 *
 *   //% step NAME [foreach X] [prev A B …] [OPTION=VALUE …]   tag step:NAME
 *        options are the step's, as @step({...}) takes them: isolation=process memoryMb=2048
 *        timeoutSeconds=60 retries=2 catch=NAME cache=false
 *   //% prev A [B …]                         tags prev:A prev:B, or prev:A,B
 *   //% foreach X                            tag foreach:X
 *   //% setup | //% parameters | //% skip    tags setup, parameters, skip
 *   %name args                               a magic (%dag %stale %rerun %runs %export %flow …)
 */
import { isStepOptionKey, STEP_OPTION_KEYS, stepOptionProblem, type StepOptions } from "../runtime/graph/index.js";
import { DirectiveError } from "./errors.js";

export type CellKind = "step" | "setup" | "parameters" | "skip" | "magic";

export interface CellDirectives {
  kind: CellKind;
  /** The step name given by `//% step NAME` or `step:NAME`; undefined means the default `cell_N`. */
  step?: string;
  /** Explicit parents; undefined means the step cell above. */
  prev?: string[];
  /** This step runs once per item of its parent's list artifact `foreach`. */
  foreach?: string;
  /** Step options written on the step line (`//% step NAME memoryMb=2048`), as `@step({...})` takes them. */
  options?: StepOptions;
  /** The leading `/** … *\/` comment of the body, as plain text (the step's docstring). */
  doc?: string;
  /** The cell without its directive lines (the doc comment, if any, is still in it). */
  body: string;
  /** `body` without the leading doc comment. */
  code: string;
  /** 1-based line of the cell where `body` starts, to map body lines back to cell lines. */
  bodyLine: number;
  /** Magic cells: `%flow MyFlow` -> { name: "flow", args: "MyFlow" }; `%%x` gives name "%x". */
  magic?: { name: string; args: string };
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

export const DIRECTIVE_HELP =
  "//% step NAME [isolation=process memoryMb=N timeoutSeconds=N retries=N catch=NAME], //% prev A [B ...], //% foreach X, //% setup, //% parameters, //% skip";

const DIRECTIVE_LINE = /^\s*\/\/%(.*)$/;
const MAGIC_LINE = /^\s*%(%?[A-Za-z_][\w-]*)(?:\s+(.*))?$/;

interface Collected {
  kinds: Set<"setup" | "parameters" | "skip">;
  step?: string;
  prev?: string[];
  foreach?: string;
  options?: Record<string, unknown>;
}

function ident(word: string | undefined, what: string, line?: number): string {
  if (word === undefined || !IDENT.test(word)) {
    const got = word === undefined ? "nothing" : `"${word}"`;
    throw new DirectiveError(`${what} needs a name that is a valid identifier, got ${got}`, line);
  }
  return word;
}

function setStep(c: Collected, name: string, line?: number): void {
  if (c.step !== undefined && c.step !== name) {
    throw new DirectiveError(`the cell is named twice ("${c.step}" and "${name}"): keep one step name`, line);
  }
  c.step = name;
}

function setForeach(c: Collected, name: string, line?: number): void {
  if (c.foreach !== undefined && c.foreach !== name) {
    throw new DirectiveError(`the cell has two foreach targets ("${c.foreach}" and "${name}"): a step iterates one list`, line);
  }
  c.foreach = name;
}

function addPrev(c: Collected, names: string[], line?: number): void {
  if (names.length === 0) throw new DirectiveError("//% prev needs at least one step name, e.g. //% prev start", line);
  const prev = (c.prev ??= []);
  for (const n of names) {
    const name = ident(n, "//% prev", line);
    if (!prev.includes(name)) prev.push(name);
  }
}

/** `memoryMb=2048` -> 2048, `cache=false` -> false, `isolation=process` -> "process". */
function optionValue(text: string): unknown {
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  return text;
}

function setOption(c: Collected, step: string, word: string, line: number): void {
  const eq = word.indexOf("=");
  const key = word.slice(0, eq);
  const text = word.slice(eq + 1);
  if (!isStepOptionKey(key)) {
    throw new DirectiveError(`//% step ${step} has an unknown option ${key}: the options are ${STEP_OPTION_KEYS.join(", ")}`, line);
  }
  const value = optionValue(text);
  const problem = stepOptionProblem(key, value);
  if (problem) {
    const eg = problem.example === undefined ? "" : `, e.g. ${key}=${problem.example}`;
    throw new DirectiveError(`${key} of //% step ${step} must ${problem.must}${eg} (got "${text}")`, line);
  }
  (c.options ??= {})[key] = value;
}

/** Reads one `//% ...` line (without the `//%`) into `c`. */
function readDirective(text: string, c: Collected, line: number): void {
  const words = text
    .trim()
    .split(/[\s,]+/)
    .filter((w) => w !== "");
  const [head, ...rest] = words;
  switch (head) {
    case "step": {
      setStep(c, ident(rest[0], "//% step", line), line);
      // `//% step NAME foreach X prev A B`: the step line may carry the other two directives.
      let i = 1;
      while (i < rest.length) {
        const kw = rest[i];
        if (kw === "foreach") {
          setForeach(c, ident(rest[i + 1], "foreach", line), line);
          i += 2;
        } else if (kw === "prev") {
          const names: string[] = [];
          i += 1;
          while (i < rest.length && rest[i] !== "foreach" && !rest[i]!.includes("=")) names.push(rest[i++]!);
          addPrev(c, names, line);
        } else if (kw?.includes("=")) {
          setOption(c, rest[0]!, kw, line);
          i += 1;
        } else {
          throw new DirectiveError(
            `unexpected "${kw}" after //% step ${rest[0]}: write //% step NAME [foreach X] [prev A B ...] [OPTION=VALUE ...]`,
            line,
          );
        }
      }
      return;
    }
    case "prev":
      addPrev(c, rest, line);
      return;
    case "foreach":
      if (rest.length !== 1) throw new DirectiveError("//% foreach takes one artifact name, e.g. //% foreach creatures", line);
      setForeach(c, ident(rest[0], "//% foreach", line), line);
      return;
    case "setup":
    case "parameters":
    case "skip":
      if (rest.length > 0) throw new DirectiveError(`//% ${head} takes no arguments (got "${rest.join(" ")}")`, line);
      c.kinds.add(head);
      return;
    default: {
      const shown = head === undefined ? "an empty //% line" : `unknown directive "//% ${head}"`;
      throw new DirectiveError(`${shown}: use one of ${DIRECTIVE_HELP}`, line);
    }
  }
}

/** Reads Jupyter tags; tags that are not steplab's (e.g. "hide-input") are ignored. */
function readTags(tags: readonly string[], c: Collected): void {
  for (const raw of tags) {
    const tag = raw.trim();
    const colon = tag.indexOf(":");
    const key = colon < 0 ? tag : tag.slice(0, colon);
    const value = colon < 0 ? "" : tag.slice(colon + 1).trim();
    if (colon < 0 && (key === "setup" || key === "parameters" || key === "skip")) c.kinds.add(key);
    else if (key === "step") setStep(c, ident(value || undefined, "tag step:NAME"));
    else if (key === "prev")
      addPrev(
        c,
        value.split(/[\s,]+/).filter((w) => w !== ""),
      );
    else if (key === "foreach") setForeach(c, ident(value || undefined, "tag foreach:X"));
  }
}

/** `/** a\n * b *\/` -> "a\nb": the comment's text without its stars and common indentation. */
export function docText(comment: string): string {
  const inner = comment.replace(/^\/\*\*/, "").replace(/\*\/$/, "");
  const lines = inner.split("\n").map((l, i) => (i === 0 ? l : l.replace(/^\s*\* ?/, "")).replace(/\s+$/, ""));
  while (lines.length > 0 && lines[0]!.trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join("\n");
}

/** Splits a leading doc comment from code: [doc text, code after it] or [undefined, code]. */
function splitDoc(body: string): [string | undefined, string] {
  const m = /^\s*(\/\*\*(?!\/)[\s\S]*?\*\/)[ \t]*\n?/.exec(body);
  if (!m) return [undefined, body];
  return [docText(m[1]!), body.slice(m[0].length)];
}

/**
 * What a cell declares: its kind, step name, parents, foreach target, docstring and code.
 * Throws DirectiveError (with the cell line) for an unknown or malformed directive.
 */
export function parseCell(source: string, tags: readonly string[] = []): CellDirectives {
  const lines = source.split("\n");
  let first = 0;
  while (first < lines.length && lines[first]!.trim() === "") first++;
  const magic = first < lines.length ? MAGIC_LINE.exec(lines[first]!) : null;
  if (magic) {
    const body = lines.slice(first + 1).join("\n");
    return { kind: "magic", magic: { name: magic[1]!, args: (magic[2] ?? "").trim() }, body, code: body, bodyLine: first + 2 };
  }

  const c: Collected = { kinds: new Set() };
  let end = 0; // index of the first line after the directive block
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = DIRECTIVE_LINE.exec(line);
    if (m) {
      readDirective(m[1]!, c, i + 1);
      end = i + 1;
    } else if (line.trim() !== "") break;
  }
  readTags(tags, c);

  const body = lines.slice(end).join("\n");
  const [doc, code] = splitDoc(body);
  const base = { body, code, bodyLine: end + 1, ...(doc !== undefined ? { doc } : {}) };

  const kinds = [...c.kinds];
  if (kinds.length > 1) throw new DirectiveError(`a cell is one of setup, parameters or skip, not ${kinds.join(" and ")}`);
  const only = kinds[0];
  if (only !== undefined) {
    const stepish = c.step !== undefined ? "step" : c.prev !== undefined ? "prev" : c.foreach !== undefined ? "foreach" : undefined;
    if (stepish !== undefined) {
      throw new DirectiveError(`a ${only} cell is not a step, so it cannot take "${stepish}": remove one of the two directives`);
    }
    return { kind: only, ...base };
  }
  return {
    kind: "step",
    ...(c.step !== undefined ? { step: c.step } : {}),
    ...(c.prev !== undefined ? { prev: c.prev } : {}),
    ...(c.foreach !== undefined ? { foreach: c.foreach } : {}),
    ...(c.options !== undefined ? { options: c.options as StepOptions } : {}),
    ...base,
  };
}

/** True when the cell names its place in the graph (a step name, parents or a foreach). */
export function declaresStep(d: CellDirectives): boolean {
  return d.kind === "step" && (d.step !== undefined || d.prev !== undefined || d.foreach !== undefined);
}

/**
 * The magic that makes cells without directives scratch (`%scratch on`) or steps again (`%scratch
 * off`): its new setting, or undefined when the cell is not that magic.
 */
export function scratchSetting(d: CellDirectives): boolean | undefined {
  if (d.kind !== "magic" || d.magic?.name !== "scratch") return undefined;
  const arg = d.magic.args.trim().toLowerCase();
  if (arg === "on" || arg === "") return true;
  if (arg === "off") return false;
  throw new DirectiveError(`%scratch takes on or off (got "${d.magic.args}")`);
}

/** What a cell is while `%scratch on` holds: a cell that declares no step is a skip cell. */
export function underScratch(d: CellDirectives, scratch: boolean): CellDirectives {
  return scratch && d.kind === "step" && !declaresStep(d) ? { ...d, kind: "skip" } : d;
}
