/**
 * `display.chart(rows, { x, y, mark })`: the common line, bar and scatter charts of an array of
 * rows, as a Vega-Lite spec (field types read from the values), so users need not learn Vega-Lite
 * for a first look.
 */
import { ChartSpecError, VEGALITE_SCHEMA } from "./vega.js";

export type ChartMark = "line" | "bar" | "scatter" | "point" | "area";

export interface ChartOptions {
  x: string;
  /** One column, or several drawn as series (coloured by column name). */
  y: string | string[];
  mark?: ChartMark;
  /** A column whose values split the rows into coloured series. */
  color?: string;
  title?: string;
  width?: number;
  height?: number;
}

const MARKS: ChartMark[] = ["line", "bar", "scatter", "point", "area"];
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function isRow(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON-ready cell values: dates as ISO strings, bigints as numbers. */
function plainValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return Number(value);
  return value;
}

type FieldType = "quantitative" | "temporal" | "nominal" | "ordinal";

function fieldType(rows: Record<string, unknown>[], field: string): FieldType {
  const values = rows.map((r) => r[field]).filter((v) => v !== undefined && v !== null);
  if (values.length === 0) return "nominal";
  if (values.every((v) => typeof v === "number" || typeof v === "bigint")) return "quantitative";
  if (values.every((v) => v instanceof Date || (typeof v === "string" && ISO_DATE.test(v)))) return "temporal";
  return "nominal";
}

export function chartSpec(rows: unknown, options: ChartOptions): Record<string, unknown> {
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every(isRow))
    throw new ChartSpecError("display.chart takes a non-empty array of rows ({ column: value } objects) and { x, y, mark }");
  if (!options || typeof options.x !== "string" || (typeof options.y !== "string" && !Array.isArray(options.y)))
    throw new ChartSpecError('display.chart needs the columns to draw: display.chart(rows, { x: "k", y: "accuracy", mark: "line" })');
  const mark = options.mark ?? "line";
  if (!MARKS.includes(mark)) throw new ChartSpecError(`display.chart: mark '${mark}' is not one of ${MARKS.join(", ")}`);
  const ys = typeof options.y === "string" ? [options.y] : options.y;
  const columns = new Set(rows.flatMap((r) => Object.keys(r)));
  for (const field of [options.x, ...ys, ...(options.color ? [options.color] : [])]) {
    if (!columns.has(field))
      throw new ChartSpecError(`display.chart: no column '${field}' in the rows (columns: ${[...columns].join(", ")})`);
  }
  const values = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plainValue(v)])));
  let xType = fieldType(rows, options.x);
  // Bars stand for categories unless the x values are dates.
  if (mark === "bar" && xType === "quantitative") xType = "ordinal";
  const series = ys.length > 1 ? { field: "series", type: "nominal", title: null } : undefined;
  const yField = ys.length > 1 ? "value" : ys[0]!;
  const encoding: Record<string, unknown> = {
    x: { field: options.x, type: xType },
    y: { field: yField, type: ys.length > 1 ? "quantitative" : fieldType(rows, yField), ...(ys.length > 1 ? { title: null } : {}) },
  };
  const color = options.color
    ? { field: options.color, type: fieldType(rows, options.color) === "quantitative" ? "quantitative" : "nominal" }
    : series;
  if (color) encoding.color = color;
  const markType = mark === "scatter" ? "point" : mark;
  return {
    $schema: VEGALITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 400,
    height: options.height ?? 250,
    data: { values },
    ...(ys.length > 1 ? { transform: [{ fold: ys, as: ["series", "value"] }] } : {}),
    mark: { type: markType, tooltip: true, ...(markType === "line" ? { point: true } : {}) },
    encoding,
  };
}
