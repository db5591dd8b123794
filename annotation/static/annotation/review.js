// The reviewer's page: keys for the final label (1-4), Enter to save, V to switch the view, N for the note.
// The page is a plain form without this script; nothing here sends anything the form would not.
(function () {
  const root = document.querySelector(".rate.review");
  const form = document.getElementById("review-form");
  if (!root) return;
  const setView = (view) => {
    root.setAttribute("data-view", view);
    root.querySelectorAll(".view-switch .chip").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
  };
  root.querySelectorAll(".view-switch .chip").forEach((b) => b.addEventListener("click", () => setView(b.dataset.view)));
  if (window.matchMedia && window.matchMedia("(pointer: coarse)").matches) document.documentElement.classList.add("touch");
  if (!form) return;
  let sent = false;
  form.addEventListener("submit", (e) => {
    if (sent || !form.querySelector("input[name=label]:checked")) { e.preventDefault(); return; }
    sent = true;  // one submission per page: the idempotency key makes a second one harmless anyway
  });
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.matches("textarea, input[type=text]");
    if (typing) { if (e.key === "Escape") e.target.blur(); return; }
    const radios = form.querySelectorAll("input[name=label]");
    if (/^[1-4]$/.test(e.key) && radios[parseInt(e.key, 10) - 1]) {
      e.preventDefault(); radios[parseInt(e.key, 10) - 1].checked = true;
    } else if (e.key === "Enter") {
      e.preventDefault(); form.requestSubmit();
    } else if (e.key.toLowerCase() === "v") {
      setView(root.getAttribute("data-view") === "plain" ? "diff" : "plain");
    } else if (e.key.toLowerCase() === "n") {
      e.preventDefault(); document.getElementById("note").focus();
    }
  });
})();
