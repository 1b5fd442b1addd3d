// Entry of the chat page (/) and the embedded chat (/embed): the shared chat, nothing else.
import { initChatPage } from "./chat.js";

initChatPage();

// Inside the widget's iframe, Escape asks the host page's widget to close the panel.
if (document.body.classList.contains("embed-page") && window.parent !== window) {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") window.parent.postMessage("fjd-ask:close", "*");
  });
}
