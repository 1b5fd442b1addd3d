// The chat shared by the chat page (/), the embedded chat (/embed) and the kiosk (/kiosk).
// Everything typed or returned by the API is rendered with createElement/textContent, never as HTML.

export const MAX_MESSAGE = 500;       // characters a visitor can type in one message
const HISTORY_TURNS = 6;              // earlier turns sent along, so "那学生呢？" can be understood
const HISTORY_TEXT = 400;             // each earlier turn is trimmed to this length
const HISTORY_CITATIONS = 8;          // articles a bot turn says it showed (the server bounds it the same)
const TIMEOUT_MS = 20000;
const RETRY_AFTER_MAX = 10;           // seconds: never wait longer than this before the one retry, whatever the server says
const BUSY_TEXT = "现在提问的人较多，请稍等片刻再试。";

/** Build an element: el("p", {class: "x", text: "…", attrs: {…}}, child, …). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text != null) node.textContent = String(props.text);
  for (const [name, value] of Object.entries(props.attrs || {})) {
    if (value != null && value !== false) node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child != null && child !== false) node.append(child);
  }
  return node;
}

/** A link target from data, or null: same-site paths and http(s)/tel/mailto only (never javascript:). */
export function safeHref(value) {
  if (typeof value !== "string") return null;
  const v = value.trim();
  if (/^\/(?!\/)/.test(v)) return v;
  if (/^(https?:\/\/|tel:|mailto:)/i.test(v)) return v;
  return null;
}

let idCounter = 0;
const nextId = (prefix) => `${prefix}-${++idCounter}`;

/** GET or POST JSON with a timeout; throws an Error whose .status is the HTTP status (0 for network)
 *  and whose .retryAfter is the server's Retry-After in seconds (1 when it sent none). */
export async function fetchJSON(url, { body, signal } = {}) {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), TIMEOUT_MS);
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
    if (err.status == null) err.status = 0;
    throw err;
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener("abort", abort);
  }
}

/** The greeting answer (GET /api/ask?q=你好): its channels fill the strip before the first question. */
export function fetchGreeting() {
  return fetchJSON("/api/ask?q=" + encodeURIComponent("你好"));
}

/** Fetch one article: {doc_id, title, article, label, text, paragraphs}. */
export function fetchArticle(docId, n) {
  return fetchJSON(`/api/docs/${encodeURIComponent(docId)}/articles/${encodeURIComponent(n)}`);
}

function channelHref(ch) {
  const href = safeHref(ch.href);
  if (href) return href;
  const value = String(ch.value || "");
  if (ch.kind === "hotline" && /^[0-9 +-]+$/.test(value)) return "tel:" + value.replace(/[^0-9+]/g, "");
  if (ch.kind === "website" && /^[a-z0-9.-]+\.[a-z]{2,}(\/\S*)?$/i.test(value)) return "https://" + value;
  return null;
}

/** Fill a <ul> with the reporting channels: phone as tel:, website as a link, the others as text. */
export function renderChannels(list, channels, { links = true } = {}) {
  if (!list || !Array.isArray(channels) || channels.length === 0) return;
  list.replaceChildren(
    ...channels.map((ch) => {
      const kind = String(ch.kind || "other").replace(/[^a-z_]/gi, "");
      const item = el("li", { class: `ch-${kind}` });
      const href = channelHref(ch);
      if (href) {
        // phone and website: the number or address itself must be visible, linked where a link makes sense
        const short = ch.kind === "hotline" ? "电话" : ch.kind === "website" ? "网站" : "";
        item.append(el("span", { class: "ch-label", text: `${ch.label || ""}` }), " ");
        if (short) item.append(el("span", { class: "ch-short", text: short, attrs: { "aria-hidden": "true" } }), " ");
        const external = /^https?:/i.test(href);
        const attrs = links ? { href, target: external ? "_blank" : null, rel: external ? "noopener noreferrer" : null } : {};
        item.append(el(links ? "a" : "span", { class: "ch-value", text: ch.value, attrs }));
      } else {
        item.append(el("span", { class: "ch-value", text: ch.label || ch.value, attrs: { title: ch.value || null } }));
      }
      return item;
    }),
  );
  const status = list.parentElement && list.parentElement.querySelector(".channels-status");
  if (status) status.hidden = true;
}

/** Load the channels strip from the greeting answer; returns that answer (or null when offline). */
export async function loadChannels(list, options) {
  try {
    const greeting = await fetchGreeting();
    renderChannels(list, greeting.channels, options);
    return greeting;
  } catch {
    const status = list && list.parentElement && list.parentElement.querySelector(".channels-status");
    if (status) status.textContent = "举报渠道暂时无法加载，请就近联系国家安全机关。";
    return null;
  }
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
  if (isBusy(err)) return BUSY_TEXT;
  if (err.status === 413 || err.status === 422) return "这个问题无法处理，请换一种更简短的说法再问。";
  if (err.status >= 500) return "服务暂时出现问题，请稍后再试。";
  return "网络连接出现问题，暂时无法回答，请稍后再试。";
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
 * opts: log, form, input, send, channels (<ul>), linkTarget ("_blank" inside the widget),
 *       articleLinks / channelLinks (false on the kiosk: a visitor must not navigate away from it),
 *       decorate(node, answer) to add kiosk controls, onAnswer(answer), onBusy(bool).
 */
export function createChat(opts) {
  const { log, form, input, send } = opts;
  let turns = [];
  let busy = false;
  let controller = null;
  let articleCache = new Map();

  if (input) input.maxLength = MAX_MESSAGE;
  keepClearOfStickyBars();

  function setBusy(value) {
    busy = value;
    if (send) send.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
    if (opts.onBusy) opts.onBusy(value);
  }

  function scrollTo(node) {
    node.scrollIntoView({ block: "start", behavior: "auto" });
  }

  function addUser(text) {
    const node = el("div", { class: "msg msg-user" }, el("p", { class: "msg-who visually-hidden", text: "你问：" }), el("p", { class: "bubble", text }));
    log.append(node);
    return node;
  }

  function citationNode(c) {
    const figure = el("figure", { class: "cite" });
    const title = [c.title, c.label].filter(Boolean).join(" ");
    figure.append(el("figcaption", { class: "cite-label", text: title }));
    figure.append(el("blockquote", { class: "cite-quote", text: c.text }));
    if (c.current_law) figure.append(el("p", { class: "cite-note", text: c.current_law }));

    const actions = el("div", { class: "cite-actions" });
    const panelId = nextId("article");
    const panel = el("div", { class: "full-article", attrs: { id: panelId, hidden: true } });
    const toggle = el("button", {
      class: "link-button",
      text: "展开全文",
      attrs: { type: "button", "aria-expanded": "false", "aria-controls": panelId },
    });
    toggle.addEventListener("click", () => toggleArticle(toggle, panel, c));
    actions.append(toggle);

    let href = opts.articleLinks === false ? null : safeHref(c.url);
    if (href) {
      if (c.paragraph) href += (href.includes("?") ? "&" : "?") + "p=" + encodeURIComponent(c.paragraph);
      const target = opts.linkTarget || null;
      actions.append(
        el("a", {
          text: "打开条文页面",
          attrs: { href, target, rel: target ? "noopener" : null, "aria-label": `打开条文页面：${title}` },
        }),
      );
    }
    figure.append(actions, panel);
    return figure;
  }

  async function toggleArticle(toggle, panel, c) {
    const open = toggle.getAttribute("aria-expanded") === "true";
    if (open) {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.textContent = "展开全文";
      return;
    }
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = "收起全文";
    panel.hidden = false;
    if (panel.dataset.loaded) return;
    panel.replaceChildren(el("p", { class: "msg-status", text: "正在载入全文…" }));
    const key = `${c.doc_id}/${c.article}`;
    if (!articleCache.has(key)) articleCache.set(key, fetchArticle(c.doc_id, c.article));
    try {
      const art = await articleCache.get(key);
      const paragraphs = Array.isArray(art.paragraphs) && art.paragraphs.length ? art.paragraphs : [String(art.text || "")];
      panel.replaceChildren(
        ...paragraphs.map((text, i) => el("p", { class: c.paragraph === i + 1 ? "is-cited" : null, text })),
      );
      panel.dataset.loaded = "1";
    } catch {
      articleCache.delete(key);
      panel.replaceChildren(el("p", { text: "全文暂时无法载入，请稍后再试。" }));
    }
  }

  function suggestionsNode(suggestions) {
    const list = el("ul", { class: "suggestions", attrs: { "aria-label": "你可能还想问" } });
    for (const q of suggestions) {
      const chip = el("button", { class: "chip", text: q, attrs: { type: "button" } });
      chip.addEventListener("click", () => ask(q));
      list.append(el("li", {}, chip));
    }
    return list;
  }

  /** Render one answer object as a bot message. */
  function addAnswer(answer) {
    const node = el("article", { class: "msg msg-bot", attrs: { "data-intent": answer.intent || null } });
    node.append(el("h2", { class: "msg-who visually-hidden", text: "回答" }));
    const body = el("div", { class: "answer-body" });
    let text = answer.answer || "";
    if (answer.intent === "report") {
      // The first paragraph of a report answer is what to do now: it alone goes in the notice; what follows
      // (the answer to a question asked along with the report, notes on current law) is ordinary answer text.
      const cut = text.indexOf("\n");
      const notice = el("div", { class: "answer-body notice", attrs: { role: "note" } });
      notice.append(el("p", { class: "notice-title", text: "⚠ 行动提示：请这样做" }));
      notice.append(el("p", { class: "answer-text", text: cut < 0 ? text : text.slice(0, cut) }));
      node.append(notice);
      text = cut < 0 ? "" : text.slice(cut + 1);
    }
    if (text) {
      body.append(el("p", { class: "answer-text", text }));
      node.append(body);
    }

    const citations = Array.isArray(answer.citations) ? answer.citations : [];
    if (citations.length) {
      const section = el("section", { class: "citations" }, el("h3", { class: "citations-title", text: "依据条文" }));
      for (const c of citations) section.append(citationNode(c));
      node.append(section);
    }
    const suggestions = Array.isArray(answer.suggestions) ? answer.suggestions.filter((s) => typeof s === "string") : [];
    if (suggestions.length) node.append(suggestionsNode(suggestions));
    if (opts.decorate) opts.decorate(node, answer);
    log.append(node);
    if (opts.channels && Array.isArray(answer.channels) && answer.channels.length) renderChannels(opts.channels, answer.channels, { links: opts.channelLinks !== false });
    return node;
  }

  /** Ask a question: show it, send it with the last turns, show the answer. */
  async function ask(raw) {
    const message = String(raw || "").trim().slice(0, MAX_MESSAGE);
    if (!message || busy) return;
    setBusy(true);
    const userNode = addUser(message);
    const status = el("p", { class: "msg msg-bot msg-status", text: "正在查找相关条文…" });
    log.append(status);
    scrollTo(userNode);
    controller = new AbortController();
    const mine = controller;
    const history = turns
      .filter((t) => t.text.trim())
      .slice(-HISTORY_TURNS)
      .map((t) => (t.citations ? { role: t.role, text: t.text.slice(0, HISTORY_TEXT), citations: t.citations } : { role: t.role, text: t.text.slice(0, HISTORY_TEXT) }));
    const send = () => fetchJSON("/api/chat", { body: { message, history }, signal: mine.signal });
    try {
      let answer;
      try {
        answer = await send();
      } catch (err) {
        if (!isBusy(err) || mine.signal.aborted) throw err;
        // Busy: say so, wait as long as the server asks, then try once more (a second refusal is shown as an error).
        status.textContent = "现在提问的人较多，请稍候，马上为你重试…";
        await pause(err.retryAfter, mine.signal);
        answer = await send();
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
      const node = el(
        "div",
        { class: "msg msg-bot msg-error", attrs: { role: "alert" } },
        el("div", { class: "answer-body" }, el("p", { class: "answer-text", text: errorText(err) + "如需举报，请直接使用上方的官方渠道。" })),
      );
      log.append(node);
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
    setBusy(false);
  }

  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim() || busy) return;
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

/** Wire the standard page (chat page and embed): channels strip, greeting with starter questions, the form. */
export function initChatPage(root = document) {
  const chat = createChat({
    log: root.querySelector("#chat-log"),
    form: root.querySelector("#chat-form"),
    input: root.querySelector("#chat-input"),
    send: root.querySelector("#chat-send"),
    channels: root.querySelector("#channel-list"),
    linkTarget: document.body.dataset.linkTarget || null,
  });
  loadChannels(root.querySelector("#channel-list")).then((greeting) => {
    if (greeting && !chat.hasConversation) chat.addAnswer({ ...greeting, citations: [] });
  });
  return chat;
}
