"""The real evaluation sets as the platform ships them: import (split names, tasks, benchmarks, unscoreable rows),
export round-trip, the copy baseline scored on the literature's scale per benchmark with its headline metrics,
from the command, the results page and the API; generation with CoEDIT's instructions added.

Uses tests/fixtures/eval_sample.jsonl (50 public rows in eval_sets.jsonl's format); the expected SARI and
GLEU values are the ones computed with EASSE and JFLEG's script in test_metrics_reference_values.py.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from selection.models import Dataset, Output
from selection.services.datasets import DatasetImportError, dataset_export, dataset_import
from selection.services.scoring import score_report_create, scoring_systems
from selection.services.systems import system_copy_baseline, system_generate
from tests.selection.core.test_metrics_reference_values import EASSE, JFLEG_GLEU

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "eval_sample.jsonl"
BLANK_REF_LINE = next(i for i, line in enumerate(FIXTURE.open(encoding="utf-8"), start=1)
                      if '"iterater_human_sent-test-47"' in line)


@pytest.fixture
def evalsets(db):
    with FIXTURE.open("rb") as stream:
        dataset = dataset_import(stream=stream, name="eval", filename=FIXTURE.name, skip_invalid=True)
    system_copy_baseline(dataset=dataset, split="test")
    return dataset


def test_without_skip_invalid_the_import_is_all_or_nothing(db):
    with FIXTURE.open("rb") as stream, pytest.raises(DatasetImportError) as err:
        dataset_import(stream=stream, name="eval", filename=FIXTURE.name)
    assert f"line {BLANK_REF_LINE}: field 'refs': reference 0 is blank" in str(err.value)
    assert not Dataset.objects.exists()


def test_import_maps_splits_tasks_and_keeps_benchmarks(evalsets):
    summary = evalsets.summary
    assert evalsets.row_count == 49
    assert summary["skipped_count"] == 1
    assert summary["skipped"] == [{"line": BLANK_REF_LINE, "id": "iterater_human_sent-test-47", "field": "refs",
                                   "error": "reference 0 is blank"}]
    assert summary["splits"] == {"test": 45, "validation": 4}  # valid, tune, dev -> validation
    assert summary["benchmarks"] == {"asset": 13, "iterater_human_sent": 10, "jfleg": 13, "turkcorpus_gem": 13}
    tune = evalsets.examples.get(ext_id="turkcorpus_gem-tune-0")
    assert (tune.split, tune.extra["original_split"], tune.extra["dataset"]) == ("validation", "tune", "turkcorpus_gem")
    assert evalsets.examples.get(ext_id="jfleg-test-0").task == "gec"  # from coedit_task
    no_task = evalsets.examples.filter(extra__dataset="iterater_human_sent", extra__coedit_task=None).first()
    assert no_task.task == "iterater_human_sent"  # no CoEDIT task: the benchmark name


def test_import_command_lists_skipped_rows_by_line(db, capsys):
    with pytest.raises(CommandError, match=f"line {BLANK_REF_LINE}: .*Nothing was imported"):
        call_command("import_dataset", str(FIXTURE), "--name", "eval")
    call_command("import_dataset", str(FIXTURE), "--name", "eval", "--skip-invalid")
    out = capsys.readouterr().out
    assert "Imported 49 rows" in out and "benchmarks: asset 13" in out
    assert f"line {BLANK_REF_LINE} (id iterater_human_sent-test-47): field 'refs' reference 0 is blank" in out


def test_api_import_is_all_or_nothing_unless_skip_invalid(researcher_client):
    def post(name, **extra):
        with FIXTURE.open("rb") as stream:
            return researcher_client.post("/api/datasets/", {"name": name, "file": stream, **extra})

    refused = post("eval-api")
    assert refused.status_code == 400 and refused.json()["line"] == BLANK_REF_LINE
    assert refused.json()["field"] == "refs" and not Dataset.objects.filter(name="eval-api").exists()
    created = post("eval-api", skip_invalid="true")
    assert created.status_code == 201, created.content
    dataset = Dataset.objects.get(name="eval-api")
    assert dataset.row_count == 49 and dataset.summary["skipped"][0]["line"] == BLANK_REF_LINE
    assert dataset.summary["benchmarks"]["jfleg"] == 13


def test_export_and_reimport_round_trip(evalsets, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    dataset_export(dataset=evalsets, path=first)
    with first.open("rb") as stream:
        again = dataset_import(stream=stream, name="eval-again", filename=first.name)
    dataset_export(dataset=again, path=second)
    rows = [json.loads(line) for line in first.open(encoding="utf-8")]
    assert rows == [json.loads(line) for line in second.open(encoding="utf-8")]
    assert rows[0]["dataset"] == "asset" and again.summary["splits"] == evalsets.summary["splits"]


def test_colon_sentences_are_never_cut(evalsets):
    ex = evalsets.examples.get(ext_id="asset-test-9")
    assert ex.src.startswith("The spacecraft consists of two main elements: the NASA Cassini orbiter")
    assert ex.input_text == ex.src
    assert Output.objects.get(system__name="copy", example=ex).text == ex.src


def test_copy_baseline_per_benchmark_matches_easse_and_jfleg(evalsets):
    systems = scoring_systems(dataset=evalsets, names=["copy"])
    result = score_report_create(dataset=evalsets, split="test", systems=systems, n_boot=200).result
    groups = {g["name"]: g for g in result["groups"]}
    assert [g["name"] for g in result["groups"]] == ["asset", "iterater_human_sent", "jfleg", "turkcorpus_gem", "all"]
    assert groups["asset"]["headline"] == ["sari", "fkgl"] == groups["turkcorpus_gem"]["headline"]
    assert groups["jfleg"]["headline"] == ["gleu", "sari"] and groups["iterater_human_sent"]["headline"] == ["sari"]
    for name in ("asset", "turkcorpus_gem", "jfleg", "iterater_human_sent"):
        cell = groups[name]["systems"]["copy"]
        assert cell["sari"] == pytest.approx(EASSE[f"{name}/identity"][0], abs=1e-6)
        assert cell["sari_ci"][0] <= cell["sari"] <= cell["sari_ci"][1]
        assert cell["copy_rate"] == 1.0
    jfleg = groups["jfleg"]["systems"]["copy"]
    assert jfleg["gleu"] == pytest.approx(JFLEG_GLEU["jfleg/identity"], abs=1e-9)
    assert jfleg["gleu_ci"][0] <= jfleg["gleu"] <= jfleg["gleu_ci"][1]
    assert "fkgl_ci" in groups["asset"]["systems"]["copy"]
    assert groups["asset"]["metrics"][:2] == ["sari", "fkgl"]


def test_results_page_and_api_lead_with_headline_metrics(researcher_client, evalsets):
    url = "/results/?dataset=eval&split=test&system=copy"
    html = researcher_client.get(url).content.decode()
    assert html.index("Headline metrics") < html.index("<h2>SARI</h2>")
    headline = html.split('<table id="headline">')[1].split("</table>")[0]
    rows = [[cell.split(">", 1)[1].split("<")[0].replace("&nbsp;", " ").strip()
             for cell in tr.split("<td")[1:]] for tr in headline.split("<tbody>")[1].split("<tr>")[1:]]
    # one row per (set, headline metric) in the literature's order, the set's label on its first row
    assert [r[0] for r in rows if len(r) == 3] == ["ASSET", "IteraTeR", "JFLEG", "TurkCorpus", "all sets pooled"]
    metrics = [r[-2] for r in rows]
    assert metrics == ["SARI", "FKGL", "SARI", "GLEU", "SARI", "SARI", "FKGL", "SARI"]
    asset_sari = rows[0][-1]
    assert asset_sari == f"{EASSE['asset/identity'][0]:.2f}"  # two decimals, as papers print SARI
    assert rows[3][-1] == f"{JFLEG_GLEU['jfleg/identity']:.2f}"
    api = researcher_client.get("/api/scores/?dataset=eval&split=test&system=copy").json()
    jfleg = next(g for g in api["groups"] if g["name"] == "jfleg")
    assert jfleg["headline"] == ["gleu", "sari"] and jfleg["label"] == "JFLEG"
    assert jfleg["metrics"][:2] == ["gleu", "sari"]
    assert jfleg["systems"]["copy"]["gleu"] == pytest.approx(JFLEG_GLEU["jfleg/identity"], abs=1e-9)
    csv_text = researcher_client.get(url + "&format=csv").content.decode()
    header = csv_text.splitlines()[0].split(",")
    assert header[:4] == ["group", "system", "n", "headline"] and "gleu" in header and "sari_del" in header


def test_generate_can_add_coedit_instructions(evalsets, monkeypatch):
    seen: list[str] = []

    def fake_generate(path, sources, **kwargs):  # records what the model would be given
        seen.extend(sources)
        return ["out"] * len(sources)

    monkeypatch.setattr("selection.core.generation.generate", fake_generate)
    system = system_generate(name="prefixed", dataset=evalsets, split="test", model_path="any",
                             add_instruction=True)
    by_id = dict(zip(evalsets.examples.filter(split="test").order_by("id").values_list("ext_id", flat=True), seen))
    assert by_id["jfleg-test-0"].startswith("Fix grammar: ")
    assert by_id["asset-test-9"] == "Simplify this sentence: " + evalsets.examples.get(ext_id="asset-test-9").src
    no_task = evalsets.examples.filter(split="test", task="iterater_human_sent").first()
    assert by_id[no_task.ext_id] == no_task.src  # CoEDIT has no instruction for it
    assert system.params["add_instruction"] is True and system.params["without_instruction"] == 1


def test_generate_command_takes_add_instruction(evalsets, monkeypatch):
    seen: list[str] = []
    monkeypatch.setattr("selection.core.generation.generate",
                        lambda path, sources, **kw: seen.extend(sources) or ["x"] * len(sources))
    call_command("generate", "--model", "any", "--dataset", "eval", "--split", "test", "--system", "m",
                 "--add-instruction", stdout=io.StringIO())
    assert sum(s.startswith("Simplify this sentence: ") for s in seen) == 24
