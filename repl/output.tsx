/**
 * What scrolls up the terminal: echoed cells, streamed output, results, displays and errors.
 * Each item is rendered once, inside Ink's <Static>.
 */
import type React from "react";
import { Box, Text } from "ink";
import chalk from "chalk";
import { stripVTControlCharacters } from "node:util";
import type { CellError } from "../runtime/session/index.js";
import type { NotebookCell, OutputItem } from "./model/index.js";
import { highlight } from "./highlight.js";
import { bundleText } from "./mime.js";
import { continuationLabel, promptLabel } from "./editor.js";

export function errorLines(error: CellError): string[] {
  const head = `${error.ename}: ${error.evalue}`;
  const trace = error.traceback.flatMap((t) => t.split("\n"));
  // Jupyter-style tracebacks often end with the "ename: evalue" line already; print it once.
  const hasHead = trace.some((l) => stripVTControlCharacters(l).includes(head));
  return hasHead ? trace : [head, ...trace];
}

/** An opened notebook's code cells, numbered as `%run N` takes them, three lines each. */
function listingText(cells: readonly NotebookCell[], path: string | undefined): string {
  const head = `${path ? `Opened ${path}: ` : ""}${cells.length} code cell${cells.length === 1 ? "" : "s"} (nothing has run; %run N runs one, %runall runs them in order)`;
  const lines = [head];
  cells.forEach((c, i) => {
    const src = c.source.split("\n");
    const firstLines = src.slice(0, 3).map((l, j) => (j === 0 ? `[${i + 1}] ` : "    ") + l);
    if (src.length > 3) firstLines.push(chalk.dim(`    … ${src.length - 3} more lines`));
    lines.push(...firstLines);
  });
  return lines.join("\n");
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
    case "listing":
      return <Text>{listingText(item.cells, item.path)}</Text>;
    case "info": {
      const colour = item.tone === "error" ? "red" : item.tone === "warn" ? "yellow" : item.tone === "ok" ? "green" : undefined;
      return colour ? <Text color={colour}>{item.text}</Text> : <Text dimColor={item.tone === "dim"}>{item.text}</Text>;
    }
  }
}
