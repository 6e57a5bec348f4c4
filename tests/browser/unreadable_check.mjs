// An unreadable message (its stored body fails authentication, docs/protocol.md "Unreadable
// messages") in real headless Chromium: a visitor on the embeddable widget (/demo/widget,
// English) and demo-agent on the workbench chat, three messages; then the test
// (tests/browser/test_unreadable.py) copies seq 1's ciphertext over seq 2 in the instance
// database. After a reload both pages show every message in order, seq 2 as a system line
// "This message could not be read" in its place — never empty, never seq 1's text twice —
// and the others intact. No dialog, no script error, no request off 127.0.0.1.
//
// The Python test steers this script over stdin/stdout (browser_support.run_steered_check):
// it prints {"phase": "tamper-now"} and waits for "tampered".
//
//   DEMO_AGENT_PASSWORD=… node tests/browser/unreadable_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON result line last; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { createInterface } from "node:readline";
import { Observer, check, runCheck, T, signInToWorkbench } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const PHONE = { width: 375, height: 667 };
const PLACEHOLDER = "This message could not be read";
const SAID = ["My card was kept by the ATM", "It was the machine at the branch", "I have blocked it for you"];

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const password = process.env.DEMO_AGENT_PASSWORD;
if (!base || !password) {
  console.error("usage: DEMO_AGENT_PASSWORD=… node unreadable_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;
const stdin = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

async function handOver(phase, expected) {
  console.log(JSON.stringify({ phase }));
  const { value, done } = await stdin.next();
  check(!done && value.trim() === expected, `the test answered ${JSON.stringify(value)} to ${phase}`);
}

// What each side shows, delivered messages in order: seq, text, and whether it is the
// unreadable system line.
function workbenchShown(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("article.chat li.message[data-seq]")].map((n) => ({
      seq: Number(n.dataset.seq),
      text: n.querySelector(".text").textContent.trim(),
      unreadable: n.classList.contains("unreadable"),
      italic: getComputedStyle(n).fontStyle === "italic",
    })),
  );
}

function widgetShown(page) {
  return page.evaluate(() => {
    const root = document.querySelector(".enclave-widget-host").shadowRoot;
    return [...root.querySelectorAll(".ew-messages li[data-seq]")].map((n) => ({
      seq: Number(n.dataset.seq),
      text: n.querySelector(".ew-text").textContent.trim(),
      unreadable: n.classList.contains("ew-unreadable") && n.classList.contains("ew-system"),
      italic: getComputedStyle(n).fontStyle === "italic",
    }));
  });
}

function inPlace(side, shown) {
  const expected = [
    { seq: 1, text: SAID[0], unreadable: false },
    { seq: 2, text: PLACEHOLDER, unreadable: true, italic: true },
    { seq: 3, text: SAID[2], unreadable: false },
  ];
  const got = shown.map(({ seq, text, unreadable, italic }) => (unreadable ? { seq, text, unreadable, italic } : { seq, text, unreadable }));
  check(JSON.stringify(got) === JSON.stringify(expected), `${side} shows ${JSON.stringify(shown)}`);
}

async function run(browser) {
  const agent = (await signInToWorkbench(observer, browser, "demo-agent", password)).page;
  const visitor = await observer.openPage(browser, "visitor", "/demo/widget", { viewport: PHONE });
  await visitor.click(".ew-launcher");
  await visitor.selectOption(".ew-prechat select", "cards");
  await visitor.click(".ew-prechat button[type=submit]");
  await visitor.locator(".ew-status").filter({ hasText: "Demo Agent" }).waitFor();

  const chat = agent.locator("article.chat").first();
  for (const text of SAID.slice(0, 2)) {
    await visitor.fill(".ew-compose input", text);
    await visitor.press(".ew-compose input", "Enter");
    await chat.locator("li.message:not(.pending)").filter({ hasText: text }).waitFor();
  }
  await chat.locator(T("text")).fill(SAID[2]);
  await chat.locator(T("text")).press("Enter");
  await visitor.locator(".ew-messages li:not(.ew-pending)").filter({ hasText: SAID[2] }).waitFor();
  await visitor.locator(".ew-messages li.ew-pending").waitFor({ state: "detached" });

  await handOver("tamper-now", "tampered");

  // Both pages rebuild the chat from the server (sync) after a reload.
  await agent.reload();
  await agent.locator(T("connection")).filter({ hasText: "connected" }).waitFor();
  await agent.locator("article.chat li.message.unreadable").filter({ hasText: PLACEHOLDER }).waitFor();
  await agent.locator("article.chat li.message").filter({ hasText: SAID[2] }).waitFor();
  inPlace("the workbench", await workbenchShown(agent));

  await visitor.reload();
  await visitor.locator(".ew-messages li.ew-unreadable").filter({ hasText: PLACEHOLDER }).waitFor({ state: "attached" });
  await visitor.locator(".ew-messages li").filter({ hasText: SAID[2] }).waitFor({ state: "attached" });
  inPlace("the widget", await widgetShown(visitor));

  observer.assertClean("hostname", "127.0.0.1");
  return { ok: true, requests: seen.requests.length };
}

await runCheck({ name: "unreadable_check", prefix: "unreadable", run, pages, screenshotDir });
