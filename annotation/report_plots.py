"""Hand-written inline SVG for the study report: interval bars, win/tie/loss bars, a scatter plot.

No matplotlib, no network, no external reference at all (not even an xmlns URL: inline SVG in HTML needs
none), so the exported report stays self-contained. Every function returns an SVG string that scales to its
container; all text put in it is escaped here, so callers may mark the result safe.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from selection.plots import svg_frame

BLUE, ORANGE, GREY, INK, MUTED, LINE = "#1f77b4", "#ff7f0e", "#c8ccd0", "#1b1f24", "#57606a", "#d0d7de"


def _f(x: float) -> str:
    return f"{x:.1f}"


def _short(text: str, n: int = 30) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def interval_plot(rows: Sequence[Mapping[str, Any]], *, title: str, lo: float = -1.0, hi: float = 1.0,
                  ref: float | None = None, percent: bool = False) -> str:
    """One row per estimate: a dot at ``value`` and a whisker over ``ci`` on a shared axis [lo, hi].

    ``rows``: ``{"label", "value", "ci", "reason"}``; a row whose value is None prints its reason instead.
    ``ref`` draws a dashed reference line (0 for agreement, 0.5 for a share).
    """
    label_w, plot_w, row_h, top = 190, 320, 26, 30
    width, height = label_w + plot_w + 80, top + row_h * max(len(rows), 1) + 24

    def x(v: float) -> float:
        v = min(max(v, lo), hi)
        return label_w + (v - lo) / (hi - lo) * plot_w

    def show(v: float) -> str:
        return f"{v:.0%}" if percent else f"{v:.2f}"

    body = [f'<text x="0" y="16" font-weight="600">{escape(title)}</text>']
    for tick in (lo, (lo + hi) / 2, hi):
        body.append(f'<line x1="{_f(x(tick))}" x2="{_f(x(tick))}" y1="{top - 6}" y2="{height - 20}" stroke="{LINE}"/>'
                    f'<text x="{_f(x(tick))}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">{show(tick)}</text>')
    if ref is not None:
        body.append(f'<line x1="{_f(x(ref))}" x2="{_f(x(ref))}" y1="{top - 6}" y2="{height - 20}" '
                    f'stroke="{MUTED}" stroke-dasharray="4 3"/>')
    for i, row in enumerate(rows):
        y = top + i * row_h + row_h / 2
        body.append(f'<text x="0" y="{_f(y + 4)}">{escape(_short(row["label"]))}</text>')
        value = row.get("value")
        if value is None:
            body.append(f'<text x="{label_w}" y="{_f(y + 4)}" fill="{MUTED}">undefined: '
                        f'{escape(_short(row.get("reason") or "", 48))}</text>')
            continue
        ci = row.get("ci")
        tip = f'{row["label"]}: {show(value)}' + (f" [{show(ci[0])}, {show(ci[1])}]" if ci else "")
        if ci:
            body.append(f'<line x1="{_f(x(ci[0]))}" x2="{_f(x(ci[1]))}" y1="{_f(y)}" y2="{_f(y)}" stroke="{INK}" '
                        f'stroke-width="2"/>')
            for end in ci:
                body.append(f'<line x1="{_f(x(end))}" x2="{_f(x(end))}" y1="{_f(y - 5)}" y2="{_f(y + 5)}" '
                            f'stroke="{INK}" stroke-width="2"/>')
        body.append(f'<circle cx="{_f(x(value))}" cy="{_f(y)}" r="5" fill="{BLUE}"><title>{escape(tip)}</title>'
                    f'</circle><text x="{label_w + plot_w + 8}" y="{_f(y + 4)}">{show(value)}</text>')
    return svg_frame(width, height, title, body, font_px=12)


def win_tie_loss_plot(pairs: Sequence[Mapping[str, Any]], *, title: str) -> str:
    """One stacked bar per system pair: wins of a, ties, wins of b; the whisker is the Wilson interval of
    a's win rate with ties counted half, the dashed line 50 %."""
    label_w, plot_w, row_h, top = 190, 320, 34, 30
    width, height = label_w + plot_w + 90, top + row_h * max(len(pairs), 1) + 40
    body = [f'<text x="0" y="16" font-weight="600">{escape(title)}</text>']
    mid = label_w + plot_w / 2
    for i, p in enumerate(pairs):
        y = top + i * row_h
        n = p["n"] or 1
        body.append(f'<text x="0" y="{y + 17}">{escape(_short(p["a"], 14))} vs {escape(_short(p["b"], 14))}</text>')
        x = label_w
        for key, colour, who in (("wins", BLUE, p["a"]), ("ties", GREY, "tie / both bad"), ("losses", ORANGE, p["b"])):
            w = plot_w * p[key]["count"] / n
            if w > 0:
                body.append(f'<rect x="{_f(x)}" y="{y + 4}" width="{_f(w)}" height="18" fill="{colour}">'
                            f'<title>{escape(str(who))}: {p[key]["count"]} of {p["n"]}</title></rect>')
                if w > 28:
                    body.append(f'<text x="{_f(x + w / 2)}" y="{y + 17}" text-anchor="middle" fill="#fff">'
                                f'{p[key]["count"] / n:.0%}</text>')
            x += w
        half = p["win_rate_ties_half"]
        lo, hi = half["ci"]
        yy = y + 28
        body.append(f'<line x1="{_f(label_w + lo * plot_w)}" x2="{_f(label_w + hi * plot_w)}" y1="{yy}" y2="{yy}" '
                    f'stroke="{INK}" stroke-width="2"/><circle cx="{_f(label_w + half["rate"] * plot_w)}" cy="{yy}" '
                    f'r="3" fill="{INK}"/>')
        pv = p.get("sign_test_p")
        body.append(f'<text x="{label_w + plot_w + 8}" y="{y + 17}" fill="{MUTED}">'
                    f'{"p=" + format(pv, ".3g") if pv is not None else "no decisive"}</text>')
    body.append(f'<line x1="{_f(mid)}" x2="{_f(mid)}" y1="{top}" y2="{height - 30}" stroke="{INK}" '
                f'stroke-dasharray="4 3"/>')
    ly = height - 12
    for j, (colour, text) in enumerate(((BLUE, "first system wins"), (GREY, "tie / both bad"),
                                        (ORANGE, "second system wins"))):
        lx = label_w + j * 120
        body.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{lx + 14}" y="{ly}">{text}</text>')
    return svg_frame(width, height, title, body, font_px=12)


def _jitter(key: Any) -> float:
    """A stable small offset in [-0.06, 0.06] so that equal points do not hide each other."""
    h = int(hashlib.sha256(repr(key).encode()).hexdigest()[:8], 16)
    return (h / 0xFFFFFFFF - 0.5) * 0.12


def scatter_plot(points: Sequence[Mapping[str, Any]], *, x_key: str, title: str, x_label: str) -> str:
    """Metric difference (a - b) against the human preference for a (mean of +1 / 0 / -1) per unit."""
    left, top, plot_w, plot_h = 48, 28, 380, 220
    width, height = left + plot_w + 20, top + plot_h + 44
    xs = [p[x_key] for p in points if p.get(x_key) is not None]
    span = max([abs(v) for v in xs] + [1e-9])
    body = [f'<text x="0" y="16" font-weight="600">{escape(title)}</text>']

    def px(v: float) -> float:
        return left + (v + span) / (2 * span) * plot_w

    def py(v: float) -> float:
        return top + (1 - (v + 1) / 2) * plot_h

    for v in (-1, 0, 1):
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(py(v))}" y2="{_f(py(v))}" stroke="{LINE}"/>'
                    f'<text x="{left - 4}" y="{_f(py(v) + 4)}" text-anchor="end" fill="{MUTED}">{v:+d}</text>')
    for v in (-span, 0, span):
        body.append(f'<line x1="{_f(px(v))}" x2="{_f(px(v))}" y1="{top}" y2="{top + plot_h}" stroke="{LINE}"/>'
                    f'<text x="{_f(px(v))}" y="{top + plot_h + 14}" text-anchor="middle" fill="{MUTED}">'
                    f'{v:.3g}</text>')
    for p in points:
        if p.get(x_key) is None:
            continue
        tip = f'item {p["item"]}: {p["a"]} vs {p["b"]}, {x_label} {p[x_key]:.3g}, human {p["human"]:+.2f}'
        body.append(f'<circle cx="{_f(px(p[x_key]))}" cy="{_f(py(p["human"] + _jitter(p["item"])))}" r="3.5" '
                    f'fill="{BLUE}" fill-opacity="0.55"><title>{escape(tip)}</title></circle>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle">{escape(x_label)}</text>')
    body.append(f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 12 '
                f'{top + plot_h / 2})">human preference for a</text>')
    return svg_frame(width, height, title, body, font_px=12)


def stat_rows(stats: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows for :func:`interval_plot` from report Stat dicts, in the order of ``labels``."""
    return [{"label": label, "value": stats[k]["value"], "ci": stats[k].get("ci"), "reason": stats[k].get("reason")}
            for k, label in labels.items() if k in stats and stats[k] is not None]
