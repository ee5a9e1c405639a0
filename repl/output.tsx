/**
 * What scrolls up the terminal: echoed cells, streamed output, results, displays and errors.
 * Each item is rendered once, inside Ink's <Static>.
 */
import type React from "react";
import { Box, Text } from "ink";
import chalk from "chalk";
import type { CellError, MimeBundle } from "../runtime/session/index.js";
import { highlight } from "./highlight.js";
import { bundleText } from "./mime.js";
import { continuationLabel, promptLabel } from "./editor.js";

export type OutputItem = { id: number } & (
  | { kind: "input"; count: number; code: string; note?: string }
  | { kind: "stream"; name: "stdout" | "stderr"; text: string }
  | { kind: "result"; count: number; data: MimeBundle }
  | { kind: "display"; data: MimeBundle }
  | { kind: "error"; error: CellError }
  | { kind: "info"; text: string; tone?: "dim" | "warn" | "error" | "ok" }
);

export type NewOutputItem = OutputItem extends infer T ? (T extends { id: number } ? Omit<T, "id"> : never) : never;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

export function errorLines(error: CellError): string[] {
  const head = `${error.ename}: ${error.evalue}`;
  const trace = error.traceback.flatMap((t) => t.split("\n"));
  // Jupyter-style tracebacks often end with the "ename: evalue" line already; print it once.
  const hasHead = trace.some((l) => l.replace(ANSI, "").includes(head));
  return hasHead ? trace : [head, ...trace];
}

function labelled(label: string, text: string): string {
  return text.includes("\n") ? `${label}\n${text}` : `${label}${text}`;
}

export function OutputView({ item, width }: { item: OutputItem; width: number }): React.JSX.Element {
  switch (item.kind) {
    case "input": {
      const lines = highlight(item.code).split("\n");
      const text = lines
        .map((l, i) => (i === 0 ? chalk.green(promptLabel(item.count)) : chalk.dim(continuationLabel(item.count))) + l)
        .join("\n");
      return (
        <Box flexDirection="column" marginTop={1}>
          {item.note ? <Text dimColor>{item.note}</Text> : null}
          <Text>{text}</Text>
        </Box>
      );
    }
    case "stream": {
      const text = item.text.endsWith("\n") ? item.text.slice(0, -1) : item.text;
      return item.name === "stderr" ? <Text color="red">{text}</Text> : <Text>{text}</Text>;
    }
    case "result":
      return <Text>{labelled(chalk.red(`Out[${item.count}]: `), bundleText(item.data, { width }))}</Text>;
    case "display":
      return <Text>{bundleText(item.data, { display: true, width })}</Text>;
    case "error":
      return <Text color="red">{errorLines(item.error).join("\n")}</Text>;
    case "info": {
      const colour = item.tone === "error" ? "red" : item.tone === "warn" ? "yellow" : item.tone === "ok" ? "green" : undefined;
      return colour ? <Text color={colour}>{item.text}</Text> : <Text dimColor={item.tone === "dim"}>{item.text}</Text>;
    }
  }
}
