/* The report page's live updates: every 10 s, ask for new HTML (only sent when a judgment or the status
   changed). The poll URL comes from the script tag's data-live-url (no inline script: see SECURITY.md). */
(function () {
  var script = document.currentScript;
  var box = document.getElementById("report-body"), status = document.getElementById("live-status");
  if (!script || !box) { return; }
  var url = script.dataset.liveUrl;
  function tick() {
    fetch(url + "&version=" + encodeURIComponent(box.dataset.version), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (d && d.changed) { box.innerHTML = d.html; box.dataset.version = d.version; }
        if (d && status) { status.textContent = "Updated " + new Date().toLocaleTimeString() + (d.status === "live" ? " · live" : " · " + d.status); }
      }).catch(function () {}).finally(function () { setTimeout(tick, 10000); });
  }
  setTimeout(tick, 10000);
})();
