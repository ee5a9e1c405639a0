/**
 * A flow's DAG as an SVG picture: steps laid out top to bottom by dagre, each coloured by its
 * state (a notebook's fresh, stale, failed or reused steps; a run's succeeded, failed or running
 * ones), one step optionally marked (a card's own step).
 */
import dagre from "@dagrejs/dagre";
import { createHash } from "node:crypto";

export type StepState = "fresh" | "stale" | "failed" | "reused" | "running" | "succeeded" | "pending";

export interface DagNode {
  name: string;
  state?: StepState;
  /** A second line under the name: "3 tasks", "foreach ks", a state. */
  detail?: string;
  /** Shown on hover (the step's docstring). */
  tooltip?: string;
}

export interface DagEdge {
  from: string;
  to: string;
  /** The edge fans out over this artifact. */
  foreach?: string;
}

export interface Dag {
  nodes: DagNode[];
  edges: DagEdge[];
}

const FONT = 13;
const SMALL = 11;
const CHAR = 7.6; // px per character of the 13px sans-serif font, near enough for box widths
const PAD_X = 14;
const NODE_H = 28;
const NODE_H_DETAIL = 44;

const COLOURS: Record<StepState, { fill: string; stroke: string }> = {
  fresh: { fill: "#e3f4e4", stroke: "#2e7d32" },
  succeeded: { fill: "#e3f4e4", stroke: "#2e7d32" },
  reused: { fill: "#e4ecfb", stroke: "#3461c1" },
  stale: { fill: "#fff3d6", stroke: "#b7791f" },
  running: { fill: "#fffbe0", stroke: "#a38b00" },
  failed: { fill: "#fde4e4", stroke: "#c62828" },
  pending: { fill: "#f4f4f4", stroke: "#9e9e9e" },
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function pathOf(points: { x: number; y: number }[]): string {
  const [first, ...rest] = points;
  if (!first) return "";
  // Through the midpoints with quadratic curves: dagre's bends, smoothed.
  let d = `M${first.x.toFixed(1)},${first.y.toFixed(1)}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!;
    const q = rest[i + 1]!;
    d += ` Q${p.x.toFixed(1)},${p.y.toFixed(1)} ${((p.x + q.x) / 2).toFixed(1)},${((p.y + q.y) / 2).toFixed(1)}`;
  }
  const last = rest.at(-1);
  if (last) d += ` L${last.x.toFixed(1)},${last.y.toFixed(1)}`;
  return d;
}

export interface DagSvgOptions {
  /** The step to outline (a card's own step). */
  marked?: string;
  /** A caption above the picture. */
  title?: string;
}

export function dagSvg(dag: Dag, options: DagSvgOptions = {}): string {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 36, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(dag.nodes.map((n) => n.name));
  for (const node of dag.nodes) {
    const chars = Math.max(node.name.length, Math.ceil(((node.detail ?? "").length * SMALL) / FONT));
    g.setNode(node.name, { width: Math.max(72, chars * CHAR + 2 * PAD_X), height: node.detail ? NODE_H_DETAIL : NODE_H });
  }
  for (const edge of dag.edges) {
    if (names.has(edge.from) && names.has(edge.to))
      g.setEdge(edge.from, edge.to, edge.foreach ? { label: edge.foreach, width: 0, height: 0 } : {});
  }
  dagre.layout(g);
  const graph = g.graph();
  const top = options.title ? 22 : 0;
  const width = Math.ceil(graph.width ?? 0);
  const height = Math.ceil((graph.height ?? 0) + top);
  // Ids unique per picture: several DAGs may share one page (a notebook, a card).
  const id = `dag-${createHash("sha256").update(JSON.stringify(dag)).digest("hex").slice(0, 8)}`;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="steplab-dag" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img" aria-label="${escapeXml(options.title ?? "flow graph")}">`,
    `<defs><marker id="${id}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>`,
  ];
  if (options.title) out.push(`<text x="12" y="15" font-size="${FONT}" font-weight="600" fill="#333">${escapeXml(options.title)}</text>`);
  out.push(`<g transform="translate(0,${top})">`);
  for (const e of g.edges()) {
    const edge = dag.edges.find((d) => d.from === e.v && d.to === e.w);
    const points = g.edge(e).points ?? [];
    out.push(
      `<path class="edge" data-from="${escapeXml(e.v)}" data-to="${escapeXml(e.w)}" d="${pathOf(points)}" fill="none" stroke="#777" stroke-width="1.4"${edge?.foreach ? ' stroke-dasharray="5,3"' : ""} marker-end="url(#${id}-arrow)"/>`,
    );
    if (edge?.foreach) {
      const mid = points[Math.floor(points.length / 2)];
      if (mid)
        out.push(
          `<text x="${(mid.x + 6).toFixed(1)}" y="${(mid.y + 4).toFixed(1)}" font-size="${SMALL}" fill="#555" font-style="italic">foreach ${escapeXml(edge.foreach)}</text>`,
        );
    }
  }
  for (const node of dag.nodes) {
    const box = g.node(node.name);
    if (!box) continue;
    const { fill, stroke } = COLOURS[node.state ?? "pending"];
    const marked = node.name === options.marked;
    const x = box.x - box.width / 2;
    const y = box.y - box.height / 2;
    const state = node.state ? ` state-${node.state}` : "";
    out.push(`<g class="node${state}${marked ? " marked" : ""}" data-step="${escapeXml(node.name)}">`);
    if (node.tooltip) out.push(`<title>${escapeXml(node.tooltip)}</title>`);
    out.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" rx="7" fill="${fill}" stroke="${marked ? "#111" : stroke}" stroke-width="${marked ? 3 : 1.4}"${node.state === "pending" ? ' stroke-dasharray="4,3"' : ""}/>`,
    );
    const nameY = node.detail ? box.y - 3 : box.y + 4.5;
    out.push(
      `<text x="${box.x.toFixed(1)}" y="${nameY.toFixed(1)}" text-anchor="middle" font-size="${FONT}" font-weight="${marked ? 700 : 600}" fill="#222">${escapeXml(node.name)}</text>`,
    );
    if (node.detail)
      out.push(
        `<text x="${box.x.toFixed(1)}" y="${(box.y + 13).toFixed(1)}" text-anchor="middle" font-size="${SMALL}" fill="${stroke}">${escapeXml(node.detail)}</text>`,
      );
    out.push("</g>");
  }
  out.push("</g></svg>");
  return out.join("\n");
}
