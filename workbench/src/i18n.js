// Every UI string in both languages, from one dictionary; English by default, the choice
// kept in localStorage. Chat text is never translated or interpreted, only shown.
import { ref } from "vue";

const STRINGS = {
  en: {
    title: "Workbench",
    language: "语言 / Language",
    signIn: "Sign in",
    signOut: "Sign out",
    username: "User name",
    password: "Password",
    signingIn: "Signing in…",
    status: "Status",
    "status.online": "online",
    "status.away": "away",
    "status.offline": "offline",
    capacity: "Capacity",
    load: "{load} of {capacity} chats",
    "connection.connecting": "connecting…",
    "connection.connected": "connected",
    "connection.reconnecting": "reconnecting… (attempt {attempts})",
    "connection.offline": "offline",
    chats: "Active chats",
    noChats: "No chats yet. Set your status to online.",
    unread: "{count} unread",
    offers: "Offered to you",
    expiresIn: "{seconds} s left",
    accept: "Accept",
    decline: "Decline",
    queues: "Your queues",
    noneWaiting: "Nobody waiting",
    waited: "waiting {seconds} s",
    vip: "VIP {level}",
    pickUp: "Pick up",
    show: "Show",
    hide: "Hide",
    visitor: "Visitor",
    you: "you",
    system: "system",
    note: "Internal note",
    noteHint: "Internal note: only agents see this",
    reply: "Reply to the visitor (Enter to send)",
    send: "Send",
    internal: "Internal note",
    sending: "sending…",
    retrying: "retrying…",
    failed: "not sent: {code}",
    sent: "✓",
    read: "✓✓ read",
    typing: "The visitor is typing…",
    markRead: "Mark read",
    close: "Close chat",
    dismiss: "Remove",
    closed: "This chat is closed ({by}).",
    transfer: "Transfer",
    transferTitle: "Transfer this chat",
    transferTo: "Transfer to",
    toAgent: "an agent (id)",
    toQueue: "a queue",
    agentId: "Agent id",
    queue: "Queue",
    transferNote: "Note for the receiver",
    cancel: "Cancel",
    transferredFrom: "Transferred from agent #{from}",
    "error.invalid_credentials": "Wrong user name or password.",
    "error.account_locked": "Too many failed sign-ins: the account is locked for a while.",
    "error.session_expired": "Your session ended. Sign in again.",
    "error.unauthorized": "Please sign in.",
    "error.forbidden": "This account may not handle chats.",
    "error.agent_unavailable": "That agent is not online with free capacity.",
    "error.conflict": "The chat changed meanwhile.",
    "error.not_waiting": "Someone else took that chat.",
    "error.offer_gone": "The offer is gone.",
    "error.not_found": "No such chat.",
    "error.invalid_payload": "Please check the fields.",
    "error.network": "The appliance cannot be reached.",
    "error.other": "Something went wrong ({code}).",
  },
  "zh-CN": {
    title: "坐席工作台",
    language: "语言 / Language",
    signIn: "登录",
    signOut: "退出登录",
    username: "用户名",
    password: "密码",
    signingIn: "正在登录…",
    status: "状态",
    "status.online": "在线",
    "status.away": "离开",
    "status.offline": "离线",
    capacity: "接待上限",
    load: "{load} / {capacity} 个会话",
    "connection.connecting": "正在连接…",
    "connection.connected": "已连接",
    "connection.reconnecting": "正在重新连接…（第 {attempts} 次）",
    "connection.offline": "已断开",
    chats: "进行中的会话",
    noChats: "暂无会话。请将状态设为在线。",
    unread: "{count} 条未读",
    offers: "分配给您的会话",
    expiresIn: "剩余 {seconds} 秒",
    accept: "接受",
    decline: "拒绝",
    queues: "您的队列",
    noneWaiting: "无人等待",
    waited: "已等待 {seconds} 秒",
    vip: "VIP {level}",
    pickUp: "接入",
    show: "显示",
    hide: "隐藏",
    visitor: "访客",
    you: "我",
    system: "系统",
    note: "内部备注",
    noteHint: "内部备注：仅坐席可见",
    reply: "回复访客（按回车发送）",
    send: "发送",
    internal: "内部备注",
    sending: "发送中…",
    retrying: "重试中…",
    failed: "未发送：{code}",
    sent: "✓",
    read: "✓✓ 已读",
    typing: "访客正在输入…",
    markRead: "标为已读",
    close: "结束会话",
    dismiss: "移除",
    closed: "会话已结束（{by}）。",
    transfer: "转接",
    transferTitle: "转接此会话",
    transferTo: "转接给",
    toAgent: "坐席（编号）",
    toQueue: "队列",
    agentId: "坐席编号",
    queue: "队列",
    transferNote: "给接收方的备注",
    cancel: "取消",
    transferredFrom: "由坐席 #{from} 转接",
    "error.invalid_credentials": "用户名或密码错误。",
    "error.account_locked": "登录失败次数过多，账户已暂时锁定。",
    "error.session_expired": "会话已过期，请重新登录。",
    "error.unauthorized": "请登录。",
    "error.forbidden": "此账户无权接待会话。",
    "error.agent_unavailable": "该坐席不在线或已满。",
    "error.conflict": "会话已发生变化。",
    "error.not_waiting": "该会话已被他人接入。",
    "error.offer_gone": "该分配已失效。",
    "error.not_found": "没有此会话。",
    "error.invalid_payload": "请检查填写内容。",
    "error.network": "无法连接到服务器。",
    "error.other": "出错了（{code}）。",
  },
};

export const LANGUAGES = [
  { code: "en", label: "English" },
  { code: "zh-CN", label: "简体中文" },
];

function stored() {
  try {
    return localStorage.getItem("enclave-workbench:language");
  } catch {
    return null;
  }
}

export const language = ref(STRINGS[stored()] ? stored() : "en");

export function setLanguage(code) {
  if (!STRINGS[code]) return;
  language.value = code;
  document.documentElement.lang = code;
  try {
    localStorage.setItem("enclave-workbench:language", code);
  } catch {
    // the choice just does not survive a reload
  }
}

export function t(key, values = {}) {
  const text = STRINGS[language.value][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function errorText(code) {
  const key = `error.${code}`;
  return STRINGS.en[key] ? t(key) : t("error.other", { code });
}

export const KEYS = Object.fromEntries(Object.entries(STRINGS).map(([code, s]) => [code, Object.keys(s)]));
