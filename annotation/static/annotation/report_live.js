// The live study report (no inline script: see SECURITY.md): poll every 10 s, swap in new HTML only when a judgment changed; folded sections stay
// as the reader left them.
(function () {
  "use strict";
  const box = document.getElementById("report-body"), status = document.getElementById("live-status");
  if (!box || !box.dataset.liveUrl) return;
  function openIds() { return Array.from(box.querySelectorAll("details[open]")).map((d) => d.id); }
  function tick() {
    fetch(box.dataset.liveUrl + "&version=" + encodeURIComponent(box.dataset.version), { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((d) => {
        if (d && d.changed) {
          const keep = openIds();
          box.innerHTML = d.html; box.dataset.version = d.version;
          box.querySelectorAll("details").forEach((el) => { el.open = keep.includes(el.id); });
        }
        if (d && status) status.textContent = "Updated " + new Date().toLocaleTimeString() + (d.status === "live" ? " · live" : " · " + d.status);
      })
      .catch(() => {})
      .finally(() => setTimeout(tick, 10000));
  }
  setTimeout(tick, 10000);
})();
