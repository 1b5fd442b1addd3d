// The chat shared by the chat page (/), the embedded chat (/embed) and the kiosk (/kiosk).
// Everything typed or returned by the API is rendered with createElement/textContent, never as HTML.
// The reporting channels are in the page as the server sent it (from corpus/channels.yaml): no script fills them.
// The page's own words come from the page (i18n.js); questions carry the page's language, so answers come in it.
import { el, readJSON, safeHref } from "./dom.js";
import { answerLang, t, wireLanguageSwitch } from "./i18n.js";
import { articleHref, citationTitle, legalText, quotedItems } from "./legal.js";

export { el, safeHref };

export const MAX_MESSAGE = 500;       // characters a visitor can type in one message (the server's limit too)
const HISTORY_TURNS = 6;              // earlier turns sent along, so "那学生呢？" can be understood
const HISTORY_TEXT = 400;             // each earlier turn is trimmed to this length
const HISTORY_CITATIONS = 8;          // articles a bot turn says it showed (the server bounds it the same)
const CITATIONS_SHOWN = 2;            // citation cards shown at once; the rest behind 「更多依据」
const TIMEOUT_MS = 10000;             // a question normally takes well under a second; past this, give up and offer 重试
const RETRY_AFTER_MAX = 10;           // seconds: never wait longer than this before the one retry, whatever the server says
const LEGAL_LANG = "zh-CN";           // quoted law stays as published, in Chinese, on every page

let idCounter = 0;
const nextId = (prefix) => `${prefix}-${++idCounter}`;

/** GET or POST JSON with a timeout; throws an Error whose .status is the HTTP status (0 for network, "timeout")
 *  and whose .retryAfter is the server's Retry-After in seconds (1 when it sent none). */
export async function fetchJSON(url, { body, signal } = {}) {
  const timeout = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; timeout.abort(); }, TIMEOUT_MS);
  const abort = () => timeout.abort();
  if (signal) signal.addEventListener("abort", abort, { once: true });
  try {
    const res = await fetch(url, {
      method: body ? "POST" : "GET",
      headers: body ? { "Content-Type": "application/json", Accept: "application/json" } : { Accept: "application/json" },
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
      cache: "default",
      signal: timeout.signal,
    });
    if (!res.ok) {
      const err = new Error(`HTTP ${res.status}`);
      err.status = res.status;
      const wait = Number.parseInt(res.headers.get("Retry-After"), 10);
      err.retryAfter = Number.isFinite(wait) && wait >= 0 ? Math.min(wait, RETRY_AFTER_MAX) : 1;
      throw err;
    }
    return await res.json();
  } catch (err) {
    if (err.status == null) err.status = timedOut ? "timeout" : 0;
    throw err;
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", abort);
  }
}

/** Fetch one article: {doc_id, title, article, label, text, paragraphs}. */
export function fetchArticle(docId, n) {
  return fetchJSON(`/api/docs/${encodeURIComponent(docId)}/articles/${encodeURIComponent(n)}`);
}

/** 503 (the bot is shedding load) or 429 (this visitor asked too fast): worth one retry after Retry-After. */
const isBusy = (err) => err.status === 503 || err.status === 429;

/** Resolve after `seconds`, or reject at once when `signal` aborts (the conversation was wiped). */
function pause(seconds, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal.addEventListener("abort", () => { clearTimeout(timer); reject(new Error("aborted")); }, { once: true });
  });
}

function errorText(err) {
  if (isBusy(err)) return t("busy");
  if (err.status === "timeout") return t("timeout");
  if (err.status === 413 || err.status === 422) return t("unprocessable");
  if (err.status >= 500) return t("server_error");
  return t("network_error");
}

/** The hotline of an answer's channels: {value, href}, or null. */
function hotlineOf(answer) {
  const ch = (Array.isArray(answer.channels) ? answer.channels : []).find((c) => c && c.kind === "hotline" && c.value);
  if (!ch) return null;
  const value = String(ch.value);
  const href = safeHref(ch.href) || (/^[0-9 +-]+$/.test(value) ? "tel:" + value.replace(/[^0-9+]/g, "") : null);
  return href ? { value, href } : null;
}

/** Text with every mention of the hotline number as a tel: link (nodes to append); not inside www.12339.gov.cn. */
function withHotline(text, hotline) {
  if (!hotline) return [text];
  const number = new RegExp(`(?<![\\w.])${hotline.value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.])`);
  const parts = String(text).split(number);
  const out = [parts[0]];
  for (const part of parts.slice(1)) out.push(el("a", { class: "tel-link", text: hotline.value, attrs: { href: hotline.href } }), part);
  return out;
}

/** Scrolling (to a new message, or to a focused link) stops clear of the sticky channel strip and composer. */
function keepClearOfStickyBars() {
  const root = document.documentElement;
  const bars = [document.querySelector(".channels"), document.querySelector(".composer")];
  const update = () => {
    const [top, bottom] = bars.map((bar) => (bar && getComputedStyle(bar).position === "sticky" ? bar.offsetHeight + 12 : 0));
    root.style.scrollPaddingTop = top ? `${top}px` : "";
    root.style.scrollPaddingBottom = bottom ? `${bottom}px` : "";
  };
  update();
  if (typeof ResizeObserver === "function") {
    const observer = new ResizeObserver(update);
    for (const bar of bars) if (bar) observer.observe(bar);
  }
  window.addEventListener("resize", update);
}

/**
 * Wire a chat to existing elements.
 * opts: log, form, input, send, limitNote (the "too long" message), linkTarget ("_blank" inside the widget),
 *       articleLinks / channelLinks (false on the kiosk: a visitor must not navigate away from it),
 *       decorate(node, answer) to add kiosk controls, onAnswer(answer), onBusy(bool).
 */
export function createChat(opts) {
  const { log, form, input, send, limitNote } = opts;
  let turns = [];
  let busy = false;
  let tooLong = false;
  let controller = null;
  let articleCache = new Map();

  keepClearOfStickyBars();
  wireLanguageSwitch();

  function updateSend() {
    if (send) send.disabled = busy || tooLong;
  }

  function setBusy(value) {
    busy = value;
    updateSend();
    log.setAttribute("aria-busy", value ? "true" : "false");
    if (opts.onBusy) opts.onBusy(value);
  }

  /** Past MAX_MESSAGE characters: say so (and how many), instead of cutting the question silently. */
  function checkLength() {
    const length = input ? input.value.trim().length : 0;
    tooLong = length > MAX_MESSAGE;
    if (input) input.setAttribute("aria-invalid", tooLong ? "true" : "false");
    if (limitNote) {
      limitNote.hidden = !tooLong;
      limitNote.textContent = tooLong ? t("too_long", { max: MAX_MESSAGE, length }) : "";
    }
    updateSend();
  }
  if (input) input.addEventListener("input", checkLength);

  function scrollTo(node) {
    node.scrollIntoView({ block: "start", behavior: "auto" });
  }

  function addUser(text) {
    const node = el("div", { class: "msg msg-user" }, el("p", { class: "msg-who visually-hidden", text: t("you_asked") }), el("p", { class: "bubble", text }));
    log.append(node);
    return node;
  }

  /** A citation card: what it quotes (in an English answer, label_en beside the Chinese title), the verbatim quote. */
  function citationNode(cited, english) {
    // the 项 quoted: as the answer says, or as the verbatim quotation itself shows ("（二）发现间谍行为…")
    const c = { ...cited, items: Array.isArray(cited.items) && cited.items.length ? cited.items : quotedItems(cited.text) };
    const chineseTitle = citationTitle(c);
    const labelEn = english && typeof c.label_en === "string" && c.label_en ? c.label_en : null;
    const title = labelEn || chineseTitle;
    const figure = el("figure", { class: "cite" });
    figure.append(labelEn
      ? el("figcaption", { class: "cite-label" },
        el("span", { class: "cite-label-en", text: labelEn }),
        el("span", { class: "cite-label-zh", text: chineseTitle, attrs: { lang: LEGAL_LANG } }))
      : el("figcaption", { class: "cite-label", text: chineseTitle }));
    const quote = legalText([String(c.text || "")], { tag: "blockquote", className: "cite-quote legal" });
    quote.lang = LEGAL_LANG;
    figure.append(quote);
    if (c.current_law) figure.append(el("p", { class: "cite-note", text: c.current_law }));

    const actions = el("div", { class: "cite-actions" });
    const panelId = nextId("article");
    const panel = el("div", { class: "full-article", attrs: { id: panelId, hidden: true } });
    const toggle = el("button", {
      class: "link-button",
      text: t("show_article"),
      attrs: { type: "button", "aria-expanded": "false", "aria-controls": panelId, "aria-label": t("named", { action: t("show_article"), title }) },
    });
    toggle.addEventListener("click", () => toggleArticle(toggle, panel, c, title));
    actions.append(toggle);

    const url = opts.articleLinks === false ? null : safeHref(c.url);
    if (url) {
      const target = opts.linkTarget || null;
      actions.append(
        el("a", {
          text: t("open_article"),
          attrs: { href: articleHref(url, c.paragraph, c.items), target, rel: target ? "noopener" : null, "aria-label": t("named", { action: t("open_article"), title }) },
        }),
      );
    }
    figure.append(actions, panel);
    return figure;
  }

  async function toggleArticle(toggle, panel, c, title) {
    const open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
    toggle.textContent = t(open ? "show_article" : "hide_article");
    toggle.setAttribute("aria-label", t("named", { action: toggle.textContent, title }));
    panel.hidden = open;
    if (open || panel.dataset.loaded) return;
    panel.replaceChildren(el("p", { class: "msg-status", text: t("loading_article") }));
    const key = `${c.doc_id}/${c.article}`;
    if (!articleCache.has(key)) articleCache.set(key, fetchArticle(c.doc_id, c.article));
    try {
      const art = await articleCache.get(key);
      const paragraphs = Array.isArray(art.paragraphs) && art.paragraphs.length ? art.paragraphs : [String(art.text || "")];
      const article = legalText(paragraphs, { paragraph: c.paragraph || null, items: c.items });
      article.lang = LEGAL_LANG;
      panel.replaceChildren(article);
      panel.dataset.loaded = "1";
    } catch {
      articleCache.delete(key);
      panel.replaceChildren(el("p", { text: t("article_failed") }));
    }
  }

  /** The citation cards: the first CITATIONS_SHOWN, the others behind 「更多依据」. */
  function citationsNode(citations, english) {
    const card = (c) => citationNode(c, english);
    const section = el("section", { class: "citations" }, el("h3", { class: "citations-title", text: t("citations") }));
    citations.slice(0, CITATIONS_SHOWN).forEach((c) => section.append(card(c)));
    const rest = citations.slice(CITATIONS_SHOWN);
    if (rest.length) {
      const moreId = nextId("more");
      const more = el("div", { class: "citations-more", attrs: { id: moreId, hidden: true } }, ...rest.map(card));
      const button = el("button", {
        class: "link-button more-citations",
        text: t("more_citations", { count: rest.length }),
        attrs: { type: "button", "aria-expanded": "false", "aria-controls": moreId },
      });
      button.addEventListener("click", () => {
        const opening = more.hidden;
        more.hidden = !opening;
        button.setAttribute("aria-expanded", opening ? "true" : "false");
        button.textContent = opening ? t("fewer_citations") : t("more_citations", { count: rest.length });
      });
      section.append(button, more);
    }
    return section;
  }

  function suggestionsNode(suggestions, lang) {
    const list = el("ul", { class: "suggestions", attrs: { "aria-label": t("suggestions") } });
    for (const q of suggestions) {
      const chip = el("button", { class: "chip", text: q, attrs: { type: "button", lang } });
      chip.addEventListener("click", () => ask(q));
      list.append(el("li", {}, chip));
    }
    return list;
  }

  /** Render one answer object as a bot message. Its text is marked with the answer's language (an English question
   *  on the Chinese page is answered in English), the page's own words stay in the page's, quotes in Chinese. */
  function addAnswer(answer) {
    const lang = typeof answer.lang === "string" && /^[A-Za-z-]{2,12}$/.test(answer.lang) ? answer.lang : null;
    const node = el("article", { class: "msg msg-bot", attrs: { "data-intent": answer.intent || null } });
    node.append(el("h2", { class: "msg-who visually-hidden", text: t("answer") }));
    const hotline = opts.channelLinks === false ? null : hotlineOf(answer);
    let text = String(answer.answer || "");
    if (answer.intent === "report") {
      // What to do now leads: the steps as a short list; without steps, the answer's first paragraph. What follows
      // (the answer to a question asked along with the report, notes on current law) is ordinary answer text.
      const steps = Array.isArray(answer.steps) ? answer.steps.filter((s) => typeof s === "string" && s.trim()) : [];
      const notice = el("div", { class: "answer-body notice", attrs: { role: "note" } });
      notice.append(el("p", { class: "notice-title", text: t("report_notice") }));
      if (steps.length) {
        // The text says the steps too, after a lead-in (请先这样做：…): that lead-in and the list go in the notice,
        // the text goes on after them, so no step is shown twice.
        const lines = text.split("\n").map((line) => line.trim());
        const first = lines.indexOf(steps[0].trim());
        if (first >= 0 && steps.every((step, i) => lines[first + i] === step.trim())) {
          const lead = lines.slice(0, first).join("\n");
          if (lead) notice.append(el("p", { class: "answer-text", attrs: { lang } }, ...withHotline(lead, hotline)));
          text = lines.slice(first + steps.length).join("\n");
        }
        notice.append(el("ol", { class: "steps", attrs: { lang } }, ...steps.map((s) => el("li", {}, ...withHotline(s, hotline)))));
      } else {
        const cut = text.indexOf("\n");
        notice.append(el("p", { class: "answer-text", attrs: { lang } }, ...withHotline(cut < 0 ? text : text.slice(0, cut), hotline)));
        text = cut < 0 ? "" : text.slice(cut + 1);
      }
      node.append(notice);
    }
    if (text) node.append(el("div", { class: "answer-body" }, el("p", { class: "answer-text", attrs: { lang } }, ...withHotline(text, hotline))));

    const citations = Array.isArray(answer.citations) ? answer.citations : [];
    if (citations.length) node.append(citationsNode(citations, answer.lang === "en"));
    const suggestions = Array.isArray(answer.suggestions) ? answer.suggestions.filter((s) => typeof s === "string") : [];
    if (suggestions.length) node.append(suggestionsNode(suggestions, lang));
    if (opts.decorate) opts.decorate(node, answer);
    log.append(node);
    return node;
  }

  /** A failed question: say why, put the question back in the box, offer 重试 (which asks it again in place). */
  function addFailure(err, message, userNode) {
    if (input && !input.value.trim()) {
      input.value = message;
      checkLength();
    }
    const retry = el("button", { class: "btn btn-secondary retry", text: t("retry"), attrs: { type: "button" } });
    const node = el(
      "div",
      { class: "msg msg-bot msg-error", attrs: { role: "alert" } },
      el("div", { class: "answer-body" },
        el("p", { class: "answer-text", text: t("failed", { reason: errorText(err) }) }),
        retry),
    );
    retry.addEventListener("click", () => {
      if (busy) return;
      node.remove();
      userNode.remove();
      if (input && input.value.trim() === message) input.value = "";
      ask(message);
    });
    log.append(node);
  }

  /** Ask a question: show it, send it with the last turns, show the answer. */
  async function ask(raw) {
    const message = String(raw || "").trim();
    if (!message || busy) return;
    if (message.length > MAX_MESSAGE) {
      if (input) input.value = message;
      checkLength();
      return;
    }
    setBusy(true);
    const userNode = addUser(message);
    const status = el("p", { class: "msg msg-bot msg-status", text: t("searching") });
    log.append(status);
    scrollTo(userNode);
    controller = new AbortController();
    const mine = controller;
    const history = turns
      .filter((t) => t.text.trim())
      .slice(-HISTORY_TURNS)
      .map((t) => (t.citations ? { role: t.role, text: t.text.slice(0, HISTORY_TEXT), citations: t.citations } : { role: t.role, text: t.text.slice(0, HISTORY_TEXT) }));
    const request = () => fetchJSON("/api/chat", { body: { message, history, lang: answerLang }, signal: mine.signal });
    try {
      let answer;
      try {
        answer = await request();
      } catch (err) {
        if (!isBusy(err) || mine.signal.aborted) throw err;
        // Busy: say so, wait as long as the server asks, then try once more (a second refusal is shown as an error).
        status.textContent = t("busy_retrying");
        await pause(err.retryAfter, mine.signal);
        answer = await request();
      }
      if (mine.signal.aborted) return;
      status.remove();
      // A bot turn carries the articles it showed, so a follow-up such as "这条是什么意思" means what the person saw.
      const shown = (Array.isArray(answer.citations) ? answer.citations : [])
        .slice(0, HISTORY_CITATIONS)
        .map((c) => ({ doc_id: String(c.doc_id), article: Number(c.article), paragraph: c.paragraph == null ? null : Number(c.paragraph) }));
      turns.push({ role: "user", text: message }, { role: "bot", text: String(answer.answer || ""), citations: shown });
      addAnswer(answer);
      scrollTo(userNode); // the question and the start of its answer, together
      if (opts.onAnswer) opts.onAnswer(answer);
    } catch (err) {
      if (mine.signal.aborted) return;
      status.remove();
      addFailure(err, message, userNode);
    } finally {
      if (controller === mine) {
        controller = null;
        setBusy(false);
      }
    }
  }

  /** Forget everything: the page's messages, the turns in memory, pending requests, cached articles. */
  function reset() {
    if (controller) controller.abort();
    controller = null;
    turns = [];
    articleCache = new Map();
    log.replaceChildren();
    if (input) input.value = "";
    checkLength();
    setBusy(false);
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim() || busy) return;
      if (text.trim().length > MAX_MESSAGE) {
        checkLength();
        input.focus();
        return;
      }
      input.value = "";
      ask(text);
    });
  }

  return {
    ask,
    reset,
    addAnswer,
    get busy() { return busy; },
    get hasConversation() { return turns.length > 0 || log.childElementCount > 0; },
  };
}

/** Wire the standard page (chat page and embed): the greeting the page came with, the form, 清空对话. */
export function initChatPage(root = document) {
  const chat = createChat({
    log: root.querySelector("#chat-log"),
    form: root.querySelector("#chat-form"),
    input: root.querySelector("#chat-input"),
    send: root.querySelector("#chat-send"),
    limitNote: root.querySelector("#input-limit"),
    linkTarget: document.body.dataset.linkTarget || null,
  });
  const greeting = readJSON("greeting");
  const greet = () => { if (greeting) chat.addAnswer({ ...greeting, citations: [] }); };
  greet();
  const clear = root.querySelector("#chat-clear");
  if (clear) {
    clear.hidden = false;
    clear.addEventListener("click", () => {
      chat.reset();
      greet();
      root.querySelector("#chat-input").focus();
    });
  }
  return chat;
}
