// Site-wide behaviour, kept out of the HTML for the Content-Security-Policy (no inline script or handlers):
// copy buttons, in-page confirmations before consequential actions, and progress bars' widths.
(function () {
  "use strict";

  // <button data-copy="#selector">: copy that element's text, say so next to the button.
  document.addEventListener("click", async (e) => {
    const b = e.target.closest("[data-copy]");
    if (!b) return;
    const source = document.querySelector(b.dataset.copy);
    const out = b.parentElement.querySelector("[role=status]");
    const text = source ? source.textContent.trim() : "";
    let ok = false;
    try { await navigator.clipboard.writeText(text); ok = true; } catch (err) {
      const r = document.createRange(); r.selectNodeContents(source);
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
      try { ok = document.execCommand("copy"); } catch (err2) { ok = false; }
    }
    if (out) out.textContent = ok ? "Copied." : "Select the code and copy it (Ctrl+C).";
  });

  // <button data-confirm="question" data-confirm-yes="Launch"> or <a data-confirm=...>: ask in a dialog first.
  let dialog = null;
  function confirmDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-h");
    dialog.innerHTML = '<form method="dialog"><h2 id="confirm-h"></h2><p id="confirm-text"></p>' +
      '<div class="actions"><button value="yes" id="confirm-yes"></button>' +
      '<button value="no" class="secondary" id="confirm-no">Cancel</button></div></form>';
    document.body.appendChild(dialog);
    return dialog;
  }
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-confirm]");
    if (!el || el.dataset.confirmed === "1") return;
    e.preventDefault();
    const d = confirmDialog();
    d.querySelector("#confirm-h").textContent = el.dataset.confirmTitle || "Are you sure?";
    d.querySelector("#confirm-text").textContent = el.dataset.confirm;
    d.querySelector("#confirm-yes").textContent = el.dataset.confirmYes || "Yes";
    d.returnValue = "";
    d.onclose = null;
    d.addEventListener("close", function done() {
      d.removeEventListener("close", done);
      if (d.returnValue !== "yes") { el.focus(); return; }
      el.dataset.confirmed = "1";
      if (el.tagName === "A") window.location.href = el.href;
      else if (el.form) el.form.requestSubmit(el);
    });
    d.showModal();
    d.querySelector("#confirm-no").focus();
  });

  // A form's error summary takes the focus, so that a screen reader reads it and the page scrolls to it.
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // <select data-autosubmit>: submit its form on change (instead of an inline onchange handler).
  document.addEventListener("change", (e) => {
    if (e.target.matches("select[data-autosubmit]") && e.target.form) e.target.form.requestSubmit();
  });

  // <span data-percent="42"> inside .progress: width without a style attribute.
  document.querySelectorAll("[data-percent]").forEach((el) => { el.style.width = el.dataset.percent + "%"; });
})();
