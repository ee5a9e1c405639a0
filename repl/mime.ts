/**
 * A MIME bundle as terminal text: tables for arrays of records, pretty JSON, markdown and HTML as
 * readable text, images as a placeholder naming their type and size.
 */
import chalk from "chalk";
import type { MimeBundle } from "../runtime/session/index.js";
import { formatTable, isRecordArray, rowsOfDataResource } from "./table.js";

export interface BundleOptions {
  /** display() output: prefer the richer representation over text/plain. */
  display?: boolean;
  width?: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>|<\/(p|div|tr|h\d|li)>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function asText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v.join("");
  return undefined;
}

export function prettyJson(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? String(v);
}

export function bundleText(bundle: MimeBundle, opts: BundleOptions = {}): string {
  const width = opts.width ?? 100;
  const resource = rowsOfDataResource(bundle["application/vnd.dataresource+json"]);
  if (resource) return formatTable(resource, { maxWidth: width }).join("\n");
  const json = bundle["application/json"];
  if (isRecordArray(json)) return formatTable(json, { maxWidth: width }).join("\n");
  const images = Object.keys(bundle)
    .filter((k) => k.startsWith("image/"))
    .map((k) => {
      const data = asText(bundle[k]) ?? "";
      const bytes = k === "image/svg+xml" ? data.length : Math.floor((data.length * 3) / 4);
      return chalk.dim(`[${k} image, ${formatBytes(bytes)}]`);
    });
  const plain = bundle["text/plain"];
  if (opts.display) {
    if (json !== undefined) return prettyJson(json);
    const md = asText(bundle["text/markdown"]);
    if (md !== undefined) return md;
    const html = asText(bundle["text/html"]);
    if (html !== undefined && !plain) return stripHtml(html);
    if (images.length && !plain) return images.join("\n");
  }
  if (plain) return images.length ? [plain, ...images].join("\n") : plain;
  if (json !== undefined) return prettyJson(json);
  const html = asText(bundle["text/html"]);
  if (html !== undefined) return stripHtml(html);
  return images.join("\n");
}
