"""The report in words (no Django): the methods paragraph, the headline answer, and the warnings shown when the
evidence is thin. Reads the report dict that :mod:`annotation.reports.build` assembles."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from annotation.reports.checks import CHECKS
from annotation.reports.competence import competence_sentence
from annotation.reports.records import ALL

__all__ = ["MIN_DECISIVE", "MIN_PAIRABLE", "block_summary", "judge_sentences", "methods_paragraph", "report_headline",
           "stat_warning"]


def _fmt(x: float | None, digits: int = 2) -> str:
    return "undefined" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def methods_paragraph(meta: Mapping[str, Any], section: Mapping[str, Any], raters: Mapping[str, Any],
                      excluded: Iterable[str], competence: Mapping[str, Any] | None = None) -> str:
    """An auto-written methods paragraph: what was compared, how, by whom, and how much they agreed."""
    systems = meta.get("systems", [])
    q = meta.get("questions", {})
    asked = []
    if q.get("pairwise"):
        asked.append("which output is better (much or slightly better, tie or both bad)" if q.get("graded")
                     else "which output is better (left, right, tie or both bad)")
    if q.get("criteria"):
        asked.append("which is better for each of " + ", ".join(c["label"] for c in q["criteria"])
                     + " (left, right or tie)")
    if q.get("accuracy"):
        asked.append("whether each output is an accurate edit (yes/no)")
    for s in q.get("likert", []):
        asked.append(f"{s.get('label', s['key'])} on a {s['min']}-{s['max']} scale")
    parts = [
        f"We compared {len(systems)} systems ({', '.join(systems)}) on {meta.get('n_examples', '?')} examples "
        f"of the {meta.get('split', '')} split of dataset {meta.get('dataset', '?')}, sampled at random "
        f"stratified by task (seed {meta.get('seed', '?')}), giving {meta.get('n_real_items', '?')} blinded pairs "
        f"({meta.get('pairs_per_example', '?')} system pair(s) per example).",
        _allocation_sentence(meta),
        f"Raters were asked {'; '.join(asked) or 'no question'}.",
    ]
    if meta.get("n_controls"):
        parts.append(f"{meta['n_controls']} control pairs ({', '.join(meta.get('control_kinds', [])) or 'none'}; "
                     f"about {meta.get('control_rate', 0):.0%} of each rater's pairs) checked attention; they "
                     "are left out of every result except rater quality.")
    if meta.get("n_identical"):
        parts.append(f"{meta['n_identical']} pairs had identical outputs ({meta.get('identical_outputs_label', '')}).")
    n_raters = len(raters.get("raters", []))
    dates = ""
    if meta.get("first_judgment"):
        first, last = meta["first_judgment"][:10], meta["last_judgment"][:10]
        dates = f" on {first}" if first == last else f" from {first} to {last}"
    parts.append(f"{n_raters} raters gave {section['n_judgments']} judgments on {section['n_items']} pairs{dates} "
                 f"(study {meta.get('status', '')}).")
    parts += _stopping_sentences(meta)
    parts += _adjudication_sentences(meta)
    ag = section["agreement"].get("preference")
    if ag:
        alpha = ag["alpha"]
        ci = f" (95% CI {_fmt(alpha['ci'][0])} to {_fmt(alpha['ci'][1])})" if alpha.get("ci") else ""
        reason = f" ({alpha['reason']})" if alpha["value"] is None else ""
        parts.append(f"Agreement on which system won (position-free labels): Krippendorff's alpha (nominal) = "
                     f"{_fmt(alpha['value'])}{ci}{reason}, Gwet's AC1 = {_fmt(ag['gwet_ac1']['value'])}, "
                     f"Fleiss' kappa = {_fmt(ag['fleiss_kappa']['value'])}; intervals are percentile bootstraps "
                     f"over items ({meta.get('bootstrap', 0)} resamples, seed {meta.get('report_seed', 0)}).")
    acc = section["agreement"].get("accuracy")
    if acc:
        parts.append(f"Agreement on accuracy: alpha (nominal) = {_fmt(acc['alpha']['value'])}, Fleiss' kappa = "
                     f"{_fmt(acc['fleiss_kappa']['value'])}.")
    parts += _reliability_sentences(meta, section, raters)
    excluded = list(excluded)
    if excluded:
        parts.append(f"Raters flagged by the quality checks ({', '.join(map(str, excluded))}) were excluded from "
                     "the results shown; results with every rater are reported beside them.")
    elif raters.get("flagged"):
        parts.append(f"{len(raters['flagged'])} rater(s) were flagged by the quality checks but not excluded.")
    else:
        parts.append("No rater was flagged by the quality checks.")
    if competence_sentence(competence):
        parts.append(competence_sentence(competence))
    parts.append("Win rates count ties as half a win where one number is given, with Wilson intervals and an "
                 "exact sign test (ties dropped); Bradley-Terry strengths are maximum-likelihood estimates "
                 f"(ties half a win) with intervals from {meta.get('bootstrap', 0)} item resamples.")
    parts += _richer_sentences(section, meta)
    if _any_caution(section):
        parts.append("Where an agreement statistic rests on fewer than ten units rated twice or more, it is given "
                     "the value its reference implementation defines (e.g. one unit split between two raters: "
                     "Krippendorff's alpha 0, Cohen's kappa 0, Fleiss' kappa -1) and flagged as resting on too "
                     "little data.")
    return " ".join(parts)


def _checks_text(names: Iterable[str]) -> str:
    return "; ".join(CHECKS[n].method if n in CHECKS else n for n in names)


def _reliability_sentences(meta: Mapping[str, Any], section: Mapping[str, Any], raters: Mapping[str, Any]
                           ) -> list[str]:
    """Repeated pairs, the per-rater tests, which checks gate codes and exclude raters, and z-scored Likert."""
    out = []
    alpha = meta.get("reliability_alpha", 0.05)
    if meta.get("repeat_rate"):
        found = [r["checks"]["self_consistency"] for r in raters.get("raters", [])
                 if isinstance(r, Mapping) and (r.get("checks") or {}).get("self_consistency")]
        shares = sorted(c["share_same"] for c in found if c.get("share_same") is not None)
        kappas = sorted(c["kappa"] for c in found if c.get("kappa") is not None)
        summary = (f" Over {len(shares)} rater(s) with repeats, the median share answered the same (in terms of "
                   f"which system won) was {shares[len(shares) // 2]:.2f}" + (
                       f" and the median Cohen's kappa between first and repeated answers {kappas[len(kappas) // 2]:.2f}"
                       if kappas else "") + "." if shares else "")
        out.append(f"About {meta['repeat_rate']:.0%} of each rater's real pairs were shown to the same rater again, "
                   f"at least {meta.get('repeat_gap', 5)} slots later, with sides drawn afresh by the study's side "
                   f"design and nothing on the page or in its timing to tell them apart; the "
                   f"{meta.get('n_repeats', 0)} repeated judgments measure self-consistency only and are not "
                   f"counted in any result.{summary}")
    rows = [r for r in raters.get("raters", []) if isinstance(r, Mapping)]
    tested = any(set(r.get("checks") or {}) & {"self_consistency", "degraded_test"} for r in rows)
    if tested:
        likert = bool((meta.get("questions") or {}).get("likert"))
        test = ("a one-sided Wilcoxon signed-rank test on the Likert differences" if likert
                else "an exact one-sided sign test on the preferences, a tie counting against")
        out.append("Per rater, Appraise's test that real outputs are rated above their degraded copies on the degraded "
                   f"controls ({test}) and self-consistency on repeated pairs (an exact one-sided binomial test "
                   "against the agreement of a rater who ignores the texts) run at "
                   f"alpha = {alpha:g}, and decide only when even a perfect record could reach it (otherwise the "
                   "rater is reported as undecided, neither gated nor excluded).")
    gate = meta.get("gate_checks")
    if gate is not None:
        out.append(f"A valid completion code required {_checks_text(gate)}." if gate else
                   "Completion codes were issued without a reliability check (beyond judging a real pair).")
    exclude = meta.get("exclude_checks")
    if exclude:
        out.append(f"The version without flagged raters leaves out raters failing {_checks_text(exclude)}.")
    z = [sc for sc in section.get("likert", []) if sc.get("z_means")]
    if z:
        means = "; ".join(f"{sc['label']}: " + ", ".join(
            f"{m['system']} {m['mean']:.2f} raw" + "".join(f" / {zm['mean']:+.2f} z" for zm in sc["z_means"]
                                                          if zm["system"] == m["system"])
            for m in sc["means"]) for sc in z)
        dropped = sum(len(sc.get("z_dropped_raters") or {}) for sc in z)
        out.append("Likert scores are also given as per-rater z-scores, as in WMT's direct assessment (each "
                   "rater's scores minus that rater's mean, over that rater's standard deviation), so that harsh "
                   f"and lenient raters weigh alike: {means}"
                   + (f" ({dropped} rater-scale(s) with fewer than two scores or no spread have no z-score)"
                      if dropped else "") + ".")
    return out


def _allocation_sentence(meta: Mapping[str, Any]) -> str:
    if meta.get("allocation") != "adaptive":
        return (f"Each pair was to be judged by {meta.get('raters_per_item', '?')} raters per item; sides were "
                f"randomised and balanced per rater, and raters did not know which system wrote which text.")
    return (f"Ratings were allocated adaptively: every pair got at least {meta.get('min_raters_per_item', 1)} "
            f"and at most {meta.get('raters_per_item', '?')} ratings, an item stopped once its "
            f"{meta.get('raters_per_item', '?')}-rater majority could no longer change, and each next pair went to "
            "the undecided system pair whose item was most open (unrated or split votes first, in a seeded order); "
            "sides were randomised and balanced per rater as in a fixed design, and raters did not know which "
            "system wrote which text.")


def _stopping_sentences(meta: Mapping[str, Any]) -> list[str]:
    status = meta.get("adaptive")
    if not status:
        return []
    alpha = status.get("alpha", meta.get("stop_alpha", 0.05))
    out = [f"The stopping rule, valid however often the results are looked at, is an always-valid confidence "
           f"sequence for each system pair's win rate over its settled items in a pre-registered random order (a "
           f"Beta(4, 4) mixture of likelihood ratios with Ville's inequality, at alpha/2), plus one exact sign "
           f"test (alpha/2) once every item is settled; alpha = {alpha:g} for the study, split over its "
           f"{len(status.get('pairs', []))} system pair(s). Verdict: {status['message']}"]
    for p in status.get("pairs", []):
        lo, hi = p["ci"]
        decided = f"{p['winner']} preferred ({p['rule']})" if p["winner"] else "undecided"
        out.append(f"{p['a']} vs {p['b']}: {p['wins']} of {p['decisive']} decisive settled items won by {p['a']} "
                   f"(always-valid interval {lo:.2f} to {hi:.2f}), {p['ratings']} ratings: {decided}.")
    return out


def _adjudication_sentences(meta: Mapping[str, Any]) -> list[str]:
    adj = meta.get("adjudication")
    if not adj:
        return []
    if adj["mode"] == "disagreements":
        rule = ("items on which the raters did not all agree" if adj["agreement"] >= 1 else
                f"items whose most common answer had less than {adj['agreement']:.0%} of the votes")
        which = f"Once its ratings were complete, each pair among {rule} (and every pair with a split vote) was "
    elif adj["mode"] == "sample":
        which = (f"Once its ratings were complete, a seeded random {adj['share']:.0%} sample of the rated pairs "
                 "(a quality audit, whatever the votes) was ")
    else:
        return [f"Adjudication was off for this study, but final labels for {adj['n_final']} pairs were imported "
                f"from a file (they differ from the raters' majority on {adj['n_changed']}); adjudicated results "
                "take the final label where there is one, else the raters' majority, beside the raw judgments, "
                "which every other result uses."]
    reviewers = adj["n_reviewers"]
    who = f"a reviewer (one of {reviewers})" if reviewers > 1 else "a reviewer"
    imported = f" ({adj['n_imported']} of them imported from a file)" if adj.get("n_imported") else ""
    waiting = f", {adj['n_queued_open']} still waiting" if adj["n_queued_open"] else ""
    out = [f"{which}queued for adjudication: {who} saw the pair blinded, in their own random left/right order, "
           "with every rater's answer translated into that order and the raters' comments, and gave a final label "
           f"(a reviewer never adjudicated a pair they had rated). {adj['n_queued']} pairs were queued and "
           f"{adj['n_final']} final labels given{imported}{waiting}; the final label differed from the raters' "
           f"majority on {adj['n_changed']}."]
    out.append("Adjudicated results take one label per pair, the final label where there is one, else the "
               f"raters' majority ({adj['n_split_left_out']} pair(s) with a split vote and no final label left out), "
               "and are reported beside the raw judgments, which every other result uses.")
    return out


def _richer_sentences(section: Mapping[str, Any], meta: Mapping[str, Any]) -> list[str]:
    rich = section.get("richer") or {}
    out = []
    dav = rich.get("davidson") or {}
    if dav.get("strengths"):
        out.append(f"With ties modelled explicitly (Davidson's Bradley-Terry, tie parameter nu = {dav['nu']:.2f}), "
                   f"the order of strengths is {', '.join(sorted(dav['strengths'], key=lambda s: -dav['strengths'][s]))}.")
    lc = rich.get("length_control") or {}
    if lc.get("strengths"):
        ci = lc.get("beta_ci")
        ci_txt = f" (95% CI {ci[0]:.2f} to {ci[1]:.2f})" if ci else ""
        out.append(f"Controlling for edit length (words changed, a covariate in a logistic Bradley-Terry model on "
                   f"decisive judgments), a one-standard-deviation longer edit shifts the log-odds of winning by "
                   f"{lc['beta']:.2f}{ci_txt}.")
    fr = rich.get("fragility") or {}
    if fr.get("winner") and fr.get("flip"):
        ns = fr.get("to_non_significant")
        ns_txt = (f"; {ns} removal(s) make its lead over {fr['runner_up']} non-significant" if ns
                  else f"; its lead over {fr['runner_up']} is not significant (sign test)" if ns == 0 else "")
        out.append(f"Fragility: removing {fr['flip']} of {fr['n_judgments']} judgments would make another system "
                   f"the winner{ns_txt}.")
    return out


def _any_caution(section: Mapping[str, Any]) -> bool:
    for ag in (section.get("agreement") or {}).values():
        for v in (ag or {}).values():
            if isinstance(v, Mapping) and v.get("caution"):
                return True
    return False



def _share_txt(share: Mapping[str, Any], noun: str) -> str:
    """"62% of 40 items (95% CI 46% to 76%)", with the "too little data" caution when it applies."""
    if share.get("rate") is None:
        return f"an undefined share of {noun} ({share.get('reason') or 'no data'})"
    lo, hi = share["ci"]
    caution = "; too little data" if share.get("caution") else ""
    return f"{100 * share['rate']:.0f}% of {share['n']} {noun} (95% CI {100 * lo:.0f}% to {100 * hi:.0f}%{caution})"


def judge_sentences(judges: Iterable[Mapping[str, Any]]) -> str:
    """The methods paragraph's sentences on automatic judges (annotation/reports/judges.py); "" without any."""
    judges = list(judges)
    if not judges:
        return ""
    parts = [f"{'An automatic judge' if len(judges) == 1 else f'{len(judges)} automatic judges'} rated the same "
             "real pairs the raters were asked about, each pair in both orders (left and right swapped), from the "
             "rating page's own payload, so without system names; judges' answers are kept out of every human "
             "result. A judge's verdict on an item is the system it preferred in both orders, a tie otherwise; it is "
             "compared with the strict majority of the item's raters (a human 'both bad' counts as a tie)."]
    for j in judges:
        who = f"{j['name']} ({j['description']})" if j.get("description") else j["name"]
        if not j["n_answers"]:
            parts.append(f"Judge {who} has answered nothing yet.")
            continue
        kappa = j["cohen_kappa"]
        k_txt = (f"Cohen's kappa {_fmt(kappa['value'])}" + (f" (95% CI {_fmt(kappa['ci'][0])} to "
                 f"{_fmt(kappa['ci'][1])})" if kappa.get("ci") else "") if kappa.get("value") is not None
                 else f"Cohen's kappa undefined ({kappa.get('reason')})")
        text = (f"Judge {who} agreed with the human majority on {_share_txt(j['agreement'], 'items')}, {k_txt}, "
                f"and on {_share_txt(j['agreement_decisive'], 'items')} where both preferred a system.")
        rest = j.get("human_vs_rest") or {}
        if rest.get("rate") is not None:
            text += (f" For scale, a single rater agreed with the majority of the item's other raters in "
                     f"{_share_txt(rest, 'ratings')}.")
        pb = j.get("position_bias")
        if pb and pb.get("n_decisive"):
            pval = pb.get("p_value")
            ptxt = "p < 0.001" if pval is not None and pval < 0.001 else f"p = {pval:.3f}" if pval is not None else ""
            lo, hi = pb["ci"]
            caution = "; too little data" if pb.get("caution") else ""
            text += (f" Position bias: it chose the left output in {100 * pb['share_left']:.0f}% of its "
                     f"{pb['n_decisive']} decisive answers (95% CI {100 * lo:.0f}% to {100 * hi:.0f}%; sign test "
                     f"against 50%, {ptxt}{caution}).")
        text += f" It preferred the same output in both orders on {_share_txt(j['consistency'], 'items')}."
        if j.get("n_unusable"):
            text += f" {j['n_unusable']} of its {j['n_answers']} replies named no answer and were left out."
        parts.append(text)
    return " ".join(parts)


MIN_PAIRABLE = 10   # items rated by two or more raters below which an agreement value is not worth trusting
MIN_DECISIVE = 10   # decisive judgments below which a win rate says little


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _reliability(ag: Mapping[str, Any] | None) -> tuple[str, list[str]]:
    """One sentence on agreement (Krippendorff's thresholds: 0.800 reliable, 0.667 tentative) and warnings."""
    if not ag:
        return "No pairwise judgments yet: agreement is not available.", []
    alpha, warnings = ag["alpha"], []
    n = ag.get("n_pairable", ag.get("n_units", 0))
    items = f"{n} item{'s' if n != 1 else ''}"
    if alpha["value"] is None:
        why = alpha.get("reason") or "not enough overlap between raters"
        if n < MIN_PAIRABLE:
            return (f"Not known yet: only {items} {'was' if n == 1 else 'were'} rated by two or more raters, too few "
                    f"(at least {MIN_PAIRABLE} are needed); Krippendorff's alpha is undefined so far ({why}).", warnings)
        return f"Agreement is undefined so far ({why}).", warnings
    v = alpha["value"]
    ci = f" (95% CI {alpha['ci'][0]:.2f} to {alpha['ci'][1]:.2f})" if alpha.get("ci") else ""
    if n < MIN_PAIRABLE:  # no verdict on a handful of items: alpha 1.00 on two items says nothing yet
        return (f"Not known yet: only {items} {'was' if n == 1 else 'were'} rated by two or more raters, too few to "
                f"trust (at least {MIN_PAIRABLE} are needed); Krippendorff's alpha on {'it' if n == 1 else 'them'} is "
                f"{v:.2f}. Read every agreement value below as provisional.", warnings)
    verdict = ("reliable (alpha at least 0.80)" if v >= 0.8 else
               "good enough for tentative conclusions only (alpha between 0.67 and 0.80)" if v >= 0.667
               else "low: raters often disagree, so treat the preference with care (alpha under 0.67)")
    return (f"Agreement between raters is {verdict}: Krippendorff's alpha {v:.2f}{ci} on {n} items rated by two "
            f"or more raters.", warnings)


def report_headline(report: Mapping[str, Any]) -> dict[str, Any]:
    """The answer first: who wins, how sure, how reliable, on how much data, with warnings for thin evidence."""
    s = report["results"][report["primary"]][ALL]
    yet = "" if (report.get("meta") or {}).get("status") == "closed" else " yet"  # a closed study is final
    warnings: list[str] = []
    winner = answer = sure = ""
    pairs = s.get("pairs") or []
    bt = s.get("bradley_terry") or {}
    if len(pairs) == 1:
        p = pairs[0]
        rate, (lo, hi) = p["win_rate_ties_half"]["rate"], p["win_rate_ties_half"]["ci"]
        decisive = p["wins"]["count"] + p["losses"]["count"]
        if rate == 0.5:
            answer = f"{p['a']} and {p['b']} are level: each wins half of {p['n']} judgments (ties count half)."
        else:
            winner, loser, r, low, high = ((p["a"], p["b"], rate, lo, hi) if rate > 0.5 else
                                           (p["b"], p["a"], 1 - rate, 1 - hi, 1 - lo))
            answer = (f"{winner} is preferred to {loser} in {_pct(r)} of {p['n']} judgments "
                      f"(ties count half; 95% CI {_pct(low)} to {_pct(high)}).")
        pval = p.get("sign_test_p")
        ptxt = "p < 0.001" if pval is not None and pval < 0.001 else f"p = {pval:.3f}" if pval is not None else ""
        if pval is not None and pval < 0.05 and not lo <= 0.5 <= hi:
            sure = f"A clear difference: the sign test on {decisive} decisive judgments gives {ptxt}."
        else:
            if rate != 0.5:  # the answer must not read as a verdict the next sentence takes back
                answer = (f"No clear winner{yet}: {winner} is ahead of {loser} in {_pct(r)} of {p['n']} judgments "
                          f"(ties count half; 95% CI {_pct(low)} to {_pct(high)}).")
            sure = (f"Not a clear difference{yet}: the interval includes 50% and the sign test on {decisive} decisive "
                    f"judgments gives {ptxt or 'no p-value'}; more judgments are needed to tell them apart.")
            winner = winner if pval is not None and pval < 0.05 else ""
        if decisive < MIN_DECISIVE:
            warnings.append(f"The preference rests on only {decisive} decisive judgment{'s' if decisive != 1 else ''} "
                            f"(at least {MIN_DECISIVE} are needed for a useful test).")
    elif bt.get("rows"):
        rows = bt["rows"]
        winner = rows[0]["system"]
        answer = "Ranking by Bradley–Terry strength: " + ", ".join(f"{r['system']} ({r['strength']:.2f})" for r in rows) + "."
        sure = "Intervals of the strengths (below) show which differences are clear."
    elif s.get("accuracy"):
        rows = sorted(s["accuracy"]["by_system"], key=lambda a: -a["rate"])
        winner = rows[0]["system"]
        answer = "Edits judged accurate: " + ", ".join(f"{a['system']} {_pct(a['rate'])} of {a['n']}" for a in rows) + "."
    else:
        answer = "No judgments yet."
    reliable, more = _reliability(s["agreement"].get("preference") or s["agreement"].get("accuracy"))
    warnings += more
    flagged = report["raters"].get("flagged") or {}
    basis = (f"{s['n_judgments']} judgments on {s['n_items']} pairs by {s['n_raters']} rater"
             f"{'s' if s['n_raters'] != 1 else ''}" + (f"; {len(flagged)} rater(s) flagged by the quality checks"
                                                     f"{' and left out' if report['exclude_flagged'] else ''}" if flagged else "") + ".")
    return {"winner": winner, "answer": answer, "sure": sure, "reliable": reliable, "basis": basis,
            "warnings": warnings}


def stat_warning(ag: Mapping[str, Any] | None) -> str:
    """The "too few items" note under an agreement table ("" when there are enough)."""
    if not ag:
        return ""
    n = ag.get("n_pairable", ag.get("n_units", 0))
    if n >= MIN_PAIRABLE:
        return ""
    return (f"Only {n} item{'s' if n != 1 else ''} rated by two or more raters: too few for these values to mean much "
            f"(at least {MIN_PAIRABLE} are needed).")


def block_summary(s: Mapping[str, Any]) -> str:
    """One line for a collapsed per-task section."""
    parts = [f"{s['n_judgments']} judgments on {s['n_items']} pairs"]
    for p in s.get("pairs") or []:
        parts.append(f"{p['a']} vs {p['b']}: {p['a']} wins {_pct(p['win_rate_ties_half']['rate'])}")
    return " · ".join(parts)
