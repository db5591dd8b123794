"""Bad input never gives a 500: each case below is a clear 4xx that names the row or field, and writes nothing."""
from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from selection.models import Dataset, Output, SelectionRun, System, TrainingRun
from tests.conftest import jsonl_bytes

pytestmark = pytest.mark.django_db

ROW = {"_id": "r1", "task": "gec", "src": "Fix grammar: He go home.", "tgt": "He goes home."}


# ------------------------------------------------------------------ an annotator's error_flags


@pytest.fixture
def rater_slot(client):
    from annotation.services import slot_next, study_create
    from tests.annotation.conftest import make_study_data

    ds, systems = make_study_data(n_examples=4, n_systems=2)
    study = study_create(name="flags", dataset=ds, systems=systems, n_examples=4, raters_per_item=1,
                         control_rate=0.0, questions={"error_flags": ["grammar", "meaning"]}, launch=True)
    user = User.objects.create_user("flagger")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client.force_login(user)
    return slot_next(study=study, user=user)


@pytest.mark.parametrize("flags", [{"left": 5}, {"left": [[1]]}, {"left": [{"a": 1}]}, {"middle": ["grammar"]},
                                   {"right": "grammar"}])
def test_malformed_error_flags_are_a_400_naming_the_field(client, rater_slot, flags):
    resp = client.post(f"/api/work/slots/{rater_slot.token}/judgment/",
                       {"idempotency_key": "k1", "preference": "left", "accurate_left": True, "accurate_right": True,
                        "error_flags": flags}, content_type="application/json")
    assert resp.status_code == 400, resp.content
    assert "error_flags" in resp.json()["detail"]
    from annotation.models import Judgment

    assert not Judgment.objects.filter(slot=rater_slot).exists()


def test_well_formed_error_flags_are_stored(client, rater_slot):
    resp = client.post(f"/api/work/slots/{rater_slot.token}/judgment/",
                       {"idempotency_key": "k1", "preference": "left", "accurate_left": True, "accurate_right": True,
                        "error_flags": {"left": ["grammar", "unknown"], "right": []}}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    from annotation.models import Judgment

    assert Judgment.objects.get(slot=rater_slot).error_flags == {"left": ["grammar"], "right": []}


# ------------------------------------------------------------------ dataset files


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


BAD_FILES = {
    "nul-jsonl": ("bad.jsonl", jsonl_bytes([ROW, {**ROW, "_id": "r2", "src": "Fix grammar: a\u0000b"}]), 2, "src"),
    "nul-extra-jsonl": ("bad.jsonl", jsonl_bytes([{**ROW, "note": {"k": ["x\u0000"]}}]), 1, "note"),
    "nul-csv": ("bad.csv", b"_id,task,src,tgt\nr1,gec,He go\x00 home.,He goes home.\n", 2, "src"),
    "long-csv-field": ("bad.csv", b"_id,task,src,tgt\nr1,gec,\"" + b"x" * 140_000 + b"\",He goes home.\n", 2, None),
    "deep-json": ("bad.jsonl", (json.dumps(ROW)[:-1] + ', "extra": ' + _deep(5000) + "}\n").encode(), 1, None),
    "deep-json-parses": ("bad.jsonl", (json.dumps(ROW)[:-1] + ', "extra": ' + _deep(200) + "}\n").encode(), 1,
                         "extra"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_dataset_files_are_a_400_naming_row_and_field(researcher_client, case):
    filename, payload, line, field = BAD_FILES[case]
    resp = researcher_client.post("/api/datasets/", {"name": "bad", "split": "train",
                                                     "file": SimpleUploadedFile(filename, payload)})
    assert resp.status_code == 400, (case, resp.status_code, resp.content[:300])
    body = resp.json()
    assert body["line"] == line and f"line {line}" in body["detail"], body
    if field:
        assert body["field"] == field, body
    assert not Dataset.objects.filter(name="bad").exists()


def test_bad_system_output_files_are_a_400(researcher_client, demo_dataset):
    ext = demo_dataset.examples.first().ext_id
    cases = {"nul.jsonl": jsonl_bytes([{"id": ext, "output": "a\u0000b"}]),
             "nul.csv": f"id,output\n{ext},a\x00b\n".encode(),
             "long.csv": f"id,output\n{ext},\"".encode() + b"x" * 140_000 + b"\"\n",
             "deep.jsonl": ('{"id": "%s", "output": %s}\n' % (ext, _deep(5000))).encode()}
    for filename, payload in cases.items():
        resp = researcher_client.post("/api/systems/import/", {"name": "bad-sys", "dataset": demo_dataset.name,
                                                               "file": SimpleUploadedFile(filename, payload)})
        assert resp.status_code == 400, (filename, resp.status_code, resp.content[:300])
        assert "line" in resp.json()["detail"], resp.json()
    assert not System.objects.filter(name="bad-sys").exists() and not Output.objects.exists()


# ------------------------------------------------------------------ format suffixes


def test_format_suffix_on_api_actions_is_never_a_500(researcher_client, demo_dataset):
    system = System.objects.create(name="sys", dataset=demo_dataset, kind="imported")
    SelectionRun.objects.create(name="sel", dataset=demo_dataset)
    TrainingRun.objects.create(name="run", dataset=demo_dataset)
    ds = demo_dataset.name
    expect = {f"/api/datasets/{ds}/examples.json": 200, f"/api/systems/{system.pk}/outputs.json": 200,
              "/api/training-runs/run/loss.json": 200, f"/api/datasets/{ds}/export.json": 404,
              "/api/selections/sel/picks.json": 404, "/api/training-runs/nope/loss.json": 404}
    for url, code in expect.items():
        resp = researcher_client.get(url)
        assert resp.status_code == code, (url, resp.status_code)
        if code == 404 and "nope" not in url:
            assert "JSON Lines only" in resp.json()["detail"]
    assert researcher_client.get(f"/api/datasets/{ds}/examples.json").json()["count"] == demo_dataset.row_count
    for url in ("/api/jobs/1/cancel.json", "/api/jobs/1/retry.json", "/api/selections/sel/export.json",
                "/api/training-runs/run/generate.json", "/api/systems/import.json", "/api/systems/copy-baseline.json"):
        assert researcher_client.post(url, {}, content_type="application/json").status_code < 500, url


# ------------------------------------------------------------------ upload size limit


@pytest.fixture
def no_disk_writes(monkeypatch):
    """Fails the test if Django starts spooling an upload to a temporary file."""
    from django.core.files import uploadhandler

    created = []
    original = uploadhandler.TemporaryFileUploadHandler.new_file

    def spy(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        created.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(uploadhandler.TemporaryFileUploadHandler, "new_file", spy)
    return created


@override_settings(DEFT_UPLOAD_MAX_BYTES=1024 * 1024)
def test_uploads_over_the_limit_are_refused_before_touching_disk(researcher_client, no_disk_writes, settings):
    big = jsonl_bytes([{**ROW, "_id": f"r{i}", "src": "Fix grammar: " + "word " * 60} for i in range(12_000)])
    assert len(big) > 3 * 1024 * 1024  # over FILE_UPLOAD_MAX_MEMORY_SIZE: Django would spool it to disk
    api = researcher_client.post("/api/datasets/", {"name": "big", "split": "train",
                                                    "file": SimpleUploadedFile("big.jsonl", big)})
    assert api.status_code == 413
    assert "limit is 1 MB" in api.json()["detail"] and "DEFT_UPLOAD_MAX_MB" in api.json()["detail"]
    page = researcher_client.post("/datasets/upload/", {"name": "big", "split": "train",
                                                        "file": SimpleUploadedFile("big.jsonl", big)})
    assert page.status_code == 413 and b"limit is 1 MB" in page.content
    assert no_disk_writes == []
    uploads = settings.DEFT_DATA_DIR / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert not Dataset.objects.filter(name="big").exists()
    small = researcher_client.post("/api/datasets/", {"name": "small", "split": "train",
                                                      "file": SimpleUploadedFile("s.jsonl", jsonl_bytes([ROW]))})
    assert small.status_code == 201


def test_upload_handler_stops_a_body_longer_than_declared(settings):
    from deft_site.uploads import UploadLimitHandler, UploadTooLarge

    settings.DEFT_UPLOAD_MAX_BYTES = 10
    handler = UploadLimitHandler()
    handler.handle_raw_input(io.BytesIO(), {}, 5, b"x")
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(b"123456", 5)


def test_deeply_nested_json_body_is_a_400(researcher_client):
    resp = researcher_client.post("/api/studies/", _deep(100_000), content_type="application/json")
    assert resp.status_code == 400


def test_huge_pagination_numbers_are_clamped_not_a_500(researcher_client, demo_dataset):
    """Found by the schema fuzz test: a limit or offset past the database's integers was a 500."""
    url = f"/api/datasets/{demo_dataset.name}/examples/"
    resp = researcher_client.get(url, {"limit": 10**30, "offset": 10**30})
    assert resp.status_code == 200 and resp.json()["results"] == []
    assert len(researcher_client.get(url, {"limit": 10**30}).json()["results"]) == demo_dataset.row_count


# ------------------------------------------------------------------ a body of any JSON type, on every API route


BODIES = ["[1]", "null", '"text"', "1", "true", '{"reason": [1], "name": {"a": 1}}']


def _api_writes():
    """(url name, HTTP methods other than GET) of every API route, from the URL configuration."""
    from django.urls import get_resolver

    from tests.test_access_matrix import _routes
    from tests.urlwalk import walk

    callbacks = {name: cb for _, cb, name in walk(get_resolver())}
    for route, name in _routes():
        if not route.startswith("api/") or "format" in route:
            continue
        cb = callbacks[name]
        actions = getattr(cb, "actions", None)
        methods = set(actions) if actions else {m for m in ("post", "put", "patch", "delete")
                                                 if hasattr(cb.view_class, m)}
        for method in sorted(methods - {"get", "head", "options"}):
            yield name, method


def test_every_api_write_survives_a_body_of_any_json_type(world):
    """An array, null, a string, a number or an object of the wrong shapes where an object is expected is never a
    5xx on any API route that takes a body (a skip or flag with a JSON array body was a 500; a route that reads
    no body may answer 2xx). Generated from the URL
    configuration, run as a visitor the route lets through; each request's writes are rolled back."""
    from django.urls import reverse

    from tests.test_access_matrix import RULES, _clients, _request

    clients = _clients(world)
    writes = list(_api_writes())
    assert len(writes) >= 15
    wrong = []
    for name, method in writes:
        rule = RULES[name]
        role = "annotator" if "annotator" in rule.allowed else "admin"
        url = reverse(name, kwargs=rule.kwargs(world))
        for body in BODIES:
            client = clients[role]
            resp = _request(client, method, url, None, world,
                            data=body, content_type="application/json")
            if resp.status_code >= 500:
                wrong.append(f"{method.upper()} {url} as {role} with {body}: {resp.status_code}")
    assert not wrong, "\n".join(wrong)


@pytest.fixture
def world(db):
    from tests.test_access_matrix import build_world

    return build_world()
