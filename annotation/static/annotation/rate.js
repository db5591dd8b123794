// The annotator's page: keyboard-first answering, practice first, submissions that survive a lost connection.
// Answers wait in localStorage until the server acknowledges them (same idempotency key on every retry).
(function () {
  "use strict";
  // Touch devices: CSS hides key caps and enlarges targets under html.touch.
  if (window.matchMedia && matchMedia("(hover: none) and (pointer: coarse)").matches) document.documentElement.classList.add("touch");
  // Word diff or plain texts: the study picks what comes first, the rater may switch (also in the wizard preview).
  function setView(section, view) {
    if (!section) return;
    section.dataset.view = view;
    section.querySelectorAll(".view-switch [data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
  }
  document.addEventListener("click", (e) => {
    const b = e.target.closest(".view-switch [data-view]");
    if (b) setView(b.closest("section.rate"), b.dataset.view);
  });
  const cfg = document.getElementById("rate-config");
  if (!cfg) return;
  const section = document.querySelector("section.rate");
  const study = cfg.dataset.study, api = cfg.dataset.api;
  const form = document.getElementById("answer-form");
  const statusEl = document.getElementById("status");
  const banner = document.getElementById("mode-banner");
  const dialog = document.getElementById("guidelines");
  const flagDialog = document.getElementById("flag-dialog"), skipDialog = document.getElementById("skip-dialog");
  const feedbackDialog = document.getElementById("feedback-dialog");
  const noticeEl = document.getElementById("notice");
  const anyDialogOpen = () => Array.from(document.querySelectorAll("dialog")).some((d) => d.open);
  const pendingKey = "deft-pending-" + study;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let current = JSON.parse(document.getElementById("first-payload").textContent);
  const practice = JSON.parse(document.getElementById("practice-payloads").textContent) || [];
  // The sides ("left", "right") and answers come from the page (annotation.models), not from this script.
  const sides = JSON.parse(document.getElementById("rate-vocabulary").textContent).sides;
  let practiceIndex = 0, shownAt = performance.now(), active = 0, busy = false;

  const questions = () => Array.from(form.querySelectorAll("fieldset.q"));
  function setActive(i) {
    const qs = questions();
    if (!qs.length) return;
    active = Math.max(0, Math.min(i, qs.length - 1));
    qs.forEach((q, j) => q.classList.toggle("active", j === active));
    const checked = qs[active].querySelector("input:checked") || qs[active].querySelector("input");
    if (checked) checked.focus({ preventScroll: false });
  }
  function setBusy(b) { busy = b; form.dataset.state = b ? "busy" : "ready"; form.setAttribute("aria-busy", b ? "true" : "false"); }
  function say(text) { statusEl.textContent = text; }
  let noticeTimer = null;
  function notice(text) {
    // A confirmation where the eye is (fixed at the bottom of the screen), gone after a few seconds.
    noticeEl.textContent = text; noticeEl.hidden = false;
    clearTimeout(noticeTimer); noticeTimer = setTimeout(() => { noticeEl.hidden = true; }, 5000);
  }
  function uuid() {
    return (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random().toString(16).slice(2));
  }
  function render(p) {
    document.getElementById("instruction").textContent = p.instruction || "(part of the input below)";
    document.getElementById("input-text").textContent = p.input;
    for (const side of sides) {
      document.getElementById(side + "-diff").innerHTML = p[side].diff_html;  // escaped by the server
      document.getElementById(side + "-text").textContent = p[side].text;
    }
    setView(section, p.view || "diff");
    section.querySelectorAll(".output").forEach((o) => o.classList.remove("expected"));
    form.reset();
    if (p.answer) restore(p.answer);
    shownAt = performance.now();
    form.dataset.slot = p.slot;
    setActive(0);
    window.scrollTo(0, 0);
  }
  function restore(a) {
    const set = (name, value) => { const el = form.querySelector(`input[name="${name}"][value="${value}"]`); if (el) el.checked = true; };
    if (a.preference) set("preference", a.strength ? `${a.preference}:${a.strength}` : a.preference);
    for (const [key, value] of Object.entries(a.criteria || {})) set(`criterion-${key}`, value);
    for (const side of sides) {
      if (a["accurate_" + side] !== null && a["accurate_" + side] !== undefined) set("accurate_" + side, a["accurate_" + side] ? "yes" : "no");
      for (const f of (a.error_flags || {})[side] || []) set("flag-" + side, f);
    }
    for (const [key, marks] of Object.entries(a.likert || {})) { set(`likert-${key}-A`, marks.left); set(`likert-${key}-B`, marks.right); }
    const c = form.querySelector("#comment"); if (c) c.value = a.comment || "";
  }
  function collect() {
    const val = (name) => { const el = form.querySelector(`input[name="${name}"]:checked`); return el ? el.value : null; };
    const [pref, strength] = (val("preference") || "").split(":");
    const answer = { preference: pref || "", strength: strength || "", criteria: {}, likert: {}, error_flags: {} };
    form.querySelectorAll("fieldset.criterion").forEach((fs) => {
      const el = fs.querySelector("input:checked"); if (el) answer.criteria[fs.dataset.key] = el.value;
    });
    for (const side of sides) {
      const v = val("accurate_" + side);
      answer["accurate_" + side] = v === null ? null : v === "yes";
      answer.error_flags[side] = Array.from(form.querySelectorAll(`input[name="flag-${side}"]:checked`)).map((e) => e.value);
    }
    form.querySelectorAll("fieldset.likert").forEach((fs) => {
      const key = fs.dataset.scale, side = fs.dataset.side;
      const el = fs.querySelector("input:checked");
      answer.likert[key] = answer.likert[key] || {};
      if (el) answer.likert[key][side] = parseInt(el.value, 10);
    });
    const c = form.querySelector("#comment"); answer.comment = c ? c.value : "";
    return answer;
  }
  function missing() {
    return questions().findIndex((q) => !q.querySelector("input:checked"));
  }
  function progress(p) {
    document.getElementById("progress-bar").value = p.percent;
    document.getElementById("progress-text").textContent = `${p.done} done · ${p.left} left`;
  }
  async function call(method, url, body) {
    const resp = await fetch(url, { method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: body ? JSON.stringify(body) : undefined });
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    return { ok: resp.ok, status: resp.status, data };
  }
  const pending = () => JSON.parse(localStorage.getItem(pendingKey) || "[]");
  const savePending = (list) => localStorage.setItem(pendingKey, JSON.stringify(list));

  let nextPair = null;  // the next pair, when the server sent it with the last answer's acknowledgement
  async function flush(wantNext) {
    // Send every unacknowledged answer, oldest first; keep what the network lost, drop what the server refused.
    // The last one asks for the next pair in the same request (?next=1): one round trip per judgment.
    let list = pending();
    while (list.length) {
      const p = list[0];
      const url = `${api}slots/${p.slot}/judgment/` + (wantNext && list.length === 1 ? "?next=1" : "");
      let r;
      try { r = await call("POST", url, p.body); }
      catch (e) { say("Connection lost: your answer is kept here and will be sent again."); return false; }
      if (r.status >= 500) { say("Server busy: your answer is kept here; retrying…"); return false; }
      list.shift(); savePending(list);
      if (r.ok) { progress(r.data.progress); say("Your last answer was saved."); nextPair = r.data.next || null; }
      else { say("Not saved: " + ((r.data && (r.data.detail || JSON.stringify(r.data))) || r.status)); }
    }
    return true;
  }
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  async function sendAll(wantNext) {
    // Nothing moves on until every answer is acknowledged; unacknowledged ones survive a reload too.
    nextPair = null;
    for (let wait = 1000; !(await flush(wantNext)); wait = Math.min(wait * 2, 15000)) await sleep(wait);
  }
  function show(data) {
    progress(data.progress);
    if (data.finished) { window.location.href = cfg.dataset.doneUrl; return; }
    current = data.slot; render(current);
  }
  async function next() {
    let r;
    try { r = await call("POST", `${api}${study}/next/`); }
    catch (e) { say("Connection lost: retrying…"); setTimeout(next, 3000); return; }
    if (!r.ok) { say((r.data && r.data.detail) || "Could not load the next pair."); return; }
    show(r.data);
  }
  async function submit() {
    if (busy) return;
    const gap = missing();
    if (gap >= 0) { setActive(gap); say("Please answer the highlighted question."); return; }
    const answer = collect();
    if (practiceIndex < practice.length) return practiceFeedback(answer);
    setBusy(true);
    answer.seconds = Math.round((performance.now() - shownAt) / 100) / 10;
    answer.idempotency_key = uuid();
    const list = pending(); list.push({ slot: current.slot, body: answer }); savePending(list);
    say("Saving…");
    await sendAll(true);
    if (nextPair) show(nextPair); else await next();
    setBusy(false);
  }
  function practiceFeedback(answer) {
    const p = practice[practiceIndex];
    const good = answer.preference ? answer.preference === p.expected : answer["accurate_" + p.worse] === false;
    const better = sides.indexOf(p.expected) === 0 ? "A" : "B";
    practiceIndex += 1;
    const last = practiceIndex >= practice.length;
    document.getElementById(p.expected + "-out").classList.add("expected");
    document.getElementById("feedback-h").textContent = good ? "Right." : "Not quite.";
    document.getElementById("feedback-text").textContent = `The better output was ${better} (outlined). ` +
      (last ? "Practice is over: the next pairs are real and your answers count." : "Here comes another practice pair.");
    document.getElementById("feedback-next").firstChild.textContent = last ? "Start the real pairs " : "Next practice pair ";
    say(`Practice answer checked: the better output was ${better}.`);
    waitingFeedback = startNextPractice;
    feedbackDialog.showModal();
    document.getElementById("feedback-next").focus();
  }
  let waitingFeedback = null;
  feedbackDialog.addEventListener("close", () => { if (waitingFeedback) waitingFeedback(); });
  async function startNextPractice() {
    waitingFeedback = null;
    if (practiceIndex < practice.length) { banner.textContent = `Practice ${practiceIndex + 1} of ${practice.length}: not recorded.`; render(practice[practiceIndex]); return; }
    banner.hidden = true; say("Practice over: real pairs now."); notice("Practice over: these pairs are real.");
    try { await call("POST", `${api}${study}/practice-done/`); } catch (e) { /* harmless to repeat */ }
    if (current) render(current); else await next();
  }
  async function back() {
    if (practiceIndex < practice.length) return;
    const r = await call("GET", `${api}${study}/previous/`);
    if (!r.ok) { say("Nothing to go back to."); return; }
    current = r.data; render(current); say("Your previous answer: change it and submit again.");
  }
  function openChoice(dlg) {
    const f = dlg.querySelector("form");
    f.reset();
    dlg.returnValue = "";
    const err = dlg.querySelector(".error"); if (err) err.textContent = "";
    dlg.showModal();
    f.querySelector("input[type=radio]").focus();
  }
  function reasonOf(dlg) {
    const picked = dlg.querySelector("input[name=reason]:checked");
    const note = dlg.querySelector("input[name=note]").value.trim();
    if (!picked || picked.value === "other") return note;
    return note ? `${picked.value}: ${note}` : picked.value;
  }
  function skip() {
    if (practiceIndex < practice.length || !current || busy) return;
    openChoice(skipDialog);
  }
  function flag() {
    if (practiceIndex < practice.length || !current || busy) return;
    openChoice(flagDialog);
  }
  skipDialog.addEventListener("close", async () => {
    if (skipDialog.returnValue !== "ok") { setActive(active); return; }
    setBusy(true);
    const r = await call("POST", `${api}slots/${current.slot}/skip/`, { reason: reasonOf(skipDialog) }).catch(() => null);
    if (r && r.ok) { notice("Skipped. Here is the next pair."); say("Previous pair skipped."); } else say("The skip was not recorded: please try again.");
    await next();
    setBusy(false);
  });
  flagDialog.querySelector("form").addEventListener("submit", (e) => {
    // A flag needs a reason: keep the dialog open until there is one.
    if (e.submitter && e.submitter.value === "cancel") return;
    if (!reasonOf(flagDialog)) { e.preventDefault(); flagDialog.querySelector(".error").textContent = "Pick a reason or describe the problem."; }
  });
  flagDialog.addEventListener("close", async () => {
    if (flagDialog.returnValue !== "ok") { setActive(active); return; }
    const reason = reasonOf(flagDialog);
    const r = await call("POST", `${api}slots/${current.slot}/flag/`, { reason }).catch(() => null);
    if (r && r.ok) { notice("Flag recorded: thank you. Please still answer this pair, or skip it (K)."); say("Flagged: " + reason); }
    else notice("The flag was not recorded: please try again.");
    setActive(active);
  });
  // Inside the choice dialogs: digits pick a reason, Enter sends (from a radio too), Esc cancels (native).
  for (const dlg of [flagDialog, skipDialog]) {
    dlg.addEventListener("change", () => { const err = dlg.querySelector(".error"); if (err) err.textContent = ""; });
    dlg.addEventListener("keydown", (e) => {
      if (e.target.matches("input[type=text]") && e.key !== "Enter") return;
      const radios = Array.from(dlg.querySelectorAll("input[name=reason]"));
      if (/^[1-9]$/.test(e.key) && radios[parseInt(e.key, 10) - 1]) {
        e.preventDefault(); const r = radios[parseInt(e.key, 10) - 1]; r.checked = true; r.focus();
        const err = dlg.querySelector(".error"); if (err) err.textContent = "";  // a key sets no "change" event
        if (r.value === "other") dlg.querySelector("input[name=note]").focus();
      } else if (e.key === "Enter") {
        e.preventDefault(); e.stopPropagation();  // the page's own Enter (submit the answer) must not see it
        dlg.querySelector("form").requestSubmit(dlg.querySelector("button[value=ok]"));
      }
    });
  }
  function pick(n) {
    const qs = questions(); if (!qs.length) return;
    const inputs = Array.from(qs[active].querySelectorAll("input"));
    const byValue = inputs.find((i) => i.value === String(n));
    const target = qs[active].classList.contains("likert") ? byValue : inputs[n - 1];
    if (!target) return;
    target.checked = true;
    if (active < qs.length - 1) setActive(active + 1); else { target.focus(); say("All answered: press Enter to submit."); }
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (anyDialogOpen()) return;  // dialogs handle their own keys; Esc closes them natively
    const typing = e.target.matches("textarea, input[type=text]");
    if (typing) { if (e.key === "Escape") { e.target.blur(); setActive(active); } return; }
    if (e.key === "Enter") { e.preventDefault(); submit(); return; }
    if (busy) { e.preventDefault(); return; }  // answers typed while the next pair loads would be lost
    if (/^[1-9]$/.test(e.key)) { e.preventDefault(); pick(parseInt(e.key, 10)); return; }
    const k = e.key.toLowerCase();
    if (e.key === "ArrowDown") { e.preventDefault(); setActive(active + 1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); setActive(active - 1); }
    else if (k === "b") { e.preventDefault(); back(); }
    else if (k === "k") { e.preventDefault(); skip(); }
    else if (k === "f") { e.preventDefault(); flag(); }
    else if (k === "g") { e.preventDefault(); dialog.showModal(); }
    else if (k === "v") { e.preventDefault(); setView(section, section.dataset.view === "plain" ? "diff" : "plain"); }
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  form.addEventListener("change", (e) => {
    const fs = e.target.closest("fieldset.q"); if (fs) { const i = questions().indexOf(fs); if (i >= 0) active = i; questions().forEach((q, j) => q.classList.toggle("active", j === active)); }
  });
  document.getElementById("back-btn").addEventListener("click", back);
  document.getElementById("skip-btn").addEventListener("click", skip);
  document.getElementById("flag-btn").addEventListener("click", flag);
  document.getElementById("guide-btn").addEventListener("click", () => dialog.showModal());

  (async function start() {
    setBusy(true);
    await sendAll();
    if (practice.length) { banner.hidden = false; startNextPractice(); }
    else if (current) render(current);
    else await next();
    setBusy(false);
  })();
})();
