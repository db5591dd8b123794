"""Systems: importing outputs (all or nothing, errors naming the line), the copy baseline, pages and API."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from selection.core.text import strip_instruction
from selection.models import Output, System
from selection.services.systems import OutputImportError, SystemCreateError, system_copy_baseline, system_import


def _test_examples(dataset):
    return list(dataset.examples.filter(split="test").order_by("id"))


def _jsonl(rows) -> io.BytesIO:
    return io.BytesIO("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows).encode())


def _good_rows(dataset):
    return [{"id": ex.ext_id, "output": f"out {i}"} for i, ex in enumerate(_test_examples(dataset))]


def test_import_links_each_output_to_its_example(demo_dataset):
    rows = _good_rows(demo_dataset)[::-1]  # order does not matter
    system = system_import(stream=_jsonl(rows), filename="o.jsonl", dataset=demo_dataset, name="mine", split="test")
    assert system.kind == System.Kind.IMPORTED and system.params["split"] == "test"
    stored = {o.example.ext_id: o.text for o in system.outputs.select_related("example")}
    assert stored == {r["id"]: r["output"] for r in rows}


def test_import_csv(demo_dataset):
    lines = ["id,output"] + [f'{r["id"]},"{r["output"]}, with a comma"' for r in _good_rows(demo_dataset)]
    system = system_import(stream=io.BytesIO("\n".join(lines).encode()), filename="o.csv", dataset=demo_dataset,
                           name="csv-sys", split="test")
    assert system.outputs.count() == len(lines) - 1
    assert system.outputs.first().text.endswith(", with a comma")


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: rows + [{"id": "no-such-id", "output": "x"}], "line 13: id 'no-such-id' matches no example"),
    (lambda rows: rows[:-1], "1 example(s) of 'demo-small' split 'test' have no output"),
    (lambda rows: rows + [dict(rows[0])], "line 13: id '%s' appears twice (first on line 1)"),
    (lambda rows: rows[:2] + ['{"id": "x", "output": '] + rows[2:], "line 3: not valid JSON"),
    (lambda rows: rows[:1] + [{"id": rows[1]["id"]}] + rows[2:], "line 2: missing `output`"),
])
def test_import_errors_store_nothing(demo_dataset, mutate, message):
    rows = _good_rows(demo_dataset)
    message = message.replace("%s", rows[0]["id"])
    with pytest.raises(OutputImportError) as err:
        system_import(stream=_jsonl(mutate(rows)), filename="o.jsonl", dataset=demo_dataset, name="bad", split="test")
    assert message in str(err.value)
    assert not System.objects.exists() and not Output.objects.exists()


def test_import_refuses_an_example_of_another_split(demo_dataset):
    train_id = demo_dataset.examples.filter(split="train").first().ext_id
    rows = _good_rows(demo_dataset) + [{"id": train_id, "output": "x"}]
    with pytest.raises(OutputImportError, match=f"line 13: id '{train_id}' is an example of split 'train', not 'test'"):
        system_import(stream=_jsonl(rows), filename="o.jsonl", dataset=demo_dataset, name="bad", split="test")


def test_import_without_split_needs_every_example(demo_dataset):
    with pytest.raises(OutputImportError, match="108 example"):
        system_import(stream=_jsonl(_good_rows(demo_dataset)), filename="o.jsonl", dataset=demo_dataset, name="x")


def test_import_command(demo_dataset, tmp_path):
    path = tmp_path / "outs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _good_rows(demo_dataset)[1:]))
    with pytest.raises(CommandError, match="have no output.*Nothing was stored"):
        call_command("import_outputs", str(path), "--dataset", demo_dataset.name, "--system", "cli", "--split", "test")
    assert not System.objects.exists()
    path.write_text("".join(json.dumps(r) + "\n" for r in _good_rows(demo_dataset)))
    call_command("import_outputs", str(path), "--dataset", demo_dataset.name, "--system", "cli", "--split", "test")
    assert System.objects.get(name="cli").outputs.count() == 12
    with pytest.raises(CommandError, match="already has a system named 'cli'"):
        call_command("import_outputs", str(path), "--dataset", demo_dataset.name, "--system", "cli", "--split", "test")


def test_copy_baseline_is_the_input_without_instruction(demo_dataset):
    system = system_copy_baseline(dataset=demo_dataset, split="test")
    assert system.kind == System.Kind.BUILTIN
    for out in system.outputs.select_related("example"):
        assert out.text == strip_instruction(out.example.src)
        assert out.text != out.example.src and out.example.src.endswith(out.text)
    again = system_copy_baseline(dataset=demo_dataset, split="validation")
    assert again.pk == system.pk and system.outputs.count() == 24
    system_import(stream=_jsonl(_good_rows(demo_dataset)), filename="o.jsonl", dataset=demo_dataset, name="imp",
                  split="test")
    with pytest.raises(SystemCreateError, match="non-built-in"):
        system_copy_baseline(dataset=demo_dataset, split="test", name="imp")


def test_pages(researcher_client, demo_dataset):
    upload = io.BytesIO("".join(json.dumps(r) + "\n" for r in _good_rows(demo_dataset)[1:]).encode())
    upload.name = "outs.jsonl"
    page = researcher_client.post("/systems/import/", {"dataset": demo_dataset.name, "name": "web", "split": "test",
                                                       "file": upload})
    assert page.status_code == 200 and "have no output" in page.content.decode() and not System.objects.exists()
    upload = io.BytesIO("".join(json.dumps(r) + "\n" for r in _good_rows(demo_dataset)).encode())
    upload.name = "outs.jsonl"
    response = researcher_client.post("/systems/import/", {"dataset": demo_dataset.name, "name": "web",
                                                           "split": "test", "file": upload})
    system = System.objects.get(name="web")
    assert response.status_code == 302 and response["Location"] == f"/systems/{system.pk}/"
    detail = researcher_client.get(f"/systems/{system.pk}/").content.decode()
    example = _test_examples(demo_dataset)[0]
    assert example.refs[0] in detail and "out 0" in detail
    listing = researcher_client.get("/systems/").content.decode()
    assert "web" in listing and demo_dataset.name in listing
    response = researcher_client.post("/systems/copy-baseline/", {"dataset": demo_dataset.name, "split": "test"})
    assert response.status_code == 302 and System.objects.filter(name="copy").exists()


def test_api(researcher_client, demo_dataset):
    upload = io.BytesIO("".join(json.dumps(r) + "\n" for r in _good_rows(demo_dataset) * 2).encode())
    upload.name = "outs.jsonl"
    bad = researcher_client.post("/api/systems/import/", {"dataset": demo_dataset.name, "name": "api",
                                                          "split": "test", "file": upload})
    assert bad.status_code == 400 and bad.json()["line"] == 13 and bad.json()["field"] == "id"
    base = researcher_client.post("/api/systems/copy-baseline/", {"dataset": demo_dataset.name, "split": "test"},
                                  content_type="application/json")
    assert base.status_code == 201 and base.json()["n_outputs"] == 12
    outputs = researcher_client.get(f"/api/systems/{base.json()['id']}/outputs/").json()
    rows = outputs["results"] if isinstance(outputs, dict) else outputs
    assert {r["id"] for r in rows} == {ex.ext_id for ex in _test_examples(demo_dataset)}
    assert researcher_client.get(f"/api/systems/?dataset={demo_dataset.name}").status_code == 200
