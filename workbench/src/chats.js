// One open conversation as the workbench holds it: its messages in seq order (through the
// shared MessageStream, so each is applied once), our sends still waiting for their ack
// (resent with the same client_msg_id by emitReliably, across reconnects), the visitor's
// typing and read position, and what counts as unread.
//
// Personal data arrives masked ("masked": true, docs/protocol.md); an agent with
// pii.reveal may reveal one message, which replaces its text (still rendered as text).
// A reply the server holds for the compliance prompt stays pending ("held") until the
// agent edits it (nothing was sent) or sends it anyway: the SAME payload again, with
// confirm_compliance listing the rules. Reusing its client_msg_id is safe because a held
// reply stores nothing; from then on a lost ack is resent with that id and acked once.
import { reactive } from "vue";
import {
  MessageStream,
  TypingNotifier,
  debounce,
  emitOnce,
  emitReliably,
  newClientMsgId,
} from "../../appliance/static/demo/chat.js";

const TYPING_CLEAR_MS = 8000;

export function createChat(socket, conversation, myId) {
  const chat = reactive({
    id: conversation.id,
    conversation,
    messages: [],
    pending: [], // {clientMsgId, text, note, state: "sending" | "retrying" | "held" | "failed", error}
    compliance: null, // {entry, payload, rules}: a reply held by the compliance prompt
    visitorTyping: false,
    visitorReadSeq: conversation.read_seq?.visitor ?? 0,
    agentReadSeq: conversation.read_seq?.agent ?? 0,
    closed: conversation.status === "closed",
    closedBy: null,
    transfer: conversation.transfer || null,
    draft: "",
    internal: false,
    error: "",
  });
  let typingTimer = null;
  const stream = new MessageStream(socket, chat.id, (message) => chat.messages.push(message));
  const typing = new TypingNotifier(socket, () => (chat.closed ? null : chat.id));
  const markReadSoon = debounce(() => markRead(), 300);

  function isMine(message) {
    return message.sender.type === "agent" && String(message.sender.id) === String(myId);
  }

  function unread() {
    return chat.messages.filter((m) => m.sender.type === "visitor" && m.seq > chat.agentReadSeq).length;
  }

  async function markRead() {
    const last = chat.messages.length ? chat.messages[chat.messages.length - 1].seq : 0;
    if (chat.closed || last <= chat.agentReadSeq) return;
    const ack = await emitOnce(socket, "mark_read", { conversation_id: chat.id, seq: last });
    if (ack.ok) chat.agentReadSeq = Math.max(chat.agentReadSeq, ack.read_seq);
  }

  async function send() {
    const text = chat.draft.trim();
    if (!text || chat.closed) return;
    const note = chat.internal;
    const payload = { conversation_id: chat.id, client_msg_id: newClientMsgId(), text };
    if (note) payload.internal = true;
    chat.draft = "";
    typing.stopped();
    const entry = reactive({ clientMsgId: payload.client_msg_id, text, note, state: "sending", error: "" });
    chat.pending.push(entry);
    await deliver(entry, payload);
  }

  async function deliver(entry, payload) {
    entry.state = "sending";
    const ack = await emitReliably(socket, "send_message", payload, () => (entry.state = "retrying"));
    if (ack.ok) {
      dropPending(entry);
      stream.receive(ack.message);
    } else if (ack.code === "compliance_prompt") {
      entry.state = "held";
      chat.compliance = { entry, payload, rules: ack.rules || [] };
    } else {
      entry.state = "failed";
      entry.error = ack.code;
    }
  }

  function dropPending(entry) {
    const index = chat.pending.indexOf(entry);
    if (index >= 0) chat.pending.splice(index, 1);
  }

  // "Send anyway": the held payload again, confirming every rule the server listed.
  function sendAnyway() {
    const held = chat.compliance;
    if (!held) return Promise.resolve();
    chat.compliance = null;
    const confirmed = { ...held.payload, confirm_compliance: held.rules.map((rule) => rule.id) };
    return deliver(held.entry, confirmed);
  }

  // "Edit": nothing was sent; the text goes back into the compose field.
  function editHeld() {
    const held = chat.compliance;
    if (!held) return;
    chat.compliance = null;
    dropPending(held.entry);
    chat.draft = held.entry.text;
  }

  async function reveal(message) {
    message.revealError = "";
    const ack = await emitOnce(socket, "reveal_message", { conversation_id: chat.id, seq: message.seq });
    if (ack.ok) {
      message.text = ack.text;
      message.revealed = true;
    } else {
      message.revealError = ack.code;
    }
  }

  function visitorTyped(isTyping) {
    clearTimeout(typingTimer);
    chat.visitorTyping = isTyping;
    if (isTyping) typingTimer = setTimeout(() => (chat.visitorTyping = false), TYPING_CLEAR_MS);
  }

  function received(message) {
    if (message.sender.type === "visitor") visitorTyped(false);
    stream.receive(message);
  }

  return Object.assign(chat, {
    isMine,
    unread,
    markRead,
    markReadSoon,
    send,
    sendAnyway,
    editHeld,
    reveal,
    received,
    visitorTyped,
    typed: () => typing.typed(),
    sync: () => stream.sync(),
  });
}
