"""SVG plots of training and results pages: a loss curve and grouped bars with confidence whiskers.

Hand-written SVG like ``selection.plots`` (whose colours and legend it reuses), cheap enough to draw per
request. All text is escaped here; callers may mark the result safe.
"""
from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

from selection.plots import colour_map, legend, svg_frame


def loss_curve_svg(rows: Sequence[Mapping[str, float]], *, title: str = "Training loss",
                   width: int = 480, height: int = 200) -> str:
    """Loss against step from ``loss.jsonl`` rows ({"step", "loss"}); an empty frame before the first log."""
    left, top, right, bottom = 44, 20, 10, 26
    pw, ph = width - left - right, height - top - bottom
    body = [f'<text x="{left}" y="13" font-weight="600">{escape(title)}</text>',
            f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>']
    points = [(float(r["step"]), float(r["loss"])) for r in rows if r.get("loss") is not None]
    if not points:
        body.append(f'<text x="{left + pw / 2}" y="{top + ph / 2}" text-anchor="middle" fill="#57606a">'
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
    body.append(f'<path d="{path}" fill="none" stroke="#1f77b4" stroke-width="1.6"/>')
    last_x, last_y = points[-1]
    body.append(f'<circle cx="{px(last_x):.1f}" cy="{py(last_y):.1f}" r="2.5" fill="#1f77b4">'
                f'<title>step {last_x:g}: loss {last_y:.4f}</title></circle>')
    for value in (y0, y1):
        body.append(f'<text x="{left - 4}" y="{py(value) + 4:.1f}" text-anchor="end">{value:.3g}</text>')
    body.append(f'<text x="{left}" y="{height - 8}">0</text>'
                f'<text x="{left + pw}" y="{height - 8}" text-anchor="end">step {x1:g}</text>')
    return svg_frame(width, height, title, body)


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
    peak = y_max if y_max is not None else max(values + highs + [1e-9])
    body = [f'<text x="{left}" y="16" font-weight="600">{escape(title)}</text>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + ph * (1 - tick)
        body.append(f'<line x1="{left}" x2="{left + n_groups * group_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value_format.format(tick * peak)}</text>')
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
                            f'stroke="#111" stroke-width="1.2"/>')
        body.append(f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + ph + 18}" text-anchor="middle">'
                    f'{escape(str(group))}</text>')
    body += legend(colours, int(left + n_groups * group_w + 16), top + 10)
    return svg_frame(width, height, title, body, font_px=12)
