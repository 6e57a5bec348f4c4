// The demo pages in real headless Chromium: two agents sign in and go online, visitors
// choose a topic and reach the agent of that queue (docs/routing.md, "The demo queues"),
// messages go both ways, chat text stays text, and nothing is fetched from elsewhere.
//
//   DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… node tests/browser/demo_routing.mjs BASE_URL [SCREENSHOT_DIR]
//
// Prints one JSON line; on any failure exits 1 with the reason, after a screenshot of
// every open page into SCREENSHOT_DIR (default ci-artifacts). Passwords come from the
// environment so they stay out of process listings. CHROMIUM overrides /usr/bin/chromium.
import { Observer, check, runCheck } from "./harness.mjs";

const TIMEOUT_MS = 15_000;
const XSS = 'markup test: <img src=x onerror="window.__xss=1"><script>window.__xss=1</script><b>bold</b>';

const [base, screenshotDir = "ci-artifacts"] = process.argv.slice(2);
const passwords = {
  "demo-agent": process.env.DEMO_AGENT_PASSWORD,
  "demo-wealth": process.env.DEMO_WEALTH_PASSWORD,
};
if (!base || !passwords["demo-agent"] || !passwords["demo-wealth"]) {
  console.error("usage: DEMO_AGENT_PASSWORD=… DEMO_WEALTH_PASSWORD=… node demo_routing.mjs BASE_URL [SCREENSHOT_DIR]");
  process.exit(2);
}
const origin = new URL(base);

// What every page did that the test must judge: requests, dialogs, script errors.
const observer = new Observer(base, TIMEOUT_MS);
const { seen, pages } = observer;

async function openPage(browser, name, path) {
  const page = await observer.newPage(browser, name);
  const packets = socketIoPackets(page);
  await page.goto(new URL(path, base).href);
  return { page, packets };
}

// Socket.IO packets the server sent to `page`, over WebSocket frames or long-polling
// responses (the client starts on polling and upgrades), so a test can wait for an ack.
function socketIoPackets(page) {
  const packets = [];
  const waiters = new Set();
  const add = (text) => {
    packets.push(text);
    for (const waiter of waiters) waiter(text);
  };
  page.on("websocket", (ws) => ws.on("framereceived", (frame) => add(String(frame.payload))));
  page.on("response", async (response) => {
    if (!new URL(response.url()).pathname.startsWith("/socket.io/")) return;
    if (response.request().method() !== "GET") return;
    try {
      add(await response.text());
    } catch {
      // a poll cut short by the upgrade or by closing the page has no body
    }
  });
  return {
    mark: () => packets.length,
    // Resolves with the first packet after `since` matching `pattern`; rejects at the deadline.
    until(since, pattern, what) {
      const hit = packets.slice(since).find((text) => pattern.test(text));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`));
        }, TIMEOUT_MS);
        const check = (text) => {
          if (!pattern.test(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(text);
        };
        waiters.add(check);
      });
    },
  };
}

async function signInAndGoOnline(browser, username) {
  const { page, packets } = await openPage(browser, username, "/demo/agent");
  await page.locator("#login").waitFor({ state: "visible" });
  await page.fill("#username", username);
  await page.fill("#password", passwords[username]);
  await page.click("#login-form button[type=submit]");
  await page.waitForFunction(
    () => !document.getElementById("desk").hidden || document.getElementById("login-error").textContent,
  );
  const refused = await page.textContent("#login-error");
  check(!refused, `${username} could not sign in: ${refused}`);
  await page.waitForFunction(() => document.getElementById("who").textContent.trim() !== "");
  const since = packets.mark();
  await page.selectOption("#agent-status", "online");
  // The select shows "online" at once; routing needs the server to have taken it.
  await packets.until(since, /"ok":\s*true.*"status":\s*"online"/, `${username}'s set_status ack`);
  return page;
}

async function startChat(browser, name, topic) {
  const { page } = await openPage(browser, name, "/demo/visitor");
  await page.locator("#start").waitFor({ state: "visible" });
  await page.selectOption("#topic", topic);
  await page.click("#start");
  await page.waitForFunction(() => /^Chatting with /.test(document.getElementById("status").textContent));
  return page;
}

function conversationCount(page) {
  return page.locator("#conversations li.conversation").count();
}

async function send(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

// The message as the other side rendered it (acked, so not the pending copy).
async function received(page, text) {
  const node = page.locator("#messages li.message:not(.pending) .text").filter({ hasText: text });
  await node.first().waitFor({ state: "visible" });
  return node.first().textContent();
}

async function run(browser) {
  const started = Date.now();
  const cardsAgent = await signInAndGoOnline(browser, "demo-agent");
  const wealthAgent = await signInAndGoOnline(browser, "demo-wealth");

  const cardsVisitor = await startChat(browser, "visitor-cards", "cards");
  const cardsStatus = await cardsVisitor.textContent("#status");
  check(cardsStatus.includes("Demo Agent"), `the "cards" visitor reached the wrong agent: ${cardsStatus}`);
  await cardsAgent.locator("#conversations li.conversation").first().waitFor();
  check(
    (await cardsAgent.textContent("#pane-status")).includes("queue cards"),
    `demo-agent's conversation is not in queue cards: ${await cardsAgent.textContent("#pane-status")}`,
  );

  const wealthVisitor = await startChat(browser, "visitor-wealth", "wealth");
  const wealthStatus = await wealthVisitor.textContent("#status");
  check(wealthStatus.includes("Demo Wealth Advisor"), `the "wealth" visitor reached the wrong agent: ${wealthStatus}`);
  await wealthAgent.locator("#conversations li.conversation").first().waitFor();
  check(
    (await wealthAgent.textContent("#pane-status")).includes("queue wealth"),
    `demo-wealth's conversation is not in queue wealth: ${await wealthAgent.textContent("#pane-status")}`,
  );
  // By now each agent has heard of every assignment made to them.
  const counts = { "demo-agent": await conversationCount(cardsAgent), "demo-wealth": await conversationCount(wealthAgent) };
  check(counts["demo-agent"] === 1 && counts["demo-wealth"] === 1, `expected one conversation each: ${JSON.stringify(counts)}`);

  await send(cardsVisitor, "I lost my card");
  check((await received(cardsAgent, "I lost my card")) === "I lost my card", "demo-agent did not get the visitor's message");
  await send(cardsAgent, "I have blocked it for you");
  await received(cardsVisitor, "I have blocked it for you");
  await send(wealthVisitor, "What are your deposit rates?");
  await received(wealthAgent, "What are your deposit rates?");
  check(
    (await cardsAgent.locator("#messages").textContent()).includes("deposit rates") === false,
    "demo-agent's page shows the wealth visitor's message",
  );

  await send(cardsVisitor, XSS);
  const shown = await received(cardsAgent, "markup test:");
  check(shown === XSS, `the agent page changed the message text: ${JSON.stringify(shown)}`);
  await received(cardsVisitor, "markup test:");
  for (const [name, page] of [["demo-agent", cardsAgent], ["visitor-cards", cardsVisitor]]) {
    const markup = await page.evaluate(() => ({
      xss: typeof window.__xss,
      elements: document.querySelectorAll("#messages b, #messages img, #messages script").length,
    }));
    check(markup.xss === "undefined", `${name}: the message ran as script (window.__xss is set)`);
    check(markup.elements === 0, `${name}: the message was parsed as HTML (${markup.elements} elements in #messages)`);
  }

  observer.assertClean("host", origin.host);

  return {
    ok: true,
    routed: { cards: cardsStatus, wealth: wealthStatus },
    conversations: counts,
    requests: seen.requests.length,
    hosts: [...new Set(seen.requests.map((url) => new URL(url).host))],
    elapsed_ms: Date.now() - started,
  };
}

await runCheck({ name: "demo_routing", prefix: "demo-routing", run, pages, screenshotDir });
