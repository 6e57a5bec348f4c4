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
