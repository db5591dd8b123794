// Live progress for job widgets: any element with data-job-url polls the job's JSON until it finishes.
(function () {
  function render(el, job) {
    var bar = el.querySelector('.progress > span');
    var text = el.querySelector('.job-text');
    var pct = job.percent == null ? (job.status === 'succeeded' ? 100 : 0) : job.percent;
    if (bar) { bar.style.width = pct.toFixed(1) + '%'; bar.parentNode.setAttribute('aria-valuenow', pct.toFixed(0)); }
    if (text) {
      text.textContent = job.status + (job.total ? ' — ' + job.done + ' / ' + job.total : '') + (job.stage ? ' — ' + job.stage : '') + (job.error ? ' — ' + job.error.split('\n')[0] : '');
    }
    el.dataset.status = job.status;
  }
  function poll(el) {
    fetch(el.dataset.jobUrl, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        render(el, job);
        if (['succeeded', 'failed', 'cancelled'].indexOf(job.status) < 0) { setTimeout(function () { poll(el); }, 1000); }
        else if (el.dataset.reloadOnDone) { window.location.reload(); }
      })
      .catch(function () { setTimeout(function () { poll(el); }, 3000); });
  }
  document.querySelectorAll('[data-job-url]').forEach(function (el) {
    if (['succeeded', 'failed', 'cancelled'].indexOf(el.dataset.status) < 0) { poll(el); }
  });
})();
