"""A new study from a Potato or Label Studio file (services/interchange.study_import_create): the command, the API
and the upload page; export -> import as a new study -> the same judgments and the same results; bad input names
the row and the field, writes nothing and never gives a 500."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation import interchange, reports
from annotation.models import Item, Study
from annotation.selectors import pair_judgments
from annotation.services import simulate_raters, study_close
from annotation.services.interchange import ImportRejected, study_import_create
from annotation.services.tallies import counters_match
from selection.models import Dataset, Output, System

GRADED = {"pairwise": True, "accuracy": False, "likert": [], "error_flags": [], "comment": True, "graded": True}


@pytest.fixture
def closed(study_factory, researcher):
    study = study_factory(name="orig", n_systems=3, questions=GRADED, control_rate=0.2)
    simulate_raters(study=study, raters=3, seed=4, prefer={"zebrasys0": 0.8}, random_clickers=1)
    return study_close(study=study, user=researcher)


def _file(study, fmt: str) -> str:
    out = io.StringIO()
    call_command("export_study", study.name, "--format", fmt, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _keys(study) -> list[tuple]:
    return sorted(r.key() for r in pair_judgments(study))


def _results(study) -> dict:
    """What the report concludes on real pairs (win/tie/loss counts per system pair, Bradley-Terry)."""
    rep = reports.study_report(study, bootstrap=0, use_cache=False)
    s = rep["results"]["all_raters"]["all"]
    pairs = [(p["a"], p["b"], p["wins"]["count"], p["ties"]["count"], p["losses"]["count"]) for p in s["pairs"]]
    bt = {k: round(v, 9) for k, v in (s["bradley_terry"].get("strengths") or {}).items()}
    return {"pairs": pairs, "bt": bt, "n": s["n_judgments"],
            "competence": {r: round(c["competence"], 6) for r, c in rep["competence"]["raters"].items()}}


@pytest.mark.parametrize("fmt", ["potato", "label-studio"])
def test_export_then_import_as_a_new_study_gives_the_same_results(closed, researcher, tmp_path, fmt):
    path = tmp_path / f"study.{fmt}"
    path.write_text(_file(closed, fmt), encoding="utf-8")
    out = io.StringIO()
    call_command("import_judgments", "copy", str(path), "--format", fmt, "--new-study", "--owner",
                 researcher.username, stdout=out)
    copy = Study.objects.get(name="copy")
    assert "Study copy (closed) created" in out.getvalue() and "new dataset copy" in out.getvalue()
    assert copy.status == Study.Status.CLOSED and copy.owner == researcher and copy.questions["graded"]
    assert _keys(copy) == _keys(closed)
    assert counters_match(copy)
    # the same numbers: controls stay behind in the platform they were made on, every result is on real pairs
    assert _results(copy) == _results(closed) | {"competence": _results(copy)["competence"]}
    assert set(_results(copy)["competence"]) == {r for r in _results(closed)["competence"]}
    n_pairs = len({(k[0], *sorted(k[2:4])) for k in _keys(closed)})
    assert copy.items.filter(kind=Item.Kind.REAL).count() == n_pairs
    assert copy.raters_per_item == closed.raters_per_item
    # ...and it exports the same file again
    again = interchange.READERS[fmt](_file(copy, fmt))
    first = interchange.READERS[fmt](path.read_text(encoding="utf-8"))
    assert sorted((r.key(), r.prompt, r.left_text, r.right_text, r.task) for r in again) == \
        sorted((r.key(), r.prompt, r.left_text, r.right_text, r.task) for r in first)


def test_import_into_the_existing_dataset_reuses_its_examples_and_systems(closed, researcher):
    records = interchange.from_potato(_file(closed, "potato"))
    n_systems, n_outputs = System.objects.count(), Output.objects.count()
    done = study_import_create(name="again", records=records, dataset=closed.dataset, status="paused", user=researcher)
    assert done.dataset == closed.dataset and not done.new_dataset and done.new_systems == []
    assert (System.objects.count(), Output.objects.count()) == (n_systems, n_outputs)
    assert done.study.status == Study.Status.PAUSED and done.study.split == closed.split
    assert _keys(done.study) == _keys(closed)


def test_a_file_whose_texts_differ_from_the_dataset_system_is_refused(closed, researcher):
    from dataclasses import replace

    records = interchange.from_potato(_file(closed, "potato"))
    ex, system = records[3].example, records[3].left_system
    changed = [replace(r, left_text="something else") if (r.example, r.left_system) == (ex, system) else
               replace(r, right_text="something else") if (r.example, r.right_system) == (ex, system) else r
               for r in records]
    first = next(r.place for r in changed if r.example == ex and system in (r.left_system, r.right_system))
    with pytest.raises(ImportRejected, match=f"{first}: the text of system '{system}' on example '{ex}' differs from "
                                             "its stored output"):
        study_import_create(name="again", records=changed, dataset=closed.dataset)
    assert not Study.objects.filter(name="again").exists()


def _lines(closed) -> list[dict]:
    return [json.loads(x) for x in _file(closed, "potato").splitlines()]


def _write(tmp_path, lines: list[dict]) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("breakage, message", [
    (lambda ls: ls[6]["label_annotations"].update(preference={"C": "1"}), "line 7: field 'label_annotations.preference'"),
    (lambda ls: ls[6].update(system_A="no such system"), "line 7: left system 'no such system' must be a slug"),
    (lambda ls: ls[6].update(system_B=ls[6]["system_A"]), "line 7: left and right name the same system"),
    (lambda ls: ls[6].update(A="a different text", B="another"), "differs from line"),
    (lambda ls: ls[6].update(displayed_text="another prompt"), "field 'prompt' of example"),
    (lambda ls: ls.append(dict(ls[0])), "judged example"),
    (lambda ls: ls[6]["behavioral_data"].update(timestamp="yesterday"), "time 'yesterday'"),
])
def test_bad_rows_name_the_row_and_field_and_write_nothing(closed, tmp_path, breakage, message):
    lines = _lines(closed)
    breakage(lines)
    counts = (Dataset.objects.count(), System.objects.count(), Study.objects.count())
    with pytest.raises(CommandError) as exc:
        call_command("import_judgments", "broken", _write(tmp_path, lines), "--format", "potato", "--new-study",
                     stdout=io.StringIO())
    assert message in str(exc.value) and "Nothing was imported" in str(exc.value)
    assert (Dataset.objects.count(), System.objects.count(), Study.objects.count()) == counts


def test_names_and_options_are_checked(closed, tmp_path):
    path = _write(tmp_path, _lines(closed))
    for args, message in [(["orig"], "already exists"), (["Bad Name"], "must be a slug"),
                          (["x", "--dataset", "nosuch"], "No dataset 'nosuch'"),
                          (["x", "--dataset-name", closed.dataset.name], "already exists"),
                          (["x", "--owner", "nobody"], "No user 'nobody'")]:
        with pytest.raises(CommandError, match=message):
            call_command("import_judgments", args[0], path, "--format", "potato", "--new-study", *args[1:],
                         stdout=io.StringIO())
    with pytest.raises(CommandError, match="go with --new-study"):
        call_command("import_judgments", "orig", path, "--format", "potato", "--dataset", "x", stdout=io.StringIO())
    with pytest.raises(CommandError, match="add --new-study"):
        call_command("import_judgments", "nosuch", path, "--format", "potato", stdout=io.StringIO())
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    with pytest.raises(CommandError, match="no judgments"):
        call_command("import_judgments", "x", str(empty), "--format", "potato", "--new-study", stdout=io.StringIO())
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b'{"a": 1}\n{"b": "\xe7"}\n')
    with pytest.raises(CommandError, match="line 2: not UTF-8"):
        call_command("import_judgments", "x", str(latin), "--format", "potato", "--new-study", stdout=io.StringIO())


def test_api_creates_the_study_and_answers_400_on_bad_input(closed, client, researcher, annotator):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    client.force_login(researcher)
    body = _file(closed, "label-studio").encode()
    r = client.post("/api/studies/import/", {"name": "viaapi", "format": "label-studio",
                                             "file": SimpleUploadedFile("ls.json", body)})
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["study"]["name"] == "viaapi" and data["judgments"] == len(pair_judgments(closed))
    assert Study.objects.get(name="viaapi").owner == researcher
    bad = client.post("/api/studies/import/", {"name": "bad", "format": "label-studio",
                                               "file": SimpleUploadedFile("ls.json", b"[{]")})
    assert bad.status_code == 400 and "not JSON" in bad.json()["detail"]
    assert client.post("/api/studies/import/", {"name": "bad", "format": "potato"}).status_code == 400
    assert client.post("/api/studies/import/", {"name": "bad", "format": "csv",
                                                "file": SimpleUploadedFile("x", b"")}).status_code == 400
    other = Client()
    other.force_login(annotator)
    assert other.post("/api/studies/import/", {"name": "z", "format": "potato"}).status_code == 403
    assert not Study.objects.filter(name="bad").exists()


def test_upload_page(closed, client, researcher):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(researcher)
    assert "Import a study" in client.get("/studies/").content.decode()
    page = client.get("/studies/import/")
    assert page.status_code == 200 and 'type="file"' in page.content.decode()
    r = client.post("/studies/import/", {"name": "viapage", "format": "potato", "status": "closed", "split": "test",
                                         "file": SimpleUploadedFile("p.jsonl", _file(closed, "potato").encode())})
    assert r.status_code == 302 and r["Location"].endswith("/studies/viapage/")
    bad = _lines(closed)
    bad[2].pop("user_id")
    r = client.post("/studies/import/", {"name": "badpage", "format": "potato", "status": "closed", "split": "test",
                                         "file": SimpleUploadedFile("p.jsonl", "".join(json.dumps(x) + "\n" for x in bad).encode())})
    assert r.status_code == 200 and "line 3: field &#x27;user_id&#x27;" in r.content.decode()
    assert not Study.objects.filter(name="badpage").exists()
    r = client.post("/studies/import/", {"name": "nofile", "format": "potato", "status": "closed", "split": "test"})
    assert r.status_code == 200 and "This field is required" in r.content.decode()
