// Building the pages' elements: always createElement/textContent, never HTML from data.

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

/** The JSON the server rendered into the page as <script type="application/json" id="…">, or null. */
export function readJSON(id) {
  const node = document.getElementById(id);
  if (!node) return null;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return null;
  }
}
