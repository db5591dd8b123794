"""selection.plots, the one plotting module: every text put into a plot is escaped (the XSS defence that lets pages
mark plots safe), every plot is well-formed SVG with no style attribute (the CSP) and no URL (self-contained
exports), and colours come from the one palette."""
from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from selection import plots

EVIL = '<script>alert("x")</script>&"\' onload="alert(1)'


def _every_plot(label: str) -> dict[str, str]:
    pair = {"a": label, "b": label + "2", "n": 4, "wins": {"count": 2}, "ties": {"count": 1}, "losses": {"count": 1},
            "win_rate_ties_half": {"rate": 0.625, "ci": [0.3, 0.9]}, "sign_test_p": 0.6}
    point = {"fraction": 0.25, "value": 30.0, "low": 29.0, "high": 31.0, "run": label}
    return {
        "stacked_bars": plots.stacked_bars_svg([label, "b"], {label: [1, 2], "other": [3, 0]}, title=label,
                                               annotations=[label, label]),
        "scatter": plots.scatter_svg([0.0, 1.0], [1.0, 0.0], [label, "b"], title=label, marked=[True, False],
                                     marked_label=label),
        "histogram": plots.histogram_svg([0.0, 0.5, 1.0], [2, 3], title=label, lines=[(0.4, label, plots.GOOD)],
                                         highlight=[1, 0], x_label=label, y_label=label),
        "loss_curve": plots.loss_curve_svg([{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.5}], title=label),
        "loss_curve_empty": plots.loss_curve_svg([], title=label),
        "grouped_bars": plots.grouped_bars_ci_svg([label, "set2"], {label: [1.0, None], "b": [2.0, 3.0]},
                                                  {label: [(0.5, 1.5), None]}, title=label),
        "fraction": plots.fraction_svg(label, label, {label: [point, {**point, "fraction": 0.5}]},
                                       {"full": {"value": 32.0}, "copy": {"value": 20.0}}, [20.0, 32.0]),
        "interval": plots.interval_svg([{"label": label, "value": 0.4, "ci": [0.1, 0.7]},
                                        {"label": label, "value": None, "reason": label}], title=label, ref=0.0),
        "win_tie_loss": plots.win_tie_loss_svg([pair], title=label),
        "metric_human_scatter": plots.metric_human_scatter_svg(
            [{"item": label, "a": label, "b": "b", "human": 0.5, "d_sari": 1.5}], x_key="d_sari", title=label,
            x_label=label),
    }


@pytest.mark.parametrize("name", list(_every_plot("x")))
def test_every_text_is_escaped(name):
    svg = _every_plot(EVIL)[name]
    assert "<script" not in svg and 'onload="' not in svg
    assert "&lt;script&gt;" in svg
    root = ElementTree.fromstring(svg)  # well-formed: no text broke out of its element or attribute
    texts = " ".join(root.itertext()) + " ".join(v for el in root.iter() for v in el.attrib.values())
    assert EVIL[:20] in texts  # the hostile label is shown, as text


@pytest.mark.parametrize("name", list(_every_plot("x")))
def test_plots_are_self_contained_accessible_and_carry_no_style_attribute(name):
    svg = _every_plot("model A")[name]
    root = ElementTree.fromstring(svg)
    assert root.tag == "svg" and root.get("role") == "img" and root.get("viewBox")
    assert root.find("title") is not None and root.get("aria-label")
    assert "style=" not in svg and "http" not in svg and "xmlns" not in svg


def test_colours_come_from_the_one_palette():
    allowed = {c.lower() for c in plots.PALETTE} | {c.lower() for c in (plots.INK, plots.MUTED, plots.LINE, plots.GREY,
                                                                         plots.PAPER, plots.GOOD, plots.BAD)}
    for name, svg in _every_plot("x").items():
        used = {c.lower() for c in re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{3,6})"', svg)}
        assert used and used <= allowed, (name, used - allowed)


def test_colour_map_is_stable_and_cycles():
    labels = [f"s{i:02d}" for i in range(12)]
    colours = plots.colour_map(reversed(labels))
    assert colours["s00"] == plots.PALETTE[0] and colours["s10"] == plots.PALETTE[0]
    assert colours == plots.colour_map(labels)


def test_long_report_labels_are_shortened_after_escaping_nothing_away():
    svg = plots.interval_svg([{"label": "a" * 40 + "<b>", "value": 0.5, "ci": None}], title="t")
    assert "a" * 29 + "…" in svg and "<b>" not in svg


def test_fraction_plot_without_values_is_empty():
    assert plots.fraction_svg("set", "sari", {}, {}, []) == ""
