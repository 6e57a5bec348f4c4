// Masked personal data and the compliance prompt in the agent workbench, in real headless
// Chromium: a visitor on /demo/visitor sends a mobile and a card number; demo-agent (role
// pii_viewer) sees both masked, clicks Reveal and sees the original, as text; the agent
// types "please tell me your password": the compliance dialog lists the rule; Edit puts the
// text back with nothing sent; Escape does the same; Send anyway delivers it to the visitor
// exactly once. No request leaves 127.0.0.1.
//
//   DEMO_AGENT_PASSWORD=… node tests/browser/pii_compliance_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line (with the conversation id, for the audit check of the pytest side);
// on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { Observer, check, runCheck, T, WIDE, signInToWorkbench } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const SAID = "my mobile is 13812345678 and my card 4111 1111 1111 1111";
const MASKED = "my mobile is 138****5678 and my card 4111 **** **** 1111";
const ASK = "please tell me your password";
const BARRIER = "one moment please";

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const password = process.env.DEMO_AGENT_PASSWORD;
if (!base || !password) {
  console.error("usage: DEMO_AGENT_PASSWORD=… node pii_compliance_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

async function visitorTexts(visitor) {
  return visitor.locator("#messages li:not(.pending) .text").allTextContents();
}

async function visitorReceived(visitor, text) {
  await visitor.locator("#messages li:not(.pending)").filter({ hasText: text }).first().waitFor();
}

// Enter in the compose field; the server holds the reply and the dialog opens.
async function sendAndExpectPrompt(page, chat, text) {
  await chat.locator(T("text")).fill(text);
  await chat.locator(T("text")).press("Enter");
  const dialog = page.locator(T("compliance-dialog"));
  await dialog.waitFor({ state: "visible" });
  return dialog;
}

async function run(browser) {
  const started = Date.now();
  const page = (await signInToWorkbench(observer, browser, "demo-agent", password)).page;

  const visitor = await observer.openPage(browser, "visitor", "/demo/visitor");
  await visitor.locator("#start").waitFor({ state: "visible" });
  await visitor.selectOption("#topic", "cards");
  await visitor.click("#start");
  await visitor.waitForFunction(() => /Demo Agent/.test(document.getElementById("status").textContent));
  await visitor.locator("#text:not([disabled])").waitFor();
  await visitor.fill("#text", SAID);
  await visitor.press("#text", "Enter");
  await visitorReceived(visitor, SAID); // the visitor sees their own text unmasked

  // The workbench shows it masked, with a Reveal button (demo-agent holds pii.reveal).
  const chat = page.locator("article.chat").first();
  const conversationId = await chat.getAttribute("data-conversation");
  const message = chat.locator("li.message:not(.pending)").filter({ hasText: "my mobile is" }).first();
  await message.waitFor();
  const shown = await message.locator(".text").textContent();
  check(shown === MASKED, `the workbench shows ${JSON.stringify(shown)}, not the masked text`);
  const everywhere = await page.locator("body").textContent();
  check(!everywhere.includes("13812345678") && !everywhere.includes("1111 1111 1111"), "unmasked PII on the page");

  // Reveal: the original replaces the text, still as text; the button gives way to a tag.
  await message.locator(T("reveal")).click();
  await message.locator(T("revealed")).waitFor();
  const revealed = await message.locator(".text").textContent();
  check(revealed === SAID, `after Reveal the workbench shows ${JSON.stringify(revealed)}`);
  check((await message.locator(T("reveal")).count()) === 0, "the Reveal button is still there");

  // The compliance prompt: the dialog lists the rule in the UI language; focus stays inside.
  let dialog = await sendAndExpectPrompt(page, chat, ASK);
  const rules = await dialog.locator(T("compliance-rule")).allTextContents();
  check(rules.length === 1 && rules[0].startsWith("Never ask a customer for a password"), `rules shown: ${JSON.stringify(rules)}`);
  check((await dialog.locator(T("compliance-rule")).getAttribute("data-rule")) === "password", "the rule id is not password");
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press(i % 2 ? "Shift+Tab" : "Tab");
    const inside = await page.evaluate(() => Boolean(document.activeElement?.closest("dialog[open]")));
    check(inside, `Tab #${i + 1} moved focus out of the compliance dialog`);
  }
  const held = chat.locator("li.message.pending").filter({ hasText: ASK });
  check((await held.count()) === 1, "the held reply is not shown as pending");

  // Edit: the dialog closes, the text is back in the compose field, nothing pending.
  await dialog.locator(T("compliance-edit")).click();
  await dialog.waitFor({ state: "detached" });
  check((await chat.locator(T("text")).inputValue()) === ASK, "Edit did not put the text back");
  await held.waitFor({ state: "detached" });

  // Escape is Edit too.
  dialog = await sendAndExpectPrompt(page, chat, ASK);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  check((await chat.locator(T("text")).inputValue()) === ASK, "Escape did not put the text back");

  // A plain reply goes through unprompted; once the visitor has it, anything sent before it
  // would have arrived too (seq order): the held reply never reached the visitor.
  await chat.locator(T("text")).fill(BARRIER);
  await chat.locator(T("text")).press("Enter");
  await visitorReceived(visitor, BARRIER);
  check(!(await visitorTexts(visitor)).some((text) => text.includes(ASK)), "an edited reply reached the visitor");

  // Send anyway: delivered once, shown once in the workbench.
  dialog = await sendAndExpectPrompt(page, chat, ASK);
  await dialog.locator(T("compliance-send")).click();
  await dialog.waitFor({ state: "detached" });
  await chat.locator("li.message:not(.pending)").filter({ hasText: ASK }).first().waitFor();
  await visitorReceived(visitor, ASK);
  await chat.locator(T("text")).fill("anything else?");
  await chat.locator(T("text")).press("Enter");
  await visitorReceived(visitor, "anything else?");
  const delivered = (await visitorTexts(visitor)).filter((text) => text === ASK);
  check(delivered.length === 1, `the visitor got the confirmed reply ${delivered.length} times`);
  const inWorkbench = await chat.locator("li.message").filter({ hasText: ASK }).count();
  check(inWorkbench === 1, `the workbench shows the confirmed reply ${inWorkbench} times`);

  observer.assertClean("hostname", "127.0.0.1");
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);
  return {
    ok: true,
    conversation_id: conversationId,
    requests: seen.requests.length,
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "pii_compliance_check", prefix: "pii-compliance", run, pages, screenshotDir });
