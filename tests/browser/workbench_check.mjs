// The agent workbench (/workbench/, a Vue app) in real headless Chromium: demo-agent and
// demo-wealth sign in on their own workbenches and go online; a visitor on /demo/visitor
// chooses "cards" and reaches demo-agent, whose workbench lists the chat with an unread
// count; messages go both ways; an internal note is shown as a note and never reaches the
// visitor; markup from the visitor stays text; the transfer dialog keeps focus inside and
// closes on Escape; demo-agent transfers the chat to demo-wealth's id with a note, and
// demo-wealth's workbench shows the chat, the note and the history; no request leaves
// 127.0.0.1.
//
//   DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… node tests/browser/workbench_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { Observer, check, runCheck, T, WIDE, signInToWorkbench } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const XSS = 'markup test: <img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>';
const NOTE = "internal note: card blocked, check last transactions";
const HANDOVER = "wants to move savings into a fund";

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const passwords = {
  "demo-agent": process.env.DEMO_AGENT_PASSWORD,
  "demo-wealth": process.env.DEMO_WEALTH_PASSWORD,
};
if (!base || !passwords["demo-agent"] || !passwords["demo-wealth"]) {
  console.error("usage: DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… node workbench_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

// A message of `chat` (a locator) with `text`, once delivered (not pending).
async function shownIn(chat, text) {
  const node = chat.locator("li.message:not(.pending)").filter({ hasText: text }).first();
  await node.waitFor({ state: "visible" });
  return node;
}

async function visitorReceived(visitor, text) {
  const node = visitor.locator("#messages li:not(.pending)").filter({ hasText: text }).first();
  await node.waitFor({ state: "visible" });
  return node.locator(".text").textContent();
}

async function run(browser) {
  const started = Date.now();
  const agent = await signInToWorkbench(observer, browser, "demo-agent", passwords["demo-agent"]);
  const wealth = await signInToWorkbench(observer, browser, "demo-wealth", passwords["demo-wealth"]);
  check(agent.id !== wealth.id, "both workbenches show the same agent id");

  // The visitor chooses "cards" and reaches demo-agent.
  const visitor = await observer.openPage(browser, "visitor", "/demo/visitor");
  await visitor.locator("#start").waitFor({ state: "visible" });
  await visitor.selectOption("#topic", "cards");
  await visitor.click("#start");
  await visitor.waitForFunction(() => /Demo Agent/.test(document.getElementById("status").textContent));
  await visitor.locator("#text:not([disabled])").waitFor();
  await visitor.fill("#text", "I lost my card");
  await visitor.press("#text", "Enter");

  const page = agent.page;
  const chat = page.locator("article.chat").first();
  await shownIn(chat, "I lost my card");
  const listed = page.locator(`${T("chat-list")} li`).first();
  await listed.locator(T("unread")).filter({ hasText: "1 unread" }).waitFor();
  const conversationId = await chat.getAttribute("data-conversation");

  // Reply with Enter; focusing the field marks the chat read.
  await chat.locator(T("text")).fill("I have blocked it for you");
  await chat.locator(T("text")).press("Enter");
  await visitorReceived(visitor, "I have blocked it for you");
  await listed.locator(T("unread")).waitFor({ state: "detached" });

  // An internal note: shown as a note, labelled; never reaches the visitor.
  await chat.locator(T("internal")).check();
  await chat.locator(T("text")).fill(NOTE);
  await chat.locator(T("text")).press("Enter");
  const note = await shownIn(chat, NOTE);
  check(/\bnote\b/.test(await note.getAttribute("class")), "the note is not styled as a note");
  check((await note.locator(".tag").textContent()).trim() === "Internal note", "the note is not labelled");
  await chat.locator(T("internal")).uncheck();
  await chat.locator(T("text")).fill("Anything else?");
  await chat.locator(T("text")).press("Enter");
  await visitorReceived(visitor, "Anything else?");
  const visitorTexts = await visitor.locator("#messages li .text").allTextContents();
  check(!visitorTexts.some((text) => text.includes(NOTE)), "the visitor saw the internal note");

  // Markup from the visitor stays text in the workbench.
  await visitor.fill("#text", XSS);
  await visitor.press("#text", "Enter");
  const shown = await (await shownIn(chat, "markup test:")).locator(".text").textContent();
  check(shown === XSS, `the workbench changed the text: ${JSON.stringify(shown)}`);
  const injected = await page.evaluate(() => ({
    xss: typeof window.__xss,
    markup: document.querySelectorAll("article.chat .messages img, article.chat .messages script, article.chat .messages b").length,
  }));
  check(injected.xss === "undefined", "the visitor's message ran as script");
  check(injected.markup === 0, `the visitor's message was parsed as HTML (${injected.markup} elements)`);

  // The transfer dialog: focus stays inside on Tab, Escape closes it and gives focus back.
  await chat.locator(T("transfer")).click();
  const dialog = page.locator(T("transfer-dialog"));
  await dialog.waitFor({ state: "visible" });
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press(i % 3 === 2 ? "Shift+Tab" : "Tab");
    const inside = await page.evaluate(() => Boolean(document.activeElement?.closest("dialog[open]")));
    check(inside, `Tab #${i + 1} moved focus out of the transfer dialog`);
  }
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  const back = await page.evaluate(() => document.activeElement?.dataset.test);
  check(back === "transfer", `after Escape focus is on ${back}, not the Transfer button`);

  // Transfer to demo-wealth by id, with a note, using the keyboard.
  await page.keyboard.press("Enter");
  await dialog.waitFor({ state: "visible" });
  await dialog.locator(T("to-agent")).check();
  await dialog.locator(T("agent-id")).fill(String(wealth.id));
  await dialog.locator(T("note")).fill(HANDOVER);
  await dialog.locator(T("agent-id")).press("Enter");
  await dialog.waitFor({ state: "detached" });
  await page.locator(`article.chat[data-conversation="${conversationId}"]`).waitFor({ state: "detached" });

  const received = wealth.page.locator(`article.chat[data-conversation="${conversationId}"]`);
  await received.waitFor();
  const banner = await received.locator(T("transfer-note")).textContent();
  check(banner.includes(HANDOVER) && banner.includes(`#${agent.id}`), `the transfer banner says ${JSON.stringify(banner)}`);
  const handover = await shownIn(received, HANDOVER);
  check(/\bnote\b/.test(await handover.getAttribute("class")), "the transfer note is not shown as a note");
  await shownIn(received, NOTE);
  const history = await (await shownIn(received, "markup test:")).locator(".text").textContent();
  check(history === XSS, "the history at demo-wealth changed the text");

  // demo-wealth answers; the visitor gets it and never the notes.
  await received.locator(T("text")).fill("Wealth services here, how can I help?");
  await received.locator(T("text")).press("Enter");
  await visitorReceived(visitor, "Wealth services here");
  const finalTexts = await visitor.locator("#messages li .text").allTextContents();
  check(!finalTexts.some((text) => text.includes(NOTE) || text.includes(HANDOVER)), "the visitor saw an internal note");

  // Two columns side by side on a wide screen: a second visitor reaches demo-wealth too.
  const second = await observer.openPage(browser, "visitor-2", "/demo/visitor");
  await second.locator("#start").waitFor({ state: "visible" });
  await second.selectOption("#topic", "wealth");
  await second.click("#start");
  await second.waitForFunction(() => /Demo Wealth/.test(document.getElementById("status").textContent));
  await wealth.page.locator("article.chat").nth(1).waitFor();
  const boxes = await wealth.page.locator("article.chat").evaluateAll((nodes) => nodes.map((n) => n.getBoundingClientRect().top));
  check(boxes.length === 2 && Math.abs(boxes[0] - boxes[1]) < 2, `the chats are not side by side: ${boxes}`);

  observer.assertClean("hostname", "127.0.0.1");
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);

  return {
    ok: true,
    transferred: { from: agent.id, to: wealth.id },
    requests: seen.requests.length,
    hosts: [...new Set(seen.requests.map((url) => new URL(url).host))],
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "workbench_check", prefix: "workbench", run, pages, screenshotDir });
