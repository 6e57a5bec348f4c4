// The demo agent page: HTTP login, then namespace /agent of docs/protocol.md.
import {
  MessageStream,
  TypingNotifier,
  debounce,
  el,
  emitOnce,
  emitReliably,
  insertBySeq,
  markDelivery,
  markReadUpTo,
  newClientMsgId,
  renderMessage,
  renderPending,
  scrollToEnd,
  showTyping,
  socketIoMissing,
} from "./chat.js";

const $ = (id) => document.getElementById(id);
const ui = {
  notice: $("notice"),
  login: $("login"),
  loginForm: $("login-form"),
  username: $("username"),
  password: $("password"),
  loginError: $("login-error"),
  desk: $("desk"),
  connection: $("connection"),
  who: $("who"),
  status: $("agent-status"),
  load: $("load"),
  logout: $("logout"),
  list: $("conversations"),
  empty: $("no-conversations"),
  pane: $("pane"),
  title: $("pane-title"),
  conversationStatus: $("pane-status"),
  close: $("close"),
  messages: $("messages"),
  typing: $("typing"),
  form: $("send-form"),
  text: $("text"),
  internal: $("internal"),
  send: $("send"),
};

const state = {
  agent: null,
  conversations: new Map(), // id -> {view, stream, list, pending, readByVisitor, unread, item}
  selected: null,
};

function setNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

// --- login over HTTP ----------------------------------------------------------

async function fetchJson(url, options = {}) {
  const response = await fetch(url, { credentials: "same-origin", ...options });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = { ok: false, error: `${response.status} ${response.statusText}` };
  }
  return { status: response.status, body: body || {} };
}

// Every POST carries the session's CSRF token, fetched fresh from /api/v1/auth/session.
async function postJson(url, payload) {
  const session = await fetchJson("/api/v1/auth/session");
  if (session.status !== 200 || !session.body.csrf_token) {
    throw new Error(session.body.error || "the login service did not answer");
  }
  const answer = await fetchJson(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": session.body.csrf_token },
    body: JSON.stringify(payload),
  });
  if (!answer.body.ok) throw new Error(answer.body.error || `${answer.status} from ${url}`);
  return answer.body;
}

function login(username, password) {
  return postJson("/api/v1/auth/login", { username, password });
}

// Forget the previous sign-in's conversations: the next one may be another agent.
function resetDesk() {
  state.agent = null;
  state.selected = null;
  state.conversations.clear();
  ui.list.replaceChildren();
  ui.pane.hidden = true;
  ui.empty.hidden = false;
}

function showLogin(message) {
  resetDesk();
  ui.connection.textContent = "not signed in";
  ui.desk.hidden = true;
  ui.login.hidden = false;
  ui.loginError.textContent = message || "";
  ui.username.focus();
}

ui.loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!socket) return;
  ui.loginError.textContent = "";
  try {
    await login(ui.username.value, ui.password.value);
  } catch (error) {
    ui.loginError.textContent = `Could not log in: ${error.message}`;
    return;
  }
  ui.password.value = "";
  ui.login.hidden = true;
  socket.connect();
});

ui.logout.addEventListener("click", async () => {
  try {
    await postJson("/api/v1/auth/logout", {});
  } catch (error) {
    setNotice(`Could not log out: ${error.message}`);
    return;
  }
  socket.disconnect();
  showLogin("");
  ui.connection.textContent = "logged out";
});

// --- conversations ----------------------------------------------------------

function isMine(message) {
  return message.sender.type === "agent" && state.agent && String(message.sender.id) === String(state.agent.id);
}

function isOurs(view) {
  return Boolean(view.agent && state.agent && String(view.agent.id) === String(state.agent.id));
}

function upsert(view) {
  let entry = state.conversations.get(view.id);
  if (!entry) {
    entry = {
      view,
      list: el("ul", { className: "messages" }),  // shown in the pane when selected
      pending: new Map(),
      readByVisitor: 0,
      unread: 0,
      typingTimer: null,
      item: el("li", { className: "conversation" }),
    };
    entry.stream = new MessageStream(socket, view.id, (message) => applyMessage(entry, message));
    entry.sendRead = debounce(() => {
      emitOnce(socket, "mark_read", { conversation_id: entry.view.id, seq: entry.stream.lastSeq });
    }, 300);
    entry.list.setAttribute("aria-live", "polite");
    entry.item.addEventListener("click", () => select(view.id));
    state.conversations.set(view.id, entry);
    ui.list.append(entry.item);
  }
  entry.view = { ...entry.view, ...view };
  entry.readByVisitor = Math.max(entry.readByVisitor, (view.read_seq && view.read_seq.visitor) || 0);
  drawItem(entry);
  return entry;
}

function drawItem(entry) {
  const v = entry.view;
  const visitor = v.visitor || {};
  const name = el("span", { className: "name", text: visitor.name || "visitor" });
  entry.item.replaceChildren(name);
  if (visitor.vip) entry.item.append(el("span", { className: "tag", text: `VIP ${visitor.vip}` }));
  if (v.status === "closed") entry.item.append(el("span", { className: "tag", text: "closed" }));
  if (entry.unread) entry.item.append(el("span", { className: "badge", text: String(entry.unread) }));
  entry.item.classList.toggle("selected", state.selected === v.id);
  ui.empty.hidden = state.conversations.size > 0;
}

function select(id) {
  state.selected = id;
  const entry = state.conversations.get(id);
  for (const other of state.conversations.values()) drawItem(other);
  ui.pane.hidden = !entry;
  if (!entry) return;
  ui.messages.replaceWith(entry.list);
  ui.messages = entry.list;
  entry.list.id = "messages";
  drawPane(entry);
  scrollToEnd(entry.list);
  markRead(entry);
}

function drawPane(entry) {
  const v = entry.view;
  const visitor = v.visitor || {};
  ui.title.textContent = `${visitor.name || "visitor"} (${visitor.kind || "anonymous"})`;
  ui.conversationStatus.textContent = `${v.status} · queue ${v.group || "general"}`;
  const open = v.status !== "closed";
  ui.close.disabled = !open;
  ui.text.disabled = !open;
  ui.send.disabled = !open;
  ui.internal.disabled = !open;
}

function applyMessage(entry, message) {
  const mine = isMine(message);
  const pending = entry.pending.get(message.client_msg_id);
  if (mine && pending) {
    pending.remove();
    entry.pending.delete(message.client_msg_id);
  }
  insertBySeq(entry.list, renderMessage(message, { mine, readSeq: entry.readByVisitor }));
  if (state.selected === entry.view.id) {
    scrollToEnd(entry.list);
    if (!mine) markRead(entry);
  } else if (!mine) {
    entry.unread += 1;
    drawItem(entry);
  }
}

function markRead(entry) {
  if (document.visibilityState !== "visible" || !entry.stream.lastSeq) return;
  entry.unread = 0;
  drawItem(entry);
  entry.sendRead();
}

function closed(id) {
  const entry = state.conversations.get(id);
  if (!entry) return;
  entry.view.status = "closed";
  drawItem(entry);
  if (state.selected === id) drawPane(entry);
  countLoad();
}

function selectedEntry() {
  return state.selected ? state.conversations.get(state.selected) : null;
}

// --- connection -------------------------------------------------------------

let socket = null;
if (!socketIoMissing(ui.notice)) {
  // The session cookie from /api/v1/auth/login authenticates the connection.
  // Not at once: a page that is not signed in shows the login form without a socket.
  socket = window.io("/agent", { withCredentials: true, autoConnect: false });
  wire(socket);
  resume();
} else {
  ui.login.hidden = true;
}

function wire(socket) {
  socket.on("connect", () => {
    ui.connection.textContent = "connected";
    ui.login.hidden = true;
    ui.desk.hidden = false;
    setNotice("");
  });
  socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") {
      showLogin("Your session ended; log in again.");
      ui.connection.textContent = "logged out";
    } else if (reason !== "io client disconnect") {
      ui.connection.textContent = "reconnecting…";
    }
  });
  socket.on("connect_error", (err) => {
    const data = err.data || {};
    if (data.code === "unauthorized") showLogin("");
    else if (data.code === "session_expired") showLogin("Your session expired; log in again.");
    else if (!socket.active) setNotice(`The server refused the connection: ${data.error || err.message}`);
    else ui.connection.textContent = "reconnecting…";
  });

  // Sent after every (re)connect: our status and open conversations; resume each.
  socket.on("agent_state", (payload) => {
    state.agent = payload.agent;
    drawAgent();
    const open = new Set();
    for (const view of payload.conversations) {
      open.add(view.id);
      upsert(view).stream.sync();
    }
    for (const id of state.conversations.keys()) if (!open.has(id)) closed(id);
    if (!selectedEntry() && payload.conversations.length) select(payload.conversations[0].id);
  });
  socket.on("conversation_assigned", (view) => {
    // A supervisor also hears of chats assigned to others in their groups; the desk
    // shows only our own.
    if (!isOurs(view)) return;
    upsert(view).stream.sync();
    // A new chat takes the pane unless the agent is in the middle of an open one.
    const current = selectedEntry();
    if (!current || current.view.status === "closed") select(view.id);
    countLoad();
  });
  socket.on("message_posted", (message) => {
    const entry = state.conversations.get(message.conversation_id);
    if (entry) entry.stream.receive(message);
  });
  socket.on("conversation_closed", (payload) => closed(payload.conversation_id));
  socket.on("typing_changed", (payload) => {
    if (payload.conversation_id === state.selected) {
      showTyping(ui.typing, "The visitor is typing…", payload.typing);
    }
  });
  socket.on("read_changed", (payload) => {
    const entry = state.conversations.get(payload.conversation_id);
    if (!entry || payload.seq <= entry.readByVisitor) return;
    entry.readByVisitor = payload.seq;
    markReadUpTo(entry.list, payload.seq);
  });
}

// Already signed in (a reload): connect; otherwise show the login form.
async function resume() {
  let session;
  try {
    session = await fetchJson("/api/v1/auth/session");
  } catch (error) {
    setNotice(`The appliance did not answer: ${error.message}`);
    return;
  }
  if (session.body.agent) socket.connect();
  else showLogin("");
}

function drawAgent() {
  const a = state.agent;
  if (!a) return;
  ui.who.textContent = a.name;
  ui.status.value = a.status;
  ui.load.textContent = a.capacity ? `${a.load} of ${a.capacity} chats` : `${a.load} chats`;
}

// The load the server counts is our open conversations; keep the toolbar in step
// between agent_state / set_status answers.
function countLoad() {
  if (!state.agent) return;
  let open = 0;
  for (const entry of state.conversations.values()) if (entry.view.status !== "closed") open += 1;
  state.agent.load = open;
  drawAgent();
}

// --- actions ----------------------------------------------------------------

ui.status.addEventListener("change", async () => {
  const wanted = ui.status.value;
  const ack = await emitReliably(socket, "set_status", { status: wanted });
  if (ack.ok) {
    Object.assign(state.agent, ack.agent);
    drawAgent();
  } else {
    setNotice(`Could not change status: ${ack.error}`);
    if (state.agent) ui.status.value = state.agent.status;
  }
});

ui.close.addEventListener("click", async () => {
  const entry = selectedEntry();
  if (!entry) return;
  ui.close.disabled = true;
  const ack = await emitReliably(socket, "close_conversation", { conversation_id: entry.view.id });
  if (ack.ok) {
    upsert(ack.conversation);
    closed(entry.view.id);
  } else if (ack.code === "conversation_closed") {
    closed(entry.view.id); // the visitor ended it first
  } else {
    ui.close.disabled = false;
    setNotice(`Could not close the conversation: ${ack.error}`);
  }
});

const typing = socket && new TypingNotifier(socket, () => state.selected);
ui.text.addEventListener("input", () => {
  if (typing && !ui.internal.checked) typing.typed();
});

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const entry = selectedEntry();
  const text = ui.text.value;
  if (!socket || !entry || !text.trim()) return;
  ui.text.value = "";
  typing.stopped();
  send(entry, text, ui.internal.checked);
});

async function send(entry, text, internal) {
  const clientMsgId = newClientMsgId();
  const node = renderPending(text, { note: internal });
  entry.pending.set(clientMsgId, node);
  entry.list.append(node);
  scrollToEnd(entry.list);
  const payload = { conversation_id: entry.view.id, client_msg_id: clientMsgId, text, internal };
  const ack = await emitReliably(socket, "send_message", payload, () =>
    markDelivery(node, "not delivered yet, retrying…"),
  );
  if (ack.ok) {
    entry.stream.receive(ack.message);
    return;
  }
  entry.pending.delete(clientMsgId);
  node.classList.add("failed");
  markDelivery(node, `not sent: ${ack.error}`);
  if (ack.code === "conversation_closed") closed(entry.view.id);
}

document.addEventListener("visibilitychange", () => {
  const entry = selectedEntry();
  if (entry) markRead(entry);
});
