// Resuming after the server is killed mid-chat, in real headless Chromium: demo-agent on the
// workbench (/workbench/) and a visitor on the embeddable widget (/demo/widget, phone
// viewport) chat; then the test (tests/browser/test_restart.py) SIGKILLs gunicorn while both
// pages stay open. During the outage both show that they are reconnecting, and each side
// sends a message, which waits as pending. The test starts gunicorn again on the same port
// and data directory: both pages show "connected" again without a reload, each message
// typed during the outage is delivered once, messages flow both ways, and no message is
// shown twice on either side (nor after reloading the workbench, which rebuilds the chat
// from the server). No dialog, no script error, no request off 127.0.0.1; the only console
// errors allowed are the browser's own reports of refused connections while the server
// was down.
//
// The Python test steers this script over stdin/stdout (browser_support.run_steered_check):
// it prints {"phase": "kill-now"} and waits for "killed", later {"phase": "start-now"} and
// waits for "restarted".
//
//   DEMO_AGENT_PASSWORD=… node tests/browser/restart_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON result line last; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { createInterface } from "node:readline";
import { Observer, check, runCheck, T, WIDE, signInToWorkbench } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const RECONNECT_TIMEOUT_MS = 60_000; // Socket.IO backs off up to 5 s between attempts
const PHONE = { width: 375, height: 667 };
// What Chromium logs by itself for a request to a server that is not there.
const REFUSED = /net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE)\b/;

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const password = process.env.DEMO_AGENT_PASSWORD;
if (!base || !password) {
  console.error("usage: DEMO_AGENT_PASSWORD=… node restart_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const W = {
  launcher: ".ew-launcher",
  topic: ".ew-prechat select",
  start: ".ew-prechat button[type=submit]",
  status: ".ew-status",
  connection: ".ew-connection",
  text: ".ew-compose input",
  messages: ".ew-messages",
};

const BEFORE = ["I lost my card", "I have blocked it for you"];
const DOWN_VISITOR = "typed by the visitor while the server was down";
const DOWN_AGENT = "typed by the agent while the server was down";
const AFTER = ["back again, can you see me?", "Yes, all good after the restart"];
const ALL = [...BEFORE, DOWN_VISITOR, DOWN_AGENT, ...AFTER];

// Hand over to the Python test and wait for its answer.
async function handOver(phase, expected) {
  console.log(JSON.stringify({ phase }));
  const { value, done } = await stdin.next();
  check(!done && value.trim() === expected, `the test answered ${JSON.stringify(value)} to ${phase}`);
}

// Every message text each side shows, delivered or pending.
function workbenchTexts(page) {
  return page.evaluate(() => ({
    delivered: [...document.querySelectorAll("article.chat li.message:not(.pending) .text")].map((n) => n.textContent),
    pending: [...document.querySelectorAll("article.chat li.message.pending .text")].map((n) => n.textContent),
    seqs: [...document.querySelectorAll("article.chat li.message[data-seq]")].map((n) => n.dataset.seq),
  }));
}

function widgetTexts(page) {
  return page.evaluate(() => {
    const root = document.querySelector(".enclave-widget-host").shadowRoot;
    const texts = (selector) => [...root.querySelectorAll(selector)].map((n) => n.textContent);
    return {
      delivered: texts(".ew-messages li:not(.ew-pending) .ew-text"),
      pending: texts(".ew-messages li.ew-pending .ew-text"),
      seqs: [...root.querySelectorAll(".ew-messages li[data-seq]")].map((n) => n.dataset.seq),
      connection: root.querySelector(".ew-connection").dataset.state,
      connectionText: root.querySelector(".ew-connection").textContent,
    };
  });
}

async function delivered(locator, text) {
  await locator.filter({ hasText: text }).first().waitFor({ state: "visible" });
}

function once(side, shown, texts) {
  for (const text of texts) {
    const count = shown.delivered.filter((s) => s === text).length;
    check(count === 1, `${side} shows ${JSON.stringify(text)} ${count} times`);
  }
  check(shown.pending.length === 0, `${side} still has pending messages: ${JSON.stringify(shown.pending)}`);
  check(new Set(shown.seqs).size === shown.seqs.length, `${side} shows a seq twice: ${shown.seqs}`);
}

async function run(browser) {
  const started = Date.now();
  const agent = (await signInToWorkbench(observer, browser, "demo-agent", password)).page;
  const visitor = await observer.openPage(browser, "visitor", "/demo/widget", { viewport: PHONE });
  await visitor.click(W.launcher);
  await visitor.selectOption(W.topic, "cards");
  await visitor.click(W.start);
  await visitor.locator(W.status).filter({ hasText: "Demo Agent" }).waitFor();
  await visitor.locator(`${W.connection}[data-state="connected"]`).waitFor();

  const chat = agent.locator("article.chat").first();
  const agentMessages = chat.locator("li.message:not(.pending)");
  const visitorMessages = visitor.locator(`${W.messages} li:not(.ew-pending)`);
  await visitor.fill(W.text, BEFORE[0]);
  await visitor.press(W.text, "Enter");
  await delivered(agentMessages, BEFORE[0]);
  await chat.locator(T("text")).fill(BEFORE[1]);
  await chat.locator(T("text")).press("Enter");
  await delivered(visitorMessages, BEFORE[1]);

  // The server is killed: both pages say they are reconnecting.
  const errorsBefore = seen.errors.length;
  await handOver("kill-now", "killed");
  const outageStart = Date.now();
  await agent.locator(`${T("connection")}.reconnecting`).filter({ hasText: "reconnecting" }).waitFor();
  await visitor.locator(`${W.connection}[data-state="reconnecting"]`).filter({ hasText: "reconnecting" }).waitFor();
  await visitor.locator(`${W.launcher}[data-state="reconnecting"]`).waitFor({ state: "attached" });
  const duringOutage = {
    workbench: (await agent.locator(T("connection")).textContent()).trim(),
    widget: (await widgetTexts(visitor)).connectionText,
  };

  // Each side sends while the server is down: the message waits, shown as pending.
  await visitor.fill(W.text, DOWN_VISITOR);
  await visitor.press(W.text, "Enter");
  await visitor.locator(`${W.messages} li.ew-pending`).filter({ hasText: DOWN_VISITOR }).waitFor();
  await chat.locator(T("text")).fill(DOWN_AGENT);
  await chat.locator(T("text")).press("Enter");
  await chat.locator("li.message.pending").filter({ hasText: DOWN_AGENT }).waitFor();
  check(!(await agentMessages.filter({ hasText: DOWN_VISITOR }).count()), "the agent got a message while the server was down");
  check((await agent.locator(`${T("connection")}.connected`).count()) === 0, "the workbench says connected while the server is down");
  check((await widgetTexts(visitor)).connection === "reconnecting", "the widget stopped reconnecting during the outage");

  // The server is back on the same port and data: both resume without a reload.
  await handOver("start-now", "restarted");
  const restartedAt = Date.now();
  await agent.locator(`${T("connection")}.connected`).waitFor({ timeout: RECONNECT_TIMEOUT_MS });
  await visitor.locator(`${W.connection}[data-state="connected"]`).waitFor({ timeout: RECONNECT_TIMEOUT_MS });
  const resumedMs = Date.now() - restartedAt;
  await delivered(agentMessages, DOWN_VISITOR);
  await delivered(visitorMessages, DOWN_AGENT);
  await chat.locator("li.message.pending").waitFor({ state: "detached" });
  await visitor.locator(`${W.messages} li.ew-pending`).waitFor({ state: "detached" });
  // Refused connections during the outage are the browser's own console errors: expected.
  const outageErrors = seen.errors.splice(errorsBefore);
  const refused = outageErrors.filter((error) => REFUSED.test(error));
  seen.errors.push(...outageErrors.filter((error) => !REFUSED.test(error)));

  // Both ways after the restart.
  await visitor.fill(W.text, AFTER[0]);
  await visitor.press(W.text, "Enter");
  await delivered(agentMessages, AFTER[0]);
  await chat.locator(T("text")).fill(AFTER[1]);
  await chat.locator(T("text")).press("Enter");
  await delivered(visitorMessages, AFTER[1]);
  await visitor.locator(`${W.messages} li.ew-pending`).waitFor({ state: "detached" });
  await chat.locator("li.message.pending").waitFor({ state: "detached" });
  check((await agent.locator("article.chat").count()) === 1, "the workbench shows the chat twice");

  // Nothing twice, on either side, nor in the server's history (the workbench rebuilt).
  once("the workbench", await workbenchTexts(agent), ALL);
  once("the widget", await widgetTexts(visitor), ALL);
  await agent.reload();
  await agent.locator(T("connection")).filter({ hasText: "connected" }).waitFor();
  await delivered(agent.locator("article.chat").first().locator("li.message:not(.pending)"), AFTER[1]);
  const history = await workbenchTexts(agent);
  once("the workbench after a reload", history, ALL);
  // In order; the two sent during the outage in either order (whichever side resent first).
  const at = (text) => history.delivered.indexOf(text);
  const down = [at(DOWN_VISITOR), at(DOWN_AGENT)];
  check(
    at(BEFORE[0]) < at(BEFORE[1]) && at(BEFORE[1]) < Math.min(...down) && Math.max(...down) < at(AFTER[0]) && at(AFTER[0]) < at(AFTER[1]),
    `the history is out of order: ${JSON.stringify(history.delivered)}`,
  );

  observer.assertClean("hostname", "127.0.0.1");
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);
  return {
    ok: true,
    during_outage: duringOutage,
    outage_ms: restartedAt - outageStart,
    resumed_ms: resumedMs,
    refused_connection_errors: refused.length,
    requests: seen.requests.length,
    hosts: [...new Set(seen.requests.map((url) => new URL(url).host))],
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "restart_check", prefix: "restart", run, pages, screenshotDir });
