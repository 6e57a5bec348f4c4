// Tells the agent that a chat has been assigned or offered to them: a desktop notification
// and a short tone. The notification says only "New chat in <queue>": it can show on a
// locked screen, so no visitor name and no message text. The tone is synthesized with the
// Web Audio API (no audio file, nothing fetched). Browsers ask for the notification
// permission only from a user gesture, so the status bar has a button for it; "muted"
// (silences both) is kept in localStorage.
import { reactive } from "vue";
import { t } from "./i18n.js";

const MUTED_KEY = "enclave-workbench:muted";
const TONE = [
  { hz: 880, at: 0, seconds: 0.12 },
  { hz: 660, at: 0.16, seconds: 0.16 },
];

function storedMuted() {
  try {
    return localStorage.getItem(MUTED_KEY) === "1";
  } catch {
    return false;
  }
}

function permissionNow() {
  return typeof window.Notification === "function" ? window.Notification.permission : "unsupported";
}

export function createNotifier() {
  const state = reactive({
    muted: storedMuted(),
    permission: permissionNow(), // default | granted | denied | unsupported
  });
  let audio = null;

  // Chromium keeps an AudioContext made without a user gesture suspended; make (or resume)
  // it on the agent's first click or key press so that later tones can play.
  function unlock() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }
  const gestures = ["pointerdown", "keydown"];
  for (const name of gestures) document.addEventListener(name, unlock, { capture: true, passive: true });

  function tone() {
    const context = unlock();
    if (!context) return;
    const start = context.currentTime + 0.02;
    for (const note of TONE) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = note.hz;
      // A quick fade in and out: no click at either end.
      gain.gain.setValueAtTime(0.0001, start + note.at);
      gain.gain.exponentialRampToValueAtTime(0.2, start + note.at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + note.at + note.seconds);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start + note.at);
      oscillator.stop(start + note.at + note.seconds + 0.02);
    }
  }

  function show(queue, conversationId) {
    state.permission = permissionNow();
    if (state.permission !== "granted") return;
    try {
      const notification = new window.Notification(t("notify.newChat", { queue }), {
        tag: `enclave-chat-${conversationId}`,
        silent: true, // the tone is ours, and "muted" silences it
      });
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker; the tone still plays.
    }
  }

  return Object.assign(state, {
    // `queue` is the queue's display name, never anything the visitor typed.
    newChat(queue, conversationId) {
      if (state.muted) return;
      tone();
      show(queue, conversationId);
    },
    // Call from a click handler only: browsers ignore (or block) requests without a gesture.
    async requestPermission() {
      if (state.permission === "unsupported") return state.permission;
      try {
        state.permission = await window.Notification.requestPermission();
      } catch {
        state.permission = permissionNow();
      }
      return state.permission;
    },
    setMuted(muted) {
      state.muted = Boolean(muted);
      try {
        if (state.muted) localStorage.setItem(MUTED_KEY, "1");
        else localStorage.removeItem(MUTED_KEY);
      } catch {
        // the choice just does not survive a reload
      }
    },
    stop() {
      for (const name of gestures) document.removeEventListener(name, unlock, { capture: true });
      if (audio) audio.close().catch(() => {});
      audio = null;
    },
  });
}
