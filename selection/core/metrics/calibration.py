"""The calibration systems the metric reference checks score (no Django): ``identity`` (copy the input),
``ref0`` (the first reference) and ``drop_last_word``, over a benchmark's test rows in CoEDIT format.

tests/selection/core/test_metrics_reference_values.py (on the fixture) and bench/check_reference_values.py (on
the full evaluation sets) pin SARI and GLEU of these systems to EASSE's and JFLEG's scripts; the systems live
here so that neither the tests nor the benchmarks import the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["CALIBRATION_SYSTEMS", "calibration_set", "drop_last_word"]


def drop_last_word(text: str) -> str:
    """The text without its last word (texts of three words or fewer unchanged)."""
    words = text.split()
    return " ".join(words[:-1]) if len(words) > 3 else text


CALIBRATION_SYSTEMS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "identity": lambda r: r["src"],
    "ref0": lambda r: r["refs"][0],
    "drop_last_word": lambda r: drop_last_word(r["src"]),
}


def calibration_set(rows: Iterable[Mapping[str, Any]], name: str) -> tuple[list[str], list[str], list[list[str]]]:
    """(sources, predictions, references) of ``name`` ("<benchmark>/<system>"): the benchmark's test rows whose
    references are all non-blank, and the system's output for each."""
    benchmark, system = name.split("/")
    sub = [r for r in rows if r["dataset"] == benchmark and r["split"] == "test" and all(x.strip() for x in r["refs"])]
    return [r["src"] for r in sub], [CALIBRATION_SYSTEMS[system](r) for r in sub], [r["refs"] for r in sub]
