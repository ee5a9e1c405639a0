/**
 * What a task displayed, in its card: each MIME bundle in its richest form a static page can
 * show (the preference nbconvert's HTML export has: HTML, then pictures, then text); a chart as
 * the SVG drawn when it was displayed.
 */
import { marked } from "marked";
import { isChartBundle, type ShownDisplay } from "../display/index.js";
import { escapeHtml } from "./html.js";

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join("");
  return undefined;
}

const IMAGES = ["image/png", "image/jpeg", "image/gif"];

export function displayHtml(shown: ShownDisplay): string {
  const data = shown.data;
  const svg = text(data["image/svg+xml"]);
  if (isChartBundle(data) && svg) return `<figure class="display chart">${svg}</figure>`;
  const html = text(data["text/html"]);
  if (html !== undefined) return `<div class="display html">${html}</div>`;
  if (svg !== undefined) return `<figure class="display svg">${svg}</figure>`;
  const image = IMAGES.find((m) => text(data[m]) !== undefined);
  if (image)
    return `<figure class="display image"><img alt="${image}" src="data:${image};base64,${text(data[image])!.replace(/\s+/g, "")}"></figure>`;
  const markdown = text(data["text/markdown"]);
  if (markdown !== undefined) return `<div class="display markdown">${marked.parse(markdown, { async: false })}</div>`;
  if (data["application/json"] !== undefined)
    return `<pre class="display json">${escapeHtml(JSON.stringify(data["application/json"], null, 2))}</pre>`;
  return `<pre class="display text">${escapeHtml(data["text/plain"])}</pre>`;
}
