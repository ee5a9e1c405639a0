/**
 * A real headless browser for tests of what users look at (cards, DAG pictures, charts, notebook
 * exports): Debian's chromium driven by playwright-core. Each page's console errors and uncaught
 * exceptions are collected.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
/** Tests skip without chromium only outside CI (CI installs it: .ci/run). */
export const browserMissing = !existsSync(CHROMIUM) && !process.env.CI;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

export interface LoadedPage {
  page: Page;
  /** Console errors and uncaught exceptions, in order. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1100, height: 900 }): Promise<LoadedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url, { waitUntil: "load" });
  return { page, errors };
}
