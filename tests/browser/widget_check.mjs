// The embeddable visitor widget (docs/widget.md) in real headless Chromium, on the demo
// bank page /demo/widget at a 375x667 phone viewport: demo-agent signs in and goes
// online; the visitor opens the launcher, picks "cards", chats both ways; markup stays
// text; keyboard only (Tab, Enter, Escape) works; a reload brings the conversation back
// without duplicates; nothing overflows sideways; no request leaves the appliance.
//
//   DEMO_AGENT_PASSWORD=… node tests/browser/widget_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const TIMEOUT_MS = 15_000;
const XSS = 'markup test: <img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>';
const PHONE = { width: 375, height: 667 };

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const password = process.env.DEMO_AGENT_PASSWORD;
if (!base || !password) {
  console.error("usage: DEMO_AGENT_PASSWORD=… node widget_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);
const seen = { requests: [], dialogs: [], errors: [] };
const pages = new Map();

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function openPage(browser, name, path, options = {}) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(TIMEOUT_MS);
  context.on("request", (request) => seen.requests.push(request.url()));
  const page = await context.newPage();
  pages.set(name, page);
  page.on("websocket", (ws) => seen.requests.push(ws.url()));
  page.on("dialog", (dialog) => {
    seen.dialogs.push(`${name}: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("pageerror", (error) => seen.errors.push(`${name}: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") seen.errors.push(`${name}: console: ${message.text()}`);
  });
  await page.goto(new URL(path, base).href);
  return page;
}

async function signInAndGoOnline(browser) {
  const page = await openPage(browser, "demo-agent", "/demo/agent");
  await page.locator("#login").waitFor({ state: "visible" });
  await page.fill("#username", "demo-agent");
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
  await page.locator("#desk").waitFor({ state: "visible" });
  await page.waitForFunction(() => document.getElementById("who").textContent.trim() !== "");
  // Were the visitor to start first, the chat would wait in "cards" and be assigned
  // as soon as the status reaches the server: the widget waits for the agent's name.
  await page.selectOption("#agent-status", "online");
  return page;
}

// Playwright's CSS locators reach into the widget's open shadow root.
const W = {
  launcher: ".ew-launcher",
  panel: ".ew-panel",
  topic: ".ew-prechat select",
  start: ".ew-prechat button[type=submit]",
  status: ".ew-status",
  text: ".ew-compose input",
  messages: ".ew-messages",
};

async function received(page, list, text) {
  const node = page.locator(`${list} li:not(.pending):not(.ew-pending)`).filter({ hasText: text });
  await node.first().waitFor({ state: "visible" });
  return node.first().locator(list === "#messages" ? ".text" : ".ew-text").textContent();
}

function widgetState(page) {
  return page.evaluate(() => {
    const host = document.querySelector(".enclave-widget-host");
    const root = host && host.shadowRoot;
    const focused = root && root.activeElement;
    return {
      host: Boolean(root),
      focusedClass: focused ? focused.className : null,
      focusedField: Boolean(focused && focused.matches(".ew-compose input")),
      expanded: root && root.querySelector(".ew-launcher").getAttribute("aria-expanded"),
      panelHidden: root && root.querySelector(".ew-panel").hidden,
      scrollWidth: document.scrollingElement.scrollWidth,
      texts: root ? [...root.querySelectorAll(".ew-messages li .ew-text")].map((n) => n.textContent) : [],
      markup: root ? root.querySelectorAll(".ew-messages img, .ew-messages b, .ew-messages script").length : -1,
      xss: typeof window.__xss,
    };
  });
}

async function run(browser) {
  const started = Date.now();
  const agent = await signInAndGoOnline(browser);
  const visitor = await openPage(browser, "visitor", "/demo/widget", { viewport: PHONE });

  // Start a chat with the mouse: launcher, "cards", start.
  await visitor.click(W.launcher);
  check((await widgetState(visitor)).expanded === "true", "the launcher did not set aria-expanded");
  await visitor.selectOption(W.topic, "cards");
  await visitor.click(W.start);
  await visitor.waitForFunction(
    () => /Demo Agent/.test(document.querySelector(".enclave-widget-host").shadowRoot.querySelector(".ew-status").textContent),
  );
  let state = await widgetState(visitor);
  check(state.scrollWidth <= PHONE.width, `the page overflows sideways with the panel open: ${state.scrollWidth}px`);

  await visitor.fill(W.text, "I lost my card");
  await visitor.press(W.text, "Enter");
  await agent.locator("#conversations li.conversation").first().waitFor();
  check((await received(agent, "#messages", "I lost my card")) === "I lost my card", "the agent did not get the message");
  await agent.fill("#text", "I have blocked it for you");
  await agent.click("#send");
  await received(visitor, W.messages, "I have blocked it for you");

  // Markup from the agent reaches the visitor as text.
  await agent.fill("#text", XSS);
  await agent.click("#send");
  const shown = await received(visitor, W.messages, "markup test:");
  check(shown === XSS, `the widget changed the message text: ${JSON.stringify(shown)}`);
  state = await widgetState(visitor);
  check(state.xss === "undefined", "the message ran as script (window.__xss is set)");
  check(state.markup === 0, `the message was parsed as HTML (${state.markup} elements)`);

  // Escape closes the panel and gives focus back to the launcher.
  await visitor.press(W.text, "Escape");
  state = await widgetState(visitor);
  check(state.panelHidden && state.expanded === "false", "Escape did not close the panel");
  check(/ew-launcher/.test(state.focusedClass || ""), `focus went to ${state.focusedClass}, not the launcher`);

  // Reload: the conversation and its messages come back, each once.
  await visitor.reload();
  const expected = ["I lost my card", "I have blocked it for you", XSS];
  await visitor.waitForFunction(
    (texts) => {
      const root = document.querySelector(".enclave-widget-host")?.shadowRoot;
      const shown = root ? [...root.querySelectorAll(".ew-messages li:not(.ew-pending) .ew-text")].map((n) => n.textContent) : [];
      return texts.every((text) => shown.includes(text));
    },
    expected,
  );
  state = await widgetState(visitor);
  for (const text of expected) {
    const count = state.texts.filter((shownText) => shownText === text).length;
    check(count === 1, `after the reload ${JSON.stringify(text)} is shown ${count} times`);
  }

  // Keyboard only: Tab to the launcher, Enter opens, type + Enter sends, Escape closes.
  let tabs = 0;
  for (; tabs < 15; tabs++) {
    await visitor.keyboard.press("Tab");
    if (/ew-launcher/.test((await widgetState(visitor)).focusedClass || "")) break;
  }
  check(tabs < 15, "Tab never reached the launcher");
  await visitor.keyboard.press("Enter");
  state = await widgetState(visitor);
  check(!state.panelHidden, "Enter on the launcher did not open the panel");
  check(state.focusedField, `focus is on ${state.focusedClass}, not the message field`);
  await visitor.keyboard.type("typed with the keyboard");
  await visitor.keyboard.press("Enter");
  await received(agent, "#messages", "typed with the keyboard");
  await received(visitor, W.messages, "typed with the keyboard");
  state = await widgetState(visitor);
  check(state.scrollWidth <= PHONE.width, `the page overflows sideways: ${state.scrollWidth}px`);
  await visitor.keyboard.press("Escape");
  state = await widgetState(visitor);
  check(state.panelHidden, "Escape did not close the panel");
  check(/ew-launcher/.test(state.focusedClass || ""), `after Escape focus is on ${state.focusedClass}`);
  check(state.scrollWidth <= PHONE.width, `the page overflows sideways: ${state.scrollWidth}px`);

  check(seen.dialogs.length === 0, `dialogs opened: ${seen.dialogs.join("; ")}`);
  check(seen.errors.length === 0, `script errors: ${seen.errors.join("; ")}`);
  const foreign = seen.requests.filter((url) => {
    const parsed = new URL(url);
    return !["data:", "blob:", "about:"].includes(parsed.protocol) && parsed.hostname !== "127.0.0.1";
  });
  check(foreign.length === 0, `requests left 127.0.0.1: ${foreign.join(", ")}`);
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);

  return {
    ok: true,
    requests: seen.requests.length,
    hosts: [...new Set(seen.requests.map((url) => new URL(url).host))],
    elapsed_ms: Date.now() - started,
  };
}

async function screenshots() {
  mkdirSync(screenshotDir, { recursive: true });
  const files = [];
  for (const [name, page] of pages) {
    const file = join(screenshotDir, `widget-${name}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
      files.push(file);
    } catch (error) {
      console.error(`no screenshot of ${name}: ${error.message}`);
    }
  }
  return files;
}

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
  const files = browser ? await screenshots() : [];
  console.log(JSON.stringify({ ok: false, error: error.message, screenshots: files }));
  console.error(`widget_check: FAILED: ${error.stack || error.message}`);
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
