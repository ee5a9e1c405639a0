/**
 * `steplab convert NOTEBOOK.ipynb [-o FLOW.ts]` and `steplab convert FLOW.ts [-o NOTEBOOK.ipynb]`.
 * The dispatcher routes `convert ...` here with the arguments after `convert`. Everything is
 * computed before anything is written, so a failed conversion leaves no file behind.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { flowToNotebook, notebookToFlow, readNotebook, serializeNotebook } from "../notebooks/index.js";
import { ConvertError } from "../notebooks/index.js";
import { writeFileAtomic } from "../notebooks/index.js";
import { SteplabError } from "../errors/index.js";

export interface ConvertIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export const CONVERT_USAGE = `Usage:
  steplab convert NOTEBOOK.ipynb [-o FLOW.ts]    notebook -> flow file (cells become @step methods)
  steplab convert FLOW.ts [-o NOTEBOOK.ipynb]    flow file -> notebook (steps become cells)
The output defaults to the input's name with the other extension, next to the input.
`;

const FLOW_EXT = new Set([".ts", ".mts", ".tsx"]);

function usage(io: ConvertIo, message: string): number {
  io.stderr(`steplab convert: ${message}\n${CONVERT_USAGE}`);
  return 2;
}

export async function convertCommand(args: string[], io: ConvertIo): Promise<number> {
  let input: string | undefined;
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") {
      io.stdout(CONVERT_USAGE);
      return 0;
    }
    if (a === "-o" || a === "--output") {
      const v = args[++i];
      if (v === undefined || v === "") return usage(io, `${a} needs a file name`);
      output = v;
    } else if (a.startsWith("--output=")) output = a.slice("--output=".length);
    else if (a.startsWith("-") && a !== "-") return usage(io, `unknown option ${a}`);
    else if (input === undefined) input = a;
    else return usage(io, `one input file expected, got ${input} and ${a}`);
  }
  if (input === undefined) return usage(io, "no input file given");

  const ext = extname(input).toLowerCase();
  const toFlow = ext === ".ipynb";
  if (!toFlow && !FLOW_EXT.has(ext)) return usage(io, `${input}: expected a .ipynb notebook or a .ts flow file`);
  const target = output ?? join(dirname(input), basename(input, extname(input)) + (toFlow ? ".ts" : ".ipynb"));
  if (resolve(target) === resolve(input)) return usage(io, `the output ${target} is the input file`);
  if (existsSync(target) && statSync(target).isDirectory()) return usage(io, `the output ${target} is a directory`);

  let text: string;
  let summary: string;
  try {
    if (toFlow) {
      const nb = readNotebook(input);
      text = notebookToFlow(nb, { file: input });
      const name = /export class (\w+)/.exec(text)?.[1] ?? "flow";
      const steps = (text.match(/^ {2}@step\b/gm) ?? []).length;
      summary = `flow ${name}, ${steps} steps`;
    } else {
      let source: string;
      try {
        source = readFileSync(input, "utf8");
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new SteplabError("NOT_FOUND", `cannot read flow file ${input}: ${code === "ENOENT" ? "no such file" : (code ?? String(e))}`);
      }
      const nb = flowToNotebook(source, input);
      text = serializeNotebook(nb);
      summary = `${nb.cells.length} cells`;
    }
  } catch (e) {
    if (e instanceof ConvertError) {
      for (const p of e.problems) io.stderr(`${input}: ${p.message}\n`);
    } else if (e instanceof SteplabError) {
      const where = "line" in e && typeof e.line === "number" ? `:${e.line}` : "";
      const named = e.message.startsWith(basename(input)) || e.message.startsWith("cannot read");
      io.stderr(`${named ? "" : `${input}${where}: `}${e.message.split("\n")[0]}\n`);
    } else {
      io.stderr(`${input}: convert failed: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}\n`);
    }
    return 1;
  }
  try {
    writeFileAtomic(target, text);
  } catch (e) {
    io.stderr(`cannot write ${target}: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`);
    return 1;
  }
  io.stdout(`Wrote ${target} (${summary}).\n`);
  return 0;
}
