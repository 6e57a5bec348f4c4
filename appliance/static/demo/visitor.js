// The demo visitor widget: namespace /visitor of docs/protocol.md.
import {
  MessageStream,
  TypingNotifier,
  debounce,
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

const TOKEN_KEY = "enclave-demo.visitor_token";

const $ = (id) => document.getElementById(id);
const ui = {
  notice: $("notice"),
  connection: $("connection"),
  who: $("who"),
  status: $("status"),
  start: $("start"),
  topic: $("topic"),
  end: $("end"),
  messages: $("messages"),
  typing: $("typing"),
  form: $("send-form"),
  text: $("text"),
  send: $("send"),
};

const state = {
  conversation: null, // the visitor view of the open (or just closed) conversation
  stream: null,
  readByAgent: 0,
  pending: new Map(), // client_msg_id -> node of a message not yet acked
};

function setNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

function showConversation() {
  const c = state.conversation;
  let text = "No conversation yet.";
  if (c && c.status === "queued") {
    text = c.queue_position ? `Waiting for an agent: position ${c.queue_position} in the queue.` : "Waiting for an agent.";
  } else if (c && c.status === "assigned") {
    text = `Chatting with ${c.agent ? c.agent.name : "an agent"}.`;
  } else if (c && c.status === "closed") {
    text = "This conversation is closed.";
  }
  ui.status.textContent = text;
  const open = Boolean(c && c.status !== "closed");
  ui.start.hidden = open;
  ui.end.hidden = !open;
  ui.start.textContent = c ? "Start a new chat" : "Start chat";
  ui.text.disabled = !open;
  ui.send.disabled = !open;
}

function setConversation(conversation) {
  const same = state.conversation && state.conversation.id === conversation.id;
  state.conversation = conversation;
  if (!same) {
    ui.messages.replaceChildren();
    state.pending.clear();
    state.readByAgent = (conversation.read_seq && conversation.read_seq.agent) || 0;
    state.stream = new MessageStream(socket, conversation.id, applyMessage);
  }
  showConversation();
  state.stream.sync();
}

function applyMessage(message) {
  const mine = message.sender.type === "visitor";
  const pending = state.pending.get(message.client_msg_id);
  if (mine && pending) {
    pending.remove();
    state.pending.delete(message.client_msg_id);
  }
  insertBySeq(ui.messages, renderMessage(message, { mine, readSeq: state.readByAgent }));
  scrollToEnd(ui.messages);
  if (!mine) markRead();
}

const markRead = debounce(() => {
  const c = state.conversation;
  if (!c || !state.stream || document.visibilityState !== "visible") return;
  emitOnce(socket, "mark_read", { conversation_id: c.id, seq: state.stream.lastSeq });
}, 300);

function isCurrent(payload) {
  return state.conversation && payload.conversation_id === state.conversation.id;
}

// --- connection -------------------------------------------------------------

let socket = null;
if (!socketIoMissing(ui.notice)) {
  // auth is a function so a reconnect presents the token we were given last.
  socket = window.io("/visitor", {
    auth: (cb) => {
      const token = localStorage.getItem(TOKEN_KEY);
      cb(token ? { visitor_token: token } : {});
    },
  });
  wire(socket);
}

function wire(socket) {
  socket.on("connect", () => {
    ui.connection.textContent = "connected";
    setNotice("");
  });
  socket.on("disconnect", (reason) => {
    if (reason === "io server disconnect") {
      ui.connection.textContent = "disconnected";
      setNotice("The chat service ended this connection; reload the page to reconnect.");
    } else {
      ui.connection.textContent = "reconnecting…";
    }
  });
  socket.on("connect_error", (err) => {
    ui.connection.textContent = "not connected";
    const data = err.data || {};
    if (data.code === "invalid_token" || data.code === "token_expired") {
      // A stale token from an earlier instance or an expired one: start afresh.
      localStorage.removeItem(TOKEN_KEY);
      setNotice("Your previous chat session has expired; starting a new one.");
      socket.connect();
    } else if (!socket.active) {
      setNotice(`The chat service refused the connection: ${data.error || err.message}`);
    }
  });

  // Sent after every (re)connect: the place to resume.
  socket.on("session_started", (payload) => {
    // null for a verified customer: then there is nothing to keep.
    if (typeof payload.visitor_token === "string") localStorage.setItem(TOKEN_KEY, payload.visitor_token);
    else localStorage.removeItem(TOKEN_KEY);
    ui.who.textContent = payload.visitor.name ? `You are ${payload.visitor.name}.` : "";
    if (payload.conversation) setConversation(payload.conversation);
    else if (state.conversation && state.conversation.status !== "closed") {
      state.conversation.status = "closed";
      showConversation();
    } else showConversation();
  });

  socket.on("message_posted", (message) => {
    if (isCurrent(message)) state.stream.receive(message);
  });
  socket.on("conversation_queued", (payload) => {
    if (!isCurrent(payload)) return;
    Object.assign(state.conversation, { status: "queued", queue_position: payload.queue_position });
    showConversation();
  });
  socket.on("conversation_assigned", (payload) => {
    if (!isCurrent(payload)) return;
    Object.assign(state.conversation, { status: "assigned", agent: payload.agent, queue_position: null });
    showConversation();
  });
  socket.on("conversation_closed", (payload) => {
    if (!isCurrent(payload)) return;
    state.conversation.status = "closed";
    showConversation();
    showTyping(ui.typing, "", false);
  });
  socket.on("typing_changed", (payload) => {
    if (isCurrent(payload)) showTyping(ui.typing, "The agent is typing…", payload.typing);
  });
  socket.on("read_changed", (payload) => {
    if (!isCurrent(payload) || payload.seq <= state.readByAgent) return;
    state.readByAgent = payload.seq;
    markReadUpTo(ui.messages, payload.seq);
  });
}

// --- actions ----------------------------------------------------------------

const typing = socket && new TypingNotifier(socket, () => state.conversation && state.conversation.id);

ui.start.addEventListener("click", async () => {
  if (!socket) return;
  ui.start.disabled = true;
  // The pre-chat choice picks the queue (docs/routing.md, "The demo queues").
  const ack = await emitReliably(
    socket, "start_conversation", ui.topic.value ? { group: ui.topic.value, language: "en" } : { language: "en" });
  ui.start.disabled = false;
  if (ack.ok) setConversation(ack.conversation);
  else setNotice(`Could not start a chat: ${ack.error}`);
});

ui.end.addEventListener("click", async () => {
  const c = state.conversation;
  if (!socket || !c || c.status === "closed") return;
  ui.end.disabled = true;
  typing.stopped();
  const ack = await emitReliably(socket, "close_conversation", { conversation_id: c.id });
  ui.end.disabled = false;
  if (ack.ok || ack.code === "conversation_closed") {
    if (isCurrent({ conversation_id: c.id })) {
      state.conversation.status = "closed";
      showConversation();
      showTyping(ui.typing, "", false);
    }
  } else setNotice(`Could not end the chat: ${ack.error}`);
});

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.text.value;
  const c = state.conversation;
  if (!socket || !c || !text.trim()) return;
  ui.text.value = "";
  typing.stopped();
  send(c.id, text);
});

ui.text.addEventListener("input", () => typing && typing.typed());

async function send(conversationId, text) {
  const clientMsgId = newClientMsgId();
  const node = renderPending(text, { note: false });
  state.pending.set(clientMsgId, node);
  ui.messages.append(node);
  scrollToEnd(ui.messages);
  const payload = { conversation_id: conversationId, client_msg_id: clientMsgId, text };
  const ack = await emitReliably(socket, "send_message", payload, () =>
    markDelivery(node, "not delivered yet, retrying…"),
  );
  if (ack.ok) {
    if (isCurrent(ack.message)) state.stream.receive(ack.message);
    return;
  }
  state.pending.delete(clientMsgId);
  node.classList.add("failed");
  markDelivery(node, `not sent: ${ack.error}`);
  if (ack.code === "conversation_closed" && isCurrent({ conversation_id: conversationId })) {
    state.conversation.status = "closed";
    showConversation();
  }
}

document.addEventListener("visibilitychange", markRead);
showConversation();
