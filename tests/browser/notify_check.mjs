// New-chat alerts of the agent workbench (workbench/src/notify.js) in real headless Chromium.
// An init script wraps window.Notification and OscillatorNode.start to record what the page
// asks of those browser APIs (the real ones still run): nothing of ours is replaced.
//
// demo-agent signs in; the notification permission is "default", so the status bar offers
// "Enable notifications"; the context is granted the permission and the button is clicked
// (a user gesture): the status bar says "Notifications on". A visitor on /demo/visitor
// starts a "cards" chat: exactly one notification, titled "New chat in Cards" and with no
// body (nothing the visitor typed), and the two-note tone on a running AudioContext. A
// reload lists that chat again without announcing it. Muted (kept across the reload): a
// second chat arrives with no notification and no tone. demo-wealth, who was never granted
// the permission, clicks "Enable notifications" and the browser says no ("blocked"): a
// "wealth" chat plays the tone but shows no notification. No dialog, no script error, no
// request off 127.0.0.1.
// Also the bundled UI font: the workbench's Inter face is loaded, from the appliance's
// /static/workbench/, and the page uses it.
//
//   DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… node tests/browser/notify_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { Observer, check, runCheck } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const WIDE = { width: 1366, height: 900 };
const SECRET = "my card 6222 0000 1111 2222 was swallowed";

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const passwords = {
  "demo-agent": process.env.DEMO_AGENT_PASSWORD,
  "demo-wealth": process.env.DEMO_WEALTH_PASSWORD,
};
if (!base || !passwords["demo-agent"] || !passwords["demo-wealth"]) {
  console.error("usage: DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… node notify_check.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

const T = (name) => `[data-test="${name}"]`;

// Runs in the page before any of its scripts: record, then call the real API.
function observeAlerts() {
  const alerts = { notifications: [], tones: [] };
  Object.defineProperty(window, "__alerts", { value: alerts });
  const Real = window.Notification;
  function Observed(title, options = {}) {
    alerts.notifications.push({ title, body: options.body ?? null, permission: Real.permission });
    return new Real(title, options);
  }
  Object.defineProperty(Observed, "permission", { get: () => Real.permission });
  Observed.requestPermission = (...args) => Real.requestPermission(...args);
  Observed.prototype = Real.prototype;
  window.Notification = Observed;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    alerts.tones.push({ hz: this.frequency.value, state: this.context.state });
    return start.apply(this, args);
  };
}

// The bundled font (workbench/src/workbench.css): loaded from the appliance, and in use.
async function bundledFont(page) {
  const font = await page.evaluate(async () => {
    await document.fonts.ready;
    const faces = [...document.fonts].filter((face) => face.family.replace(/"/g, "") === "Inter Variable");
    const files = performance.getEntriesByType("resource").filter((entry) => entry.name.endsWith(".woff2"));
    return {
      faces: faces.map((face) => face.status),
      files: files.map((entry) => entry.name),
      family: getComputedStyle(document.body).fontFamily,
      usable: document.fonts.check('14px "Inter Variable"', "Workbench"),
    };
  });
  check(font.faces.length === 1 && font.faces[0] === "loaded", `the Inter face is ${JSON.stringify(font.faces)}`);
  const expected = new URL("/static/workbench/workbench.woff2", base).href;
  check(font.files.length === 1 && font.files[0] === expected, `font files loaded: ${JSON.stringify(font.files)}`);
  check(font.family.startsWith('"Inter Variable"'), `the body's font is ${font.family}`);
  check(font.usable, "document.fonts says Inter cannot render text yet");
  return font;
}

const alerts = (page) => page.evaluate(() => JSON.parse(JSON.stringify(window.__alerts)));

async function signIn(browser, username) {
  const page = await observer.newPage(browser, username, { viewport: WIDE });
  await page.addInitScript(observeAlerts);
  await page.goto(new URL("/workbench/", base).href);
  await page.locator(T("sign-in")).waitFor({ state: "visible" });
  await page.fill("#wb-username", username);
  await page.fill("#wb-password", passwords[username]);
  await page.press("#wb-password", "Enter");
  await online(page);
  return page;
}

async function online(page) {
  await page.locator(T("connection")).filter({ hasText: "connected" }).waitFor();
  await page.locator(`${T("status")}:not([disabled])`).waitFor();
  if ((await page.locator(T("status")).inputValue()) !== "online") await page.selectOption(T("status"), "online");
  await page.waitForFunction((sel) => document.querySelector(sel).value === "online", T("status"));
  await page.locator(T("load")).filter({ hasText: /of \d+ chats/ }).waitFor();
}

async function startChat(browser, name, topic) {
  const visitor = await observer.openPage(browser, name, "/demo/visitor");
  await visitor.locator("#start").waitFor({ state: "visible" });
  await visitor.selectOption("#topic", topic);
  await visitor.click("#start");
  await visitor.waitForFunction(() => /Demo /.test(document.getElementById("status").textContent));
  await visitor.locator("#text:not([disabled])").waitFor();
  await visitor.fill("#text", SECRET);
  await visitor.press("#text", "Enter");
  return visitor;
}

// Waits until `page` shows `count` chats, each with the visitor's message.
async function chatsShown(page, count) {
  await page.locator("article.chat").nth(count - 1).waitFor();
  for (let i = 0; i < count; i++) {
    await page.locator("article.chat").nth(i).locator("li.message").filter({ hasText: SECRET }).first().waitFor();
  }
  check((await page.locator("article.chat").count()) === count, `more than ${count} chats shown`);
}

async function run(browser) {
  const started = Date.now();
  const agent = await signIn(browser, "demo-agent");
  const font = await bundledFont(agent);

  // Asking needs a click: the permission is "default" until then.
  const enable = agent.locator(T("notify-enable"));
  await enable.waitFor({ state: "visible" });
  await agent.context().grantPermissions(["notifications"], { origin: origin.origin });
  await enable.click();
  await agent.locator(`${T("notify-state")}[data-permission="granted"]`).filter({ hasText: "Notifications on" }).waitFor();
  check((await agent.locator(T("mute")).getAttribute("aria-pressed")) === "false", "alerts start muted");
  check(await agent.locator(`${T("mute")} svg[data-icon="sound"]`).isVisible(), "the mute button has no inline SVG icon");

  // A new chat: one notification with only the queue's name, and the tone.
  await startChat(browser, "visitor-1", "cards");
  await chatsShown(agent, 1);
  await agent.waitForFunction(() => window.__alerts.notifications.length >= 1 && window.__alerts.tones.length >= 2);
  let seenNow = await alerts(agent);
  check(seenNow.notifications.length === 1, `notifications: ${JSON.stringify(seenNow.notifications)}`);
  const [note] = seenNow.notifications;
  check(note.title === "New chat in Cards", `the notification says ${JSON.stringify(note.title)}`);
  check(note.body === null, `the notification has a body: ${JSON.stringify(note.body)}`);
  check(!JSON.stringify(note).includes("6222"), "the notification holds the visitor's text");
  check(seenNow.tones.length === 2, `tones: ${JSON.stringify(seenNow.tones)}`);
  check(seenNow.tones.every((tone) => tone.state === "running"), `the tone played on ${JSON.stringify(seenNow.tones)}`);
  const firstTone = seenNow.tones;

  // Mute, reload: the choice stays; the chat we have is not announced again.
  await agent.click(T("mute"));
  await agent.locator(`${T("mute")}[aria-pressed="true"]`).waitFor();
  check(await agent.locator(`${T("mute")} svg[data-icon="sound-off"]`).isVisible(), "the muted icon is not shown");
  await agent.reload();
  await online(agent);
  await chatsShown(agent, 1);
  await agent.locator(`${T("mute")}[aria-pressed="true"]`).waitFor();
  const stored = await agent.evaluate(() => localStorage.getItem("enclave-workbench:muted"));
  check(stored === "1", `localStorage holds muted=${stored}`);

  // Muted: a second chat arrives in silence.
  await startChat(browser, "visitor-2", "cards");
  await chatsShown(agent, 2);
  seenNow = await alerts(agent);
  check(seenNow.notifications.length === 0 && seenNow.tones.length === 0, `muted, yet: ${JSON.stringify(seenNow)}`);

  // Denied: the browser refuses when demo-wealth asks; the tone still plays.
  const wealth = await signIn(browser, "demo-wealth");
  await wealth.locator(T("notify-enable")).click();
  await wealth.locator(`${T("notify-state")}[data-permission="denied"]`).waitFor();
  await startChat(browser, "visitor-3", "wealth");
  await chatsShown(wealth, 1);
  await wealth.waitForFunction(() => window.__alerts.tones.length >= 2);
  seenNow = await alerts(wealth);
  check(seenNow.notifications.length === 0, `denied, yet: ${JSON.stringify(seenNow.notifications)}`);
  check(seenNow.tones.length === 2, `tones when denied: ${JSON.stringify(seenNow.tones)}`);

  observer.assertClean("hostname", "127.0.0.1");
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);
  return {
    ok: true,
    notification: note,
    font,
    tone: firstTone,
    requests: seen.requests.length,
    hosts: [...new Set(seen.requests.map((url) => new URL(url).host))],
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "notify_check", prefix: "notify", run, pages, screenshotDir });
