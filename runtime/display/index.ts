/** runtime/display: what steps and cells show, as MIME bundles; charts drawn on the host. */
export { valueBundle, displayBundle, tableBundle, isTable } from "./bundles.js";
export { chartBundle, chartSummary, isChartBundle } from "./chart-bundle.js";
export { chartSpec, type ChartOptions, type ChartMark } from "./chart-spec.js";
export { ChartSpecError, VEGALITE_MIME, vegaLiteSvg, vegaLiteSvgAsync } from "./vega.js";
export { TaskDisplays, displayLine } from "./task-displays.js";
export type { MimeBundle, DisplayOptions, ShownDisplay } from "./types.js";
