"""Diagnostics that do not mislead on skewed data, end to end (CLI, API, page): purity beside its baseline,
agreement with the instruction phrasing, a warning when a task is starved, grouping rows by source sentence."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from selection.models import SelectionRun
from selection.services.datasets import dataset_import

# CoEDIT's own phrasings (selection.core.text.COEDIT_INSTRUCTIONS): only those count as instructions.
PHRASINGS = ["Simplify: ", "Make this easier to read: ", "Rewrite this more simply: ", "Make the sentence simpler: ",
             "Simplify this sentence: "]
GEC_PHRASINGS = ["Fix grammar", "Fix grammaticality", "Fix the grammar", "Fix grammar errors", "Fix grammatical errors",
                 "Correct the grammar", "Correct grammar", "Improve the grammar"]
NOUNS = ["cat", "ship", "river", "engine", "teacher", "garden", "market", "doctor", "bridge", "letter",
         "window", "forest", "castle", "singer", "farmer", "island", "painter", "rocket", "valley", "pilot",
         "library", "tunnel", "harbour", "dancer", "soldier", "camera", "village", "planet", "baker", "lawyer"]


def _rows() -> list[dict]:
    """150 simplification rows (30 sentences × 5 phrasings) and 40 near-identical GEC rows (5 typo
    variants of one sentence × 8 phrasings), so k-means gives GEC about one cluster and per-cluster picks starve it."""
    rows = []
    for i, noun in enumerate(NOUNS):
        for j, phrase in enumerate(PHRASINGS):
            rows.append({"_id": f"s{i}-{j}", "task": "simplification",
                         "src": f"{phrase}The {noun} was exceedingly {NOUNS[(i * 7) % 30]}-like and rather "
                                f"{NOUNS[(i * 11) % 30]}-coloured in number {i}.",
                         "tgt": f"The {noun} was odd."})
    for j in range(8):
        for t in range(5):
            rows.append({"_id": f"g{j}-{t}", "task": "gec", "src": f"{GEC_PHRASINGS[j]}: she go to school yesterday{'!' * t}",
                         "tgt": "She went to school yesterday."})
    return rows


@pytest.fixture
def skewed(db, settings, tmp_path):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    data = "".join(json.dumps(r) + "\n" for r in _rows()).encode()
    return dataset_import(stream=io.BytesIO(data), name="skewed", filename="skewed.jsonl")


def _select(*args: str) -> str:
    out = io.StringIO()
    call_command("select", "--dataset", "skewed", "--embedder", "tfidf", "--base-fraction", "0", *args, stdout=out)
    return out.getvalue()


def test_a_starved_task_is_warned_about_everywhere(skewed, client, researcher):
    printed = _select("--name", "starve", "--clusters", "12", "--per-cluster", "3")
    run = SelectionRun.objects.get(name="starve")
    summary = run.summary
    gec = summary["sizes"]["gec"]
    assert gec["chosen"] / summary["sizes"]["total"]["chosen"] < 0.5 * gec["D"] / summary["sizes"]["total"]["D"]
    assert [s["task"] for s in summary["starved"]] == ["gec"]
    assert "Warning: task 'gec' is starved" in printed
    diag = summary["diagnostics"]
    assert diag["purity_baseline"] == pytest.approx(150 / 190)
    assert "(one cluster: 0.789)" in printed
    assert diag["instruction"]["n_classes"] == 5 + 8 and "clusters vs instruction phrasing (13 distinct)" in printed

    client.force_login(researcher)
    api = client.get("/api/selections/starve/").json()["summary"]
    assert api["warnings"] == summary["warnings"] and api["diagnostics"]["instruction"] == diag["instruction"]
    page = client.get("/selections/starve/").content.decode()
    assert "Warning:</strong> task &#x27;gec&#x27; is starved" in page
    assert "one cluster would score" in page and "instruction phrasing" in page


def test_grouping_by_source_spreads_picks_over_sentences(skewed):
    _select("--name", "plain", "--clusters", "5", "--per-cluster", "10", "--seed", "1")
    printed = _select("--name", "grouped", "--clusters", "5", "--per-cluster", "10", "--seed", "1",
                      "--group-by-source")
    plain, grouped = (SelectionRun.objects.get(name=n).summary["sources"] for n in ("plain", "grouped"))
    assert plain["rows"] == grouped["rows"] == 50
    assert grouped["distinct_sources"] > plain["distinct_sources"]
    assert grouped["pool_sources"] == 30 + 5  # 5 GEC sentences (typo variants), each under 8 phrasings
    assert SelectionRun.objects.get(name="grouped").params["group_by_source"] is True
    assert f"from {grouped['distinct_sources']} distinct source sentences" in printed
