/* 反间谍安全防范问答 widget.
   Usage on any page:  <script src="https://bot.example/widget.js" defer></script>
   Puts a floating "问一问" button on the page; it opens the chat (ORIGIN/embed) in an iframe.
   Button, panel and iframe live in a shadow root with their own styles, so the host page's CSS
   cannot reach them and the widget's CSS cannot leak into the page.
   Language: data-lang="en" on the script tag, else the host page's <html lang> when the widget has it, else
   Chinese; the English/中文 switch inside the chat changes it while the page is open.
   The server fills in TEXT (web/strings.yaml's `widget:` words) when it starts: this file is a template. */
(function () {
  "use strict";
  if (window.__fjdAskWidget) return; // included twice: one button is enough
  window.__fjdAskWidget = true;

  var script = document.currentScript;
  if (!script) {
    var all = document.getElementsByTagName("script");
    for (var i = all.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(all[i].src)) { script = all[i]; break; }
    }
  }
  if (!script || !script.src) return;
  var ORIGIN = new URL(script.src, location.href).origin;
  var TEXT = {{widget_text}};
  var lang = pickLanguage(script.getAttribute("data-lang") || document.documentElement.lang || "");

  /** The widget's language code for a language tag ("en-GB" → "en"), or the default. */
  function pickLanguage(tag) {
    var primary = String(tag).toLowerCase().split("-")[0];
    for (var code in TEXT.languages) {
      if (code === primary || TEXT.languages[code].html.toLowerCase().split("-")[0] === primary) return code;
    }
    return TEXT["default"];
  }

  function embedURL() {
    return ORIGIN + "/embed" + (lang === TEXT["default"] ? "" : "?lang=" + encodeURIComponent(lang));
  }

  var CSS = [
    ":host{all:initial !important;display:block !important;position:static !important;width:0 !important;height:0 !important;",
    "margin:0 !important;padding:0 !important;border:0 !important;visibility:visible !important;opacity:1 !important;",
    "transform:none !important;filter:none !important;contain:none !important;}",
    ".wrap{all:initial;font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"Source Han Sans SC\",\"PingFang SC\",\"Microsoft YaHei\",system-ui,sans-serif;",
    "font-size:16px;line-height:1.5;color:#1d232b;}",
    ".launcher{all:initial;box-sizing:border-box;position:fixed;right:20px;bottom:20px;z-index:2147483646;display:inline-flex;",
    "align-items:center;gap:8px;min-height:52px;min-width:52px;padding:12px 20px;border-radius:26px;background:#9b1c1c;color:#fff;",
    "font:inherit;font-size:17px;font-weight:700;line-height:1.2;letter-spacing:1px;cursor:pointer;",
    "box-shadow:0 4px 14px rgba(0,0,0,.28);border:2px solid #fff;}",
    ".launcher:hover{background:#7a1414;}",
    ".launcher:focus-visible,.close:focus-visible{outline:3px solid #1a4fa0;outline-offset:3px;}",
    ".dot{all:initial;display:inline-block;width:10px;height:10px;border-radius:50%;background:#fff;}",
    ".panel{all:initial;box-sizing:border-box;position:fixed;right:20px;bottom:84px;z-index:2147483647;display:flex;flex-direction:column;",
    "width:400px;max-width:calc(100vw - 24px);height:640px;max-height:calc(100vh - 104px);background:#fff;",
    "border:1px solid #c9ced4;border-top:4px solid #9b1c1c;border-radius:10px;overflow:hidden;box-shadow:0 10px 32px rgba(0,0,0,.3);",
    "font:inherit;color:#1d232b;}",
    ".panel[hidden]{display:none;}",
    ".bar{all:initial;box-sizing:border-box;display:flex;align-items:center;justify-content:space-between;gap:8px;padding:4px 6px 4px 14px;",
    "border-bottom:1px solid #d5d9de;background:#fff;font:inherit;font-size:15px;font-weight:700;color:#1d232b;}",
    ".title{all:initial;font:inherit;color:inherit;}",
    ".close{all:initial;box-sizing:border-box;display:inline-flex;align-items:center;justify-content:center;width:44px;height:44px;",
    "border-radius:6px;font:inherit;font-size:26px;line-height:1;color:#1d232b;cursor:pointer;}",
    ".close:hover{background:#f5f6f8;}",
    "iframe{all:initial;display:block;flex:1 1 auto;width:100%;min-height:0;border:0;background:#fff;}",
    "@media (max-width:480px),(max-height:560px){.panel{right:0;bottom:0;left:0;top:0;width:100%;max-width:none;height:100%;max-height:none;border-radius:0;}",
    ".wrap.open .launcher{display:none;}}"
  ].join("");

  function mount() {
    var host = document.createElement("fjd-ask-widget");
    var shadow = host.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS); // a constructed sheet: not blocked by a host page's style-src
      shadow.adoptedStyleSheets = [sheet];
    } else {
      var style = document.createElement("style");
      style.textContent = CSS;
      shadow.appendChild(style);
    }

    var wrap = document.createElement("div");
    wrap.className = "wrap";

    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "fjd-panel");
    var dot = document.createElement("span");
    dot.className = "dot";
    dot.setAttribute("aria-hidden", "true");
    var name = document.createElement("span");
    launcher.appendChild(dot);
    launcher.appendChild(name);

    var panel = document.createElement("div");
    panel.className = "panel";
    panel.id = "fjd-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");

    var bar = document.createElement("div");
    bar.className = "bar";
    var title = document.createElement("span");
    title.className = "title";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "close";
    close.textContent = "×";
    bar.appendChild(title);
    bar.appendChild(close);
    panel.appendChild(bar);

    var frame = null;

    /** Every word of the widget in the current language. */
    function applyLanguage() {
      var text = TEXT.languages[lang];
      wrap.setAttribute("lang", text.html);
      launcher.setAttribute("aria-label", text.launcher_label);
      name.textContent = text.launcher;
      panel.setAttribute("aria-label", text.frame_title);
      title.textContent = text.panel_title;
      close.setAttribute("aria-label", text.close);
      if (frame) frame.title = text.frame_title;
    }

    function open() {
      if (!frame) { // created on first use: a page that never opens the widget makes no request for it
        frame = document.createElement("iframe");
        frame.title = TEXT.languages[lang].frame_title;
        frame.src = embedURL();
        frame.setAttribute("referrerpolicy", "no-referrer");
        frame.addEventListener("load", function () { if (!panel.hidden) frame.focus(); });
        panel.appendChild(frame);
      } else {
        frame.focus();
      }
      panel.hidden = false;
      wrap.className = "wrap open";
      launcher.setAttribute("aria-expanded", "true");
    }

    function shut() {
      panel.hidden = true;
      wrap.className = "wrap";
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    launcher.addEventListener("click", function () { if (panel.hidden) open(); else shut(); });
    close.addEventListener("click", shut);
    shadow.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) shut();
    });
    // Escape pressed inside the iframe: the embedded chat asks us to close; it also says its language on every load.
    window.addEventListener("message", function (event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== ORIGIN || typeof event.data !== "string") return;
      if (event.data === "fjd-ask:close" && !panel.hidden) shut();
      var said = /^fjd-ask:lang=(\w+)$/.exec(event.data);
      if (said && TEXT.languages.hasOwnProperty(said[1]) && said[1] !== lang) {
        lang = said[1];
        applyLanguage();
      }
    });

    applyLanguage();
    wrap.appendChild(panel);
    wrap.appendChild(launcher);
    shadow.appendChild(wrap);
    document.body.appendChild(host);
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
