// The signed-in agent's desk over /agent (docs/protocol.md): connection state, status and
// capacity, open chats, offers, the queues served. Socket.IO reconnects by itself after a
// network drop or a server restart; on every connect after the first, each open chat
// catches up with `sync` after its last applied seq, and sends still unacked are resent by
// emitReliably with their original client_msg_id. A chat assigned or offered to the agent
// (not one they picked up or accepted themselves) is announced by notify.js.
import { io } from "socket.io-client";
import { reactive } from "vue";
import { emitOnce, emitReliably } from "../../appliance/static/demo/chat.js";
import { createChat } from "./chats.js";
import { language } from "./i18n.js";
import { createNotifier } from "./notify.js";

const SIGNED_OUT = new Set(["unauthorized", "session_expired", "forbidden"]);

export function createDesk(onSignedOut) {
  const desk = reactive({
    connection: "connecting", // connecting | connected | reconnecting | offline
    attempts: 0,
    agent: null, // {id, name, status, capacity, load}
    chats: [], // createChat() objects, in the order they arrived
    offers: [], // conversation objects with offer_expires_ms
    queues: [], // {queue, display_name, strategy, waiting}
    notice: "",
  });
  const socket = io("/agent", { path: "/socket.io/", withCredentials: true });
  let connectedOnce = false;
  const notifier = createNotifier();
  let stateSeen = false; // the first agent_state lists the chats we had: nothing new
  const claiming = new Set(); // ids we are picking up or accepting ourselves

  const chatById = (id) => desk.chats.find((chat) => chat.id === id);

  // Only the queue's configured display name goes into the notification: no visitor data.
  function announce(conversation) {
    if (claiming.has(conversation.id)) return;
    const queue = desk.queues.find((q) => q.queue === conversation.group);
    const name = queue?.display_name?.[language.value] || queue?.display_name?.en || conversation.group || "—";
    notifier.newChat(name, conversation.id);
  }

  function addChat(conversation) {
    const existing = chatById(conversation.id);
    if (existing) {
      Object.assign(existing.conversation, conversation);
      if (conversation.transfer) existing.transfer = conversation.transfer;
      existing.closed = conversation.status === "closed";
      return existing;
    }
    const chat = createChat(socket, conversation, desk.agent?.id);
    desk.chats.push(chat);
    chat.sync();
    return chat;
  }

  function dropChat(id) {
    desk.chats = desk.chats.filter((chat) => chat.id !== id);
  }

  function dropOffer(id) {
    desk.offers = desk.offers.filter((offer) => offer.id !== id);
  }

  async function listQueues() {
    const ack = await emitReliably(socket, "list_queues", {});
    if (ack.ok) desk.queues = ack.queues;
  }

  socket.on("connect", () => {
    desk.connection = "connected";
    desk.attempts = 0;
    if (connectedOnce) for (const chat of desk.chats) chat.sync();
    connectedOnce = true;
    listQueues();
  });
  socket.on("disconnect", (reason) => {
    desk.connection = reason === "io client disconnect" ? "offline" : "reconnecting";
    // The server ends idle or revoked sessions itself; that is a sign-out, not a drop.
    if (reason === "io server disconnect") onSignedOut("session_expired");
  });
  socket.io.on("reconnect_attempt", (attempt) => {
    desk.connection = "reconnecting";
    desk.attempts = attempt;
  });
  socket.on("connect_error", (error) => {
    const code = error?.data?.code;
    if (SIGNED_OUT.has(code)) onSignedOut(code);
    else desk.connection = "reconnecting";
  });

  socket.on("agent_state", ({ agent, conversations }) => {
    desk.agent = agent;
    const open = new Set(conversations.map((c) => c.id));
    for (const chat of desk.chats) if (!open.has(chat.id) && !chat.closed) dropChat(chat.id);
    // After a reconnect: chats assigned to us while we were away are new to us.
    const fresh = stateSeen ? conversations.filter((c) => !chatById(c.id)) : [];
    stateSeen = true;
    for (const conversation of conversations) addChat(conversation);
    for (const conversation of fresh) announce(conversation);
  });
  socket.on("conversation_assigned", (conversation) => {
    if (conversation.agent && desk.agent && conversation.agent.id !== desk.agent.id) return;
    const known = Boolean(chatById(conversation.id)) || desk.offers.some((o) => o.id === conversation.id);
    dropOffer(conversation.id);
    addChat(conversation);
    if (!known) announce(conversation);
  });
  socket.on("conversation_offered", (offer) => {
    const known = desk.offers.some((o) => o.id === offer.id);
    dropOffer(offer.id);
    desk.offers.push(offer);
    if (!known) announce(offer);
  });
  socket.on("offer_withdrawn", ({ conversation_id }) => dropOffer(conversation_id));
  socket.on("conversation_transferred", ({ conversation_id }) => dropChat(conversation_id));
  socket.on("conversation_requeued", ({ conversation_id }) => dropChat(conversation_id));
  socket.on("queue_updated", (update) => {
    const queue = desk.queues.find((q) => q.queue === update.queue);
    if (queue) Object.assign(queue, update);
    else listQueues();
  });
  socket.on("message_posted", (message) => chatById(message.conversation_id)?.received(message));
  socket.on("typing_changed", ({ conversation_id, typing }) => chatById(conversation_id)?.visitorTyped(typing));
  socket.on("read_changed", ({ conversation_id, seq }) => {
    const chat = chatById(conversation_id);
    if (chat) chat.visitorReadSeq = Math.max(chat.visitorReadSeq, seq);
  });
  socket.on("conversation_closed", ({ conversation_id, closed_by }) => {
    const chat = chatById(conversation_id);
    if (chat) Object.assign(chat, { closed: true, closedBy: closed_by, visitorTyping: false });
  });

  async function act(event, payload) {
    const ack = await emitReliably(socket, event, payload);
    desk.notice = ack.ok ? "" : ack.code;
    return ack;
  }

  return Object.assign(desk, {
    async setStatus(status, capacity) {
      const payload = { status };
      if (capacity) payload.capacity = capacity;
      const ack = await act("set_status", payload);
      if (ack.ok && desk.agent) Object.assign(desk.agent, ack.agent);
      return ack;
    },
    async accept(offer) {
      claiming.add(offer.id);
      const ack = await act("accept_offer", { conversation_id: offer.id }).finally(() => claiming.delete(offer.id));
      dropOffer(offer.id);
      if (ack.ok) addChat(ack.conversation);
    },
    async decline(offer) {
      await act("decline_offer", { conversation_id: offer.id });
      dropOffer(offer.id);
    },
    async pickUp(conversationId) {
      // The server's conversation_assigned for this can arrive before the ack.
      claiming.add(conversationId);
      const ack = await act("pick_up", { conversation_id: conversationId }).finally(() => claiming.delete(conversationId));
      if (ack.ok) addChat(ack.conversation);
    },
    async close(chat) {
      const ack = await act("close_conversation", { conversation_id: chat.id });
      if (ack.ok) chat.closed = true;
    },
    dismiss: (chat) => dropChat(chat.id),
    async transfer(chat, target, note) {
      const payload = { conversation_id: chat.id, ...target };
      if (note) payload.note = note;
      const ack = await emitOnce(socket, "transfer_conversation", payload);
      if (ack.ok) dropChat(chat.id);
      return ack;
    },
    notifier,
    // For views beside the chats (SupervisorView.vue): one ask, and listening, on this socket.
    request: (event, payload = {}) => emitOnce(socket, event, payload),
    listen(event, handler) {
      socket.on(event, handler);
      return () => socket.off(event, handler);
    },
    disconnect() {
      notifier.stop();
      socket.disconnect();
    },
  });
}
