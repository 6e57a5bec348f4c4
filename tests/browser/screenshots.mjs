// The pictures of docs/agent-guide.md and docs/integrator-guide.md, taken from the real demo
// in headless Chromium: the widget on the demo bank page /demo/widget (closed, the pre-chat
// form, waiting in the queue, chatting, the survey, a phone) and the agent workbench
// /workbench/ (sign-in, two chats side by side with an internal note, the transfer dialog,
// zh-CN). Two verified customers (SCREENSHOT_CUSTOMER_TOKENS, signed by
// test_screenshots.py) reach demo-agent; the bank page gets their token as
// data-customer-token, the way a bank's server renders it (docs/integrator-guide.md).
//
// Deterministic (three runs in a row give the same bytes): fixed viewports,
// deviceScaleFactor 1, reduced motion, animations off, the caret hidden, the same texts in
// the same order, every state waited for (nothing typing, nothing pending, read marks
// settled), the message times (the server's clock) shown as 10:30, 10:31, ..., and a
// Chromium of its own with one raster thread (the one runCheck launches stays idle). Every
// PNG goes to SCREENSHOT_DIR/screenshots/; with UPDATE_DOC_SCREENSHOTS=1 also to
// docs/images/ (the committed copies).
//
//   DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… SCREENSHOT_CUSTOMER_TOKENS='{"li-na":…,"wang-wei":…}' \
//     node tests/browser/screenshots.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line listing the pictures; on failure exits 1 after screenshots of every page.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Observer, check, runCheck } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const DOCS_IMAGES = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const DESKTOP = { width: 1024, height: 700 };
const PHONE = { width: 390, height: 844 };
const WIDE = { width: 1366, height: 860 };
const SIGN_IN = { width: 1024, height: 340 };
const CONTEXT = { deviceScaleFactor: 1, reducedMotion: "reduce", colorScheme: "light", locale: "en-US", timezoneId: "Asia/Shanghai" };

const TEXTS = {
  wangQuestion: "Is there a daily limit on card payments?",
  liQuestion: "I lost my card this morning. Can you block it?",
  wangAnswer: "Yes: 50,000 yuan a day by default. You can change it in the app.",
  wangAgain: "Could you raise it to 80,000 for today?",
  liAnswer: "I am sorry to hear that. I have blocked the card ending 4321 for you.",
  liThanks: "Thank you! Can I get a new one?",
  note: "Card blocked. Send the replacement to the address on file, not the one she gave.",
  liReplacement: "Yes, a replacement card will reach you within 5 working days.",
  handover: "Asks for a one-day limit raise to 80,000; verified by card PIN.",
  comment: "Quick and friendly, thank you.",
};

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const passwords = { "demo-agent": process.env.DEMO_AGENT_PASSWORD, "demo-wealth": process.env.DEMO_WEALTH_PASSWORD };
const tokens = JSON.parse(process.env.SCREENSHOT_CUSTOMER_TOKENS || "{}");
if (!base || !passwords["demo-agent"] || !passwords["demo-wealth"] || !tokens["li-na"] || !tokens["wang-wei"]) {
  console.error("usage: DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… SCREENSHOT_CUSTOMER_TOKENS=… node screenshots.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const outDirs = [join(screenshotDir, "screenshots")];
if (process.env.UPDATE_DOC_SCREENSHOTS === "1") outDirs.push(DOCS_IMAGES);
for (const dir of outDirs) mkdirSync(dir, { recursive: true });

const observer = new Observer(base, TIMEOUT_MS);
const { pages } = observer;
const shots = [];
const T = (name) => `[data-test="${name}"]`;

// --- taking a picture ---------------------------------------------------------------------

// Pin what the server's clock decides (message times) and wait for fonts and layout.
async function steady(page) {
  await page.evaluate(async () => {
    const pin = (nodes, format) => [...nodes].forEach((node, i) => (node.textContent = format(30 + i)));
    pin(document.querySelectorAll(".message .when"), (m) => `10:${m}:00 AM`);
    const root = document.querySelector(".enclave-widget-host")?.shadowRoot;
    if (root) pin(root.querySelectorAll(".ew-message:not(.ew-pending) .ew-when"), (m) => `10:${m} AM`);
    await document.fonts.ready;
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  });
}

// The widget's frame (launcher + panel) with a margin for its shadow, inside the viewport.
async function widgetClip(page, margin = 16) {
  const box = await page.evaluate(() => {
    const r = document.querySelector(".enclave-widget-host").shadowRoot.querySelector(".ew").getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  });
  const view = page.viewportSize();
  const x = Math.max(0, Math.floor(box.x - margin));
  const y = Math.max(0, Math.floor(box.y - margin));
  return { x, y, width: Math.min(view.width, Math.ceil(box.x + box.width + margin)) - x, height: Math.min(view.height, Math.ceil(box.y + box.height + margin)) - y };
}

async function shoot(name, page, { clip } = {}) {
  await steady(page);
  const png = await page.screenshot({ clip, animations: "disabled", caret: "hide", scale: "css" });
  for (const dir of outDirs) writeFileSync(join(dir, `${name}.png`), png);
  const size = clip || page.viewportSize();
  shots.push({ name, width: Math.round(size.width), height: Math.round(size.height), bytes: png.length });
}

// --- the parties -------------------------------------------------------------------------

async function workbench(browser, username, viewport = WIDE) {
  const page = await observer.openPage(browser, username, "/workbench/", { ...CONTEXT, viewport });
  await page.locator(T("sign-in")).waitFor({ state: "visible" });
  return page;
}

async function signIn(page, username, { online = true } = {}) {
  await page.fill("#wb-username", username);
  await page.fill("#wb-password", passwords[username]);
  await page.press("#wb-password", "Enter");
  await page.locator(T("connection")).filter({ hasText: "connected" }).waitFor();
  await page.locator(`${T("status")}:not([disabled])`).waitFor();
  if (online) await goOnline(page);
}

async function goOnline(page) {
  await page.selectOption(T("status"), "online");
  await page.waitForFunction((sel) => document.querySelector(sel).value === "online", T("status"));
}

// The demo bank page as a bank's server renders it for a signed-in customer: the same
// page, with the customer's token in the script tag. (Set while the page is parsed, before
// the deferred widget runs; a page served by route.fulfill would count as a public page
// and Chromium's local-network checks would block its WebSocket to 127.0.0.1.)
async function bankPage(browser, name, customer, viewport) {
  const page = await observer.newPage(browser, name, { ...CONTEXT, viewport });
  await page.addInitScript((token) => {
    new MutationObserver((changes, watcher) => {
      const tag = document.querySelector('script[src*="enclave-widget"]');
      if (!tag) return;
      tag.dataset.customerToken = token;
      watcher.disconnect();
    }).observe(document, { childList: true, subtree: true });
  }, tokens[customer]);
  await page.goto(new URL("/demo/widget", base).href);
  await page.locator('.ew-launcher[data-state="connected"]').waitFor();
  return page;
}

// The pre-chat form's question is left empty here: the shots send the first message from
// the chat's own box, as a customer who skipped the question would.
async function startChat(page, topic) {
  await page.click(".ew-launcher");
  await page.selectOption(".ew-prechat select", topic);
}

async function visitorSays(page, text) {
  await page.fill(".ew-compose input", text);
  await page.press(".ew-compose input", "Enter");
  await page.locator(".ew-messages li:not(.ew-pending)").filter({ hasText: text }).waitFor();
}

async function widgetStatus(page, pattern) {
  await page.locator(".ew-status").filter({ hasText: pattern }).waitFor();
}

function chatOf(page, name) {
  return page.locator("article.chat").filter({ has: page.locator(".chat-head h2", { hasText: name }) });
}

async function agentSays(chat, text, { note = false } = {}) {
  const internal = chat.locator(T("internal"));
  if (note) await internal.check();
  await chat.locator(T("text")).fill(text);
  await chat.locator(T("text")).press("Enter");
  await chat.locator("li.message:not(.pending)").filter({ hasText: text }).waitFor();
  if (note) await internal.uncheck();
}

// Nobody typing, nothing pending, and the visitor's widget showing `states` (delivered /
// read) for their own messages, in order.
async function settledWidget(page, states) {
  await page.waitForFunction((expected) => {
    const root = document.querySelector(".enclave-widget-host").shadowRoot;
    const mine = [...root.querySelectorAll(".ew-message.ew-mine")].map((n) => n.querySelector(".ew-state").textContent);
    return !root.querySelector(".ew-pending") && !root.querySelector(".ew-typing").textContent && mine.join("|") === expected.join("|");
  }, states);
}

async function settledDesk(page) {
  await page.waitForFunction(() => {
    const mine = [...document.querySelectorAll("article.chat li.message.mine:not(.note) .state")];
    const typing = [...document.querySelectorAll("article.chat .typing")].some((n) => n.textContent.trim());
    return !document.querySelector("li.message.pending") && !typing && mine.every((n) => n.textContent.includes("read"));
  });
}

// --- the story ---------------------------------------------------------------------------

// Chromium rasterizes on several threads, and anti-aliased rounded corners then differ by a
// shade from run to run; one raster thread and a fixed colour profile make the pixels repeat.
const STEADY_ARGS = ["--no-sandbox", "--num-raster-threads=1", "--force-color-profile=srgb", "--disable-lcd-text", "--disable-gpu", "--disable-partial-raster"];

async function run() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: STEADY_ARGS });
  // Left open on a failure, so that runCheck can screenshot the pages; exiting ends it.
  const result = await story(browser);
  await browser.close();
  return result;
}

async function story(browser) {
  const started = Date.now();

  // Sign-in, then demo-agent stays offline so the customers queue up.
  const desk = await workbench(browser, "demo-agent", SIGN_IN);
  await shoot("workbench-sign-in", desk);
  await desk.setViewportSize(WIDE);
  await signIn(desk, "demo-agent", { online: false });
  const wealth = await workbench(browser, "demo-wealth");
  await signIn(wealth, "demo-wealth");
  const wealthId = await wealth.locator(T("who")).getAttribute("data-agent-id");

  // Wang Wei on a phone is first in the queue for cards; Li Na on a desktop is second.
  const phone = await bankPage(browser, "wang-wei", "wang-wei", PHONE);
  await startChat(phone, "cards");
  await phone.click(".ew-prechat button[type=submit]");
  await widgetStatus(phone, "position 1");
  await visitorSays(phone, TEXTS.wangQuestion);

  const bank = await bankPage(browser, "li-na", "li-na", DESKTOP);
  await shoot("widget-launcher", bank);
  await startChat(bank, "cards");
  await bank.evaluate(() => document.querySelector(".enclave-widget-host").shadowRoot.activeElement?.blur());
  await shoot("widget-prechat", bank, { clip: await widgetClip(bank) });
  await bank.click(".ew-prechat button[type=submit]");
  await widgetStatus(bank, "position 2");
  await visitorSays(bank, TEXTS.liQuestion);
  await settledWidget(bank, ["delivered"]);
  await shoot("widget-queued", bank, { clip: await widgetClip(bank) });

  // demo-agent goes online and gets both chats.
  await goOnline(desk);
  const wang = chatOf(desk, "Wang Wei");
  const li = chatOf(desk, "Li Na");
  await wang.waitFor();
  await li.waitFor();
  await widgetStatus(phone, "Demo Agent");
  await widgetStatus(bank, "Demo Agent");

  await agentSays(wang, TEXTS.wangAnswer);
  await phone.locator(".ew-messages li").filter({ hasText: TEXTS.wangAnswer }).waitFor();
  await settledWidget(phone, ["read"]); // demo-agent's one mark_read has gone out
  await visitorSays(phone, TEXTS.wangAgain);
  await agentSays(li, TEXTS.liAnswer);
  await visitorSays(bank, TEXTS.liThanks);
  await agentSays(li, TEXTS.note, { note: true });
  await agentSays(li, TEXTS.liReplacement);
  await bank.locator(".ew-messages li").filter({ hasText: TEXTS.liReplacement }).waitFor();
  await li.locator(T("text")).click();
  await li.locator(T("unread")).waitFor({ state: "detached" });
  await wang.locator(T("unread")).filter({ hasText: "1 unread" }).waitFor();
  await settledDesk(desk);
  await settledWidget(bank, ["read", "read"]);
  await settledWidget(phone, ["read", "delivered"]);
  const visitorTexts = await bank.locator(".ew-messages li .ew-text").allTextContents();
  check(!visitorTexts.some((text) => text.includes(TEXTS.note)), "the visitor was shown the internal note");

  await desk.evaluate(() => document.activeElement?.blur());
  await shoot("workbench-desk", desk);
  await bank.evaluate(() => document.querySelector(".enclave-widget-host").shadowRoot.activeElement?.blur());
  await shoot("widget-chat", bank, { clip: await widgetClip(bank) });
  await phone.evaluate(() => document.querySelector(".enclave-widget-host").shadowRoot.activeElement?.blur());
  await shoot("widget-phone", phone);

  // The transfer dialog, filled in for demo-wealth, then cancelled.
  await wang.locator(T("transfer")).click();
  const dialog = desk.locator(T("transfer-dialog"));
  await dialog.waitFor({ state: "visible" });
  await wang.locator(T("unread")).waitFor({ state: "detached" }); // a click in a column reads it
  await settledWidget(phone, ["read", "read"]);
  await dialog.locator(T("to-agent")).check();
  await dialog.locator(T("agent-id")).fill(wealthId);
  await dialog.locator(T("note")).fill(TEXTS.handover);
  await dialog.locator(T("note")).blur();
  await shoot("workbench-transfer", desk);
  await desk.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });

  // The same desk in Simplified Chinese (the chat text itself is never translated).
  await desk.selectOption(T("language"), "zh-CN");
  await desk.locator(T("connection")).filter({ hasText: "已连接" }).waitFor();
  await desk.evaluate(() => document.activeElement?.blur());
  await shoot("workbench-zh-CN", desk);
  await desk.selectOption(T("language"), "en");
  await desk.locator(T("connection")).filter({ hasText: "connected" }).waitFor();

  // demo-agent closes Li Na's chat; she picks 4 and writes a comment.
  await li.locator(T("close")).click();
  await li.locator(T("closed")).waitFor();
  await bank.locator(".ew-survey").waitFor({ state: "visible" });
  await bank.click('.ew-score[data-score="4"]');
  await bank.fill(".ew-survey textarea", TEXTS.comment);
  await bank.evaluate(() => document.querySelector(".enclave-widget-host").shadowRoot.activeElement?.blur());
  await bank.locator(".ew-messages").evaluate((list) => (list.scrollTop = list.scrollHeight));
  await shoot("widget-survey", bank, { clip: await widgetClip(bank) });

  observer.assertClean("hostname", new URL(base).hostname);
  return { ok: true, shots, written_to: outDirs, elapsed_ms: Date.now() - started };
}

await runCheck({ name: "screenshots", prefix: "screenshots-failure", run, pages, screenshotDir });
