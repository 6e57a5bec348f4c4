// Every piece of text the widget shows, in each language it speaks. Add a language by
// adding a dictionary with the same keys; `data-language` picks it.
const STRINGS = {
  "zh-CN": {
    launcher: "在线客服",
    title: "在线客服",
    close: "关闭",
    topicLabel: "您想咨询什么？",
    topicOther: "其他问题",
    questionLabel: "您的问题（选填）",
    questionLabelRequired: "您的问题",
    questionMissing: "请先填写您的问题，再开始咨询。",
    start: "开始咨询",
    starting: "正在连接客服…",
    newChat: "开始新的咨询",
    end: "结束咨询",
    messageLabel: "输入消息",
    send: "发送",
    queued: (position, minutes) =>
      minutes == null
        ? `正在排队：您是第 ${position} 位。`
        : `正在排队：您是第 ${position} 位，预计等待约 ${minutes} 分钟。`,
    waiting: "正在为您接入客服…",
    assigned: (name) => `客服 ${name} 正在为您服务。`,
    anAgent: "客服",
    closed: "本次咨询已结束。",
    agentTyping: "客服正在输入…",
    you: "我",
    sending: "发送中…",
    retrying: "尚未送达，正在重试…",
    sent: "已送达",
    read: "已读",
    notSent: (error) => `发送失败：${error}`,
    leaveIntro: "客服暂时无法接入，您可以留言，我们会尽快联系您。",
    leaveLabel: "留言内容",
    contactLabel: "联系方式（选填）",
    leaveSend: "提交留言",
    leaveDone: "留言已收到，我们会尽快联系您。",
    leaveOffered: "等待时间较长，您可以留言，我们会尽快联系您。",
    failed: (error) => `操作失败：${error}`,
    connecting: "正在连接…",
    connected: "已连接",
    reconnecting: "连接中断，正在重连…",
    disconnected: "连接已断开，请刷新页面",
    refused: (error) => `无法连接客服：${error}`,
    expired: "上次的会话已过期，已为您开始新的会话。",
    newMessages: "新消息",
    surveyQuestion: "您对本次服务满意吗？",
    score: (n) => `${n} 分（满分 5 分）`,
    commentLabel: "意见或建议（选填）",
    rate: "提交评价",
    thanks: "感谢您的评价！",
    commentTooLong: "意见内容过长，请精简后再提交。",
    download: "下载聊天记录",
    transcriptTitle: "在线客服聊天记录",
    transcriptOpened: "开始时间",
    transcriptClosed: "结束时间",
    system: "系统",
  },
  en: {
    launcher: "Chat with us",
    title: "Chat with the bank",
    close: "Close",
    topicLabel: "What is it about?",
    topicOther: "Something else",
    questionLabel: "Your question (optional)",
    questionLabelRequired: "Your question",
    questionMissing: "Please write your question before starting the chat.",
    start: "Start chat",
    starting: "Connecting you to an agent…",
    newChat: "Start a new chat",
    end: "End chat",
    messageLabel: "Type a message",
    send: "Send",
    queued: (position, minutes) =>
      minutes == null
        ? `Waiting for an agent: position ${position} in the queue.`
        : `Waiting for an agent: position ${position} in the queue, about ${minutes} min.`,
    waiting: "Waiting for an agent…",
    assigned: (name) => `You are chatting with ${name}.`,
    anAgent: "an agent",
    closed: "This chat has ended.",
    agentTyping: "The agent is typing…",
    you: "You",
    sending: "sending…",
    retrying: "not delivered yet, retrying…",
    sent: "delivered",
    read: "read",
    notSent: (error) => `not sent: ${error}`,
    leaveIntro: "No agent can take your chat right now. Leave a message and we will get back to you.",
    leaveLabel: "Your message",
    contactLabel: "How can we reach you? (optional)",
    leaveSend: "Leave message",
    leaveDone: "Thank you, we have your message and will get back to you.",
    leaveOffered: "The wait is long. You can leave a message instead and we will get back to you.",
    failed: (error) => `That did not work: ${error}`,
    connecting: "connecting…",
    connected: "connected",
    reconnecting: "connection lost, reconnecting…",
    disconnected: "disconnected; reload the page",
    refused: (error) => `The chat service refused the connection: ${error}`,
    expired: "Your previous chat session has expired; starting a new one.",
    newMessages: "New messages",
    surveyQuestion: "How satisfied are you with this chat?",
    score: (n) => `${n} out of 5`,
    commentLabel: "Anything to tell us? (optional)",
    rate: "Send rating",
    thanks: "Thank you for your feedback!",
    commentTooLong: "Your comment is too long; please shorten it.",
    download: "Download transcript",
    transcriptTitle: "Chat transcript",
    transcriptOpened: "Started",
    transcriptClosed: "Ended",
    system: "System",
  },
};

export const LANGUAGES = Object.keys(STRINGS);

// zh-CN is the protocol's default language (docs/protocol.md, start_conversation).
export function pickLanguage(asked) {
  if (asked && STRINGS[asked]) return asked;
  if (asked && asked.toLowerCase().startsWith("en")) return "en";
  return "zh-CN";
}

export function strings(language) {
  return STRINGS[pickLanguage(language)];
}
