// The widget's configurable pre-chat form (docs/widget.md, "The pre-chat form") in real
// headless Chromium against a gunicorn configured (test_prechat_form.py) with
//   visitor.prechat_topics = "loans,wealth,missing-queue"  (missing-queue is no queue)
//   visitor.prechat_other_topic = false, visitor.prechat_question = "required".
// On /demo/widget (English): exactly Loans and Wealth are offered, in that order, no
// "something else"; by keyboard only, Start with an empty question is refused with an
// announced error (role=alert, aria-invalid, aria-describedby, focus on the question) and
// no start_conversation leaves the browser; with a question the chat starts in the chosen
// queue. On a bank's page of another origin whose tag narrows the topics with
// data-topics="cards, wealth, loans, nonsense" (Chinese): 理财 then 贷款, in the page's order.
//
//   BANK_PAGE_PORT=… node tests/browser/prechat_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { createServer } from "node:http";
import { Observer, check, runCheck } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const QUESTION = "Can I repay my loan early?";

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const bankPort = process.env.BANK_PAGE_PORT;
if (!base || !bankPort) {
  console.error("usage: BANK_PAGE_PORT=… node prechat_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const observer = new Observer(base, TIMEOUT_MS);
const { pages } = observer;

// Socket.IO frames a page sends: did the widget emit start_conversation, and with what.
function recordFrames(page) {
  const frames = [];
  page.on("websocket", (ws) => ws.on("framesent", (frame) => frames.push(String(frame.payload))));
  return frames;
}

function form(page) {
  return page.evaluate(() => {
    const root = document.querySelector(".enclave-widget-host").shadowRoot;
    const select = root.querySelector(".ew-prechat select");
    const question = root.querySelector(".ew-prechat textarea");
    const error = root.querySelector(".ew-prechat .ew-error");
    const focused = root.activeElement;
    return {
      options: [...select.options].map((o) => [o.value, o.textContent]),
      topicsShown: !select.closest("[hidden]"),
      questionLabel: root.querySelector(`label[for="${question.id}"]`).textContent,
      ariaRequired: question.getAttribute("aria-required"),
      ariaInvalid: question.getAttribute("aria-invalid"),
      describedBy: question.getAttribute("aria-describedby"),
      errorId: error.id,
      errorRole: error.getAttribute("role"),
      errorText: error.textContent,
      focused: focused ? focused.tagName.toLowerCase() : null,
      prechatShown: !root.querySelector(".ew-prechat").hidden,
      status: root.querySelector(".ew-status").textContent,
    };
  });
}

async function tabTo(page, tag, limit = 6) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if ((await form(page)).focused === tag) return;
  }
  throw new Error(`Tab never reached the ${tag}`);
}

async function configuredForm(browser) {
  const page = await observer.newPage(browser, "configured");
  const frames = recordFrames(page);
  await page.goto(new URL("/demo/widget", base).href);
  // Keyboard only: Tab to the launcher, Enter opens the panel on the topic choice.
  for (let tabs = 0; ; tabs++) {
    check(tabs < 15, "Tab never reached the launcher");
    await page.keyboard.press("Tab");
    const focusedLauncher = await page.evaluate(() =>
      Boolean(document.querySelector(".enclave-widget-host")?.shadowRoot?.activeElement?.matches(".ew-launcher")),
    );
    if (focusedLauncher) break;
  }
  // The form has come (Start is enabled once prechat_form has answered); Enter opens.
  await page.waitForFunction(
    () => !document.querySelector(".enclave-widget-host").shadowRoot.querySelector(".ew-prechat button[type=submit]").disabled,
  );
  await page.keyboard.press("Enter");
  let state = await form(page);
  check(
    JSON.stringify(state.options) === JSON.stringify([["loans", "Loans"], ["wealth", "Wealth"]]),
    `the topics offered are ${JSON.stringify(state.options)}, not Loans then Wealth only`,
  );
  check(state.topicsShown, "the topic choice is not shown");
  check(state.focused === "select", `opening focused ${state.focused}, not the topic choice`);
  check(state.questionLabel === "Your question", `the question is labelled ${JSON.stringify(state.questionLabel)}`);
  check(state.ariaRequired === "true", "the question is not marked aria-required");

  // Start with an empty question (Tab, Tab, Enter): refused with an announced error.
  await page.keyboard.press("ArrowDown"); // wealth
  await tabTo(page, "button");
  await page.keyboard.press("Enter");
  await page.locator(".ew-error").filter({ hasText: "Please write your question" }).waitFor();
  state = await form(page);
  check(state.errorRole === "alert", `the error is not an alert: role=${state.errorRole}`);
  check(state.ariaInvalid === "true", "the empty question is not marked aria-invalid");
  check(state.describedBy === state.errorId, "the question is not described by the error");
  check(state.focused === "textarea", `after the refusal focus is on ${state.focused}, not the question`);
  check(state.prechatShown && state.status === "", `a chat started anyway: status ${JSON.stringify(state.status)}`);
  check(!frames.some((f) => f.includes("start_conversation")), "start_conversation was sent with no question");

  // Typing clears the error; Tab to Start, Enter: the chat starts in the chosen queue.
  await page.keyboard.type(QUESTION);
  state = await form(page);
  check(state.errorText === "" && state.ariaInvalid === null, `the error stayed: ${JSON.stringify(state.errorText)}`);
  await tabTo(page, "button");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() =>
    /Waiting for an agent|You are chatting/.test(
      document.querySelector(".enclave-widget-host").shadowRoot.querySelector(".ew-status").textContent,
    ),
  );
  const start = frames.find((f) => f.includes("start_conversation"));
  check(start && start.includes('"group":"wealth"'), `start_conversation did not ask for wealth: ${start}`);
  check(start.includes(QUESTION), `start_conversation did not carry the question: ${start}`);
  return { options: state.options.map(([value]) => value), start: "wealth" };
}

// A bank's page on another origin (BANK_PAGE_PORT on 127.0.0.1, which the test lists in
// visitor.allowed_origins) whose tag narrows and orders the topics; unknown names (cards
// is not offered, nonsense is no queue) are ignored.
async function narrowedForm(browser) {
  const bank = createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><html lang="zh-CN"><head><title>Bank</title></head><body><main>Bank</main>
<script src="${base}/static/widget/enclave-widget.js" data-server="${base}" data-language="zh-CN"
        data-topics="cards, wealth, loans, nonsense" defer></script></body></html>`);
  });
  await new Promise((resolve) => bank.listen(Number(bankPort), "127.0.0.1", resolve));
  try {
    const page = await observer.openPage(browser, "narrowed", `http://127.0.0.1:${bankPort}/`);
    await page.click(".ew-launcher");
    await page.locator(".ew-prechat select").waitFor({ state: "visible" });
    const state = await form(page);
    check(
      JSON.stringify(state.options) === JSON.stringify([["wealth", "理财"], ["loans", "贷款"]]),
      `data-topics gave ${JSON.stringify(state.options)}, not 理财 then 贷款`,
    );
    check(state.questionLabel === "您的问题", `the question is labelled ${JSON.stringify(state.questionLabel)}`);
    return { options: state.options.map(([value]) => value) };
  } finally {
    bank.close();
  }
}

async function run(browser) {
  const configured = await configuredForm(browser);
  const narrowed = await narrowedForm(browser);
  observer.assertClean("hostname", "127.0.0.1");
  return { ok: true, configured, narrowed };
}

await runCheck({ name: "prechat_check", prefix: "prechat", run, pages, screenshotDir });
