// Entry of the chat page (/) and the embedded chat (/embed): the shared chat, nothing else.
import { initChatPage } from "./chat.js";
import { pageLang } from "./i18n.js";

initChatPage();

if (document.body.classList.contains("embed-page") && window.parent !== window) {
  // Inside the widget's iframe: Escape asks the host page's widget to close the panel, and the widget's own button
  // and title follow this page's language (the switch here reloads the iframe in the other one).
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") window.parent.postMessage("fjd-ask:close", "*");
  });
  window.parent.postMessage(`fjd-ask:lang=${pageLang}`, "*");
}
