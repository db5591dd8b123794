// Study wizard: re-render the rater's-eye preview whenever the design changes (debounced POST of the form).
(function () {
  // Not form.dataset: the form has a field named "dataset", which shadows it.
  const form = document.getElementById("wizard-form");
  const box = document.getElementById("preview");
  if (!form || !box) return;
  let timer = null;
  async function refresh() {
    const body = new FormData(form);
    try {
      const resp = await fetch(form.getAttribute("data-preview-url"), { method: "POST", body, credentials: "same-origin" });
      if (resp.ok) box.innerHTML = await resp.text();
    } catch (e) { /* keep the last preview */ }
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 100); });
  refresh();
})();
