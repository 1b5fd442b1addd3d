// Legal text: the one renderer for articles, 款 and quotations on every page (chat, kiosk, article page, classroom,
// quiz). A 款 is its lead sentence and its 项, each 项 on a line of its own; the cited 款, or only its cited 项, is
// highlighted and announced to screen readers.
import { el } from "./dom.js";

const CN_DIGITS = "零一二三四五六七八九";
const ITEM_LINE = /^[（(][一二三四五六七八九十]+[）)]/;

/** 1–99 as a Chinese numeral (款 and 项 numbers are small). */
export function cnNumber(n) {
  if (!Number.isInteger(n) || n < 1 || n > 99) return String(n);
  if (n < 10) return CN_DIGITS[n];
  const tens = Math.floor(n / 10);
  return (tens > 1 ? CN_DIGITS[tens] : "") + "十" + (n % 10 ? CN_DIGITS[n % 10] : "");
}

function itemNumbers(items) {
  return (Array.isArray(items) ? items : []).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** The 项 a quotation consists of, by their own numbers ("（二）…" → [2]); [] when it quotes more than items. */
export function quotedItems(text) {
  const lines = String(text || "").split("\n").map((l) => l.trim()).filter(Boolean);
  const numbers = lines.map((line) => {
    const match = /^[（(]([一二三四五六七八九十]+)[）)]/.exec(line);
    return match ? cnToInt(match[1]) : 0;
  });
  return numbers.length && numbers.every((n) => n > 0) ? numbers : [];
}

function cnToInt(numeral) {
  const digit = (ch) => CN_DIGITS.indexOf(ch);
  if (numeral === "十") return 10;
  if (numeral.startsWith("十")) return 10 + digit(numeral[1]);
  if (numeral.includes("十")) return digit(numeral[0]) * 10 + (numeral.length > 2 ? digit(numeral[2]) : 0);
  return digit(numeral);
}

/** Exactly what a citation quotes: 《浙江省反间谍安全防范办法》第十二条第一款第（一）（三）项. */
export function citationTitle({ title, label, paragraph, items } = {}) {
  const doc = title ? `《${title}》` : "";
  const lab = String(label || "");
  const para = paragraph && !lab.includes("款") ? `第${cnNumber(Number(paragraph))}款` : "";
  const cited = itemNumbers(items);
  const item = cited.length && !lab.includes("项") ? `第${cited.map((n) => `（${cnNumber(n)}）`).join("")}项` : "";
  return `${doc}${lab}${para}${item}`;
}

/** One 款 as a <p>: the lead, then each 项 as a block of its own. `cited`: true (the whole 款) or item numbers. */
function paragraphNode(text, cited) {
  const p = el("p", { class: "legal-para" });
  const whole = cited === true;
  const items = Array.isArray(cited) ? cited : [];
  if (whole) {
    p.classList.add("is-cited");
    p.append(el("span", { class: "visually-hidden", text: "（被引用的一款）" }));
  }
  let n = 0;
  for (const line of String(text || "").split("\n")) {
    if (!line.trim()) continue;
    if (ITEM_LINE.test(line.trim())) {
      n += 1;
      const on = items.includes(n);
      const item = el("span", { class: on ? "legal-item is-cited" : "legal-item" });
      if (on) item.append(el("span", { class: "visually-hidden", text: "（被引用的一项）" }));
      item.append(line);
      p.append(item);
    } else {
      p.append(el("span", { class: "legal-lead", text: line }));
    }
  }
  return p;
}

/**
 * Paragraphs (款) of an article, or a quotation, as a block of legal text.
 * paragraph: the cited 款 (1-based), highlighted whole unless `items` names the cited 项 of it; ids: p1, p2, … on
 * the 款 (the article page's anchors; one legal text per page may have them).
 */
export function legalText(paragraphs, { paragraph = null, items = [], tag = "div", className = "legal", ids = false } = {}) {
  const box = el(tag, { class: className });
  const cited = itemNumbers(items);
  (Array.isArray(paragraphs) ? paragraphs : [String(paragraphs || "")]).forEach((text, i) => {
    const here = paragraph === i + 1 ? (cited.length ? cited : true) : null;
    const node = paragraphNode(text, here);
    if (ids) node.id = `p${i + 1}`;
    box.append(node);
  });
  return box;
}

/** The article page's address for a citation: /docs/{doc}/{n}?p=款&i=项,项. */
export function articleHref(url, paragraph, items) {
  const q = new URLSearchParams();
  if (paragraph) q.set("p", String(paragraph));
  const cited = itemNumbers(items);
  if (paragraph && cited.length) q.set("i", cited.join(","));
  const query = q.toString();
  return query ? `${url}${url.includes("?") ? "&" : "?"}${query}` : url;
}
