// One open conversation as the workbench holds it: its messages in seq order (through the
// shared MessageStream, so each is applied once), our sends still waiting for their ack
// (resent with the same client_msg_id by emitReliably, across reconnects), the visitor's
// typing and read position, and what counts as unread.
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
    pending: [], // {clientMsgId, text, note, state: "sending" | "retrying" | "failed", error}
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
    const ack = await emitReliably(socket, "send_message", payload, () => (entry.state = "retrying"));
    if (ack.ok) {
      chat.pending.splice(chat.pending.indexOf(entry), 1);
      stream.receive(ack.message);
    } else {
      entry.state = "failed";
      entry.error = ack.code;
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
    received,
    visitorTyped,
    typed: () => typing.typed(),
    sync: () => stream.sync(),
  });
}
