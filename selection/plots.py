"""The platform's one plotting module: small server-side SVG plots (hand-written, no matplotlib, no network), fast
enough to draw on each request, with one palette.

Every function returns an SVG string that scales to its container (viewBox), with a <title> for screen readers and
no external reference (not even an xmlns URL: inline SVG in HTML needs none), so exported reports stay
self-contained. Presentation attributes only, never a style attribute (the Content-Security-Policy forbids inline
styles). **All text put in a plot is escaped here** (labels, titles, tooltips): this is the XSS defence that lets
callers mark the result safe (``django.utils.safestring.mark_safe``); tests/selection/test_plots.py holds it.

- Selection pages: :func:`stacked_bars_svg`, :func:`scatter_svg`, :func:`histogram_svg`.
- Training and results pages: :func:`loss_curve_svg`, :func:`grouped_bars_ci_svg`.
- The reproduction report: :func:`fraction_svg`.
- The study report: :func:`interval_svg`, :func:`win_tie_loss_svg`, :func:`metric_human_scatter_svg`.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

# One palette: series colours in order (the first two are "a" and "b" of a comparison), then the neutrals.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
BLUE, ORANGE = PALETTE[0], PALETTE[1]
INK = "#1b1f24"    # text, whiskers, rings
MUTED = "#57606a"  # axis labels, notes, axes
LINE = "#d0d7de"   # grid lines, frames
GREY = "#c8ccd0"   # ties
PAPER = "#fff"     # text on a bar, open rings
GOOD, BAD = "#1a7f37", "#b42318"  # cut-off lines: easy / hard


def colour_map(labels: Iterable[str]) -> dict[str, str]:
    """A stable colour per label (sorted order), cycling through the palette."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(set(labels)))}


def svg_frame(width: int, height: int, title: str, body: Sequence[str], font_px: int = 11) -> str:
    """An accessible inline SVG (role, label, title) that scales down on small screens."""
    # Natural size with presentation attributes; the site's CSS scales it down to the container (max-width: 100%,
    # height: auto).
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(title)}" font-size="{font_px}" font-family="system-ui, sans-serif">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def _short(text: str, n: int = 30) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def legend(colours: Mapping[str, str], x: float, y: float, step: float = 16) -> list[str]:
    """A colour key: one swatch and its (escaped) label per line."""
    parts = []
    for i, (label, colour) in enumerate(colours.items()):
        yy = y + i * step
        parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(yy - 9)}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{_fmt(x + 14)}" y="{_fmt(yy)}">{escape(str(label))}</text>')
    return parts


# --------------------------------------------------------------------------------------------------
# Selection pages: task mix, projection, distances to the centroid

def stacked_bars_svg(
    categories: Sequence[str], stacks: Mapping[str, Sequence[float]], *, title: str, normalise: bool = True,
    colours: Mapping[str, str] | None = None, annotations: Sequence[str] | None = None,
) -> str:
    """One bar per category, split into `stacks` (label -> value per category); shares when `normalise`.

    `annotations` (one per category) are written above the bars, e.g. a cluster's size and purity.
    """
    colours = dict(colours or colour_map(stacks))
    n = max(len(categories), 1)
    left, top, plot_h, bar_w, gap = 40, 24, 180, 34, 12
    width = left + n * (bar_w + gap) + 130
    height = top + plot_h + 40
    body = [f'<text x="{left}" y="14" font-weight="600">{escape(title)}</text>']
    totals = [sum(stacks[s][i] for s in stacks) for i in range(len(categories))]
    scale_max = 1.0 if normalise else max(totals + [1])
    for tick in (0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        label = f"{tick:.0%}" if normalise else f"{tick * scale_max:.0f}"
        body.append(f'<line x1="{left}" x2="{left + n * (bar_w + gap)}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="{LINE}"/>'
                    f'<text x="{left - 4}" y="{_fmt(y + 4)}" text-anchor="end">{label}</text>')
    for i, category in enumerate(categories):
        x = left + gap / 2 + i * (bar_w + gap)
        y = top + plot_h
        for label, values in stacks.items():
            value = values[i]
            if value <= 0:
                continue
            share = value / totals[i] if normalise else value / scale_max
            h = plot_h * share
            y -= h
            body.append(f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{bar_w}" height="{_fmt(h)}" fill="{colours[label]}">'
                        f'<title>{escape(str(category))} · {escape(str(label))}: {value:g}'
                        f'{f" ({share:.0%})" if normalise else ""}</title></rect>')
        body.append(f'<text x="{_fmt(x + bar_w / 2)}" y="{top + plot_h + 14}" text-anchor="middle">{escape(str(category))}</text>')
        if annotations:
            body.append(f'<text x="{_fmt(x + bar_w / 2)}" y="{top + plot_h + 28}" text-anchor="middle" fill="{MUTED}">'
                        f'{escape(annotations[i])}</text>')
    body += legend(colours, left + n * (bar_w + gap) + 12, top + 10)
    return svg_frame(width, height, title, body)


def scatter_svg(
    xs: Sequence[float], ys: Sequence[float], labels: Sequence[str], *, title: str,
    marked: Sequence[bool] | None = None, colours: Mapping[str, str] | None = None, marked_label: str = "chosen",
) -> str:
    """Points coloured by label; `marked` points are drawn larger with a dark ring (and on top)."""
    colours = dict(colours or colour_map(labels))
    size, pad, legend_w = 360, 12, 130
    body = [f'<text x="{pad}" y="14" font-weight="600">{escape(title)}</text>']
    if xs:
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        sx = (size - 2 * pad) / ((x1 - x0) or 1.0)
        sy = (size - 2 * pad) / ((y1 - y0) or 1.0)
        marked = list(marked) if marked is not None else [False] * len(xs)
        order = sorted(range(len(xs)), key=lambda i: marked[i])  # marked last, so on top
        for i in order:
            cx = pad + (xs[i] - x0) * sx
            cy = 20 + pad + (y1 - ys[i]) * sy
            if marked[i]:
                body.append(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="3.2" fill="{colours[labels[i]]}" '
                            f'stroke="{INK}" stroke-width="1"/>')
            else:
                body.append(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="2" fill="{colours[labels[i]]}" '
                            f'fill-opacity="0.45"/>')
    body += legend(colours, size + 8, 34)
    y = 34 + 16 * len(colours) + 8
    body.append(f'<circle cx="{size + 13}" cy="{y - 4}" r="3.2" fill="{PAPER}" stroke="{INK}"/>'
                f'<text x="{size + 22}" y="{y}">{escape(marked_label)}</text>')
    return svg_frame(size + legend_w, size + 20, title, body)


def histogram_svg(
    edges: Sequence[float], counts: Sequence[float], *, title: str, lines: Sequence[tuple[float, str, str]] = (),
    fill: str = BLUE, width: int = 380, height: int = 230, highlight: Sequence[float] | None = None,
    x_label: str = "distance to centroid", y_label: str = "examples",
) -> str:
    """A histogram from bin edges and counts with labelled axes and ticks; `lines` are vertical (x, label,
    colour) cut-offs, named in a key under the title.

    `highlight` (optional, one value per bin) draws that part of each bar darker, e.g. the chosen members.
    """
    left, top, bottom, right = 46, 22 + (16 if lines else 0), 40, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    body = [f'<text x="4" y="14" font-weight="600">{escape(title)}</text>']
    if len(edges) >= 2 and counts:
        lo, hi = edges[0], edges[-1]
        span = (hi - lo) or 1.0
        peak = max(max(counts), 1)

        def px(v: float) -> float:
            return left + (v - lo) / span * plot_w

        for i, c in enumerate(counts):
            h = plot_h * c / peak
            body.append(f'<rect x="{_fmt(px(edges[i]))}" y="{_fmt(top + plot_h - h)}" '
                        f'width="{_fmt(max(px(edges[i + 1]) - px(edges[i]) - 0.5, 0.5))}" height="{_fmt(h)}" '
                        f'fill="{fill}" fill-opacity="0.45"><title>{edges[i]:.3f}–{edges[i + 1]:.3f}: {c:g}</title></rect>')
            if highlight is not None and highlight[i] > 0:
                hh = plot_h * highlight[i] / peak
                body.append(f'<rect x="{_fmt(px(edges[i]))}" y="{_fmt(top + plot_h - hh)}" '
                            f'width="{_fmt(max(px(edges[i + 1]) - px(edges[i]) - 0.5, 0.5))}" height="{_fmt(hh)}" '
                            f'fill="{fill}"/>')
        key_x = 4
        for x, label, colour in lines:
            if lo <= x <= hi:
                body.append(f'<line x1="{_fmt(px(x))}" x2="{_fmt(px(x))}" y1="{top}" y2="{top + plot_h}" '
                            f'stroke="{colour}" stroke-width="2" stroke-dasharray="5 3"><title>{escape(label)} '
                            f'{x:.3f}</title></line>')
                body.append(f'<line x1="{key_x}" x2="{key_x + 18}" y1="28" y2="28" stroke="{colour}" stroke-width="2" '
                            f'stroke-dasharray="5 3"/><text x="{key_x + 22}" y="32">{escape(label)} {x:.3f}</text>')
                key_x += 170
        axis_y = top + plot_h
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="{MUTED}"/>'
                    f'<line x1="{left}" x2="{left}" y1="{top}" y2="{axis_y}" stroke="{MUTED}"/>')
        for k in range(5):
            v = lo + span * k / 4
            x = px(v)
            body.append(f'<line x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{axis_y}" y2="{axis_y + 4}" stroke="{MUTED}"/>'
                        f'<text x="{_fmt(x)}" y="{axis_y + 16}" text-anchor="middle">{v:.2f}</text>')
        ticks = sorted({0, round(peak / 2), peak}) if float(peak).is_integer() else [0, peak / 2, peak]
        for value in ticks:  # whole counts get whole ticks
            y = axis_y - plot_h * value / peak
            body.append(f'<line x1="{left - 4}" x2="{left}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="{MUTED}"/>'
                        f'<text x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end">{value:.3g}</text>')
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
                    f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                    f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    return svg_frame(width, height, title, body, font_px=12)


# --------------------------------------------------------------------------------------------------
# Training and results pages

def loss_curve_svg(rows: Sequence[Mapping[str, float]], *, title: str = "Training loss",
                   width: int = 480, height: int = 200) -> str:
    """Loss against step from ``loss.jsonl`` rows ({"step", "loss"}); an empty frame before the first log."""
    left, top, right, bottom = 44, 20, 10, 26
    pw, ph = width - left - right, height - top - bottom
    body = [f'<text x="{left}" y="13" font-weight="600">{escape(title)}</text>',
            f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="{LINE}"/>']
    points = [(float(r["step"]), float(r["loss"])) for r in rows if r.get("loss") is not None]
    if not points:
        body.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle" fill="{MUTED}">'
                    f'no loss logged yet</text>')
        return svg_frame(width, height, title, body)
    x1 = max(p[0] for p in points) or 1.0
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    y0, y1 = (y0 - 0.5, y1 + 0.5) if y1 == y0 else (y0, y1)

    def px(x: float) -> float:
        return left + pw * x / x1

    def py(y: float) -> float:
        return top + ph * (1 - (y - y0) / (y1 - y0))

    path = " ".join(f"{'M' if i == 0 else 'L'}{px(x):.1f},{py(y):.1f}" for i, (x, y) in enumerate(points))
    body.append(f'<path d="{path}" fill="none" stroke="{BLUE}" stroke-width="1.6"/>')
    last_x, last_y = points[-1]
    body.append(f'<circle cx="{px(last_x):.1f}" cy="{py(last_y):.1f}" r="2.5" fill="{BLUE}">'
                f'<title>step {last_x:g}: loss {last_y:.4f}</title></circle>')
    for value in (y0, y1):
        body.append(f'<text x="{left - 4}" y="{py(value) + 4:.1f}" text-anchor="end">{value:.3g}</text>')
    body.append(f'<text x="{left}" y="{height - 8}">0</text>'
                f'<text x="{left + pw}" y="{height - 8}" text-anchor="end">step {x1:g}</text>')
    return svg_frame(width, height, title, body)


def nice_max(peak: float) -> float:
    """The smallest round axis maximum at or above ``peak`` whose quarters are round too (4 -> 4, 17.1 -> 20)."""
    if peak <= 0:
        return 1.0
    scale = 10 ** math.floor(math.log10(peak))
    return next(m * scale for m in (1, 2, 4, 5, 8, 10) if m * scale >= peak - 1e-12)


def _tick(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:g}"


def grouped_bars_ci_svg(
    groups: Sequence[str], series: Mapping[str, Sequence[float | None]],
    intervals: Mapping[str, Sequence[tuple[float, float] | None]] | None = None, *, title: str,
    y_max: float | None = None, value_format: str = "{:.1f}", width: int = 760,
) -> str:
    """One cluster of bars per group (an evaluation set), one bar per series (a system), CI whiskers on top."""
    colours = colour_map(series)
    colours = {name: colours[name] for name in series}  # legend in the systems' order
    intervals = intervals or {}
    n_series, n_groups = max(len(series), 1), max(len(groups), 1)
    legend_w = 20 + 7 * max([len(str(n)) for n in series] + [8])
    # Wide enough to read on a desktop page (the CSS scales it down on a phone); group labels get the room
    # their text needs, so they never overlap.
    label_w = 7.0 * max([len(str(g)) for g in groups] + [4]) + 12
    group_w = max(n_series * 18 + 24, label_w, (width - 50 - legend_w) / n_groups)
    bar_w = min(40.0, (group_w - 24) / n_series)
    left, top, ph = 50, 28, 220
    width = int(left + n_groups * group_w + legend_w)
    height = top + ph + 40
    values = [v for vs in series.values() for v in vs if v is not None]
    highs = [ci[1] for cis in intervals.values() for ci in cis if ci is not None]
    peak = y_max if y_max is not None else nice_max(max(values + highs + [1e-9]))
    body = [f'<text x="{left}" y="16" font-weight="600">{escape(title)}</text>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + ph * (1 - tick)
        body.append(f'<line x1="{left}" x2="{left + n_groups * group_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_tick(tick * peak)}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_w + (group_w - n_series * bar_w) / 2
        for s, (name, vals) in enumerate(series.items()):
            value = vals[g]
            if value is None:
                continue
            x = x0 + s * bar_w
            h = ph * max(value, 0) / peak
            body.append(f'<rect x="{x:.1f}" y="{top + ph - h:.1f}" width="{bar_w - 3:.1f}" height="{h:.1f}" '
                        f'fill="{colours[name]}"><title>{escape(str(group))} · {escape(name)}: '
                        f'{value_format.format(value)}</title></rect>')
            ci = (intervals.get(name) or [None] * len(groups))[g]
            if ci is not None:
                cx = x + (bar_w - 3) / 2
                ylo, yhi = top + ph * (1 - ci[0] / peak), top + ph * (1 - ci[1] / peak)
                body.append(f'<path d="M{cx:.1f},{ylo:.1f}V{yhi:.1f}M{cx - 4:.1f},{ylo:.1f}h8M{cx - 4:.1f},{yhi:.1f}h8" '
                            f'stroke="{INK}" stroke-width="1.2"/>')
        body.append(f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + ph + 18}" text-anchor="middle">'
                    f'{escape(str(group))}</text>')
    body += legend(colours, int(left + n_groups * group_w + 16), top + 10)
    return svg_frame(width, height, title, body, font_px=12)


# --------------------------------------------------------------------------------------------------
# The reproduction report

def fraction_svg(eval_set: str, metric: str, series: Mapping[str, Sequence[Mapping[str, Any]]],
                 refs: Mapping[str, Mapping[str, Any]], y_values: Sequence[float]) -> str:
    """Score against training fraction: one line per series (points ``{"fraction", "value", "low", "high",
    "run"}``, 95 % intervals as bars), the ``refs`` "full" and "copy" as dashed lines, on a y-axis spanning
    ``y_values``; "" when there is nothing to span.

    The x-axis runs to a little past the largest fraction plotted (the full data is the dashed line, not a
    point at 100 %), ticked at the fractions plotted; points of one fraction are spread sideways so that the
    series' intervals stay apart. A reference outside the y-range is named in the key as off the scale rather
    than squeezing the series into a thin band."""
    width, height, left, right, top, bottom = 760, 320, 50, 240, 24, 36
    pw, ph = width - left - right, height - top - bottom
    if not y_values:
        return ""
    lo, hi = min(y_values), max(y_values)
    pad = (hi - lo) * 0.08 or 1.0
    lo, hi = lo - pad, hi + pad
    fractions = sorted({float(r["fraction"]) for pts in series.values() for r in pts})
    x_max = min(1.0, max(fractions) * 1.15) if fractions else 1.0

    def x_of(f: float) -> float:
        return left + pw * f / x_max

    def y_of(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    body = [f'<text x="{left}" y="14" font-weight="600">{escape(eval_set)}: {escape(metric)} against the '
            'share of training data</text>',
            f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="{MUTED}"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="{MUTED}"/>']
    for f in sorted({0.0, *fractions} if fractions else {0.0, 0.25, 0.5, 0.75, 1.0}):
        body.append(f'<text x="{x_of(f):.1f}" y="{top + ph + 14}" text-anchor="middle">{100 * f:g}%</text>')
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        body.append(f'<text x="{left - 4}" y="{y_of(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    legend_y = top + 4
    for name, style in (("full", INK), ("copy", MUTED)):
        row = refs.get(name)
        if row is None:
            continue
        inside = lo <= row["value"] <= hi
        if inside:
            y = y_of(row["value"])
            body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="{style}" '
                        f'stroke-dasharray="5 3"/>')
        where = "" if inside else (" (below the axis)" if row["value"] < lo else " (above the axis)")
        body.append(f'<text x="{left + pw + 8}" y="{legend_y + 4}" fill="{style}">{"— " if inside else ""}'
                    f'{escape(name)} {row["value"]:.2f}{where}</text>')
        legend_y += 16
    n = len(series)
    spread = min(4.0, 0.6 * pw * (min(b - a for a, b in zip(fractions, fractions[1:])) if len(fractions) > 1
                                  else 0.3) / x_max / max(n, 1))
    for i, (name, pts) in enumerate(sorted(series.items())):
        colour = PALETTE[i % len(PALETTE)]
        pts = sorted(pts, key=lambda r: r["fraction"])
        jitter = (i - (n - 1) / 2) * spread
        coords = [(x_of(r["fraction"]) + jitter, y_of(r["value"])) for r in pts]
        if len(coords) > 1:
            body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="'
                        + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), r in zip(coords, pts):
            if isinstance(r.get("low"), (int, float)) and isinstance(r.get("high"), (int, float)):
                body.append(f'<line x1="{x:.1f}" y1="{y_of(r["low"]):.1f}" x2="{x:.1f}" y2="{y_of(r["high"]):.1f}" '
                            f'stroke="{colour}"/>')
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(str(r["run"]))}: '
                        f'{r["value"]:.2f}</title></circle>')
        body.append(f'<rect x="{left + pw + 8}" y="{legend_y - 5}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{left + pw + 22}" y="{legend_y + 4}">{escape(str(name))}</text>')
        legend_y += 16
    return svg_frame(width, height, f"{eval_set} {metric} against the share of training data", body)


# --------------------------------------------------------------------------------------------------
# The study report: interval bars, win/tie/loss bars, metric difference against human preference

def interval_svg(rows: Sequence[Mapping[str, Any]], *, title: str, lo: float = -1.0, hi: float = 1.0,
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
        body.append(f'<line x1="{_fmt(x(tick))}" x2="{_fmt(x(tick))}" y1="{top - 6}" y2="{height - 20}" stroke="{LINE}"/>'
                    f'<text x="{_fmt(x(tick))}" y="{height - 6}" text-anchor="middle" fill="{MUTED}">{show(tick)}</text>')
    if ref is not None:
        body.append(f'<line x1="{_fmt(x(ref))}" x2="{_fmt(x(ref))}" y1="{top - 6}" y2="{height - 20}" '
                    f'stroke="{MUTED}" stroke-dasharray="4 3"/>')
    for i, row in enumerate(rows):
        y = top + i * row_h + row_h / 2
        body.append(f'<text x="0" y="{_fmt(y + 4)}">{escape(_short(row["label"]))}</text>')
        value = row.get("value")
        if value is None:
            body.append(f'<text x="{label_w}" y="{_fmt(y + 4)}" fill="{MUTED}">undefined: '
                        f'{escape(_short(row.get("reason") or "", 48))}</text>')
            continue
        ci = row.get("ci")
        tip = f'{row["label"]}: {show(value)}' + (f" [{show(ci[0])}, {show(ci[1])}]" if ci else "")
        if ci:
            body.append(f'<line x1="{_fmt(x(ci[0]))}" x2="{_fmt(x(ci[1]))}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="{INK}" '
                        f'stroke-width="2"/>')
            for end in ci:
                body.append(f'<line x1="{_fmt(x(end))}" x2="{_fmt(x(end))}" y1="{_fmt(y - 5)}" y2="{_fmt(y + 5)}" '
                            f'stroke="{INK}" stroke-width="2"/>')
        body.append(f'<circle cx="{_fmt(x(value))}" cy="{_fmt(y)}" r="5" fill="{BLUE}"><title>{escape(tip)}</title>'
                    f'</circle><text x="{label_w + plot_w + 8}" y="{_fmt(y + 4)}">{show(value)}</text>')
    return svg_frame(width, height, title, body, font_px=12)


def win_tie_loss_svg(pairs: Sequence[Mapping[str, Any]], *, title: str) -> str:
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
                body.append(f'<rect x="{_fmt(x)}" y="{y + 4}" width="{_fmt(w)}" height="18" fill="{colour}">'
                            f'<title>{escape(str(who))}: {p[key]["count"]} of {p["n"]}</title></rect>')
                if w > 28:
                    body.append(f'<text x="{_fmt(x + w / 2)}" y="{y + 17}" text-anchor="middle" fill="{PAPER}">'
                                f'{p[key]["count"] / n:.0%}</text>')
            x += w
        half = p["win_rate_ties_half"]
        lo, hi = half["ci"]
        yy = y + 28
        body.append(f'<line x1="{_fmt(label_w + lo * plot_w)}" x2="{_fmt(label_w + hi * plot_w)}" y1="{yy}" y2="{yy}" '
                    f'stroke="{INK}" stroke-width="2"/><circle cx="{_fmt(label_w + half["rate"] * plot_w)}" cy="{yy}" '
                    f'r="3" fill="{INK}"/>')
        pv = p.get("sign_test_p")
        body.append(f'<text x="{label_w + plot_w + 8}" y="{y + 17}" fill="{MUTED}">'
                    f'{"p=" + format(pv, ".3g") if pv is not None else "no decisive"}</text>')
    body.append(f'<line x1="{_fmt(mid)}" x2="{_fmt(mid)}" y1="{top}" y2="{height - 30}" stroke="{INK}" '
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


def metric_human_scatter_svg(points: Sequence[Mapping[str, Any]], *, x_key: str, title: str, x_label: str) -> str:
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
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_fmt(py(v))}" y2="{_fmt(py(v))}" stroke="{LINE}"/>'
                    f'<text x="{left - 4}" y="{_fmt(py(v) + 4)}" text-anchor="end" fill="{MUTED}">{v:+d}</text>')
    for v in (-span, 0, span):
        body.append(f'<line x1="{_fmt(px(v))}" x2="{_fmt(px(v))}" y1="{top}" y2="{top + plot_h}" stroke="{LINE}"/>'
                    f'<text x="{_fmt(px(v))}" y="{top + plot_h + 14}" text-anchor="middle" fill="{MUTED}">'
                    f'{v:.3g}</text>')
    for p in points:
        if p.get(x_key) is None:
            continue
        tip = f'item {p["item"]}: {p["a"]} vs {p["b"]}, {x_label} {p[x_key]:.3g}, human {p["human"]:+.2f}'
        body.append(f'<circle cx="{_fmt(px(p[x_key]))}" cy="{_fmt(py(p["human"] + _jitter(p["item"])))}" r="3.5" '
                    f'fill="{BLUE}" fill-opacity="0.55"><title>{escape(tip)}</title></circle>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle">{escape(x_label)}</text>')
    body.append(f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 12 '
                f'{top + plot_h / 2})">human preference for a</text>')
    return svg_frame(width, height, title, body, font_px=12)


def stat_rows(stats: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows for :func:`interval_svg` from report Stat dicts, in the order of ``labels``."""
    return [{"label": label, "value": stats[k]["value"], "ci": stats[k].get("ci"), "reason": stats[k].get("reason")}
            for k, label in labels.items() if k in stats and stats[k] is not None]
