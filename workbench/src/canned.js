// Canned replies (docs/http-api.md, /api/v1/canned-replies): the agent's personal ones and
// the team's shared ones, loaded once per signed-in agent and shared by every chat column;
// and the composer's "/shortcut" completion (an ARIA combobox: the reply field owns a
// listbox of matching replies; Up/Down choose, Enter or Tab insert, Escape closes).
import { computed, nextTick, reactive, ref } from "vue";
import { request } from "./api.js";

export const SHORTCUT = /^[a-z0-9_-]{1,32}$/;
export const MAX_TITLE = 100;
export const MAX_BODY = 2000;
const PATH = "/api/v1/canned-replies";
const MAX_OPTIONS = 8;

// One store per signed-in agent, shared by every chat column and the manager.
const store = reactive({ agentId: null, items: [], loaded: false, loading: null, error: "" });

export function cannedReplies(agentId) {
  if (store.agentId !== agentId) {
    Object.assign(store, { agentId, items: [], loaded: false, loading: null, error: "" });
  }
  if (!store.loaded && !store.loading) store.loading = reload();
  return store;
}

export async function reload() {
  const answer = await request("GET", PATH);
  store.loading = null;
  if (answer.ok) {
    store.items = answer.canned_replies;
    store.loaded = true;
    store.error = "";
  } else {
    store.error = answer.code;
  }
  return answer;
}

// `reply`: {id?, scope, shortcut, title, body, language}. Answers the server's ack.
export async function saveReply(reply) {
  const body = {
    shortcut: reply.shortcut.trim().toLowerCase(),
    title: reply.title.trim(),
    body: reply.body,
    language: reply.language || null,
  };
  const answer = reply.id
    ? await request("PUT", `${PATH}/${reply.id}`, body)
    : await request("POST", PATH, { ...body, scope: reply.scope });
  if (answer.ok) await reload();
  return answer;
}

export async function deleteReply(reply) {
  const answer = await request("DELETE", `${PATH}/${reply.id}`);
  if (answer.ok) await reload();
  return answer;
}

// The replies offered for `query` (what follows "/"): personal before shared, a shared one
// hidden where a personal one of the same shortcut shadows it; shortcut prefixes first.
export function matching(items, query) {
  const q = query.toLowerCase();
  const usable = items.filter((item) => !item.shadowed);
  const starts = usable.filter((item) => item.shortcut.startsWith(q));
  const inTitle = q ? usable.filter((item) => !item.shortcut.startsWith(q) && item.title.toLowerCase().includes(q)) : [];
  return [...starts, ...inTitle].slice(0, MAX_OPTIONS);
}

// The "/word" ending at the caret, if the caret is right after one: {start, query}.
export function slashBefore(text, caret) {
  const match = /(^|\s)\/([a-z0-9_-]{0,32})$/i.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: caret - match[2].length - 1, query: match[2] };
}

// The composer's completion for one chat: `chat.draft` is the text, `input` the field.
export function useCannedCompletion(chat, agentId, input, listId) {
  const caret = ref(0);
  const active = ref(0);
  const dismissedAt = ref(null); // the query Escape closed the list on
  const replies = cannedReplies(agentId());

  const slash = computed(() => slashBefore(chat.draft, Math.min(caret.value, chat.draft.length)));
  const options = computed(() => (slash.value ? matching(replies.items, slash.value.query) : []));
  const open = computed(
    () => !chat.internal && options.value.length > 0 && dismissedAt.value !== `${slash.value.start}:${slash.value.query}`,
  );
  const optionId = (index) => `${listId}-${index}`;
  const activeId = computed(() => (open.value ? optionId(Math.min(active.value, options.value.length - 1)) : undefined));

  function track() {
    const field = input.value;
    caret.value = field ? field.selectionStart ?? chat.draft.length : chat.draft.length;
    if (slash.value) cannedReplies(agentId()); // loads once per agent
  }

  function changed() {
    active.value = 0;
    dismissedAt.value = null;
    track();
  }

  async function choose(index) {
    const reply = options.value[index];
    const at = slash.value;
    if (!reply || !at) return;
    // The reply field is one line: the body's line breaks become spaces.
    const body = reply.body.replace(/\s*\n\s*/g, " ");
    const end = at.start + 1 + at.query.length;
    chat.draft = chat.draft.slice(0, at.start) + body + chat.draft.slice(end);
    const position = at.start + body.length;
    caret.value = position;
    dismissedAt.value = null;
    await nextTick();
    input.value?.focus();
    input.value?.setSelectionRange(position, position);
  }

  // Handles the key if the list is open; answers whether it did.
  function keydown(event) {
    if (!open.value || event.isComposing) return false;
    const count = options.value.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active.value = (active.value + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      return true;
    }
    if ((event.key === "Enter" && !event.shiftKey) || (event.key === "Tab" && !event.shiftKey)) {
      event.preventDefault();
      choose(Math.min(active.value, count - 1));
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      dismissedAt.value = `${slash.value.start}:${slash.value.query}`;
      return true;
    }
    return false;
  }

  return reactive({ open, options, active, activeId, optionId, listId, track, changed, choose, keydown });
}
