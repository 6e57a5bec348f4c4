// The supervisor view of the workbench (/workbench/, tab "Supervisor") in real headless
// Chromium, against a server whose first-reply time is short (FIRST_RESPONSE_SECONDS, set by
// test_supervisor.py): demo-supervisor signs in and opens the Supervisor tab; a visitor on
// /demo/visitor waits in "general" with no agent online and shows up with a growing wait;
// demo-agent (a second browser context) goes online, gets the chat, and its status and load
// show up in the supervisor view without a reload; with no reply from the agent the chat is
// listed near its SLA, then breached (marked by a label, not by colour alone); demo-agent
// sees no Supervisor tab; axe-core finds no serious or critical violation in the view; no
// request leaves 127.0.0.1.
//
//   DEMO_SUPERVISOR_PASSWORD=… DEMO_AGENT_PASSWORD=… FIRST_RESPONSE_SECONDS=12 \
//     node tests/browser/supervisor_check.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on failure exits 1 after screenshots into SCREENSHOT_DIR.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Observer, check, runCheck } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const WIDE = { width: 1366, height: 900 };
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]; // as tests/browser/a11y_scan.mjs
const FAILING = new Set(["serious", "critical"]);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf-8");

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const passwords = {
  "demo-supervisor": process.env.DEMO_SUPERVISOR_PASSWORD,
  "demo-agent": process.env.DEMO_AGENT_PASSWORD,
};
const firstResponseSeconds = Number(process.env.FIRST_RESPONSE_SECONDS);
if (!base || !passwords["demo-supervisor"] || !passwords["demo-agent"] || !(firstResponseSeconds > 0)) {
  console.error(
    "usage: DEMO_SUPERVISOR_PASSWORD=… DEMO_AGENT_PASSWORD=… FIRST_RESPONSE_SECONDS=n node supervisor_check.mjs BASE_URL [SCREENSHOT_DIR]",
  );
  process.exit(2);
}
// The breach comes FIRST_RESPONSE_SECONDS after the assignment: wait that long and a margin.
const SLA_DEADLINE_MS = firstResponseSeconds * 1000 + TIMEOUT_MS;
const origin = new URL(base);
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

const T = (name) => `[data-test="${name}"]`;

async function signIn(browser, username) {
  const page = await observer.openPage(browser, username, "/workbench/", { viewport: WIDE });
  await page.locator(T("sign-in")).waitFor({ state: "visible" });
  await page.fill("#wb-username", username);
  await page.fill("#wb-password", passwords[username]);
  await page.press("#wb-password", "Enter");
  await page.locator(T("connection")).filter({ hasText: "connected" }).waitFor();
  await page.locator(`${T("status")}:not([disabled])`).waitFor(); // agent_state arrived
  return page;
}

// axe-core evaluated in the page through the DevTools protocol: the page's own strict CSP
// stays enforced (a11y_scan.mjs bypasses it to add a script tag; this need not).
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  }, TAGS);
}

async function scan(page, name, failing, reported) {
  for (const v of await axe(page)) {
    const line = `  [${name}] ${v.id} (${v.impact}): ${v.help}\n${v.targets.map((t) => `      ${t}`).join("\n")}`;
    (FAILING.has(v.impact) ? failing : reported).push(line);
  }
}

async function run(browser) {
  const started = Date.now();
  const failing = [];
  const reported = [];

  // demo-supervisor opens the Supervisor tab (and stays offline: it takes no chats here).
  const boss = await signIn(browser, "demo-supervisor");
  const tab = boss.locator(T("tab-supervisor"));
  await tab.waitFor({ state: "visible" });
  check((await boss.getAttribute(T("tab-chats"), "aria-selected")) === "true", "the Chats tab is not the first shown");
  await tab.focus();
  await boss.keyboard.press("ArrowLeft"); // the tabs work from the keyboard too
  check((await tab.getAttribute("aria-selected")) === "true", "ArrowLeft did not select the Supervisor tab");
  const view = boss.locator(T("supervisor"));
  await view.waitFor({ state: "visible" });
  check(!(await boss.locator("#panel-chats").isVisible()), "the chats stay shown beside the supervisor view");
  await view.locator(`${T("queues")} tr[data-queue="general"]`).waitFor();
  await view.locator(T("agents")).filter({ hasText: "No agent of these queues" }).waitFor();

  // A visitor waits in "general": nobody is online.
  const visitor = await observer.openPage(browser, "visitor", "/demo/visitor");
  await visitor.locator("#start").waitFor({ state: "visible" });
  await visitor.selectOption("#topic", "");
  await visitor.click("#start");
  const waitingRow = view.locator(`${T("waiting")} tr[data-conversation]`).first();
  await waitingRow.waitFor();
  const conversationId = await waitingRow.getAttribute("data-conversation");
  const waitedCell = waitingRow.locator(T("waited"));
  const firstWait = Number(await waitedCell.getAttribute("data-seconds"));
  await boss.waitForFunction(
    ({ sel, before }) => Number(document.querySelector(sel)?.dataset.seconds) >= before + 2,
    { sel: `${T("waiting")} tr[data-conversation="${conversationId}"] ${T("waited")}`, before: firstWait },
  );
  const generalCount = view.locator(`${T("queues")} tr[data-queue="general"] ${T("waiting-count")}`);
  check((await generalCount.textContent()).trim() === "1", "the general queue does not count 1 waiting");
  await scan(boss, "supervisor-waiting", failing, reported);

  // demo-agent goes online and gets the chat; the supervisor view shows it live.
  const agent = await signIn(browser, "demo-agent");
  check((await agent.locator(T("tabs")).count()) === 0, "demo-agent (no desk.supervise) sees the view tabs");
  check((await agent.locator(T("tab-supervisor")).count()) === 0, "demo-agent sees a Supervisor tab");
  const agentId = Number(await agent.locator(T("who")).getAttribute("data-agent-id"));
  await agent.selectOption(T("status"), "online");
  const assignedAt = Date.now();
  await agent.locator(`article.chat[data-conversation="${conversationId}"]`).waitFor();
  const agentRow = view.locator(`${T("agents")} tr[data-agent-id="${agentId}"]`);
  await agentRow.locator(T("agent-status")).filter({ hasText: "online" }).waitFor();
  await agentRow.locator(T("agent-load")).filter({ hasText: /^\s*1 of \d+ chats\s*$/ }).waitFor();
  await agentRow.locator(T("agent-connection")).filter({ hasText: "connected" }).waitFor();
  await view.locator(`${T("waiting")} tr[data-conversation="${conversationId}"]`).waitFor({ state: "detached" });
  check((await generalCount.textContent()).trim() === "0", "the general queue still counts a waiting chat");

  // No reply from demo-agent: near its SLA, then breached.
  const slaSelector = `${T("near-sla")} tr[data-conversation="${conversationId}"]`;
  const slaRow = view.locator(slaSelector);
  await view.locator(`${slaSelector}[data-state="near"]`).waitFor({ timeout: SLA_DEADLINE_MS });
  check((await slaRow.getAttribute("data-kind")) === "first_response", "the SLA row is not about the first reply");
  check((await slaRow.textContent()).includes("Demo Agent"), "the SLA row does not name the agent");
  await view.locator(`${slaSelector}[data-state="breached"]`).waitFor({ timeout: SLA_DEADLINE_MS });
  const breachedAfter = Date.now() - assignedAt;
  const label = (await slaRow.locator(".state-label").innerText()).trim();
  check(/breached/i.test(label), `a breached row is not labelled as such: ${JSON.stringify(label)}`);
  check((await slaRow.locator(".state-label svg").count()) === 1, "a breached row has no icon");
  check(/overdue/.test(await slaRow.locator(T("time-left")).textContent()), "a breached row does not say overdue");
  await scan(boss, "supervisor-breached", failing, reported);

  // Back on the Chats tab the desk is as it was; the view stops asking.
  await boss.click(T("tab-chats"));
  await view.waitFor({ state: "detached" });
  await boss.locator("#panel-chats").waitFor({ state: "visible" });

  if (reported.length) console.error(`moderate/minor (reported, not failed):\n${reported.join("\n")}`);
  check(failing.length === 0, `serious/critical accessibility violations:\n${failing.join("\n")}`);
  observer.assertClean("hostname", "127.0.0.1");
  check(origin.hostname === "127.0.0.1", `the server is not on 127.0.0.1: ${origin.hostname}`);
  return {
    ok: true,
    conversation: conversationId,
    agent: agentId,
    breached_after_ms: breachedAfter,
    requests: seen.requests.length,
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "supervisor_check", prefix: "supervisor", run, pages, screenshotDir });
