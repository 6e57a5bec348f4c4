// Client-side rules shared by the demo visitor widget and the demo agent page.
// Written against docs/protocol.md. Chat text is data, never markup: everything a
// user or the server supplies reaches the page through textContent only.

export const ACK_TIMEOUT_MS = 5000;
const RETRY_PAUSE_MS = 1000;

// The vendored Socket.IO client (make assets) defines window.io; without it the
// page says so instead of failing silently.
export function socketIoMissing(notice) {
  if (typeof window.io === "function") return false;
  notice.textContent =
    "The Socket.IO client is not built into this appliance: run `make assets` " +
    "(needs Node.js and npm at build time), then reload this page.";
  notice.hidden = false;
  return true;
}

// Build an element; `text` is set with textContent, so it is never parsed as HTML.
export function el(tag, { className, text } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const child of children) node.append(child);
  return node;
}

export function newClientMsgId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return "c-" + window.crypto.randomUUID();
  }
  // randomUUID needs a secure context (https or localhost); fall back to getRandomValues.
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return "c-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString();
}

// Run `fn` once, `ms` after the last of a burst of calls (a sync applies many messages
// at once; one mark_read for all of them keeps us clear of flood control).
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function nextConnect(socket) {
  return new Promise((resolve) => socket.once("connect", resolve));
}

// Emit once and wait up to ACK_TIMEOUT_MS for the ack: resolves to the ack object,
// or to {ok: false, code: "timeout"} when none came.
export function emitOnce(socket, event, payload) {
  return new Promise((resolve) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, ack) => {
      if (err) resolve({ ok: false, code: "timeout", error: "no answer from the server" });
      else resolve(ack || { ok: false, code: "internal_error", error: "empty answer" });
    });
  });
}

const RETRYABLE = new Set(["timeout", "internal_error", "rate_limited"]);

// Emit until the server acknowledges, resending the SAME payload (so the same
// client_msg_id) after a lost ack: the server stores a message once per id and acks
// a resend with "duplicate": true. Resolves to the first definite answer (ok or a
// non-retryable refusal). `onRetry(ack)` lets the page show "retrying".
export async function emitReliably(socket, event, payload, onRetry = () => {}) {
  for (;;) {
    if (!socket.connected) await nextConnect(socket);
    const ack = await emitOnce(socket, event, payload);
    if (ack.ok || !RETRYABLE.has(ack.code)) return ack;
    onRetry(ack);
    if (ack.code !== "timeout") await pause(RETRY_PAUSE_MS);
  }
}

// One conversation's message stream. Applies each message at most once, in seq order:
// a message is applied only if its seq is higher than the last applied one. A jump in
// seq (a message we have not seen yet, or a note a visitor may not see) triggers a
// `sync`; what the sync answers is everything there is, so after it a gap is not loss.
export class MessageStream {
  constructor(socket, conversationId, apply) {
    this.socket = socket;
    this.conversationId = conversationId;
    this.apply = apply; // called with each message object, once, in seq order
    this.lastSeq = 0;
    this.held = new Map(); // seq -> message that arrived after a gap, waiting for the sync
    this.syncing = null;
  }

  receive(message) {
    if (!message || message.seq <= this.lastSeq) return;
    if (message.seq === this.lastSeq + 1 && !this.syncing) {
      this.lastSeq = message.seq;
      this.apply(message);
      return;
    }
    this.held.set(message.seq, message);
    this.sync();
  }

  // Catch up from lastSeq: after every (re)connect, and whenever seq jumps.
  sync() {
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    this.syncing = this._catchUp().finally(() => {
      this.syncing = null;
      if (this.again) {
        this.again = false;
        this.sync();
      }
    });
    return this.syncing;
  }

  async _catchUp() {
    for (;;) {
      const payload = { conversation_id: this.conversationId, after_seq: this.lastSeq };
      const ack = await emitReliably(this.socket, "sync", payload);
      if (!ack.ok) return;
      for (const message of ack.messages) this.held.set(message.seq, message);
      this._applyHeld();
      if (!ack.has_more) return;
    }
  }

  _applyHeld() {
    const seqs = Array.from(this.held.keys()).sort((a, b) => a - b);
    for (const seq of seqs) {
      const message = this.held.get(seq);
      this.held.delete(seq);
      if (seq > this.lastSeq) {
        this.lastSeq = seq;
        this.apply(message);
      }
    }
  }
}

// Sends typing:true at most every few seconds while the user types, typing:false
// after a pause or when the message is sent.
export class TypingNotifier {
  constructor(socket, conversationIdFn) {
    this.socket = socket;
    this.conversationIdFn = conversationIdFn;
    this.sentAt = 0;
    this.timer = null;
  }

  typed() {
    const conversationId = this.conversationIdFn();
    if (!conversationId || !this.socket.connected) return;
    const now = Date.now();
    if (now - this.sentAt > 3000) {
      this.sentAt = now;
      emitOnce(this.socket, "typing", { conversation_id: conversationId, typing: true });
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stopped(), 2500);
  }

  stopped() {
    clearTimeout(this.timer);
    this.timer = null;
    const conversationId = this.conversationIdFn();
    if (!this.sentAt || !conversationId || !this.socket.connected) return;
    this.sentAt = 0;
    emitOnce(this.socket, "typing", { conversation_id: conversationId, typing: false });
  }
}

// A "… is typing" line that clears itself if the stop event never comes.
export function showTyping(node, text, typing) {
  clearTimeout(node._clear);
  node.textContent = typing ? text : "";
  if (typing) node._clear = setTimeout(() => (node.textContent = ""), 8000);
}

// One rendered message: who, when, what, and (for our own) delivery / read state.
export function renderMessage(message, { mine, readSeq }) {
  const kind = message.kind === "note" ? " note" : "";
  const side = mine ? " mine" : message.sender.type === "system" ? " system" : "";
  const meta = el("div", { className: "meta" });
  meta.append(el("span", { className: "who", text: message.sender.name || message.sender.type }));
  if (message.kind === "note") meta.append(el("span", { className: "tag", text: "internal note" }));
  meta.append(el("span", { className: "when", text: formatTime(message.sent_at) }));
  const state = el("span", { className: "state" });
  meta.append(state);
  const node = el("li", { className: "message" + side + kind }, meta);
  // A body that failed authentication comes as text null, unreadable true (protocol.md).
  const text = message.unreadable ? "(This message could not be read)" : message.text;
  node.append(el("div", { className: "text" + (message.unreadable ? " unreadable" : ""), text }));
  node.dataset.seq = String(message.seq);
  // A note is never shown to the visitor, so it is never "read" by them.
  if (mine) markDelivery(node, message.kind !== "note" && readSeq >= message.seq ? "read" : "sent");
  return node;
}

// A message we are still sending: shown at once, replaced when the ack arrives.
export function renderPending(text, { note }) {
  const meta = el("div", { className: "meta" }, el("span", { className: "who", text: "you" }));
  if (note) meta.append(el("span", { className: "tag", text: "internal note" }));
  meta.append(el("span", { className: "state", text: "sending…" }));
  const node = el("li", { className: "message mine pending" + (note ? " note" : "") }, meta);
  node.append(el("div", { className: "text", text }));
  return node;
}

export function markDelivery(node, state) {
  const label = node.querySelector(".state");
  if (label) label.textContent = { sent: "✓", read: "✓✓ read" }[state] || state;
}

// Update the read marks of our own messages once the other side has read up to `seq`.
export function markReadUpTo(list, seq) {
  for (const node of list.querySelectorAll("li.message.mine[data-seq]:not(.note)")) {
    if (Number(node.dataset.seq) <= seq) markDelivery(node, "read");
  }
}

// Insert a rendered message in seq order (pending ones stay at the bottom).
export function insertBySeq(list, node) {
  const seq = Number(node.dataset.seq);
  for (const other of list.children) {
    if (other.classList.contains("pending") || Number(other.dataset.seq) > seq) {
      list.insertBefore(node, other);
      return;
    }
  }
  list.append(node);
}

export function scrollToEnd(list) {
  list.scrollTop = list.scrollHeight;
}
