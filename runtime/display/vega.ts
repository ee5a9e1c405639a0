/**
 * Vega-Lite specs rendered to SVG on the host, synchronously, so a chart's picture is part of the
 * same display call (no output can overtake it, and a cell's reply never precedes its chart).
 * vega and vega-lite load on the first chart only.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { SteplabError } from "../../errors/index.js";

/** vega, with what its typings leave out. */
type Vega = typeof import("vega") & { resetSVGDefIds(): void };
type VegaLite = typeof import("vega-lite");

const require = createRequire(import.meta.url);
let libs: { vega: Vega; vl: VegaLite } | undefined;

function load(): { vega: Vega; vl: VegaLite } {
  libs ??= { vega: require("vega") as Vega, vl: require("vega-lite") as VegaLite };
  return libs;
}

/** The Vega-Lite major version the MIME type names (JupyterLab renders it with the same major). */
export const VEGALITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGALITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** vega-scenegraph's headless SVG renderer (vega's typings leave it out). */
interface SvgStringRenderer {
  initialize(el: null, width: number, height: number, origin: [number, number], scaleFactor: number): SvgStringRenderer;
  background(color: unknown): SvgStringRenderer;
  render(scene: unknown): SvgStringRenderer;
  svg(): string;
}
type SvgStringRendererClass = new (loader: unknown) => SvgStringRenderer;

/** A chart that cannot be drawn as given: the message says what to change. */
export class ChartSpecError extends SteplabError {
  constructor(message: string) {
    super("CHART_SPEC", message);
  }
}

function loadsData(spec: { data?: { url?: unknown }[] }): boolean {
  return (spec.data ?? []).some((d) => d.url !== undefined);
}

/**
 * The chart as an SVG document, or undefined when it cannot be drawn here (its data comes from a
 * URL, which only the front end can load).
 */
export function vegaLiteSvg(spec: object): string | undefined {
  const { vega, vl } = load();
  let compiled: ReturnType<VegaLite["compile"]>["spec"];
  try {
    // A copy: vega marks the data objects it ingests, and the caller sends the spec on as JSON.
    compiled = vl.compile(structuredClone(spec) as Parameters<VegaLite["compile"]>[0]).spec;
  } catch (err) {
    throw new ChartSpecError(`display.vegaLite: not a valid Vega-Lite spec: ${(err as Error).message}`);
  }
  if (loadsData(compiled as { data?: { url?: unknown }[] })) return undefined;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  // With inline data the dataflow evaluates synchronously.
  view.run();
  // What view.toSVG() does (vega-view's render-headless and render-size), minus its awaits, which
  // only wait for images to load; tests compare the two.
  const internal = view as unknown as { _viewWidth: number; _viewHeight: number; _origin: [number, number] };
  const pad = view.padding() as { left: number; right: number; top: number; bottom: number };
  const width = Math.max(0, internal._viewWidth + pad.left + pad.right);
  const height = Math.max(0, internal._viewHeight + pad.top + pad.bottom);
  const origin: [number, number] = [pad.left + internal._origin[0], pad.top + internal._origin[1]];
  vega.resetSVGDefIds();
  const renderer = new (vega as unknown as { SVGStringRenderer: SvgStringRendererClass }).SVGStringRenderer(view.loader());
  renderer.initialize(null, width, height, origin, 1).background(view.background());
  renderer.render((view.scenegraph() as unknown as { root: unknown }).root);
  const svg = renderer.svg();
  view.finalize();
  return ownIds(svg);
}

/**
 * Vega numbers an SVG's clip paths and gradients from 1 in each process (clip1, gradient_0…):
 * charts of two processes shown in one page (a notebook, a card) would share ids and clip each
 * other. Prefixed with the picture's own hash, the ids are unique and the same for the same chart.
 */
function ownIds(svg: string): string {
  const prefix = `v${createHash("sha256").update(svg).digest("hex").slice(0, 8)}`;
  return svg.replace(/(id="|url\(#)((?:p_)?(?:clip|gradient_)\d+)/g, `$1${prefix}-$2`);
}

/** The asynchronous, public way (for tests that check vegaLiteSvg against it). */
export async function vegaLiteSvgAsync(spec: object): Promise<string> {
  const { vega, vl } = load();
  const view = new vega.View(vega.parse(vl.compile(structuredClone(spec) as Parameters<VegaLite["compile"]>[0]).spec), {
    renderer: "none",
  });
  await view.runAsync();
  vega.resetSVGDefIds();
  const svg = await view.toSVG();
  view.finalize();
  return ownIds(svg);
}
