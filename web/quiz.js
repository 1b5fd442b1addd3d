// The classroom quiz (/quiz?n=10&seed=…&audience=学生): items from GET /api/quiz, answered one by one; each answer
// is revealed with the cited article fetched verbatim from /api/docs/{doc_id}/articles/{n}; a score at the end, and
// a 公布全部答案 control for the whole room. The same seed gives the same quiz. Nothing is stored.
import { fetchArticle, fetchJSON } from "./chat.js";
import { articleQuote, bindPresenterKeys, initPresenter, questionNode, renderedChannels, scrollStage } from "./classroom.js";
import { el } from "./dom.js";
import { citationTitle } from "./legal.js";

const SEED_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i: a teacher may copy the seed from the screen

const stage = document.getElementById("stage");
const setup = document.getElementById("setup");
const root = document.getElementById("quiz");
const controls = document.getElementById("controls");
const progress = document.getElementById("progress");
const scoreNode = document.getElementById("score");
const prevButton = document.getElementById("prev");
const nextButton = document.getElementById("next");
const revealAllButton = document.getElementById("reveal-all");
const channels = renderedChannels(); // shown with the set-up form and the results, not under every question

let items = [];
let choices = []; // per item: the option index the class picked, or null
let revealed = []; // per item: whether its answer is showing
let index = 0; // 0…items.length-1: an item; items.length: the score screen
let mode = "item"; // "item" | "review" (every answer revealed, one list)
let params = null; // {n, seed, audience} of this quiz
let current = null; // {answer(i), showAnswer()} of the item on screen
const articles = new Map(); // "doc/article" → promise of the article, for this page view only

function randomSeed() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => SEED_CHARS[b % SEED_CHARS.length]).join("");
}

function quizUrl({ n, seed, audience }) {
  const q = new URLSearchParams({ n: String(n), seed });
  if (audience) q.set("audience", audience);
  return `/quiz?${q}`;
}

function correctCount() {
  return items.reduce((sum, item, i) => sum + (choices[i] === Number(item.answer) ? 1 : 0), 0);
}

function answeredCount() {
  return choices.filter((c) => c != null).length;
}

function updateScore() {
  scoreNode.textContent = items.length ? `得分 ${correctCount()}` : "";
}

function getArticle(citation) {
  const key = `${citation.doc_id}/${citation.article}`;
  if (!articles.has(key)) {
    const promise = fetchArticle(citation.doc_id, citation.article);
    promise.catch(() => articles.delete(key));
    articles.set(key, promise);
  }
  return articles.get(key);
}

/** The cited article, verbatim, the cited paragraph (款) highlighted; filled in when the fetch returns. */
function articleBlock(citation) {
  const box = el("section", { class: "quiz-article", attrs: { "aria-label": "所依据的条文", "aria-busy": "true" } });
  box.append(el("p", { class: "cr-status", text: "正在载入条文原文…" }));
  getArticle(citation)
    .then((art) => {
      const paragraphs = Array.isArray(art.paragraphs) && art.paragraphs.length ? art.paragraphs : [String(art.text || "")];
      box.replaceChildren(
        el("p", { class: "cr-source", text: `依据：${citationTitle({ ...art, paragraph: citation.paragraph })}` }),
        articleQuote(paragraphs, citation.paragraph || null, "cr-article quiz-quote"),
      );
      box.setAttribute("aria-busy", "false");
      box.dataset.loaded = "1";
      // on a projector the article is what the room reads next: bring it on screen (the verdict repeats the answer)
      if (mode === "item" && box.isConnected) box.scrollIntoView({ block: "nearest" });
    })
    .catch(() => {
      box.replaceChildren(el("p", { class: "cr-status", text: "条文原文暂时无法载入，请稍后再试。" }));
      box.setAttribute("aria-busy", "false");
    });
  return box;
}

function renderItem() {
  const item = items[index];
  const number = `第 ${index + 1} / ${items.length} 题 · ${item.kind === "judge" ? "判断题" : "选择题"}`;
  const question = questionNode(item, { heading: "h1", kicker: number, onChoose: (i) => answer(i) });
  const showButton = el("button", { class: "btn btn-secondary show-answer", text: "显示答案", attrs: { type: "button" } });
  showButton.addEventListener("click", () => showAnswer());
  const frame = el("article", { class: "cr-frame quiz-item", attrs: { "data-index": index } }, question.node);
  frame.append(el("p", { class: "show-answer-row" }, showButton));

  function reveal() {
    question.reveal(choices[index]);
    question.result.append(articleBlock(item.citation));
    showButton.parentElement.hidden = true;
    updateScore();
  }
  function answer(i) {
    if (revealed[index] || i < 0 || i >= item.options.length) return false;
    choices[index] = i;
    revealed[index] = true;
    reveal();
    return true;
  }
  function showAnswer() {
    if (revealed[index]) return;
    revealed[index] = true;
    reveal();
  }
  current = { answer, showAnswer, isRevealed: () => revealed[index] };
  if (revealed[index]) reveal();
  return frame;
}

function scoreSummary() {
  const correct = correctCount();
  return el(
    "p",
    { class: "quiz-score", attrs: { "data-correct": correct, "data-total": items.length } },
    el("span", { class: "quiz-score-label", text: "答对 " }),
    el("strong", { text: String(correct) }),
    el("span", { text: ` / ${items.length} 题` }),
  );
}

function restartLinks() {
  return el(
    "p",
    { class: "quiz-links" },
    el("a", { class: "btn btn-secondary", text: "重做本组", attrs: { href: quizUrl(params) } }),
    el("a", { class: "btn btn-secondary", text: "换一组题", attrs: { href: quizUrl({ ...params, seed: randomSeed() }) } }),
    el("a", { class: "btn btn-secondary", text: "返回课堂讲解", attrs: { href: "/classroom" } }),
  );
}

function quizInfo() {
  return el("p", { class: "cr-source", text: `题组编号 ${params.seed} · 对象 ${params.audience || "全部"} · 共 ${items.length} 题` });
}

function renderResults() {
  current = null;
  const unanswered = items.length - answeredCount();
  const revealAll = el("button", { class: "btn", text: "查看全部答案", attrs: { type: "button" } });
  revealAll.addEventListener("click", () => showReview());
  return el(
    "article",
    { class: "cr-frame quiz-results" },
    el("h1", { class: "cr-title", text: "测验完成", attrs: { tabindex: "-1" } }),
    scoreSummary(),
    unanswered ? el("p", { class: "cr-lead", text: `其中 ${unanswered} 题没有作答（直接显示了答案）。` }) : null,
    quizInfo(),
    el("p", { class: "quiz-links" }, revealAll),
    restartLinks(),
  );
}

function renderReview() {
  current = null;
  const list = el("ol", { class: "review-list" });
  items.forEach((item, i) => {
    const question = questionNode(item, { heading: "h2", kicker: `第 ${i + 1} 题` });
    question.reveal(choices[i]);
    question.result.append(articleBlock(item.citation));
    list.append(el("li", { class: "review-item" }, question.node));
  });
  return el(
    "article",
    { class: "cr-frame quiz-review" },
    el("h1", { class: "cr-title", text: "全部答案", attrs: { tabindex: "-1" } }),
    scoreSummary(),
    quizInfo(),
    list,
    restartLinks(),
  );
}

function render() {
  const focusWasInside = stage.contains(document.activeElement);
  let frame;
  if (mode === "review") frame = renderReview();
  else if (index >= items.length) frame = renderResults();
  else frame = renderItem();
  root.replaceChildren(frame);
  stage.scrollTop = 0;
  updateScore();
  // the header says where the class is; the score beside it says the score (once: not "得分 得分 4")
  if (mode === "review") progress.textContent = "全部答案";
  else if (index >= items.length) progress.textContent = "测验完成";
  else progress.textContent = `第 ${index + 1} / ${items.length} 题`;
  if (channels) channels.hidden = mode === "item" && index < items.length;
  prevButton.disabled = mode === "review" || index === 0;
  nextButton.disabled = mode === "review" || index >= items.length;
  nextButton.textContent = index >= items.length - 1 ? "查看得分 ›" : "下一题 ›";
  revealAllButton.disabled = mode === "review";
  const heading = frame.querySelector("[tabindex='-1']");
  if (heading && focusWasInside) heading.focus({ preventScroll: true });
}

function showReview() {
  revealed = revealed.map(() => true);
  mode = "review";
  render();
}

function go(i) {
  index = Math.max(0, Math.min(items.length, i));
  render();
}

function next() {
  if (!items.length) return;
  if (current && !current.isRevealed()) {
    current.showAnswer(); // with a clicker the next press shows the answer first, then moves on
    return;
  }
  if (scrollStage(stage, 1)) return;
  if (mode === "item" && index < items.length) go(index + 1);
}

function prev() {
  if (!items.length) return;
  if (scrollStage(stage, -1)) return;
  if (mode === "item" && index > 0) go(index - 1);
}

function showSetup(message) {
  if (channels) channels.hidden = false;
  root.hidden = true;
  controls.hidden = true;
  setup.hidden = false;
  if (params) {
    setup.elements.n.value = String(params.n);
    setup.elements.audience.value = params.audience || "";
    setup.elements.seed.value = params.seed || "";
  }
  setup.querySelector(".setup-error")?.remove();
  if (message) setup.prepend(el("p", { class: "setup-error", text: message, attrs: { role: "alert" } }));
}

async function start(query) {
  const n = Number.parseInt(query.get("n") || "10", 10);
  const seed = (query.get("seed") || "").trim() || randomSeed();
  const audience = (query.get("audience") || "").trim();
  params = { n: Number.isFinite(n) ? n : 10, seed, audience };
  if (query.get("seed") !== seed) history.replaceState(null, "", quizUrl(params)); // the seed in the URL repeats this quiz
  root.hidden = false;
  root.replaceChildren(el("p", { class: "cr-status", text: "正在出题…" }));
  const api = new URLSearchParams({ n: String(params.n), seed });
  if (audience) api.set("audience", audience);
  try {
    const data = await fetchJSON(`/api/quiz?${api}`);
    items = Array.isArray(data.items) ? data.items : [];
  } catch (err) {
    showSetup(
      err.status === 422
        ? "题库里这个对象的题目不够，或题数超出范围，请减少题数或换一个对象。"
        : "题目暂时无法载入，请检查网络后再试。",
    );
    return;
  }
  if (!items.length) {
    showSetup("题库里没有合适的题目。");
    return;
  }
  choices = items.map(() => null);
  revealed = items.map(() => false);
  setup.hidden = true;
  controls.hidden = false;
  index = 0;
  mode = "item";
  render();
}

prevButton.addEventListener("click", prev);
nextButton.addEventListener("click", next);
revealAllButton.addEventListener("click", showReview);
initPresenter();
bindPresenterKeys({
  next,
  prev,
  first: () => mode === "item" && go(0),
  last: () => mode === "item" && go(items.length),
  choose: (i) => (current ? current.answer(i) : false),
});

const query = new URLSearchParams(location.search);
if (query.has("n") || query.has("seed") || query.has("audience")) start(query);
else showSetup(null);
