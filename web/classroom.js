// The classroom lesson (/classroom): steps through the measures by theme for a projector (GET /api/lesson), and the
// presenter pieces the quiz (/quiz, quiz.js) shares: clicker keys, full screen, questions whose answers are revealed.
// Everything from the API is rendered with textContent; nothing is stored (no localStorage, sessionStorage, cookies).
import { fetchJSON } from "./chat.js";
import { el } from "./dom.js";
import { citationTitle, legalText } from "./legal.js";

export const LETTERS = ["A", "B", "C", "D", "E", "F"];

/** The option picked by a key: A–D or 1–4 (F is full screen), or -1. */
function choiceIndex(key) {
  if (/^[1-4]$/.test(key)) return Number(key) - 1;
  if (/^[a-d]$/i.test(key)) return key.toUpperCase().charCodeAt(0) - 65;
  return -1;
}

/** Full screen on or off (F key and the 全屏 button); the button hides where full screen is unavailable. */
export function toggleFullscreen() {
  if (document.fullscreenElement) {
    if (document.exitFullscreen) document.exitFullscreen().catch(() => {});
  } else if (document.documentElement.requestFullscreen) {
    document.documentElement.requestFullscreen().catch(() => {});
  }
}

function wireFullscreenButton(button) {
  if (!button) return;
  if (!document.fullscreenEnabled) {
    button.hidden = true;
    return;
  }
  button.addEventListener("click", toggleFullscreen);
  document.addEventListener("fullscreenchange", () => {
    button.textContent = document.fullscreenElement ? "退出全屏" : "全屏";
  });
}

/**
 * Keyboard and presentation-clicker navigation. Clickers send PageDown/PageUp (some send arrows or Space):
 * next = → PageDown Space, prev = ← PageUp Shift+Space, first/last = Home/End, choose(i) = A–D or 1–4, F = full screen.
 * Typing in a form field is never intercepted, and Space still presses a focused button.
 */
export function bindPresenterKeys(actions) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) return;
    const onControl = target && /^(BUTTON|A|SUMMARY)$/.test(target.tagName);
    let handled = true;
    switch (event.key) {
      case "ArrowRight":
      case "PageDown":
        actions.next();
        break;
      case "ArrowLeft":
      case "PageUp":
        actions.prev();
        break;
      case " ":
      case "Spacebar":
        if (onControl) handled = false;
        else if (event.shiftKey) actions.prev();
        else actions.next();
        break;
      case "Home":
        if (actions.first) actions.first();
        else handled = false;
        break;
      case "End":
        if (actions.last) actions.last();
        else handled = false;
        break;
      case "f":
      case "F":
        toggleFullscreen();
        break;
      default: {
        const i = choiceIndex(event.key);
        handled = i >= 0 && Boolean(actions.choose) && actions.choose(i) !== false;
      }
    }
    if (handled) event.preventDefault();
  });
}

/** Scroll the stage by most of a screen when there is more to see that way; true when it scrolled. */
export function scrollStage(stage, direction) {
  const max = stage.scrollHeight - stage.clientHeight;
  if (direction > 0 && stage.scrollTop < max - 4) {
    stage.scrollBy({ top: Math.round(stage.clientHeight * 0.8) });
    return true;
  }
  if (direction < 0 && stage.scrollTop > 4) {
    stage.scrollBy({ top: -Math.round(stage.clientHeight * 0.8) });
    return true;
  }
  return false;
}

/** Show `indicator` while the stage has more below than fits (a clicker's next press scrolls to it first). */
export function watchOverflow(stage, indicator) {
  if (!stage || !indicator) return;
  const update = () => {
    indicator.hidden = !(stage.scrollHeight - stage.clientHeight - stage.scrollTop > 4);
  };
  stage.addEventListener("scroll", update, { passive: true });
  window.addEventListener("resize", update);
  new MutationObserver(() => requestAnimationFrame(update)).observe(stage, { childList: true, subtree: true, attributes: true });
  update();
}

/** An article's paragraphs (款) as a quotation on the projector; the cited 款 (1-based) or its cited 项 highlighted. */
export function articleQuote(paragraphs, cited = null, className = "cr-article", items = []) {
  return legalText(paragraphs, { paragraph: cited, items, tag: "blockquote", className: `${className} legal` });
}

/** The channel list the server rendered into the page (from corpus/channels.yaml), to show on a frame. */
export function renderedChannels() {
  return document.getElementById("cr-channels");
}

/**
 * A question with its options as large buttons (A, B, C, D). onChoose(i) runs when one is picked.
 * Returns {node, reveal(choice)}: reveal marks the right answer (✓) and a wrong pick (✗), and shows the explanation.
 */
export function questionNode(item, { onChoose, heading = "h1", kicker = null } = {}) {
  const node = el("section", { class: "question", attrs: { "data-id": item.id, "data-kind": item.kind } });
  if (kicker) node.append(el("p", { class: "cr-kicker", text: kicker }));
  node.append(el(heading, { class: "question-text", text: item.question, attrs: { tabindex: "-1" } }));
  const options = Array.isArray(item.options) ? item.options : [];
  const list = el("ol", { class: "options", attrs: { "aria-label": "选项" } });
  const buttons = options.map((text, i) => {
    const button = el(
      "button",
      { class: "option", attrs: { type: "button", "data-index": i } },
      el("span", { class: "option-key", text: LETTERS[i], attrs: { "aria-hidden": "true" } }),
      el("span", { class: "option-text", text }),
      el("span", { class: "option-mark" }),
    );
    button.addEventListener("click", () => {
      if (onChoose) onChoose(i);
    });
    list.append(el("li", {}, button));
    return button;
  });
  node.append(list);
  const result = el("div", { class: "reveal", attrs: { hidden: true, "aria-live": "polite" } });
  node.append(result);

  function reveal(choice) {
    const answer = Number(item.answer);
    buttons.forEach((button, i) => {
      button.disabled = true;
      button.classList.toggle("is-answer", i === answer);
      button.classList.toggle("is-wrong", i === choice && i !== answer);
      button.classList.toggle("is-chosen", i === choice);
      const mark = button.querySelector(".option-mark");
      mark.textContent = i === answer ? "✓ 正确答案" : i === choice ? "✗ 所选答案" : "";
    });
    const right = `${LETTERS[answer] || ""} ${options[answer] ?? ""}`.trim();
    let verdict;
    if (choice == null) verdict = `正确答案：${right}`;
    else if (choice === answer) verdict = `✓ 回答正确：${right}`;
    else verdict = `✗ 回答错误。正确答案：${right}`;
    result.replaceChildren(
      el("p", { class: `verdict ${choice == null ? "" : choice === answer ? "is-right" : "is-wrong"}`.trim(), text: verdict }),
      el("p", { class: "explanation", text: item.explanation || "" }),
    );
    result.hidden = false;
    node.classList.add("is-revealed");
  }

  return { node, reveal, result };
}

// ---------------------------------------------------------------- the lesson

function initLesson() {
  const stage = document.getElementById("stage");
  const themesNav = document.getElementById("themes");
  const progress = document.getElementById("progress");
  const prevButton = document.getElementById("prev");
  const nextButton = document.getElementById("next");
  let steps = [];
  let frames = [];
  let index = 0;
  let current = null; // {frame, question?} of the frame on screen
  const checks = new Map(); // step index → {choice, revealed}: kept while the page is open, never stored
  const channels = renderedChannels(); // moved into the summary frame; the stage's first content is replaced

  function buildFrames() {
    frames = [{ kind: "cover" }];
    steps.forEach((step, s) => {
      step.articles.forEach((_, a) => frames.push({ kind: "article", step: s, article: a }));
      if (step.explanation) frames.push({ kind: "explain", step: s });
      if (step.check) frames.push({ kind: "check", step: s });
    });
    frames.push({ kind: "end" });
  }

  function kicker(s) {
    return `${s + 1} · ${steps[s].theme}`;
  }

  function stepHeader(s) {
    return [el("p", { class: "cr-kicker", text: kicker(s) }), el("p", { class: "cr-subtitle", text: steps[s].title })];
  }

  function coverFrame() {
    const doc = steps[0] && steps[0].articles[0] ? steps[0].articles[0].title : "";
    const agenda = el("ol", { class: "cr-agenda" });
    steps.forEach((step) => agenda.append(el("li", {}, el("strong", { text: step.theme }), el("span", { text: ` ${step.title}` }))));
    return [
      el("h1", { class: "cr-title", text: "反间谍安全防范", attrs: { tabindex: "-1" } }),
      el("p", { class: "cr-lead", text: doc ? `《${doc}》课堂讲解` : "课堂讲解" }),
      agenda,
      el("p", { class: "cr-hint", text: "按 →、PageDown 或空格开始；每个主题先读条文，再看通俗解释，最后做一道检查题。" }),
    ];
  }

  function articleFrame(frame) {
    const step = steps[frame.step];
    const article = step.articles[frame.article];
    const paragraphs = Array.isArray(article.paragraphs) && article.paragraphs.length ? article.paragraphs : [String(article.text || "")];
    const length = paragraphs.join("").length;
    const quote = articleQuote(paragraphs);
    if (length > 240) quote.classList.add("is-long");
    return [
      ...stepHeader(frame.step),
      el(
        "h1",
        { class: "cr-heading", attrs: { tabindex: "-1" } },
        el("span", { class: "cr-doc", text: `《${article.title}》` }),
        el("span", { text: article.label }),
      ),
      quote,
      el("p", { class: "cr-count", text: `条文 ${frame.article + 1} / ${step.articles.length}` }),
    ];
  }

  function explainFrame(frame) {
    const step = steps[frame.step];
    const main = step.articles[0];
    return [
      ...stepHeader(frame.step),
      el("h1", { class: "cr-heading", text: "通俗地说", attrs: { tabindex: "-1" } }),
      el("p", { class: "cr-explain", text: step.explanation }),
      el("p", { class: "cr-source", text: `依据：${citationTitle(main)}` }),
    ];
  }

  function checkFrame(frame) {
    const step = steps[frame.step];
    const item = step.check;
    const state = checks.get(frame.step) || { choice: null, revealed: false };
    checks.set(frame.step, state);
    const question = questionNode(item, { kicker: `${kicker(frame.step)} · 想一想`, onChoose: (i) => answer(i) });
    const cited = step.articles.find((a) => a.doc_id === item.citation.doc_id && a.article === item.citation.article);
    function reveal() {
      question.reveal(state.choice);
      if (cited) {
        question.result.append(
          el("p", { class: "cr-source", text: `依据：${citationTitle({ ...cited, paragraph: item.citation.paragraph })}` }),
        );
      }
    }
    function answer(i) {
      if (state.revealed || i < 0 || i >= item.options.length) return false;
      state.choice = i;
      state.revealed = true;
      reveal();
      return true;
    }
    if (state.revealed) reveal();
    current.question = {
      answer,
      revealed: () => state.revealed,
      showAnswer: () => {
        state.revealed = true;
        reveal();
      },
    };
    return [question.node];
  }

  function endFrame() {
    const summary = el("ol", { class: "cr-agenda" });
    steps.forEach((step) => summary.append(el("li", {}, el("strong", { text: step.theme }), el("span", { text: ` ${step.title}` }))));
    return [
      el("h1", { class: "cr-title", text: "课堂小结", attrs: { tabindex: "-1" } }),
      summary,
      channels,
      el("p", { class: "cr-hint" }, el("a", { class: "btn cr-start", text: "开始课堂测验", attrs: { href: "/quiz?n=10&audience=学生" } })),
    ];
  }

  function renderThemes() {
    const stepOf = frames[index] && frames[index].step;
    for (const button of themesNav.querySelectorAll("button")) {
      const on = Number(button.dataset.step) === stepOf;
      if (on) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    }
  }

  function show(i) {
    index = Math.max(0, Math.min(frames.length - 1, i));
    const frame = frames[index];
    current = { frame };
    let content;
    if (frame.kind === "cover") content = coverFrame();
    else if (frame.kind === "article") content = articleFrame(frame);
    else if (frame.kind === "explain") content = explainFrame(frame);
    else if (frame.kind === "check") content = checkFrame(frame);
    else content = endFrame();
    const page = el("article", { class: `cr-frame cr-frame-${frame.kind}`, attrs: { "data-frame": index } }, ...content);
    const focusWasInside = stage.contains(document.activeElement);
    stage.replaceChildren(page);
    stage.scrollTop = 0;
    progress.textContent = `${index + 1} / ${frames.length}`;
    prevButton.disabled = index === 0;
    nextButton.disabled = index === frames.length - 1;
    renderThemes();
    // an option button that had focus is gone now: keep keyboard and screen-reader users in the content
    const heading = page.querySelector("[tabindex='-1']");
    if (heading && focusWasInside) heading.focus({ preventScroll: true });
  }

  function next() {
    if (!frames.length) return;
    const q = current && current.question;
    if (q && !q.revealed()) {
      q.showAnswer(); // a clicker cannot pick an option: its next press shows the answer first
      return;
    }
    if (scrollStage(stage, 1)) return;
    if (index < frames.length - 1) show(index + 1);
  }

  function prev() {
    if (!frames.length) return;
    if (scrollStage(stage, -1)) return;
    if (index > 0) show(index - 1);
  }

  function firstFrameOf(s) {
    return frames.findIndex((f) => f.step === s);
  }

  async function load() {
    try {
      const data = await fetchJSON("/api/lesson");
      steps = (Array.isArray(data.steps) ? data.steps : []).filter((s) => Array.isArray(s.articles) && s.articles.length);
    } catch {
      stage.setAttribute("aria-busy", "false");
      stage.replaceChildren(
        el("h1", { class: "cr-title", text: "课堂讲解" }),
        el("p", { class: "cr-status", text: "课程暂时无法载入，请检查网络后刷新页面。" }),
        channels,
      );
      return;
    }
    stage.setAttribute("aria-busy", "false");
    buildFrames();
    themesNav.replaceChildren(
      ...steps.map((step, s) => {
        const button = el("button", { class: "cr-theme", text: `${s + 1} ${step.theme}`, attrs: { type: "button", "data-step": s } });
        button.addEventListener("click", () => show(firstFrameOf(s)));
        return button;
      }),
    );
    show(0);
  }

  prevButton.addEventListener("click", prev);
  nextButton.addEventListener("click", next);
  initPresenter();
  bindPresenterKeys({
    next,
    prev,
    first: () => show(0),
    last: () => show(frames.length - 1),
    choose: (i) => (current && current.question ? current.question.answer(i) : false),
  });
  load();
}

/** Shared start-up of both classroom pages: the full-screen button and the "more below" hint. */
export function initPresenter() {
  wireFullscreenButton(document.getElementById("fullscreen"));
  watchOverflow(document.getElementById("stage"), document.getElementById("more"));
}

if (document.body.classList.contains("lesson-page")) initLesson();
