// The pictures of docs/agent-guide.md, docs/supervisor-guide.md and docs/integrator-guide.md,
// taken from the real demo in headless Chromium: the widget on the demo bank page
// /demo/widget (closed, the pre-chat form, waiting in the queue, chatting, the survey, a
// phone) and the agent workbench /workbench/ (sign-in, two chats side by side with an
// internal note, the transfer dialog, zh-CN; then masked numbers with one revealed, the
// compliance prompt, the canned replies manager, the "/" combobox, the customer panel; and
// demo-supervisor's Supervisor tab with a waiting chat, the agents and a chat near its SLA,
// which test_screenshots.py makes come soon with a short near-SLA percentage). Two verified
// customers (SCREENSHOT_CUSTOMER_TOKENS, signed by test_screenshots.py) reach demo-agent;
// the bank page gets their token as data-customer-token, the way a bank's server renders
// it (docs/integrator-guide.md).
//
// Deterministic (three runs in a row give the same bytes): fixed viewports,
// deviceScaleFactor 1, reduced motion, animations off, the caret hidden, the same texts in
// the same order, every state waited for (nothing typing, nothing pending, read marks
// settled), the message times (the server's clock) shown as 10:30, 10:31, ..., the other
// times and the conversation ids the server decides pinned too (pinClocks), and a
// Chromium of its own with one raster thread (the one runCheck launches stays idle). Every
// PNG goes to SCREENSHOT_DIR/screenshots/; with UPDATE_DOC_SCREENSHOTS=1 also to
// docs/images/ (the committed copies).
//
//   DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… DEMO_SUPERVISOR_PASSWORD=… \
//   SCREENSHOT_CUSTOMER_TOKENS='{"li-na":…,"wang-wei":…}' NEAR_SLA_SECONDS=… \
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
  wangMobile: "If you need to call me, my mobile is 13812345678.",
  wangCard: "It is the card 6222 0212 3456 7890 128.",
  askSecrets: "To raise it I need your card PIN and the SMS verification code.",
  cannedShortcut: "limit",
  cannedTitle: "Daily card limit",
  cannedBody: "The daily limit for card payments is 50,000 yuan. You can change it in the app under Cards > Limits.",
  liAgain: "Hello again: has the replacement card been sent?",
};

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const passwords = {
  "demo-agent": process.env.DEMO_AGENT_PASSWORD,
  "demo-wealth": process.env.DEMO_WEALTH_PASSWORD,
  "demo-supervisor": process.env.DEMO_SUPERVISOR_PASSWORD,
};
const tokens = JSON.parse(process.env.SCREENSHOT_CUSTOMER_TOKENS || "{}");
// When an unanswered chat is listed near its SLA (routing.first_response_seconds times
// routing.near_sla_percent, as the server runs): the supervisor picture waits that long.
const nearSlaSeconds = Number(process.env.NEAR_SLA_SECONDS);
if (!base || Object.values(passwords).some((p) => !p) || !tokens["li-na"] || !tokens["wang-wei"] || !(nearSlaSeconds > 0)) {
  console.error(
    "usage: DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… DEMO_SUPERVISOR_PASSWORD=… SCREENSHOT_CUSTOMER_TOKENS=… NEAR_SLA_SECONDS=n node screenshots.mjs BASE_URL [SCREENSHOT_DIR]",
  );
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

// Pin what the server's clock decides (message times; the customer panel's dates; the
// supervisor view's times and conversation ids, see pinClocks) and wait for fonts and
// layout. Setting an element's textContent replaces the text node Vue updates, so a later
// re-render (the supervisor view ticks every second) leaves the pinned text alone.
async function steady(page) {
  await page.evaluate(async () => {
    const pin = (nodes, format) => [...nodes].forEach((node, i) => (node.textContent = format(30 + i)));
    pin(document.querySelectorAll(".message .when"), (m) => `10:${m}:00 AM`);
    pin(document.querySelectorAll("[data-test=customer-history] .facts strong"), (m) => `11/20/2026, 9:${m + 10}:00 AM`);
    const view = document.querySelector("[data-test=supervisor]");
    if (view) {
      const asOf = view.querySelector("[data-test=as-of]");
      if (asOf) asOf.textContent = asOf.textContent.replace(/\d{1,2}:\d{2}:\d{2}\s*[AP]M/, "10:41:00 AM");
      const clocks = { "near-sla": "09:41", waiting: "01:15", queues: "01:15", agents: "00:00" };
      for (const time of view.querySelectorAll("time")) {
        const table = time.closest("table")?.dataset.test;
        time.textContent = time.textContent.replace(/(\d{2}:)?\d{2}:\d{2}/, clocks[table] || "00:00");
      }
      const ids = new Map();
      for (const code of view.querySelectorAll("code")) {
        if (!ids.has(code.title)) ids.set(code.title, ["5c1e2a7b", "9d04f3e6", "a27b6c90"][ids.size] || "00000000");
        code.textContent = ids.get(code.title);
      }
    }
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
  await bank.click(".ew-survey button[type=submit]");
  await bank.locator(".ew-thanks").waitFor({ state: "visible" });

  await newFeatures(desk, { wang, phone, bank });
  await supervisorView(browser, wealth);

  observer.assertClean("hostname", new URL(base).hostname);
  return { ok: true, shots, written_to: outDirs, elapsed_ms: Date.now() - started };
}

// The pictures of the agent guide's newer sections, on demo-agent's desk.
async function newFeatures(desk, { wang, phone, bank }) {
  const clipOf = async (locator) => {
    const box = await locator.boundingBox();
    return { x: Math.floor(box.x), y: Math.floor(box.y), width: Math.ceil(box.width), height: Math.ceil(box.height) };
  };

  // Masked numbers: Wang Wei gives a mobile and a card number; demo-agent reveals the card.
  await visitorSays(phone, TEXTS.wangMobile);
  await visitorSays(phone, TEXTS.wangCard);
  const mobile = wang.locator("li.message").filter({ hasText: "my mobile is 138****5678" });
  await mobile.waitFor();
  const masked = wang.locator("li.message").filter({ hasText: "6222 **** **** ***0 128" });
  const card = wang.locator(`li.message[data-seq="${await masked.getAttribute("data-seq")}"]`); // its text changes
  await card.locator(T("reveal")).click();
  await card.locator(T("revealed")).waitFor();
  check((await card.locator(".text").textContent()) === TEXTS.wangCard, "Reveal did not show the card number");
  check((await mobile.locator(T("reveal")).count()) === 1, "the masked mobile number has no Reveal button");
  await wang.locator(T("text")).click();
  await wang.locator(T("unread")).waitFor({ state: "detached" });
  await settledWidget(phone, ["read", "read", "read", "read"]);
  await settledDesk(desk);
  await desk.evaluate(() => document.activeElement?.blur());
  await shoot("workbench-pii", desk, { clip: await clipOf(wang) });

  // The compliance prompt: a reply asking for the PIN and the SMS code is held.
  await wang.locator(T("text")).fill(TEXTS.askSecrets);
  await wang.locator(T("text")).press("Enter");
  const prompt = desk.locator(T("compliance-dialog"));
  await prompt.waitFor({ state: "visible" });
  await prompt.locator(T("compliance-rule")).nth(1).waitFor();
  await shoot("workbench-compliance", desk);
  await desk.keyboard.press("Escape"); // Edit: nothing was sent
  await prompt.waitFor({ state: "detached" });
  check((await wang.locator(T("text")).inputValue()) === TEXTS.askSecrets, "Edit did not give the reply back");
  await wang.locator(T("text")).fill("");

  // The canned replies manager, from the sidebar: demo-agent adds a personal reply.
  await desk.click(T("canned-manage-desk"));
  const manager = desk.locator(T("canned-dialog"));
  await manager.locator(`${T("canned-shared")} li`).nth(2).waitFor();
  await manager.locator(T("canned-shortcut")).fill(TEXTS.cannedShortcut);
  await manager.locator(T("canned-title-field")).fill(TEXTS.cannedTitle);
  await manager.locator(T("canned-body")).fill(TEXTS.cannedBody);
  await manager.locator(T("canned-language")).selectOption("en");
  await manager.locator(T("canned-save")).click();
  await manager.locator(`${T("canned-personal")} li[data-shortcut="${TEXTS.cannedShortcut}"]`).waitFor();
  await manager.locator(T("canned-status")).filter({ hasText: `/${TEXTS.cannedShortcut}` }).waitFor();
  await manager.evaluate((dialog) => (dialog.scrollTop = 0));
  await desk.evaluate(() => document.activeElement?.blur());
  await shoot("workbench-canned-replies", desk);
  await desk.keyboard.press("Escape");
  await manager.waitFor({ state: "detached" });

  // "/" in the reply field: the list of canned replies, personal first.
  await wang.locator(T("text")).fill("/");
  const options = wang.locator(T("canned-option"));
  await options.nth(3).waitFor();
  check((await options.first().getAttribute("data-shortcut")) === TEXTS.cannedShortcut, "the personal reply is not offered first");
  await shoot("workbench-canned-combobox", desk, { clip: await clipOf(wang) });
  await wang.locator(T("text")).press("Escape");
  await wang.locator(T("text")).fill("");
  await wang.locator(T("canned-listbox")).waitFor({ state: "hidden" });

  // Li Na comes back with a new chat; her closed one leaves the desk; the customer panel of
  // the new one lists the earlier chat, numbers masked, with her rating.
  await chatOf(desk, "Li Na").locator(T("dismiss")).click();
  await chatOf(desk, "Li Na").waitFor({ state: "detached" });
  await bank.selectOption(".ew-prechat select", "cards");
  await bank.click(".ew-prechat button[type=submit]");
  await widgetStatus(bank, "Demo Agent");
  await visitorSays(bank, TEXTS.liAgain);
  const li = chatOf(desk, "Li Na");
  await li.locator("li.message").filter({ hasText: TEXTS.liAgain }).waitFor();
  await li.locator(T("customer-toggle")).click();
  await li.locator(T("customer-rating")).waitFor();
  await li.locator(T("unread")).waitFor({ state: "detached" }); // the click read the chat
  await settledDesk(desk);
  await desk.evaluate(() => document.activeElement?.blur());
  await desk.setViewportSize({ width: WIDE.width, height: 1000 }); // the column is taller with the panel
  await shoot("workbench-customer", desk, { clip: await clipOf(li) });
  await desk.setViewportSize(WIDE);
}

// demo-supervisor's Supervisor tab: demo-wealth steps away, so a visitor asking about wealth
// waits; demo-agent has not answered Li Na's new chat, which comes near its first-reply SLA.
async function supervisorView(browser, wealth) {
  await wealth.selectOption(T("status"), "away");
  await wealth.waitForFunction((sel) => document.querySelector(sel).value === "away", T("status"));
  const visitor = await observer.openPage(browser, "waiting-visitor", "/demo/widget", { ...CONTEXT, viewport: DESKTOP });
  await visitor.locator('.ew-launcher[data-state="connected"]').waitFor();
  await startChat(visitor, "wealth");
  await visitor.click(".ew-prechat button[type=submit]");
  await widgetStatus(visitor, "position 1");

  const boss = await workbench(browser, "demo-supervisor");
  await signIn(boss, "demo-supervisor", { online: false });
  await boss.click(T("tab-supervisor"));
  const view = boss.locator(T("supervisor"));
  await view.locator(`${T("waiting")} tr[data-conversation]`).waitFor();
  await view.locator(`${T("agents")} tr[data-agent-id]`).nth(1).waitFor();
  await view.locator(`${T("agents")} ${T("agent-status")}`).filter({ hasText: "away" }).waitFor();
  await view
    .locator(`${T("near-sla")} tr[data-state="near"][data-kind="first_response"]`)
    .waitFor({ timeout: nearSlaSeconds * 1000 + TIMEOUT_MS });
  await boss.evaluate(() => document.activeElement?.blur());
  await shoot("supervisor-view", boss);
}

await runCheck({ name: "screenshots", prefix: "screenshots-failure", run, pages, screenshotDir });
