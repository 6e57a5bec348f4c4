// The embeddable visitor widget (docs/widget.md) in real headless Chromium, on the demo
// bank page /demo/widget at a 375x667 phone viewport: demo-agent signs in and goes
// online; the visitor opens the launcher, picks "cards", chats both ways; markup stays
// text; keyboard only (Tab, Enter, Escape) works; a reload brings the conversation back
// without duplicates; nothing overflows sideways; no request leaves the appliance.
// Then the agent writes an internal note and closes the chat; the visitor rates it 4 with a
// comment, sees the thank-you and downloads the transcript (the chat, not the note);
// demo-supervisor's survey report (HTTP API) counts the rating. Last, a visitor on
// /demo/widget?group=after-hours (a queue that is never open and overflows to
// leave_message; test_widget.py creates it) leaves a message instead of chatting.
//
//   DEMO_AGENT_PASSWORD=… DEMO_SUPERVISOR_PASSWORD=… \
//     node tests/browser/widget_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { readFileSync } from "node:fs";
import { request } from "playwright-core";
import { Observer, check, runCheck } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const XSS = 'markup test: <img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>';
const PHONE = { width: 375, height: 667 };
const NOTE = "internal note: check the card's last transactions";
const COMMENT = "Quick and friendly <b>thanks</b>";
const LEFT = "Please call me back about my deposit";

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const password = process.env.DEMO_AGENT_PASSWORD;
const supervisorPassword = process.env.DEMO_SUPERVISOR_PASSWORD;
if (!base || !password || !supervisorPassword) {
  console.error("usage: DEMO_AGENT_PASSWORD=… DEMO_SUPERVISOR_PASSWORD=… node widget_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

async function signInAndGoOnline(browser) {
  const page = await observer.openPage(browser, "demo-agent", "/demo/agent");
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
  question: ".ew-prechat textarea",
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
  const visitor = await observer.openPage(browser, "visitor", "/demo/widget", { viewport: PHONE });

  // Start a chat with the mouse: launcher, "cards", start.
  await visitor.click(W.launcher);
  check((await widgetState(visitor)).expanded === "true", "the launcher did not set aria-expanded");
  // The demo's pre-chat form (enclave demo setup: visitor.prechat_topics = "cards,wealth").
  await visitor.locator(W.topic).waitFor({ state: "visible" });
  const topics = await visitor.locator(`${W.topic} option`).evaluateAll((nodes) => nodes.map((n) => `${n.value}=${n.textContent}`));
  check(topics.join("|") === "cards=Cards|wealth=Wealth|=Something else", `the demo's topics are ${topics.join("|")}`);
  await visitor.selectOption(W.topic, "cards");
  // The pre-chat question chooses nothing here (the topic does) but is the first message.
  await visitor.fill(W.question, "Where do I report a card?");
  await visitor.click(W.start);
  await visitor.waitForFunction(
    () => /Demo Agent/.test(document.querySelector(".enclave-widget-host").shadowRoot.querySelector(".ew-status").textContent),
  );
  let state = await widgetState(visitor);
  check(state.scrollWidth <= PHONE.width, `the page overflows sideways with the panel open: ${state.scrollWidth}px`);

  await visitor.fill(W.text, "I lost my card");
  await visitor.press(W.text, "Enter");
  await agent.locator("#conversations li.conversation").first().waitFor();
  check((await received(agent, "#messages", "Where do I report")) === "Where do I report a card?", "the agent did not get the pre-chat question");
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
  const expected = ["Where do I report a card?", "I lost my card", "I have blocked it for you", XSS];
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

  const survey = await surveyAndTranscript(agent, visitor, [...expected, "typed with the keyboard"]);
  const report = await surveyReport();
  const left = await leaveMessage(browser);

  observer.assertClean("hostname", "127.0.0.1");
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);

  return {
    ok: true,
    survey,
    report,
    left,
    requests: seen.requests.length,
    hosts: [...new Set(seen.requests.map((url) => new URL(url).host))],
    elapsed_ms: Date.now() - started,
  };
}

// The agent writes an internal note and closes the chat; the visitor gets the survey,
// rates 4 with a comment (by keyboard), is thanked, and downloads the transcript.
async function surveyAndTranscript(agent, visitor, chatLines) {
  await agent.check("#internal");
  await agent.fill("#text", NOTE);
  await agent.click("#send");
  await received(agent, "#messages", NOTE);
  await agent.uncheck("#internal");
  await agent.click("#close");

  await visitor.click(W.launcher);
  await visitor.locator(".ew-survey").waitFor({ state: "visible" });
  const status = await visitor.locator(W.status).textContent();
  check(status === "This chat has ended.", `the status after the close is ${JSON.stringify(status)}`);
  check(!(await visitor.locator(W.text).isVisible()), "the message field is still shown after the close");
  const labels = await visitor.locator(".ew-score").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("aria-label")));
  check(labels.join("|") === "1 out of 5|2 out of 5|3 out of 5|4 out of 5|5 out of 5", `score labels: ${labels}`);
  check(await visitor.locator(".ew-survey button[type=submit]").isDisabled(), "the survey can be sent without a score");
  await visitor.focus('.ew-score[data-score="4"]');
  await visitor.keyboard.press("Space");
  const pressed = await visitor.locator(".ew-score").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("aria-pressed")));
  check(pressed.join() === "false,false,false,true,false", `aria-pressed after picking 4: ${pressed}`);
  await visitor.fill(".ew-survey textarea", COMMENT);
  await visitor.click(".ew-survey button[type=submit]");
  await visitor.locator(".ew-thanks").waitFor({ state: "visible" });
  check(!(await visitor.locator(".ew-survey").isVisible()), "the survey is still shown after the thank-you");

  const [download] = await Promise.all([visitor.waitForEvent("download"), visitor.click(".ew-download")]);
  const filename = download.suggestedFilename();
  check(/^transcript-[0-9a-zA-Z-]{1,8}\.txt$/.test(filename), `the transcript is named ${filename}`);
  const text = readFileSync(await download.path(), "utf-8");
  for (const line of chatLines) check(text.includes(line), `the transcript lacks ${JSON.stringify(line)}:\n${text}`);
  check(text.includes("Demo Agent"), `the transcript does not name the agent:\n${text}`);
  check(!text.includes(NOTE) && !text.includes("internal note"), `the transcript holds the internal note:\n${text}`);
  const visitorTexts = (await widgetState(visitor)).texts;
  check(!visitorTexts.some((shown) => shown.includes("internal note")), "the visitor saw the internal note");
  const state = await widgetState(visitor);
  check(state.scrollWidth <= PHONE.width, `the page overflows sideways with the survey: ${state.scrollWidth}px`);
  check(state.xss === "undefined", "something ran as script (window.__xss is set)");
  return { filename, bytes: text.length };
}

// demo-supervisor signs in over HTTP (CSRF token from the session) and reads the report.
async function surveyReport() {
  const api = await request.newContext({ baseURL: base });
  try {
    const session = await (await api.get("/api/v1/auth/session")).json();
    const login = await api.post("/api/v1/auth/login", {
      headers: { "X-CSRF-Token": session.csrf_token },
      data: { username: "demo-supervisor", password: supervisorPassword },
    });
    check(login.ok(), `demo-supervisor could not sign in: ${login.status()} ${await login.text()}`);
    const answer = await api.get("/api/v1/reports/surveys?days=1");
    check(answer.ok(), `the survey report answered ${answer.status()} ${await answer.text()}`);
    const overall = (await answer.json()).report.overall;
    check(overall.count === 1 && overall.mean_x100 === 400, `the survey report says ${JSON.stringify(overall)}`);
    return overall;
  } finally {
    await api.dispose();
  }
}

// A page whose chats go to the queue after-hours, which is never open: the widget offers
// the leave-a-message form and confirms the message.
async function leaveMessage(browser) {
  const page = await observer.openPage(browser, "leave", "/demo/widget?group=after-hours", { viewport: PHONE });
  await page.click(W.launcher);
  check(!(await page.locator(W.topic).isVisible()), "data-group still shows the topic choice");
  await page.click(W.start);
  await page.locator(".ew-leave").waitFor({ state: "visible" });
  await page.fill(".ew-leave textarea", LEFT);
  await page.fill(".ew-leave input", "+86 138 0000 0000");
  await page.click(".ew-leave button[type=submit]");
  await page.locator(".ew-notice").filter({ hasText: "we have your message" }).waitFor({ state: "visible" });
  check(!(await page.locator(".ew-leave").isVisible()), "the leave-a-message form is still shown");
  check(!(await page.locator(".ew-survey").isVisible()), "a left message offers the survey");
  return { notice: await page.locator(".ew-notice").textContent() };
}

await runCheck({ name: "widget_check", prefix: "widget", run, pages, screenshotDir });
