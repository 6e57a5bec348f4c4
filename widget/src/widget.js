// The widget's behaviour: connection, pre-chat, queue, messages, leave-a-message.
// Delivery rules (ack timeout, resend with the same client_msg_id, seq-ordered catch-up)
// are the demo client's, shared from appliance/static/demo/chat.js.
import {
  MessageStream,
  TypingNotifier,
  debounce,
  emitOnce,
  emitReliably,
  newClientMsgId,
} from "../../appliance/static/demo/chat.js";
import { buildUi, el, fillTopics, insertBySeq, renderMessage, setState } from "./dom.js";
import { pickLanguage, strings } from "./strings.js";

function storage(server) {
  const prefix = `enclave-widget:${server}:`;
  const get = (key) => {
    try {
      return localStorage.getItem(prefix + key);
    } catch {
      return null; // storage blocked (private mode, third-party restrictions)
    }
  };
  const set = (key, value) => {
    try {
      if (value === null) localStorage.removeItem(prefix + key);
      else localStorage.setItem(prefix + key, value);
    } catch {
      // without storage the chat still works; it just does not survive a reload
    }
  };
  return { get, set };
}

export function startWidget(settings, io) {
  const language = pickLanguage(settings.language);
  const t = strings(language);
  const store = storage(settings.server);

  const host = document.createElement("div");
  host.className = "enclave-widget-host";
  const root = host.attachShadow({ mode: "open" });
  const ui = buildUi(root, t, language);
  // Unstyled until our stylesheet (same directory as the script) has loaded.
  ui.frame.style.visibility = "hidden";
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = settings.stylesheet;
  const reveal = () => (ui.frame.style.visibility = "");
  link.addEventListener("load", reveal);
  link.addEventListener("error", reveal);
  root.prepend(link);
  if (settings.color) ui.frame.style.setProperty("--ew-accent", settings.color);
  document.body.append(host);

  const state = {
    conversation: null,
    stream: null,
    queue: null, // the queue the conversation waits in, for leave_message
    wait: null, // estimated_wait_seconds from conversation_queued
    leaveQueue: null,
    readByAgent: 0,
    pending: new Map(), // client_msg_id -> {conversation_id, text, node}
    starting: false,
    surveyFor: null, // the closed conversation the survey and transcript are offered for
    score: 0,
    rated: false,
    question: null, // the pre-chat question's mode, once prechat_form has answered
  };

  // --- panel ---------------------------------------------------------------

  const isOpen = () => !ui.panel.hidden;
  function firstFocus() {
    for (const node of [ui.text, ui.leaveText, ui.topic, ui.question]) {
      if (!node.closest("[hidden]")) return node;
    }
    return ui.close;
  }
  function open() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.frame.classList.add("ew-open");
    firstFocus().focus();
    scrollToEnd();
    markRead();
  }
  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.frame.classList.remove("ew-open");
    ui.launcher.focus();
  }
  ui.launcher.addEventListener("click", () => (isOpen() ? close() : open()));
  ui.close.addEventListener("click", close);
  ui.panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  // --- pre-chat form ----------------------------------------------------------

  // The form as the appliance configures it, narrowed by the page's data-topics (names
  // the server does not offer are ignored). data-group: this page's chats go to one
  // queue, so there is no topic to pick.
  function applyForm(form) {
    let topics = form.topics || [];
    const wanted = (settings.topics || []).filter((name) => topics.some((topic) => topic.queue === name));
    if (wanted.length) topics = wanted.map((name) => topics.find((topic) => topic.queue === name));
    fillTopics(ui.topic, topics, Boolean(form.other), t);
    ui.topicField.hidden = Boolean(settings.group) || !topics.length;
    state.question = ["required", "hidden"].includes(form.question) ? form.question : "optional";
    ui.questionField.hidden = state.question === "hidden";
    ui.question.setAttribute("aria-required", String(state.question === "required"));
    ui.questionField.querySelector("label").textContent =
      state.question === "required" ? t.questionLabelRequired : t.questionLabel;
    render();
  }

  async function loadForm() {
    const ack = await emitReliably(socket, "prechat_form", { language });
    // An appliance without the event (older than the widget): no topics, an optional question.
    applyForm(ack.ok ? ack : {});
  }

  function questionError(text) {
    // The alert stays in the page, empty, so that filling it in is announced.
    ui.questionError.textContent = text;
    if (text) ui.question.setAttribute("aria-invalid", "true");
    else ui.question.removeAttribute("aria-invalid");
  }

  function notice(text) {
    ui.notice.textContent = text || "";
    ui.notice.hidden = !text;
  }

  function scrollToEnd() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function render() {
    const c = state.conversation;
    const live = Boolean(c && c.status !== "closed");
    const leaving = state.leaveQueue !== null;
    let status = "";
    if (c && (c.status === "queued" || c.status === "offered")) {
      const minutes = state.wait == null ? null : Math.max(1, Math.ceil(state.wait / 60));
      status = c.queue_position ? t.queued(c.queue_position, minutes) : t.waiting;
    } else if (c && c.status === "assigned") {
      status = t.assigned(c.agent ? c.agent.name : t.anAgent);
    } else if (c && c.status === "closed") {
      status = t.closed;
    } else if (state.starting) {
      status = t.starting;
    }
    ui.status.textContent = status;
    ui.status.hidden = !status;
    ui.prechat.hidden = live || leaving;
    ui.start.textContent = c ? t.newChat : t.start;
    ui.start.disabled = state.starting || state.question === null;
    ui.leave.hidden = !leaving;
    ui.compose.hidden = !live;
    ui.end.hidden = !live;
    ui.messages.hidden = !c;
    const after = Boolean(c && c.status === "closed" && state.surveyFor === c.id);
    ui.after.hidden = !after;
    // After a chat the survey comes first and "Start a new chat" last (in the DOM, so the
    // Tab order matches what is seen); before one, the pre-chat form is at the top.
    if (after ? ui.panel.lastChild !== ui.prechat : ui.prechat.nextSibling !== ui.leave) {
      ui.panel.insertBefore(ui.prechat, after ? null : ui.leave);
    }
    ui.survey.hidden = state.rated;
    ui.thanks.hidden = !state.rated;
    ui.rate.disabled = !state.score;
    for (const button of ui.scores) {
      button.setAttribute("aria-pressed", String(Number(button.dataset.score) === state.score));
    }
  }

  // The conversation has ended (the agent, the visitor or the system closed it): offer
  // the survey and the transcript.
  function ended(conversation) {
    conversation.status = "closed";
    if (state.surveyFor !== conversation.id) {
      state.surveyFor = conversation.id;
      state.score = 0;
      state.rated = false;
      ui.comment.value = "";
    }
    render();
  }

  // --- messages ------------------------------------------------------------

  function savePending() {
    const outbox = [...state.pending.entries()].map(([id, p]) => ({
      client_msg_id: id,
      conversation_id: p.conversation_id,
      text: p.text,
    }));
    store.set("outbox", outbox.length ? JSON.stringify(outbox) : null);
  }

  function setConversation(conversation) {
    const same = state.conversation && state.conversation.id === conversation.id;
    state.conversation = conversation;
    if (!same) {
      ui.messages.replaceChildren();
      for (const p of state.pending.values()) p.node.remove();
      state.pending.clear();
      state.wait = null;
      state.readByAgent = (conversation.read_seq && conversation.read_seq.agent) || 0;
      state.stream = new MessageStream(socket, conversation.id, applyMessage);
      resendOutbox(conversation.id);
    }
    render();
    if (conversation.status !== "closed") state.stream.sync();
  }

  function applyMessage(message) {
    const mine = message.sender.type === "visitor";
    const pending = state.pending.get(message.client_msg_id);
    if (mine && pending) {
      pending.node.remove();
      state.pending.delete(message.client_msg_id);
      savePending();
    }
    const node = renderMessage(message, t, { mine });
    if (mine) setState(node, state.readByAgent >= message.seq ? t.read : t.sent);
    insertBySeq(ui.messages, node);
    scrollToEnd();
    if (!mine) markRead();
  }

  const markRead = debounce(() => {
    const c = state.conversation;
    if (!c || c.status === "closed" || !state.stream || !isOpen()) return;
    if (document.visibilityState !== "visible" || !state.stream.lastSeq) return;
    emitOnce(socket, "mark_read", { conversation_id: c.id, seq: state.stream.lastSeq });
  }, 300);

  async function send(conversationId, text, clientMsgId = newClientMsgId()) {
    const node = renderMessage({ text, sender: { type: "visitor" } }, t, { mine: true, pending: true });
    state.pending.set(clientMsgId, { conversation_id: conversationId, text, node });
    savePending();
    ui.messages.append(node);
    scrollToEnd();
    const payload = { conversation_id: conversationId, client_msg_id: clientMsgId, text };
    const ack = await emitReliably(socket, "send_message", payload, () => setState(node, t.retrying));
    if (ack.ok) {
      if (isCurrent(ack.message)) state.stream.receive(ack.message);
      return;
    }
    state.pending.delete(clientMsgId);
    savePending();
    node.classList.add("ew-failed");
    setState(node, t.notSent(ack.error));
    if (ack.code === "conversation_closed" && isCurrent({ conversation_id: conversationId })) {
      ended(state.conversation);
    }
  }

  // Messages sent before a reload whose ack never came: resend with the same id (the
  // server stores each client_msg_id once), so nothing is lost and nothing doubles.
  function resendOutbox(conversationId) {
    let outbox = [];
    try {
      outbox = JSON.parse(store.get("outbox") || "[]");
    } catch {
      outbox = [];
    }
    store.set("outbox", null);
    for (const item of outbox) {
      if (item.conversation_id === conversationId && !state.pending.has(item.client_msg_id)) {
        send(conversationId, item.text, item.client_msg_id);
      }
    }
  }

  function isCurrent(payload) {
    return Boolean(state.conversation && payload && payload.conversation_id === state.conversation.id);
  }

  // --- connection ------------------------------------------------------------

  const socket = io(`${settings.server}/visitor`, {
    path: "/socket.io/",
    // A function, so every reconnect presents the token we hold by then.
    auth: (cb) => {
      if (settings.customerToken) return cb({ customer_token: settings.customerToken });
      const token = store.get("visitor_token");
      cb(token ? { visitor_token: token } : {});
    },
  });
  const typing = new TypingNotifier(socket, () => state.conversation && state.conversation.status !== "closed" && state.conversation.id);

  const connection = (text, kind) => {
    ui.connection.textContent = text;
    ui.connection.dataset.state = kind;
    ui.launcher.dataset.state = kind;
  };
  socket.on("connect", () => {
    connection(t.connected, "connected");
    notice("");
    loadForm();
  });
  socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") connection(t.disconnected, "disconnected");
    else connection(t.reconnecting, "reconnecting");
  });
  socket.on("connect_error", (err) => {
    connection(t.reconnecting, "reconnecting");
    const data = err.data || {};
    if (!settings.customerToken && (data.code === "invalid_token" || data.code === "token_expired")) {
      store.set("visitor_token", null);
      notice(t.expired);
      socket.connect();
    } else if (!socket.active) {
      connection(t.disconnected, "disconnected");
      notice(t.refused(data.error || err.message));
    }
  });

  socket.on("session_started", (payload) => {
    // null for a verified customer: the bank's site issues a fresh customer token each time.
    store.set("visitor_token", typeof payload.visitor_token === "string" ? payload.visitor_token : null);
    if (payload.conversation) setConversation(payload.conversation);
    else if (state.conversation && state.conversation.status !== "closed") ended(state.conversation);
    else render();
  });
  socket.on("message_posted", (message) => {
    if (isCurrent(message)) state.stream.receive(message);
  });
  socket.on("conversation_queued", (payload) => {
    if (!isCurrent(payload)) return;
    state.queue = payload.queue;
    state.wait = payload.estimated_wait_seconds;
    Object.assign(state.conversation, { status: "queued", queue_position: payload.queue_position });
    render();
  });
  socket.on("conversation_assigned", (payload) => {
    if (!isCurrent(payload)) return;
    Object.assign(state.conversation, { status: "assigned", agent: payload.agent, queue_position: null });
    render();
  });
  socket.on("conversation_closed", (payload) => {
    if (!isCurrent(payload)) return;
    ui.typing.textContent = "";
    // A waiting chat closed by leave_message is not rated.
    if (payload.closed_by === "leave_message") {
      state.conversation.status = "closed";
      render();
    } else ended(state.conversation);
  });
  socket.on("leave_message_offered", (payload) => {
    if (!isCurrent(payload)) return;
    offerLeaveMessage(state.queue || state.conversation.group || "general", t.leaveOffered);
  });
  let typingTimer = null;
  socket.on("typing_changed", (payload) => {
    if (!isCurrent(payload)) return;
    clearTimeout(typingTimer);
    ui.typing.textContent = payload.typing ? t.agentTyping : "";
    // Clear it ourselves if the "stopped" event never comes.
    if (payload.typing) typingTimer = setTimeout(() => (ui.typing.textContent = ""), 8000);
  });
  socket.on("read_changed", (payload) => {
    if (!isCurrent(payload) || payload.seq <= state.readByAgent) return;
    state.readByAgent = payload.seq;
    for (const node of ui.messages.querySelectorAll("li.ew-mine[data-seq]")) {
      if (Number(node.dataset.seq) <= payload.seq) setState(node, t.read);
    }
  });

  // --- actions ---------------------------------------------------------------

  function offerLeaveMessage(queue, message) {
    state.leaveQueue = queue;
    ui.leaveIntro.textContent = message || t.leaveIntro;
    render();
    if (isOpen()) ui.leaveText.focus();
  }

  ui.prechat.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.starting || state.question === null) return;
    const question = state.question === "hidden" ? "" : ui.question.value.trim();
    if (state.question === "required" && !question) {
      questionError(t.questionMissing);
      ui.question.focus();
      return;
    }
    questionError("");
    state.starting = true;
    notice("");
    render();
    const payload = { language };
    const group = settings.group || (ui.topicField.hidden ? "" : ui.topic.value);
    if (group) payload.group = group;
    if (question) payload.text = question;
    const ack = await emitReliably(socket, "start_conversation", payload);
    state.starting = false;
    if (!ack.ok) {
      render();
      notice(t.failed(ack.error));
      return;
    }
    ui.question.value = "";
    if (ack.conversation) {
      state.queue = group || null;
      setConversation(ack.conversation);
      for (const text of [ack.welcome_message, ack.conversation.status === "queued" && ack.queue_message]) {
        if (text) ui.messages.append(renderMessage({ text, sender: { type: "system" } }, t, { mine: false, pending: false }));
      }
      // The question chose the queue; it is also the customer's first message, so the
      // agent reads it (sent like any message: idempotent, resent after a drop).
      if (question && ack.conversation.status !== "closed") send(ack.conversation.id, question);
      if (isOpen()) ui.text.focus();
    } else {
      const leave = ack.leave_message || {};
      offerLeaveMessage(leave.queue || group || "general", leave.message);
    }
  });

  ui.leave.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = ui.leaveText.value.trim();
    if (!text) return;
    ui.leaveSend.disabled = true;
    const payload = { queue: state.leaveQueue, text };
    if (ui.contact.value.trim()) payload.contact = ui.contact.value.trim();
    const ack = await emitReliably(socket, "leave_message", payload);
    ui.leaveSend.disabled = false;
    if (!ack.ok) {
      notice(t.failed(ack.error));
      return;
    }
    ui.leaveText.value = "";
    ui.contact.value = "";
    state.leaveQueue = null;
    if (state.conversation) state.conversation.status = "closed";
    render();
    notice(t.leaveDone);
    ui.start.focus();
  });

  ui.compose.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.text.value;
    const c = state.conversation;
    if (!c || c.status === "closed" || !text.trim()) return;
    ui.text.value = "";
    typing.stopped();
    send(c.id, text);
  });
  ui.text.addEventListener("input", () => typing.typed());
  ui.question.addEventListener("input", () => {
    if (ui.question.value.trim()) questionError("");
  });

  ui.end.addEventListener("click", async () => {
    const c = state.conversation;
    if (!c || c.status === "closed") return;
    ui.end.disabled = true;
    typing.stopped();
    const ack = await emitReliably(socket, "close_conversation", { conversation_id: c.id });
    ui.end.disabled = false;
    if (ack.ok || ack.code === "conversation_closed") {
      if (isCurrent({ conversation_id: c.id })) ended(state.conversation);
      render();
      (ui.scores[0].closest("[hidden]") ? ui.start : ui.scores[0]).focus();
    } else notice(t.failed(ack.error));
  });

  for (const button of ui.scores) {
    button.addEventListener("click", () => {
      state.score = Number(button.dataset.score);
      render();
    });
  }

  ui.survey.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = state.surveyFor;
    if (!state.score || !id) return;
    const comment = ui.comment.value.trim();
    if (new TextEncoder().encode(comment).length > 2000) {
      notice(t.commentTooLong);
      return;
    }
    ui.rate.disabled = true;
    const payload = { conversation_id: id, score: state.score };
    if (comment) payload.comment = comment;
    const ack = await emitReliably(socket, "rate_conversation", payload);
    if (state.surveyFor !== id) return;
    // conflict: rated already (say, from another tab); thank the visitor all the same.
    if (ack.ok || ack.code === "conflict") {
      notice("");
      state.rated = true;
      render();
      ui.download.focus();
    } else {
      render();
      notice(t.failed(ack.error));
    }
  });

  // The transcript as a plain-text file: built by concatenation, never parsed as HTML.
  function transcriptText(transcript) {
    let text = "\ufeff" + t.transcriptTitle + "\n" + transcript.conversation_id + "\n";
    text += t.transcriptOpened + ": " + transcript.opened_at + "\n";
    if (transcript.closed_at) text += t.transcriptClosed + ": " + transcript.closed_at + "\n";
    text += "\n";
    for (const m of transcript.messages || []) {
      const who = m.sender === "visitor" ? t.you : m.sender === "system" ? t.system : m.name || t.anAgent;
      text += "[" + m.sent_at + "] " + who + ": " + (m.unreadable ? "(" + t.unreadable + ")" : m.text) + "\n";
    }
    return text;
  }

  ui.download.addEventListener("click", async () => {
    const id = state.surveyFor;
    if (!id) return;
    ui.download.disabled = true;
    const ack = await emitReliably(socket, "export_transcript", { conversation_id: id });
    ui.download.disabled = false;
    if (!ack.ok) {
      notice(t.failed(ack.error));
      return;
    }
    const blob = new Blob([transcriptText(ack.transcript)], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: "transcript-" + String(id).slice(0, 8) + ".txt", hidden: true });
    root.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });

  document.addEventListener("visibilitychange", markRead);
  render();
}
