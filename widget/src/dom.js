// The widget's DOM, built with createElement only: every text the server or a user
// supplies is set with textContent, so chat text is never parsed as HTML.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children);
  return node;
}

let counter = 0;
const uid = (name) => `enclave-widget-${name}-${++counter}`;

function field(label, control) {
  const id = uid("field");
  control.id = id;
  return el("div", { className: "ew-field" }, el("label", { for: id, text: label }), control);
}

// Builds the launcher and the panel inside `root` (a shadow root); returns the parts
// the widget drives.
export function buildUi(root, t, language) {
  const panelId = uid("panel");
  const titleId = uid("title");
  const ui = {};
  ui.launcher = el("button", {
    type: "button",
    className: "ew-launcher",
    "aria-expanded": "false",
    "aria-controls": panelId,
    text: t.launcher,
  });
  ui.title = el("h2", { id: titleId, className: "ew-title", text: t.title });
  ui.connection = el("span", { className: "ew-connection", text: t.connecting });
  ui.close = el("button", { type: "button", className: "ew-close", "aria-label": t.close, text: "×" });
  ui.status = el("p", { className: "ew-status", role: "status" });
  ui.notice = el("p", { className: "ew-notice", role: "alert", hidden: true });

  // The pre-chat form as the appliance configures it (prechat_form): the topics and the
  // question's mode are filled in by the widget once the answer is in.
  const errorId = uid("error");
  ui.topic = el("select");
  ui.topicField = field(t.topicLabel, ui.topic);
  ui.topicField.hidden = true;
  ui.question = el("textarea", { rows: "2", maxlength: "2000", "aria-describedby": errorId });
  ui.questionField = field(t.questionLabel, ui.question);
  ui.questionError = el("p", { id: errorId, className: "ew-error", role: "alert" });
  ui.questionField.append(ui.questionError);
  ui.start = el("button", { type: "submit", className: "ew-primary", disabled: true, text: t.start });
  ui.prechat = el(
    "form",
    { className: "ew-prechat", autocomplete: "off", novalidate: true },
    ui.topicField,
    ui.questionField,
    ui.start,
  );

  ui.leaveIntro = el("p", { className: "ew-leave-intro" });
  ui.leaveText = el("textarea", { rows: "3", maxlength: "2000", required: true });
  ui.contact = el("input", { type: "text", maxlength: "100", autocomplete: "tel" });
  ui.leaveSend = el("button", { type: "submit", className: "ew-primary", text: t.leaveSend });
  ui.leave = el(
    "form",
    { className: "ew-leave", autocomplete: "off", hidden: true },
    ui.leaveIntro,
    field(t.leaveLabel, ui.leaveText),
    field(t.contactLabel, ui.contact),
    ui.leaveSend,
  );

  ui.messages = el("ol", {
    className: "ew-messages",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": t.newMessages,
    tabindex: "0",
  });
  ui.typing = el("p", { className: "ew-typing", "aria-live": "polite" });
  ui.text = el("input", { type: "text", maxlength: "8192", "aria-label": t.messageLabel, placeholder: t.messageLabel });
  ui.send = el("button", { type: "submit", className: "ew-primary", text: t.send });
  ui.compose = el("form", { className: "ew-compose", autocomplete: "off", hidden: true }, ui.text, ui.send);
  ui.end = el("button", { type: "button", className: "ew-end", hidden: true, text: t.end });

  // After the chat: the satisfaction survey (rate_conversation), a thank-you, and the
  // transcript download (export_transcript). Score buttons are toggle buttons
  // (aria-pressed), so Tab reaches each and Enter or Space picks it.
  const questionId = uid("question");
  ui.scores = [1, 2, 3, 4, 5].map((n) =>
    el("button", { type: "button", className: "ew-score", "aria-pressed": "false", "aria-label": t.score(n), "data-score": n, text: n }),
  );
  ui.comment = el("textarea", { rows: "2", maxlength: "2000" });
  ui.rate = el("button", { type: "submit", className: "ew-primary", disabled: true, text: t.rate });
  ui.survey = el(
    "form",
    { className: "ew-survey", autocomplete: "off", "aria-labelledby": questionId },
    el("p", { id: questionId, className: "ew-question", text: t.surveyQuestion }),
    el("div", { className: "ew-scores", role: "group", "aria-labelledby": questionId }, ...ui.scores),
    field(t.commentLabel, ui.comment),
    ui.rate,
  );
  ui.thanks = el("p", { className: "ew-thanks", role: "status", text: t.thanks });
  ui.download = el("button", { type: "button", className: "ew-end ew-download", text: t.download });
  ui.after = el("div", { className: "ew-after", hidden: true }, ui.survey, ui.thanks, ui.download);

  ui.panel = el(
    "section",
    { id: panelId, className: "ew-panel", role: "dialog", "aria-labelledby": titleId, hidden: true },
    el("header", { className: "ew-head" }, ui.title, ui.connection, ui.close),
    ui.notice,
    ui.status,
    ui.prechat,
    ui.leave,
    ui.messages,
    ui.typing,
    ui.compose,
    ui.end,
    ui.after,
  );
  ui.frame = el("div", { className: "ew", lang: language }, ui.panel, ui.launcher);
  root.append(ui.frame);
  return ui;
}

// The topic options: each configured queue under its display name, then "something
// else" (value "": no queue chosen, the appliance's intent rules decide). Keeps the
// visitor's choice when it is still offered.
export function fillTopics(select, topics, other, t) {
  const chosen = select.value;
  select.replaceChildren(
    ...topics.map((topic) => el("option", { value: topic.queue, text: topic.label })),
    ...(other ? [el("option", { value: "", text: t.topicOther })] : []),
  );
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// One message: who, when, the text, and for our own messages the delivery state. A
// message the appliance cannot decrypt ("unreadable": true, its text null) is a system
// line saying so, in its place: never empty, never another message's text.
export function renderMessage(message, t, { mine, pending = false }) {
  const who = mine ? t.you : message.sender.name || t.anAgent;
  const side = message.unreadable
    ? " ew-system ew-unreadable"
    : mine
      ? " ew-mine"
      : message.sender.type === "system"
        ? " ew-system"
        : " ew-theirs";
  const meta = el(
    "div",
    { className: "ew-meta" },
    el("span", { className: "ew-who", text: who }),
    el("span", { className: "ew-when", text: pending ? "" : formatTime(message.sent_at) }),
    el("span", { className: "ew-state", text: pending ? t.sending : "" }),
  );
  const node = el("li", { className: "ew-message" + side + (pending ? " ew-pending" : "") }, meta);
  node.append(el("div", { className: "ew-text", text: message.unreadable ? t.unreadable : message.text }));
  if (!pending) node.dataset.seq = String(message.seq);
  return node;
}

export function setState(node, text) {
  const label = node.querySelector(".ew-state");
  if (label) label.textContent = text;
}

// Insert in seq order; messages still being sent stay at the bottom.
export function insertBySeq(list, node) {
  const seq = Number(node.dataset.seq);
  for (const other of list.children) {
    if (other.classList.contains("ew-pending") || Number(other.dataset.seq) > seq) {
      list.insertBefore(node, other);
      return;
    }
  }
  list.append(node);
}
