"""What ``manage.py reproduce --out DIR`` writes: results.csv, results.json and a self-contained report.html.

The HTML has no script, stylesheet link or image file: the plots are inline SVG (``selection.plots``), so the
file can be mailed or attached to a paper's supplement as it is.
"""
from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any

from selection.core.benchmarks import headline_metric
from selection.plots import fraction_svg
from selection.services.reproduction import CSV_COLUMNS

RATE_METRICS = ("delete_rate", "insert_rate")


def write_outputs(result: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "results.csv", "json": out_dir / "results.json", "html": out_dir / "report.html"}
    with paths["csv"].open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in result["rows"]:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in CSV_COLUMNS})
    paths["json"].write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    paths["html"].write_text(report_html(result), encoding="utf-8")
    return paths


def _series_name(row: dict[str, Any], primary_embedder: str = "") -> str:
    if row["strategy"] == "ucs":
        alpha, beta = row["alpha"], row["beta"]
        kind = "hard" if beta == 1 else "easy" if alpha == 1 else "random"
        ratio = row["base_fraction"] / row["fraction"] if row["fraction"] else 0
        emb = row.get("embedder") or ""
        on = f" ({emb.split(':')[0]})" if emb and emb != primary_embedder else ""
        return f"UCS {kind}{on}, D_base {ratio:.0%} of it"
    return {"random": "random subset", "stratified": "stratified subset"}.get(row["strategy"], row["strategy"])


def headline_rows(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Per evaluation set: the rows of its headline metric (GLEU for JFLEG when scored, else SARI)."""
    by_set: dict[str, list[dict[str, Any]]] = defaultdict(list)
    metrics_of: dict[str, set[str]] = defaultdict(set)
    for row in result["rows"]:
        metrics_of[row["eval_set"]].add(row["metric"])
    for row in result["rows"]:
        wanted = headline_metric(row["eval_set"])
        if wanted not in metrics_of[row["eval_set"]]:
            wanted = "sari"
        if row["metric"] == wanted:
            by_set[row["eval_set"]].append(row)
    return dict(sorted(by_set.items()))


def fraction_plot(eval_set: str, metric: str, rows: list[dict[str, Any]]) -> str:
    """Score against training fraction, one line per strategy, 95 % intervals as bars; full and copy as lines."""
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    refs: dict[str, dict[str, Any]] = {}
    embedders = [r.get("embedder") for r in rows if r["strategy"] == "ucs" and r.get("embedder")]
    primary = max(set(embedders), key=embedders.count) if embedders else ""
    for row in rows:
        if row["strategy"] in ("full", "copy"):
            refs[row["strategy"]] = row
        elif row["strategy"] != "references":
            series[_series_name(row, primary)].append(row)
    # The y-axis spans the series and the full-data model; the copy baseline only when it is near them (far
    # below, it would squeeze the series into a thin band: the key then gives its value).
    values = [v for pts in series.values() for r in pts for v in (r["value"], r.get("low"), r.get("high"))
              if isinstance(v, (int, float))]
    values += [refs["full"]["value"]] if "full" in refs else []
    if "copy" in refs and (not values or min(values) - refs["copy"]["value"] < 0.5 * (max(values) - min(values))):
        values.append(refs["copy"]["value"])
    values = values or [r["value"] for r in refs.values()]
    return fraction_svg(eval_set, metric, series, refs, values)


def _fmt(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.{digits}f}" if isinstance(v, float) else escape(str(v))


def report_html(result: dict[str, Any]) -> str:
    by_set = headline_rows(result)
    rates: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for row in result["rows"]:
        if row["metric"] in RATE_METRICS:
            rates[(row["run"], row["eval_set"])][row["metric"]] = row["value"]
    parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
             "<meta name=viewport content='width=device-width,initial-scale=1'>",
             "<title>DEFT reproduction report</title><style>body{font:14px system-ui,sans-serif;margin:1.5rem;"
             "max-width:1100px}svg{max-width:100%;height:auto}table{border-collapse:collapse;margin:.5rem 0 1.5rem;"
             "display:block;overflow-x:auto}td,th{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
             ".note{color:#555}</style></head><body>",
             "<h1>DEFT reproduction</h1>",
             f"<p>Training data <b>{escape(result['train_dataset'])}</b> ({result['n_train']} rows), evaluation "
             f"<b>{escape(result['eval_dataset'])}</b>, base model <b>{escape(result['base_model'])}</b>, "
             f"{result['plan']['epochs']:g} epochs per model; {_timing(result)}.</p>"]
    notes = result["plan"]["notes"] + [f"not run: {s['run']} ({s['why']})" for s in result["skipped"]]
    if notes:
        parts.append("<h2>What was cut</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    parts.append("<h2>Scores against the share of training data</h2><p class=note>Bars: 95 % bootstrap "
                 "intervals. Dashed: the full-data model and the copy baseline.</p>")
    for eval_set, rows in by_set.items():
        if eval_set == "all":
            continue
        parts.append(fraction_plot(eval_set, rows[0]["metric"] if rows else "", rows))
    parts.append("<h2>Headline scores</h2>")
    for eval_set, rows in by_set.items():
        parts.append(f"<h3>{escape(eval_set)} ({escape(rows[0]['metric'])})</h3><table><tr><th>run</th>"
                     "<th>fraction</th><th>D_base</th><th>score</th><th>95 % interval</th><th>deleted</th>"
                     "<th>inserted</th></tr>")
        ref = rates.get(("references", eval_set), {})
        for r in sorted(rows, key=lambda r: (r["strategy"] != "copy", r["strategy"] != "full", r["fraction"], r["run"])):
            rt = rates.get((r["run"], eval_set), {})
            parts.append(f"<tr><td>{escape(r['run'])}</td><td>{_fmt(r['fraction'], 3)}</td>"
                         f"<td>{_fmt(r['base_fraction'], 3)}</td><td>{_fmt(r['value'])}</td>"
                         f"<td>{_fmt(r['low'])} – {_fmt(r['high'])}</td>"
                         f"<td>{_pct(rt.get('delete_rate'))}</td><td>{_pct(rt.get('insert_rate'))}</td></tr>")
        if ref:
            parts.append(f"<tr><td><i>references</i></td><td></td><td></td><td></td><td></td>"
                         f"<td>{_pct(ref.get('delete_rate'))}</td><td>{_pct(ref.get('insert_rate'))}</td></tr>")
        parts.append("</table>")
    if result["paired"]:
        parts.append("<h2>Each model against the full-data model (paired bootstrap)</h2><table><tr><th>run</th>"
                     "<th>eval set</th><th>metric</th><th>mean difference</th><th>95 % interval</th><th>p</th></tr>")
        for p in result["paired"]:
            parts.append(f"<tr><td>{escape(p['run'])}</td><td>{escape(p['eval_set'])}</td><td>{escape(p['metric'])}"
                         f"</td><td>{_fmt(p.get('mean_diff'), 3)}</td><td>{_fmt(p.get('low'), 3)} – "
                         f"{_fmt(p.get('high'), 3)}</td><td>{_fmt(p.get('p_value'), 4)}</td></tr>")
        parts.append("</table>")
    compared = [c for c in result.get("compared", []) if c.get("metric") == _headline_of(c["eval_set"], by_set)]
    if compared:
        parts.append("<h2>The pairs the paper's claims compare (paired bootstrap, headline metric)</h2>"
                     "<p class=note>Difference = first run minus second run; p: two-sided.</p><table><tr>"
                     "<th>claim</th><th>run</th><th>against</th><th>eval set</th><th>metric</th>"
                     "<th>mean difference</th><th>95 % interval</th><th>p</th></tr>")
        for p in compared:
            parts.append(f"<tr><td>{escape(p['claim'])}</td><td>{escape(p['run'])}</td>"
                         f"<td>{escape(p['against_run'])}</td><td>{escape(p['eval_set'])}</td>"
                         f"<td>{escape(p['metric'])}</td><td>{_fmt(p.get('mean_diff'), 3)}</td>"
                         f"<td>{_fmt(p.get('low'), 3)} – {_fmt(p.get('high'), 3)}</td>"
                         f"<td>{_fmt(p.get('p_value'), 4)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def _timing(result: dict[str, Any]) -> str:
    trained = [c for c in result["cells"] if c.get("strategy") != "copy"]
    reused = sum(1 for c in trained if c.get("reused"))
    ran = len(trained) - reused
    text = f"this call trained {ran} model{'s' * (ran != 1)} in {result['elapsed_s'] / 60:.1f} min"
    return text + (f" and reused {reused} finished by an earlier call" if reused else "")


def _headline_of(eval_set: str, by_set: dict[str, list[dict[str, Any]]]) -> str:
    rows = by_set.get(eval_set)
    return rows[0]["metric"] if rows else headline_metric(eval_set)


def _pct(v: float | None) -> str:
    return "" if v is None else f"{100 * v:.1f} %"
