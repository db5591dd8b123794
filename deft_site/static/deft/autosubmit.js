// <select data-autosubmit> submits its form when changed (instead of an inline onchange handler, which the
// Content-Security-Policy forbids).
document.querySelectorAll('select[data-autosubmit]').forEach(function (el) {
  el.addEventListener('change', function () { el.form.submit(); });
});
