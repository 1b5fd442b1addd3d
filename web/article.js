// The readable article page /docs/{doc_id}/{n}: the full article, the cited paragraph (?p=N or #pN) highlighted,
// or only its cited items (?p=N&i=1,3).
import { fetchArticle, fetchJSON } from "./chat.js";
import { el } from "./dom.js";
import { legalText } from "./legal.js";

const root = document.getElementById("article");
const nav = document.getElementById("article-nav");

function location_() {
  const match = /^\/docs\/([A-Za-z0-9_-]+)\/(\d+)\/?$/.exec(location.pathname);
  if (!match) return null;
  const fromQuery = new URLSearchParams(location.search).get("p");
  const fromHash = /^#p(\d+)$/.exec(location.hash);
  const p = Number.parseInt(fromQuery || (fromHash && fromHash[1]) || "", 10);
  const items = (new URLSearchParams(location.search).get("i") || "").split(",").map(Number).filter((i) => Number.isInteger(i) && i > 0);
  return { docId: match[1], n: Number(match[2]), paragraph: Number.isFinite(p) && p > 0 ? p : null, items };
}

function navLink(text, href) {
  return el("a", { text, attrs: { href } });
}

async function show() {
  const where = location_();
  if (!where) {
    root.replaceChildren(el("h1", { class: "article-title", text: "找不到这一条" }));
    return;
  }
  const [article, docs] = await Promise.all([
    fetchArticle(where.docId, where.n).catch((err) => ({ error: err })),
    fetchJSON("/api/docs").catch(() => []),
  ]);
  root.setAttribute("aria-busy", "false");
  if (article.error) {
    const notFound = article.error.status === 404;
    root.replaceChildren(
      el("h1", { class: "article-title", text: notFound ? "找不到这一条" : "条文暂时无法载入" }),
      el("p", { text: notFound ? "这份文件没有这一条，请从问答页面重新打开。" : "请检查网络后刷新页面。" }),
    );
    nav.replaceChildren(navLink("返回问答", "/"));
    return;
  }
  const doc = (Array.isArray(docs) ? docs : []).find((d) => d.doc_id === article.doc_id);
  document.title = `${article.title} ${article.label} · 反间谍安全防范问答`;

  const head = el("header", { class: "article-head" }, el("p", { class: "article-doc", text: `《${article.title}》` }));
  head.append(el("h1", { class: "article-title", text: article.label }));
  if (article.chapter) head.append(el("p", { class: "article-doc", text: article.chapter }));
  if (doc && doc.status && !doc.primary) {
    head.append(el("p", { class: "article-status", text: doc.status + (doc.effective ? ` · ${doc.effective} 施行` : "") }));
  }
  const paragraphs = Array.isArray(article.paragraphs) && article.paragraphs.length ? article.paragraphs : [String(article.text || "")];
  const body = legalText(paragraphs, { paragraph: where.paragraph, items: where.items, className: "article-body legal", ids: true });
  root.replaceChildren(head, body);

  const links = [];
  if (where.n > 1) links.push(navLink("‹ 上一条", `/docs/${where.docId}/${where.n - 1}`));
  if (doc && where.n < doc.articles) links.push(navLink("下一条 ›", `/docs/${where.docId}/${where.n + 1}`));
  links.push(navLink("返回问答", "/"));
  nav.replaceChildren(...links);

  const target = where.paragraph && (body.querySelector(".legal-item.is-cited") || document.getElementById(`p${where.paragraph}`));
  if (target) target.scrollIntoView({ block: "center" });
}

show();
