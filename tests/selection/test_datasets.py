"""Dataset import/export: every bad-input case names the line and field and leaves the database unchanged."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from selection.models import Dataset, Example
from selection.services.datasets import DatasetImportError, dataset_export, dataset_import
from tests.conftest import jsonl_bytes

GOOD = [
    {"_id": "a1", "task": "gec", "src": "Fix grammar: he go home .", "tgt": "He goes home."},
    {"_id": "a2", "task": "simplification", "src": "Simplify: It was utilized.", "tgt": ["It was used.", "They used it."]},
]


def do_import(payload: bytes, name: str = "d1", filename: str = "f.jsonl", **kwargs) -> Dataset:
    return dataset_import(stream=io.BytesIO(payload), name=name, filename=filename, **kwargs)


def assert_nothing_written() -> None:
    assert Dataset.objects.count() == 0
    assert Example.objects.count() == 0


@pytest.mark.django_db
def test_imports_coedit_jsonl_with_single_and_multiple_references():
    dataset = do_import(jsonl_bytes(GOOD))
    assert dataset.row_count == 2
    assert dataset.summary == {"tasks": {"gec": 1, "simplification": 1}, "splits": {"train": 2}}
    rows = {e.ext_id: e for e in dataset.examples.all()}
    assert rows["a1"].refs == ["He goes home."]
    assert rows["a2"].refs == ["It was used.", "They used it."]


@pytest.mark.django_db
def test_imports_multi_reference_eval_format_and_keeps_extra_fields():
    rows = [{"id": 7, "src": "A b.", "refs": ["A.", "B."], "dataset": "asset", "intent": "clarity"}]
    dataset = do_import(jsonl_bytes(rows), default_split="test")
    example = dataset.examples.get()
    assert (example.ext_id, example.task, example.split) == ("7", "asset", "test")
    assert example.extra == {"dataset": "asset", "intent": "clarity"}


@pytest.mark.django_db
def test_per_row_split_wins_over_default():
    rows = [dict(GOOD[0], split="validation"), GOOD[1]]
    dataset = do_import(jsonl_bytes(rows), default_split="test")
    assert dict(dataset.examples.values_list("ext_id", "split")) == {"a1": "validation", "a2": "test"}


@pytest.mark.django_db
def test_imports_csv_with_json_list_references():
    csv_text = '_id,task,src,tgt\nc1,gec,"Fix: a , b",A b.\nc2,clarity,"Clarify: x","[""X."", ""Ex.""]"\n'
    dataset = do_import(csv_text.encode(), filename="x.csv")
    assert dict(dataset.examples.values_list("ext_id", "refs")) == {"c1": ["A b."], "c2": ["X.", "Ex."]}


BAD_CASES = [
    ("empty file", b"", "the file is empty"),
    ("blank lines only", b"\n\n", "the file has no rows"),
    ("invalid JSON", jsonl_bytes(GOOD[:1]) + b'{"_id": "x", oops}\n', "line 2: invalid JSON"),
    ("not an object", b"[1, 2]\n", "line 1: expected a JSON object, got list"),
    ("missing src", jsonl_bytes([{"_id": "x", "task": "gec", "tgt": "y"}]), "line 1: field 'src': missing"),
    ("empty src", jsonl_bytes([{"_id": "x", "task": "gec", "src": "  ", "tgt": "y"}]), "line 1: field 'src': is empty"),
    ("missing id", jsonl_bytes([{"task": "gec", "src": "s", "tgt": "y"}]), "line 1: field '_id': missing"),
    ("empty id", jsonl_bytes([{"_id": "", "task": "gec", "src": "s", "tgt": "y"}]), "line 1: field '_id': is empty"),
    ("missing tgt", jsonl_bytes([{"_id": "x", "task": "gec", "src": "s"}]), "line 1: field 'tgt': missing"),
    ("missing task", jsonl_bytes([{"_id": "x", "src": "s", "tgt": "t"}]), "line 1: field 'task': missing"),
    ("wrong type src", jsonl_bytes([{"_id": "x", "task": "gec", "src": 5, "tgt": "y"}]), "field 'src': must be a string, got int"),
    ("wrong type tgt", jsonl_bytes([{"_id": "x", "task": "gec", "src": "s", "tgt": {"a": 1}}]), "field 'tgt': must be a string or a list of strings, got dict"),
    ("list with a number", jsonl_bytes([{"id": "x", "src": "s", "refs": ["a", 3]}]), "field 'refs': reference 1 must be a string, got int"),
    ("empty refs", jsonl_bytes([{"id": "x", "src": "s", "refs": []}]), "field 'refs': is an empty list"),
    ("duplicate ids", jsonl_bytes([GOOD[0], GOOD[1], GOOD[0]]), "line 3: field '_id': duplicate id 'a1' (first seen on line 1)"),
    ("unknown split", jsonl_bytes([dict(GOOD[0], split="holdout")]), "line 1: field 'split': unknown split 'holdout'"),
    ("non-UTF-8", jsonl_bytes(GOOD[:1]) + b'{"_id": "x", "task": "gec", "src": "caf\xe9", "tgt": "y"}\n', "line 2: is not valid UTF-8"),
    ("huge line", jsonl_bytes(GOOD[:1]) + b'{"_id": "x", "task": "gec", "src": "' + b"a" * (3 * 1024 * 1024) + b'", "tgt": "y"}\n', "line 2: is longer than the 1 MB limit"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("payload,expected", [c[1:] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_bad_jsonl_is_refused_with_line_and_field_and_nothing_written(payload, expected):
    with pytest.raises(DatasetImportError) as err:
        do_import(payload)
    assert expected in str(err.value)
    assert_nothing_written()


@pytest.mark.django_db
def test_csv_with_wrong_header_is_refused():
    with pytest.raises(DatasetImportError, match=r"line 1: wrong CSV header \['ident', 'text'\]"):
        do_import(b"ident,text\n1,a\n", filename="bad.csv")
    assert_nothing_written()


@pytest.mark.django_db
def test_csv_error_names_the_row():
    payload = b'_id,task,src,tgt\nc1,gec,Fix: a,A\nc2,gec,,B\n'
    with pytest.raises(DatasetImportError, match=r"line 3: field 'src': is empty"):
        do_import(payload, filename="bad.csv")
    assert_nothing_written()


@pytest.mark.django_db
def test_existing_name_is_refused_and_failed_import_leaves_name_free():
    with pytest.raises(DatasetImportError):
        do_import(jsonl_bytes(GOOD) + b"{bad\n", name="twice")
    assert not Dataset.objects.filter(name="twice").exists()
    do_import(jsonl_bytes(GOOD), name="twice")  # the name is free after a failed import
    with pytest.raises(DatasetImportError, match="a dataset named 'twice' already exists"):
        do_import(jsonl_bytes(GOOD), name="twice")
    assert Dataset.objects.count() == 1 and Example.objects.count() == 2


@pytest.mark.django_db
def test_command_exits_non_zero_with_the_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl_bytes(GOOD) + b'{"_id": "a1", "task": "gec", "src": "s", "tgt": "t"}\n')
    with pytest.raises(CommandError, match=r"bad.jsonl: line 3: field '_id': duplicate id 'a1'.*Nothing was imported"):
        call_command("import_dataset", str(bad), "--name", "cmd")
    assert_nothing_written()


@pytest.mark.django_db
def test_export_round_trips_through_import(tmp_path):
    rows = [dict(GOOD[0], split="test", dataset="jfleg"), GOOD[1]]
    original = do_import(jsonl_bytes(rows), name="orig")
    out = tmp_path / "out.jsonl"
    call_command("export_dataset", "orig", "--out", str(out))
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert exported[0] == {"_id": "a1", "task": "gec", "src": GOOD[0]["src"], "tgt": "He goes home.",
                           "split": "test", "dataset": "jfleg"}
    assert exported[1]["tgt"] == ["It was used.", "They used it."]
    again = do_import(out.read_bytes(), name="again")
    pairs = lambda d: sorted(d.examples.values_list("ext_id", "task", "src", "refs", "split", "extra"))  # noqa: E731
    assert pairs(again) == pairs(original)


@pytest.mark.django_db
def test_export_of_a_subset(tmp_path):
    dataset = do_import(jsonl_bytes(GOOD))
    keep = dataset.examples.filter(ext_id="a2").values_list("id", flat=True)
    assert dataset_export(dataset=dataset, path=tmp_path / "sub.jsonl", example_ids=keep) == 1
    assert json.loads((tmp_path / "sub.jsonl").read_text())["_id"] == "a2"


@pytest.mark.django_db
def test_upload_page_runs_a_background_import(researcher_client, settings, tmp_path):
    from deft_site.jobs.models import Job
    from deft_site.jobs.services import job_run

    settings.DEFT_DATA_DIR = tmp_path
    upload = io.BytesIO(jsonl_bytes(GOOD))
    upload.name = "mine.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("deft_site.jobs.services.job_enqueue", lambda job: job)
        response = researcher_client.post("/datasets/upload/", {"name": "uploaded", "file": upload, "split": "train"})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    job = job_run(job.pk)
    assert job.status == "succeeded", job.error
    assert Dataset.objects.get(name="uploaded").row_count == 2
    page = researcher_client.get(f"/jobs/{job.pk}/")
    assert b"/datasets/uploaded/" in page.content


@pytest.mark.django_db
def test_api_import_reports_line_and_field(researcher_client):
    upload = io.BytesIO(jsonl_bytes([GOOD[0], {"_id": "z", "task": "gec", "src": "s", "tgt": 1}]))
    upload.name = "bad.jsonl"
    response = researcher_client.post("/api/datasets/", {"name": "api-bad", "file": upload})
    assert response.status_code == 400
    assert response.json() == {"detail": "line 2: field 'tgt': must be a string or a list of strings, got int",
                               "line": 2, "field": "tgt"}
    assert_nothing_written()
    upload = io.BytesIO(jsonl_bytes(GOOD))
    upload.name = "ok.jsonl"
    response = researcher_client.post("/api/datasets/", {"name": "api-ok", "file": upload})
    assert response.status_code == 201 and response.json()["row_count"] == 2
    rows = researcher_client.get("/api/datasets/api-ok/examples/").json()["results"]
    assert [r["id"] for r in rows] == ["a1", "a2"]
    export = researcher_client.get("/api/datasets/api-ok/export/")
    assert b"".join(export.streaming_content).decode().count("\n") == 2


@pytest.mark.django_db
def test_command_names_the_true_column_of_a_json_error(tmp_path):
    """A line missing its closing brace: the column Python's own parser gives for that line, not "column 1"."""
    line = '{"_id": "z9", "task": "gec", "src": "Fix grammar: he go home", "tgt": "He goes home."'
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(line)
    bad = tmp_path / "brace.jsonl"
    bad.write_bytes(jsonl_bytes(GOOD) + line.encode() + b"\n")
    with pytest.raises(CommandError, match=rf"line 3: invalid JSON \(.* at column {parsed.value.colno}\)"):
        call_command("import_dataset", str(bad), "--name", "brace")
    assert parsed.value.colno > 80
    assert_nothing_written()
