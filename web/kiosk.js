// Kiosk behaviour on top of the shared chat: tap-to-ask start screen, read-aloud, and the privacy wipe
// after inactivity (which also takes an English kiosk back to Chinese, for the next visitor).
// Nothing is written to localStorage, sessionStorage or cookies.
import { createChat } from "./chat.js";
import { el } from "./dom.js";
import { addressIn, isDefaultLang, t } from "./i18n.js";

const DEFAULT_IDLE = 90;   // seconds; the page carries BOT_KIOSK_IDLE_SECONDS (data-idle-seconds), ?idle=N overrides it
const WARN_SECONDS = 10;   // the countdown is visible for the last seconds

const $ = (id) => document.getElementById(id);
const start = $("kiosk-start");
const conversation = $("kiosk-conversation");
const main = $("kiosk-main");
const banner = $("idle-banner");
const countNode = $("idle-count");
const input = $("chat-input");
let idleSeconds = DEFAULT_IDLE;
let lastActivity = Date.now();

// ---------- read aloud (speechSynthesis), offered only where a voice for the page's language exists ----------
// An English answer is read in English, the Chinese articles it quotes in Chinese (when a Chinese voice exists).
const speech = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function" ? window.speechSynthesis : null;
const pageIsChinese = /^zh/i.test(document.documentElement.lang);
let zhVoice = null;
let enVoice = null;

function detectVoice() {
  if (!speech) return;
  const voices = speech.getVoices() || [];
  zhVoice = voices.find((v) => /^zh[-_]CN/i.test(v.lang)) || voices.find((v) => /^(zh|cmn)/i.test(v.lang)) || null;
  enVoice = voices.find((v) => /^en/i.test(v.lang)) || null;
  document.documentElement.classList.toggle("speech-ok", Boolean(pageIsChinese ? zhVoice : enVoice));
}
if (speech) {
  detectVoice();
  speech.addEventListener?.("voiceschanged", detectVoice);
}

function stopSpeaking() {
  if (speech) speech.cancel();
  for (const b of document.querySelectorAll(".read-aloud[aria-pressed='true']")) setReading(b, false);
}

function setReading(button, on) {
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.lastChild.textContent = t(on ? "stop_reading" : "read_aloud");
}

/** What to read, each part with its voice: the answer in its language, then the quoted articles in Chinese. */
function spokenParts(answer) {
  const answerVoice = answer.lang === "en" ? enVoice : zhVoice;
  const parts = [{ text: answer.answer || "", voice: answerVoice }];
  for (const c of answer.citations || []) parts.push({ text: `${c.title || ""}${c.label || ""}：${c.text || ""}`, voice: zhVoice });
  return parts.filter((part) => part.text && part.voice);
}

function addReadAloud(node, answer) {
  if (!speech) return;
  const button = el(
    "button",
    { class: "btn btn-secondary read-aloud", attrs: { type: "button", "aria-pressed": "false" } },
    el("span", { class: "speaker", attrs: { "aria-hidden": "true" } }),
    el("span", { text: t("read_aloud") }),
  );
  button.addEventListener("click", () => {
    const wasOn = button.getAttribute("aria-pressed") === "true";
    stopSpeaking();
    const parts = wasOn ? [] : spokenParts(answer);
    if (!parts.length) return;
    const utterances = parts.map(({ text, voice }) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = voice.lang;
      utterance.voice = voice;
      utterance.rate = 0.95;
      return utterance;
    });
    const last = utterances[utterances.length - 1];
    last.onend = () => setReading(button, false);
    for (const u of utterances) u.onerror = () => setReading(button, false);
    setReading(button, true);
    for (const u of utterances) speech.speak(u);
  });
  node.append(button);
}

// ---------- the chat ----------
const chat = createChat({
  log: $("chat-log"),
  form: $("chat-form"),
  input,
  send: $("chat-send"),
  limitNote: $("input-limit"),
  channelLinks: false,   // a tap must not take the kiosk to another site
  articleLinks: false,   // the full article opens in place; leaving the page would escape the wipe
  decorate: addReadAloud,
  onAnswer: touch,
  onBusy: touch,
});

function showConversation() {
  start.hidden = true;
  conversation.hidden = false;
}

function showStart() {
  conversation.hidden = true;
  start.hidden = false;
  main.scrollTop = 0;
}

for (const tile of document.querySelectorAll(".ask-tile")) {
  tile.addEventListener("click", () => {
    showConversation();
    chat.ask(tile.textContent);
  });
}
$("chat-form").addEventListener("submit", () => { if (input.value.trim() || chat.busy) showConversation(); }, true);
$("kiosk-home").addEventListener("click", () => wipe());
$("idle-stay").addEventListener("click", touch);

// ---------- privacy wipe after inactivity ----------

function touch() {
  lastActivity = Date.now();
  if (!banner.hidden) banner.hidden = true;
}

/** Clear the conversation from the page and from memory, and go back to the start screen; `toDefaultLang` (the
 *  idle wipe): an English kiosk then reloads in Chinese, ready for the next visitor. */
function wipe({ toDefaultLang = false } = {}) {
  stopSpeaking();
  chat.reset();
  input.value = "";
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  window.getSelection?.().removeAllRanges();
  banner.hidden = true;
  showStart();
  lastActivity = Date.now();
  if (toDefaultLang && !isDefaultLang) location.replace(addressIn(null));
}

function somethingToClear() {
  return chat.hasConversation || start.hidden || input.value !== "";
}

function tick() {
  if (!somethingToClear()) {
    banner.hidden = true;
    lastActivity = Date.now();
    return;
  }
  if (chat.busy || (speech && speech.speaking)) lastActivity = Date.now();
  const remaining = idleSeconds - (Date.now() - lastActivity) / 1000;
  if (remaining <= 0) {
    wipe({ toDefaultLang: true });
    return;
  }
  if (remaining <= Math.min(WARN_SECONDS, idleSeconds)) {
    countNode.textContent = String(Math.ceil(remaining));
    banner.hidden = false;
  } else if (!banner.hidden) {
    banner.hidden = true;
  }
}

// What a person does; not "scroll": the countdown bar itself shortens the answers' area, which scrolls it, and
// that must not count as someone there (the kiosk would never wipe). A person's scrolling starts with one of these.
for (const type of ["pointerdown", "keydown", "input", "wheel", "touchstart", "touchmove"]) {
  document.addEventListener(type, touch, { capture: true, passive: true });
}

function configureIdle() {
  for (const value of [new URLSearchParams(location.search).get("idle"), document.body.dataset.idleSeconds]) {
    const seconds = Number.parseInt(value || "", 10);
    if (Number.isFinite(seconds) && seconds > 0) {
      idleSeconds = seconds;
      return;
    }
  }
  idleSeconds = DEFAULT_IDLE;
}

configureIdle();
setInterval(tick, 250);
