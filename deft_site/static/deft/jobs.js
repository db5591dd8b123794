// Live job widgets: any element with data-job-url polls the job's JSON until the job reaches one of the
// statuses listed in its data-finished-statuses (rendered by the server from Job.FINISHED); the names of the
// succeeded and failed statuses come from the page too (data-succeeded-status, data-failed-status, from
// Job.Status), so this script holds no status name. Elapsed times ([data-elapsed-for]) tick every second while
// the job runs.
(function () {
  function finishedStatuses(el) { return (el.dataset.finishedStatuses || '').split(' ').filter(Boolean); }
  function isFinished(el, status) { return finishedStatuses(el).indexOf(status) >= 0; }
  function formatSeconds(s) {
    s = Math.max(0, Math.round(s));
    if (s < 60) { return s + ' s'; }
    var m = Math.floor(s / 60), r = s % 60;
    if (m < 60) { return m + ' min ' + r + ' s'; }
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  function tickElapsed(el) {
    var target = document.querySelectorAll('.job-elapsed');
    if (!el.dataset.startedAt) { return; }
    var start = Date.parse(el.dataset.startedAt);
    var end = el.dataset.finishedAt ? Date.parse(el.dataset.finishedAt) : Date.now();
    target.forEach(function (t) { t.textContent = formatSeconds((end - start) / 1000); });
  }
  function render(el, job) {
    var bar = el.querySelector('.progress > span');
    var text = el.querySelector('.job-text');
    var done = isFinished(el, job.status);
    var succeeded = job.status === el.dataset.succeededStatus;
    var pct = job.percent == null ? (succeeded ? 100 : 0) : job.percent;
    if (succeeded) { pct = 100; }
    if (bar) { bar.style.width = pct.toFixed(1) + '%'; bar.parentNode.setAttribute('aria-valuenow', pct.toFixed(0)); }
    if (text) {
      var parts = [job.status];
      if (!done && job.total) { parts.push(job.done + ' / ' + job.total); }
      if (!done && job.stage) { parts.push(job.stage); }
      if (!done && job.queue_info) { parts.push('waiting for ' + job.queue_info.waiting_for); }
      // Why a job failed has its own place (the list's column, the job page's section); not repeated here.
      text.textContent = parts.join(' — ');
    }
    if (job.started_at) { el.dataset.startedAt = job.started_at; }
    if (job.finished_at) { el.dataset.finishedAt = job.finished_at; } else { delete el.dataset.finishedAt; }
    el.dataset.status = job.status;
  }
  function poll(el) {
    fetch(el.dataset.jobUrl, {credentials: 'same-origin', headers: {'Accept': 'application/json'}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        render(el, job);
        if (!isFinished(el, job.status)) { setTimeout(function () { poll(el); }, 1000); }
        else if (el.dataset.reloadOnDone) { window.location.reload(); }
      })
      .catch(function () { setTimeout(function () { poll(el); }, 3000); });
  }
  document.querySelectorAll('[data-job-url]').forEach(function (el) {
    if (!isFinished(el, el.dataset.status)) { poll(el); }
  });
  var main = document.querySelector('.job-widget[data-reload-on-done]');
  if (main && document.querySelector('.job-elapsed')) {
    tickElapsed(main);
    setInterval(function () { tickElapsed(main); }, 1000);
  }
})();
