// The page's language (the English/中文 switch) and the words the scripts write in it: web/strings.yaml's `script:`
// entries, which the server rendered into the page (#page-text), so they cost no request.
import { readJSON } from "./dom.js";

const page = readJSON("page-text") || {};
const texts = page.text || {};

/** This page's language: a code of web/strings.yaml ("zh", "en"). */
export const pageLang = page.lang || "zh";
/** Whether this is the default language, the one a kiosk goes back to when it wipes itself. */
export const isDefaultLang = !page.lang || page.lang === page.default_lang;
/** The `lang` sent with every question ("en" on English pages); undefined: the question's own language. */
export const answerLang = page.answers || undefined;

/** A text of the table with its {fields} filled: t("too_long", {max: 500, length: 501}). */
export function t(name, fields = {}) {
  const template = typeof texts[name] === "string" ? texts[name] : name;
  return template.replace(/\{(\w+)\}/g, (whole, field) => (field in fields ? String(fields[field]) : whole));
}

/** This page's address in `lang` (null: the default), keeping its other settings (?idle=…) but never a question. */
export function addressIn(lang) {
  const params = new URLSearchParams(location.search);
  params.delete("q");
  params.delete("lang");
  if (lang) params.set("lang", lang);
  const query = params.toString();
  return location.pathname + (query ? `?${query}` : "");
}

/** The switch is a plain link to this page in the other language (so it works without JavaScript); with JavaScript
 *  it also keeps the page's other settings, such as a kiosk's ?idle=. */
export function wireLanguageSwitch() {
  const link = document.getElementById("lang-switch");
  if (link) link.href = addressIn(new URL(link.href).searchParams.get("lang"));
}
