// What every browser check shares: launch Debian's Chromium, run the check, print one JSON
// result line, and on failure screenshot every open page into the CI log directory and exit 1.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

async function screenshots(pages, screenshotDir, prefix) {
  mkdirSync(screenshotDir, { recursive: true });
  const files = [];
  for (const [name, page] of pages) {
    const file = join(screenshotDir, `${prefix}-${name}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
      files.push(file);
    } catch (error) {
      console.error(`no screenshot of ${name}: ${error.message}`);
    }
  }
  return files;
}

// `run(browser)` returns the result object; `pages` (name -> page) is what to screenshot.
export async function runCheck({ name, prefix, run, pages, screenshotDir }) {
  let browser;
  let code = 0;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox"],
    });
    console.log(JSON.stringify(await run(browser)));
  } catch (error) {
    code = 1;
    const files = browser ? await screenshots(pages, screenshotDir, prefix) : [];
    console.log(JSON.stringify({ ok: false, error: error.message, screenshots: files }));
    console.error(`${name}: FAILED: ${error.stack || error.message}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
  process.exit(code);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Opens pages in fresh browser contexts and records what every page did that a check must
// judge: requests (WebSockets included), dialogs, script errors. `pages` (name -> page) is
// also what runCheck screenshots on failure.
export class Observer {
  constructor(base, timeoutMs) {
    this.base = base;
    this.timeoutMs = timeoutMs;
    this.seen = { requests: [], dialogs: [], errors: [] };
    this.pages = new Map();
  }

  // A new page named `name`, watched but not yet navigated.
  async newPage(browser, name, options = {}) {
    const { seen } = this;
    const context = await browser.newContext(options);
    context.setDefaultTimeout(this.timeoutMs);
    context.on("request", (request) => seen.requests.push(request.url()));
    const page = await context.newPage();
    this.pages.set(name, page);
    page.on("websocket", (ws) => seen.requests.push(ws.url()));
    page.on("dialog", (dialog) => {
      seen.dialogs.push(`${name}: ${dialog.type()} ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("pageerror", (error) => seen.errors.push(`${name}: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") seen.errors.push(`${name}: console: ${message.text()}`);
    });
    return page;
  }

  async openPage(browser, name, path, options = {}) {
    const page = await this.newPage(browser, name, options);
    await page.goto(new URL(path, this.base).href);
    return page;
  }

  // No dialog, no script error, and no request to anywhere but `allowed` (the server's
  // URL `part`: "host" with its port, or "hostname").
  assertClean(part, allowed) {
    const { seen } = this;
    check(seen.dialogs.length === 0, `dialogs opened: ${seen.dialogs.join("; ")}`);
    check(seen.errors.length === 0, `script errors: ${seen.errors.join("; ")}`);
    const foreign = seen.requests.filter((url) => {
      const parsed = new URL(url);
      return !["data:", "blob:", "about:"].includes(parsed.protocol) && parsed[part] !== allowed;
    });
    check(foreign.length === 0, `requests left ${allowed}: ${foreign.join(", ")}`);
  }
}

// The workbench's own test hooks, and its sign-in.
export const T = (name) => `[data-test="${name}"]`;
export const WIDE = { width: 1366, height: 900 };

// Open /workbench/ as `username`, sign in and go online; returns { page, id } once the
// desk shows the agent online with its load and id.
export async function signInToWorkbench(observer, browser, username, password) {
  const page = await observer.openPage(browser, username, "/workbench/", { viewport: WIDE });
  await page.locator(T("sign-in")).waitFor({ state: "visible" });
  await page.fill("#wb-username", username);
  await page.fill("#wb-password", password);
  await page.press("#wb-password", "Enter");
  await page.locator(T("connection")).filter({ hasText: "connected" }).waitFor();
  await page.locator(`${T("status")}:not([disabled])`).waitFor();
  await page.selectOption(T("status"), "online");
  await page.locator(T("load")).filter({ hasText: /of \d+ chats/ }).waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel).value === "online", T("status"));
  const id = Number(await page.locator(T("who")).getAttribute("data-agent-id"));
  check(Number.isInteger(id) && id > 0, `${username}'s workbench shows no agent id`);
  return { page, id };
}
