/** A card's styles, scoped to `.steplab-card` so that a card shown in a notebook styles nothing else. */
export const CARD_CSS = `
.steplab-card { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 1100px; margin: 0 auto; padding: 16px 20px; }
.steplab-card h1 { font-size: 20px; margin: 0 0 4px; }
.steplab-card h2 { font-size: 15px; margin: 22px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #e2e2e2; }
.steplab-card .muted { color: #888; font-weight: normal; }
.steplab-card .facts { margin: 0; color: #555; }
.steplab-card .status { display: inline-block; padding: 0 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.steplab-card .status-succeeded { background: #e3f4e4; color: #2e7d32; }
.steplab-card .status-failed { background: #fde4e4; color: #c62828; }
.steplab-card .status-running { background: #fffbe0; color: #8a7500; }
.steplab-card .error pre { background: #fff5f5; border-left: 3px solid #c62828; }
.steplab-card pre { background: #f7f7f9; padding: 8px 10px; overflow-x: auto; font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; margin: 4px 0; white-space: pre-wrap; }
.steplab-card code { font: 12.5px ui-monospace, Menlo, Consolas, monospace; background: #f3f3f5; padding: 1px 4px; border-radius: 3px; }
.steplab-card .dag { overflow-x: auto; }
.steplab-card .display { margin: 10px 0; }
.steplab-card figure { margin: 10px 0; }
.steplab-card figure img, .steplab-card figure svg { max-width: 100%; height: auto; }
.steplab-card .artifact { margin: 10px 0 14px; }
.steplab-card .artifact-head { margin-bottom: 3px; }
.steplab-card .artifact-head .name { font-weight: 600; font-family: ui-monospace, Menlo, Consolas, monospace; }
.steplab-card .artifact-head .type { color: #3461c1; font-size: 12px; }
.steplab-card .artifact-head .size { color: #888; font-size: 12px; }
.steplab-card .summary { color: #444; }
.steplab-card table { border-collapse: collapse; font-size: 13px; margin: 4px 0; }
.steplab-card th, .steplab-card td { border: 1px solid #e2e2e2; padding: 3px 8px; text-align: left; }
.steplab-card th { background: #f5f5f7; }
.steplab-card td.num { text-align: right; font-variant-numeric: tabular-nums; }
.steplab-card .more { color: #888; margin: 2px 0; font-size: 12px; }
.steplab-card details.log { margin: 6px 0; }
.steplab-card details.log summary { cursor: pointer; font-weight: 600; }
.steplab-card details.stderr pre { background: #fff8f6; }
`;
