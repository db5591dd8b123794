"""Research exports and interchange (annotation/interchange.py, services/interchange.py, export_study's research
formats, import_judgments, GET /api/studies/<name>/research-export/): on a simulated, closed study."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation import interchange, reports
from annotation.interchange import InterchangeError, PairJudgment
from annotation.models import Judgment, Slot, StudyEvent
from annotation.selectors import pair_judgments
from annotation.services import simulate_raters, study_close
from annotation.services.interchange import ImportRejected, judgments_import
from annotation.services.tallies import counters_match

GRADED = {"pairwise": True, "accuracy": False, "likert": [], "error_flags": [], "comment": True, "graded": True}


@pytest.fixture
def closed(study_factory, researcher):
    study = study_factory(name="closed1", n_systems=3, questions=GRADED)
    simulate_raters(study=study, raters=3, seed=4, prefer={"zebrasys0": 0.8})
    # Raters' comments (the simulation writes none), with a quote and a non-ASCII letter to carry through.
    for n, j in enumerate(Judgment.objects.filter(slot__item__study=study, slot__item__kind="real")[:5]):
        j.comment = f'too "literal" ç {n}'
        j.save(update_fields=["comment"])
    return study_close(study=study, user=researcher)


def _twin(study_factory, name: str = "twin1"):
    """A draft study with the same design (same seed: the same examples and pairs), nobody's work in it."""
    return study_factory(name=name, n_systems=3, questions=GRADED, launch=False)


def _export(name: str, fmt: str, *extra: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_study", name, "--format", fmt, *extra, stdout=out, stderr=err)
    return out.getvalue()


def _keys(study) -> list[tuple]:
    return sorted(r.key() for r in pair_judgments(study))


@pytest.mark.parametrize("fmt", ["potato", "label-studio"])
def test_export_then_import_gives_the_same_judgments(closed, study_factory, researcher, tmp_path, fmt):
    original = _keys(closed)
    assert len(original) >= 20 and {k[4] for k in original} >= {"left", "right"}
    assert any(k[5] for k in original) and any(k[6] for k in original)  # strengths and comments travel too
    path = tmp_path / "study.txt"
    path.write_text(_export(closed.name, fmt), encoding="utf-8")
    twin = _twin(study_factory)
    out = io.StringIO()
    call_command("import_judgments", twin.name, str(path), "--format", fmt, stdout=out)
    assert f"{len(original)} judgments" in out.getvalue()
    assert _keys(twin) == original
    assert counters_match(twin)
    assert sorted(r.submitted_at for r in pair_judgments(twin)) == sorted(r.submitted_at for r in pair_judgments(closed))
    assert reports.study_report(twin)  # the imported study reports like any other
    # ...and the twin, closed, exports the same file again (texts, prompts, sides and answers).
    study_close(study=twin, user=researcher)
    again = interchange.READERS[fmt](_export(twin.name, fmt))
    first = interchange.READERS[fmt](path.read_text(encoding="utf-8"))
    assert sorted((r.key(), r.prompt, r.left_text, r.right_text) for r in again) == \
        sorted((r.key(), r.prompt, r.left_text, r.right_text) for r in first)


def test_potato_file_has_potatos_fields(closed):
    lines = [json.loads(x) for x in _export(closed.name, "potato").splitlines()]
    assert len(lines) == len(pair_judgments(closed))
    one = lines[0]
    assert {"id", "user_id", "displayed_text", "label_annotations", "span_annotations", "behavioral_data"} <= set(one)
    assert list(one["label_annotations"]["preference"]) in (["A"], ["B"], ["tie"], ["both_bad"])


def test_label_studio_file_groups_raters_by_task(closed):
    tasks = json.loads(_export(closed.name, "label-studio"))
    real_items = {(k[0], frozenset(k[2:4])) for k in _keys(closed)}
    assert len(tasks) == len(real_items)
    assert sum(len(t["annotations"]) for t in tasks) == len(pair_judgments(closed))
    assert all(set(t["data"]) >= {"text1", "text2", "system1", "system2", "prompt"} for t in tasks)
    kinds = {r["type"] for t in tasks for a in t["annotations"] for r in a["result"]}
    assert "pairwise" in kinds


def test_preference_pairs_are_the_decisive_judgments(closed):
    rows = [json.loads(x) for x in _export(closed.name, "preference-pairs").splitlines()]
    records = pair_judgments(closed)
    decisive = [r for r in records if r.answer in ("left", "right")]
    assert len(rows) == len(decisive) < len(records)  # the simulation's ties are left out
    for row, r in zip(rows, decisive):
        winner_text = r.left_text if r.answer == "left" else r.right_text
        assert row["prompt"] == r.prompt and row["chosen"] == winner_text and row["rejected"] != winner_text
        assert row["chosen_system"] == r.preferred_system != row["rejected_system"]
    # The simulated raters prefer zebrasys0 (p=0.8): the pairs say so.
    with0 = [r for r in rows if "zebrasys0" in (r["chosen_system"], r["rejected_system"])]
    assert sum(r["chosen_system"] == "zebrasys0" for r in with0) > len(with0) / 2


def test_hf_dataset_on_disk_and_parquet(closed, tmp_path):
    datasets = pytest.importorskip("datasets")
    import pyarrow.parquet as pq

    target = tmp_path / "hf"
    err = io.StringIO()
    call_command("export_study", closed.name, "--format", "hf-dataset", "--output", str(target), stderr=err)
    ds = datasets.load_from_disk(str(target))
    records = pair_judgments(closed)
    assert ds.num_rows == len(records)
    assert set(interchange.FIELD_NAMES) | {"preferred_system"} == set(ds.column_names)
    assert sorted(zip(ds["rater"], ds["example"], ds["answer"])) == sorted((r.rater, r.example, r.answer)
                                                                           for r in records)
    table = pq.read_table(str(target / "judgments.parquet"))
    assert table.num_rows == len(records)
    with pytest.raises(CommandError, match="--output DIR"):
        _export(closed.name, "hf-dataset")


def test_research_exports_of_a_live_study_need_a_logged_peek(study_factory):
    study = study_factory(name="live1", n_systems=2)
    simulate_raters(study=study, raters=2, seed=1)
    with pytest.raises(CommandError, match="--peek"):
        _export(study.name, "potato")
    before = StudyEvent.objects.filter(study=study, action="peek").count()
    assert "zebrasys" in _export(study.name, "potato", "--peek")
    assert StudyEvent.objects.filter(study=study, action="peek").count() == before + 1


def test_api_download(closed, client, researcher):
    from tests.conftest import make_users

    client.force_login(researcher)
    url = f"/api/studies/{closed.name}/research-export/"
    r = client.get(url, {"kind": "label-studio"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith('-label-studio.json"')
    assert len(interchange.from_label_studio(r.content.decode())) == len(pair_judgments(closed))
    r = client.get(url, {"kind": "hf-dataset"})
    assert r.status_code == 200 and r.content[:4] == b"PAR1"
    assert client.get(url, {"kind": "excel"}).status_code == 400
    client.force_login(make_users("ronja", 1, "researcher")[0])  # a researcher who does not share the study
    assert client.get(url, {"kind": "potato"}).status_code == 403


# --- a bad file writes nothing, and says where it is wrong ---------------------------------------------------

def _potato_lines(closed) -> list[dict]:
    return [json.loads(x) for x in _export(closed.name, "potato").splitlines()]


def _import_lines(twin, lines: list[dict], tmp_path) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_judgments", twin.name, str(path), "--format", "potato", stdout=io.StringIO())
    return str(exc.value)


@pytest.mark.parametrize("breakage, message", [
    (lambda x: x["label_annotations"].update(preference={"C": "1"}), "line 7: field 'label_annotations.preference'"),
    (lambda x: x.pop("user_id"), "line 7: field 'user_id'"),
    (lambda x: x.update(system_A="nosuchsys"), "line 7: left system 'nosuchsys'"),
    (lambda x: x.update(example="ex-missing"), "line 7: example 'ex-missing'"),
    (lambda x: x.update(user_id="r" * 151), "line 7: rater name"),
    (lambda x: x["behavioral_data"].update(timestamp="yesterday"), "line 7: time 'yesterday'"),
    (lambda x: x["behavioral_data"].update(time_spent=-3), "line 7: field 'behavioral_data.time_spent'"),
])
def test_a_bad_row_names_line_and_field_and_nothing_is_written(closed, study_factory, tmp_path, breakage, message):
    twin = _twin(study_factory)
    lines = _potato_lines(closed)
    breakage(lines[6])
    assert message in _import_lines(twin, lines, tmp_path)
    assert not Slot.objects.filter(item__study=twin).exists() and counters_match(twin)


def test_the_same_rater_twice_on_a_pair_or_too_many_raters_is_refused(closed, study_factory, tmp_path):
    twin = _twin(study_factory)
    lines = _potato_lines(closed)
    assert "has judged example" in _import_lines(twin, lines + [lines[0]], tmp_path)
    extra = dict(lines[0], user_id="one-more-rater")
    sharing = [x for x in lines if x["id"] == lines[0]["id"] or (x["example"] == lines[0]["example"] and
               {x["system_A"], x["system_B"]} == {lines[0]["system_A"], lines[0]["system_B"]})]
    assert len(sharing) == twin.raters_per_item
    assert "more than the study's 2 raters" in _import_lines(twin, lines + [extra], tmp_path)
    assert not Judgment.objects.filter(slot__item__study=twin).exists()


def test_a_live_study_takes_no_import(closed, study_factory):
    live = study_factory(name="live2", n_systems=3, questions=GRADED)
    with pytest.raises(ImportRejected, match="live"):
        judgments_import(study=live, records=pair_judgments(closed))


def test_readers_reject_malformed_files():
    with pytest.raises(InterchangeError, match="line 2: not JSON"):
        interchange.from_potato('\n{oops\n')  # line numbers count blank lines
    with pytest.raises(InterchangeError, match="list of tasks"):
        interchange.from_label_studio('{"id": 1}')
    task = {"data": {"system1": "a", "system2": "b", "example": "e1"},
            "annotations": [{"completed_by": 3, "result": [{"type": "pairwise", "value": {"selected": "up"}}]}]}
    with pytest.raises(InterchangeError, match="task 1 annotation 1: field 'result.value.selected'"):
        interchange.from_label_studio(json.dumps([task]))


def test_a_plain_label_studio_export_reads_with_text1_on_the_left():
    """A file made in Label Studio itself: integer completed_by, no deft_left, a cancelled annotation."""
    task = {"id": 9, "data": {"prompt": "Fix grammar: he go", "text1": "he goes", "text2": "he go",
                              "system1": "sysA", "system2": "sysB", "example": "e1"},
            "annotations": [
                {"completed_by": 3, "lead_time": 4.5, "result": [{"from_name": "pw", "to_name": ["text1", "text2"],
                                                                  "type": "pairwise", "value": {"selected": "left"}}]},
                {"completed_by": 4, "was_cancelled": True, "result": []}]}
    (r,) = interchange.from_label_studio(json.dumps([task]))
    assert r == PairJudgment(example="e1", task="", prompt="Fix grammar: he go", rater="label-studio-user-3",
                             left_system="sysA", right_system="sysB", left_text="he goes", right_text="he go",
                             answer="left", seconds=4.5)
    assert r.preferred_system == "sysA"


def test_the_study_page_links_the_research_files(closed, client, researcher):
    client.force_login(researcher)
    page = client.get(f"/studies/{closed.name}/").content.decode()
    for fmt in interchange.FORMATS:
        assert f"?format={fmt}" in page
    r = client.get(f"/studies/{closed.name}/export/", {"format": "preference-pairs"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith('-preference-pairs.jsonl"')
    rows = [json.loads(x) for x in r.content.decode().splitlines()]
    assert rows and {"prompt", "chosen", "rejected"} <= set(rows[0])


def test_import_names_a_missing_study_or_file(closed, tmp_path):
    with pytest.raises(CommandError, match="No study 'nosuch'"):
        call_command("import_judgments", "nosuch", str(tmp_path / "x.jsonl"), "--format", "potato")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_judgments", closed.name, str(tmp_path / "x.jsonl"), "--format", "potato")
