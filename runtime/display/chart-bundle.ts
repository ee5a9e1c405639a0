/**
 * A chart's MIME bundle: the Vega-Lite spec (JupyterLab draws it, interactive), an SVG drawn here
 * (nbconvert's HTML, GitHub's preview and steplab's cards show it) and a one-line summary (the
 * terminal, logs).
 */
import type { MimeBundle } from "./types.js";
import { ChartSpecError, VEGALITE_MIME, VEGALITE_SCHEMA, vegaLiteSvg } from "./vega.js";

type Spec = Record<string, any>;

/** The spec as JSON (dates become ISO strings), with the schema JupyterLab expects. */
function jsonSpec(spec: unknown): Spec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec))
    throw new ChartSpecError(
      "display.vegaLite takes a Vega-Lite spec object, e.g. { data: { values: rows }, mark: 'line', encoding: { ... } }",
    );
  const json = JSON.parse(JSON.stringify(spec, (_k, v) => (typeof v === "bigint" ? Number(v) : v))) as Spec;
  json.$schema ??= VEGALITE_SCHEMA;
  return json;
}

function markOf(spec: Spec): string {
  const mark = typeof spec.mark === "string" ? spec.mark : spec.mark?.type;
  if (typeof mark === "string") return mark === "point" || mark === "circle" ? "scatter" : mark;
  if (spec.layer) return "layered";
  if (spec.hconcat || spec.vconcat || spec.concat) return "composite";
  if (spec.facet || spec.repeat) return "faceted";
  return "vega-lite";
}

function fieldOf(channel: unknown): string | undefined {
  return typeof channel === "object" && channel !== null && typeof (channel as Spec).field === "string"
    ? (channel as Spec).field
    : undefined;
}

/** "accuracy: line chart of accuracy by k, 5 rows" */
export function chartSummary(spec: Spec): string {
  const title = typeof spec.title === "string" ? spec.title : typeof spec.title?.text === "string" ? spec.title.text : undefined;
  const folded = spec.transform?.find((t: Spec) => Array.isArray(t.fold))?.fold as string[] | undefined;
  const x = fieldOf(spec.encoding?.x);
  const y = folded ? folded.join(", ") : fieldOf(spec.encoding?.y);
  const rows = Array.isArray(spec.data?.values) ? spec.data.values.length : undefined;
  const what = `${markOf(spec)} chart${x && y ? ` of ${y} by ${x}` : ""}${rows !== undefined ? `, ${rows} row${rows === 1 ? "" : "s"}` : ""}`;
  return title ? `${title}: ${what}` : what;
}

/**
 * The picture as a Markdown image too. Front ends pick the richest type they can show: JupyterLab
 * draws the Vega-Lite spec (it ranks it above Markdown and SVG); nbconvert's HTML export takes
 * Markdown before SVG, and the nbconvert Debian ships (6.5) strips the insides of inline SVG
 * outputs, but not of an image.
 */
function markdownImage(svg: string, alt: string): string {
  return `![${alt.replace(/[[\]]/g, "")}](data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")})`;
}

export function chartBundle(spec: unknown): MimeBundle {
  const json = jsonSpec(spec);
  const svg = vegaLiteSvg(json);
  const summary = chartSummary(json);
  if (svg === undefined)
    return { "text/plain": `${summary} (its data is loaded from a URL: no picture until a front end draws it)`, [VEGALITE_MIME]: json };
  return { "text/plain": summary, [VEGALITE_MIME]: json, "image/svg+xml": svg, "text/markdown": markdownImage(svg, summary) };
}

export function isChartBundle(bundle: MimeBundle): boolean {
  return bundle[VEGALITE_MIME] !== undefined;
}
