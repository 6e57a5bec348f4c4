// Canned replies and the customer panel in real headless Chromium: demo-agent signs in and
// goes online; a visitor on /demo/visitor asks about a card, giving a mobile and a card
// number; demo-agent adds a personal canned reply in the manager dialog, then, with the
// keyboard only, types "/" + its shortcut in the reply field, sees it offered in a listbox
// (ARIA combobox), inserts it with Tab, edits it and sends it: the visitor receives the
// expanded, edited text. A shared demo reply is offered too (Down/Enter insert it), Escape
// closes the list. The visitor ends the chat and starts a second one from the same page;
// the "Customer" panel of the second chat lists the first with its numbers masked.
//
//   DEMO_AGENT_PASSWORD=… node tests/browser/canned_customer_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { Observer, check, runCheck, T, WIDE, signInToWorkbench } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const MOBILE = "13812345678";
const CARD = "4111 1111 1111 1111";
const REPLY = "Thank you for waiting, I am checking your account now.";
const EDITED = `${REPLY} It takes a minute.`;
const SHARED_WELCOME = "Hello, thank you for contacting us. How can I help you today?";

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const password = process.env.DEMO_AGENT_PASSWORD;
if (!base || !password) {
  console.error("usage: DEMO_AGENT_PASSWORD=… node canned_customer_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

async function startChat(visitor, text) {
  await visitor.locator("#start").waitFor({ state: "visible" });
  await visitor.selectOption("#topic", "cards");
  await visitor.click("#start");
  await visitor.waitForFunction(() => /Demo Agent/.test(document.getElementById("status").textContent));
  await visitor.locator("#text:not([disabled])").waitFor();
  await visitor.fill("#text", text);
  await visitor.press("#text", "Enter");
}

async function visitorReceived(visitor, text) {
  const node = visitor.locator("#messages li:not(.pending)").filter({ hasText: text }).first();
  await node.waitFor({ state: "visible" });
  return (await node.locator(".text").textContent()).trim();
}

// The state of `chat`'s reply field as a combobox.
async function combobox(chat) {
  return chat.locator(T("text")).evaluate((input) => {
    const list = document.getElementById(input.getAttribute("aria-controls"));
    const active = input.getAttribute("aria-activedescendant");
    return {
      role: input.getAttribute("role"),
      expanded: input.getAttribute("aria-expanded"),
      listRole: list?.getAttribute("role"),
      listHidden: list ? list.hidden : null,
      options: list ? [...list.querySelectorAll('[role="option"]')].map((o) => o.dataset.shortcut) : [],
      active: active ? document.getElementById(active)?.dataset.shortcut : null,
      selected: list ? [...list.querySelectorAll('[aria-selected="true"]')].map((o) => o.dataset.shortcut) : [],
      value: input.value,
      focused: document.activeElement === input,
    };
  });
}

async function waitForList(page, chat, open) {
  const selector = `article.chat[data-conversation="${await chat.getAttribute("data-conversation")}"] ${T("text")}`;
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.getAttribute("aria-expanded") === want,
    [selector, String(open)],
  );
}

async function run(browser) {
  const started = Date.now();
  const page = (await signInToWorkbench(observer, browser, "demo-agent", password)).page;

  const visitor = await observer.openPage(browser, "visitor", "/demo/visitor");
  await startChat(visitor, `My mobile is ${MOBILE} and my card ${CARD} is lost`);
  const chat = page.locator("article.chat").first();
  await chat.locator("li.message:not(.pending)").filter({ hasText: "is lost" }).waitFor();
  const firstId = await chat.getAttribute("data-conversation");

  // A personal canned reply, added in the manager dialog.
  await chat.locator(T("canned-manage")).click();
  const dialog = page.locator(T("canned-dialog"));
  await dialog.waitFor({ state: "visible" });
  await dialog.locator(`${T("canned-shared")} li[data-shortcut="welcome"]`).waitFor();
  check((await dialog.locator(`${T("canned-shared")} ${T("canned-edit")}`).count()) === 0, "an agent may edit shared replies");
  check((await dialog.locator(T("canned-scope")).count()) === 0, "an agent is offered the shared scope");
  await dialog.locator(T("canned-shortcut")).fill("thanks");
  await dialog.locator(T("canned-title-field")).fill("Thanks for waiting");
  await dialog.locator(T("canned-body")).fill(REPLY);
  await dialog.locator(T("canned-save")).click();
  await dialog.locator(`${T("canned-personal")} li[data-shortcut="thanks"]`).waitFor();
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });

  // Keyboard only from here: focus the reply field, type "/tha".
  const field = chat.locator(T("text"));
  await field.focus();
  await page.keyboard.type("/tha");
  await waitForList(page, chat, true);
  let box = await combobox(chat);
  check(box.role === "combobox" && box.listRole === "listbox" && box.listHidden === false, `not a combobox: ${JSON.stringify(box)}`);
  check(box.options[0] === "thanks" && box.active === "thanks", `"/tha" offers ${JSON.stringify(box)}`);
  check(box.selected.length === 1 && box.selected[0] === box.active, `aria-selected is not the active option: ${JSON.stringify(box)}`);
  await page.keyboard.press("Tab");
  await waitForList(page, chat, false);
  box = await combobox(chat);
  check(box.value === REPLY && box.focused, `Tab inserted ${JSON.stringify(box.value)} (focused: ${box.focused})`);
  await page.keyboard.type(" It takes a minute.");
  await page.keyboard.press("Enter");
  const got = await visitorReceived(visitor, "I am checking your account");
  check(got === EDITED, `the visitor received ${JSON.stringify(got)}`);

  // A shared demo reply is offered as well; Escape closes the list and keeps the text.
  await page.keyboard.type("/");
  await waitForList(page, chat, true);
  box = await combobox(chat);
  check(box.options.includes("thanks") && box.options.includes("welcome"), `"/" offers ${box.options}`);
  await page.keyboard.press("Escape");
  await waitForList(page, chat, false);
  check((await combobox(chat)).value === "/", "Escape changed the text");
  await page.keyboard.type("we");
  await waitForList(page, chat, true);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowUp");
  box = await combobox(chat);
  check(box.active === "welcome", `after Down, Up the active option is ${box.active}`);
  const label = await chat.locator(`${T("canned-option")}[data-shortcut="welcome"]`).textContent();
  check(label.includes("Shared"), `the shared reply is not marked shared: ${label}`);
  await page.keyboard.press("Enter");
  await waitForList(page, chat, false);
  check((await combobox(chat)).value === SHARED_WELCOME, "Enter did not insert the shared reply");
  await page.keyboard.press("Enter");
  check((await visitorReceived(visitor, "thank you for contacting us")) === SHARED_WELCOME, "the visitor did not get the shared reply");

  // The visitor ends the chat and comes back from the same page: a returning visitor.
  await visitor.click("#end");
  await chat.locator(T("closed")).waitFor();
  await startChat(visitor, "Me again, about the same card");
  const second = page.locator(`article.chat:not([data-conversation="${firstId}"])`);
  await second.locator("li.message:not(.pending)").filter({ hasText: "Me again" }).waitFor();

  // The customer panel of the second chat lists the first, numbers masked, as text.
  const toggle = second.locator(T("customer-toggle"));
  await toggle.click();
  check((await toggle.getAttribute("aria-expanded")) === "true", "the Customer toggle does not say it is expanded");
  const panel = second.locator(T("customer-panel"));
  const past = panel.locator(`li[data-conversation="${firstId}"]`);
  await past.waitFor();
  const shown = await past.textContent();
  check(shown.includes("138****5678") && shown.includes("4111 **** **** 1111"), `the history shows ${JSON.stringify(shown)}`);
  check(!shown.includes(MOBILE) && !shown.includes(CARD), "the history shows a number unmasked");
  check(shown.includes(EDITED), "the history lacks the canned reply sent");
  check((await panel.locator(`${T("customer-history")} > li`).count()) === 1, "the history lists other conversations");
  const who = await panel.locator(T("customer-who")).textContent();
  check(who.includes("anonymous visitor"), `the panel says ${JSON.stringify(who)}`);

  observer.assertClean("hostname", "127.0.0.1");
  return {
    ok: true,
    first: firstId,
    second: await second.getAttribute("data-conversation"),
    requests: seen.requests.length,
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "canned_customer_check", prefix: "canned-customer", run, pages, screenshotDir });
