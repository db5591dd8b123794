// Training page: while the run is live, re-fetch the loss curve SVG every 3 s until its job finishes.
(function () {
  var box = document.getElementById('loss-curve');
  if (!box || !box.dataset.live) { return; }
  function refresh() {
    fetch(box.dataset.src, {credentials: 'same-origin'}).then(function (r) { return r.text(); })
      .then(function (svg) { box.innerHTML = svg; var w = document.querySelector('[data-job-url]');
        if (!w || ['succeeded', 'failed', 'cancelled'].indexOf(w.dataset.status) < 0) { setTimeout(refresh, 3000); } })
      .catch(function () { setTimeout(refresh, 5000); });
  }
  setTimeout(refresh, 3000);
})();
