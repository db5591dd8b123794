"""Small server-side SVG plots (hand-written, no matplotlib, no network): fast enough to draw on each request.

Every function returns an SVG string that scales to its container (viewBox, width 100%), with a <title> for
screen readers. Reusable anywhere: stacked bars, a labelled scatter, histograms with cut-off lines, bars.
Callers mark the result safe (`django.utils.safestring.mark_safe`): all text put in it is escaped here.
"""
from __future__ import annotations

from html import escape
from typing import Iterable, Mapping, Sequence

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def colour_map(labels: Iterable[str]) -> dict[str, str]:
    """A stable colour per label (sorted order), cycling through a 10-colour palette."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(sorted(set(labels)))}


def svg_frame(width: int, height: int, title: str, body: Sequence[str], font_px: int = 11) -> str:
    """An accessible inline SVG (role, label, title) that scales down on small screens.

    No xmlns: inline SVG in HTML needs none, and leaving it out keeps exported reports free of any URL.
    """
    # Natural size with presentation attributes (no style attribute: the Content-Security-Policy forbids inline
    # styles); the site's CSS scales it down to the container (max-width: 100%, height: auto).
    return (f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{escape(title)}" font-size="{font_px}" font-family="system-ui, sans-serif">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def legend(colours: Mapping[str, str], x: float, y: float, step: float = 16) -> list[str]:
    parts = []
    for i, (label, colour) in enumerate(colours.items()):
        yy = y + i * step
        parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(yy - 9)}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{_fmt(x + 14)}" y="{_fmt(yy)}">{escape(str(label))}</text>')
    return parts


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
        body.append(f'<line x1="{left}" x2="{left + n * (bar_w + gap)}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="#ddd"/>'
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
            body.append(f'<text x="{_fmt(x + bar_w / 2)}" y="{top + plot_h + 28}" text-anchor="middle" fill="#57606a">'
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
                            f'stroke="#111" stroke-width="1"/>')
            else:
                body.append(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="2" fill="{colours[labels[i]]}" '
                            f'fill-opacity="0.45"/>')
    body += legend(colours, size + 8, 34)
    y = 34 + 16 * len(colours) + 8
    body.append(f'<circle cx="{size + 13}" cy="{y - 4}" r="3.2" fill="#fff" stroke="#111"/>'
                f'<text x="{size + 22}" y="{y}">{escape(marked_label)}</text>')
    return svg_frame(size + legend_w, size + 20, title, body)


def histogram_svg(
    edges: Sequence[float], counts: Sequence[float], *, title: str, lines: Sequence[tuple[float, str, str]] = (),
    fill: str = "#1f77b4", width: int = 380, height: int = 230, highlight: Sequence[float] | None = None,
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
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{axis_y}" y2="{axis_y}" stroke="#555"/>'
                    f'<line x1="{left}" x2="{left}" y1="{top}" y2="{axis_y}" stroke="#555"/>')
        for k in range(5):
            v = lo + span * k / 4
            x = px(v)
            body.append(f'<line x1="{_fmt(x)}" x2="{_fmt(x)}" y1="{axis_y}" y2="{axis_y + 4}" stroke="#555"/>'
                        f'<text x="{_fmt(x)}" y="{axis_y + 16}" text-anchor="middle">{v:.2f}</text>')
        ticks = sorted({0, round(peak / 2), peak}) if float(peak).is_integer() else [0, peak / 2, peak]
        for value in ticks:  # whole counts get whole ticks
            y = axis_y - plot_h * value / peak
            body.append(f'<line x1="{left - 4}" x2="{left}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="#555"/>'
                        f'<text x="{left - 6}" y="{_fmt(y + 4)}" text-anchor="end">{value:.3g}</text>')
        body.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>'
                    f'<text x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
                    f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    return svg_frame(width, height, title, body, font_px=12)


def bars_svg(labels: Sequence[str], values: Sequence[float], *, title: str, colour: str = "#1f77b4",
             value_format: str = "{:g}") -> str:
    """Horizontal bars, one per label (e.g. sizes per task)."""
    row, left, width = 20, 120, 420
    peak = max(list(values) + [1e-12])
    body = [f'<text x="4" y="14" font-weight="600">{escape(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 24 + i * row
        w = (width - left - 60) * value / peak
        body.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{escape(str(label))}</text>'
                    f'<rect x="{left}" y="{y}" width="{_fmt(w)}" height="{row - 6}" fill="{colour}"/>'
                    f'<text x="{_fmt(left + w + 4)}" y="{y + 12}">{escape(value_format.format(value))}</text>')
    return svg_frame(width, 30 + len(labels) * row, title, body)
