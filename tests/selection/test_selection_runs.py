"""Selection runs end to end (CLI, API, pages) with the packaged MiniLM embedder on the 120-row demo data."""
from __future__ import annotations

import io
import json
import re
from xml.etree import ElementTree

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from deft_site.jobs.services import job_run
from selection.models import Dataset, Example, SelectionRun
from selection.services import embeddings as embedding_service
from selection.services.selection_runs import (
    SelectionError,
    selection_run_centroids,
    selection_run_create,
    selection_run_execute,
    selection_run_export,
)


@pytest.fixture(scope="session")
def minilm():
    from selection.core.embedders import get_embedder

    return get_embedder("minilm")


_VECTORS: dict[str, np.ndarray] = {}  # real MiniLM vectors, computed once per text per test session


class Counting:
    """Wraps the real embedder and counts the texts the platform asks it to embed. The database (and so the
    platform's cache) is fresh in every test; this memo only spares the slow CPU model from recomputing the
    same vectors for each test."""

    def __init__(self, inner) -> None:  # noqa: ANN001
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts, batch_size=32, progress=None):  # noqa: ANN001, ANN201
        self.texts += list(texts)
        new = [t for t in dict.fromkeys(texts) if t not in _VECTORS]
        if new:
            _VECTORS.update(zip(new, self.inner.embed(new, batch_size=batch_size)))
        return np.stack([_VECTORS[t] for t in texts])


@pytest.fixture
def counting(monkeypatch, minilm, settings, tmp_path):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    embedder = Counting(minilm)
    monkeypatch.setattr(embedding_service, "embedder_get", lambda spec: embedder)
    return embedder


def read_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_cli(*args: str) -> str:
    out = io.StringIO()
    call_command("select", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_cli_run_writes_consistent_picks_and_exports_the_chosen_rows(demo_dataset, counting, tmp_path):
    out_file = tmp_path / "picks.jsonl"
    printed = run_cli("--dataset", demo_dataset.name, "--name", "cli-run", "--clusters", "3", "--base-fraction",
                      "0.2", "--per-cluster", "5", "--alpha", "0.4", "--beta", "0.4", "--seed", "3",
                      "--out", str(out_file), "--export-dataset", "cli-core")
    run = SelectionRun.objects.get(name="cli-run")
    train = list(demo_dataset.examples.filter(split="train").order_by("id"))
    assert "total" in printed and "purity" in printed and "cli-core" in printed

    rows = read_jsonl(out_file.read_text())
    assert [r["id"] for r in rows] == [ex.ext_id for ex in train]  # one row per example of the split
    assert [r["task"] for r in rows] == [ex.task for ex in train]
    n_base = round(0.2 * len(train))
    base = [r for r in rows if r["reason"] == "base"]
    assert len(base) == n_base
    for r in rows:
        assert r["chosen"] == (r["reason"] is not None)
        assert (r["cluster"] is None) == (r["distance"] is None) == (r["reason"] == "base")
    clustered = [r for r in rows if r["reason"] != "base"]
    assert {r["cluster"] for r in clustered} == {0, 1, 2}
    for k in range(3):
        members = [r for r in clustered if r["cluster"] == k]
        reasons = sorted(r["reason"] for r in members if r["chosen"])
        if len(members) > 5:  # A=5, alpha=beta=0.4: round(2)=2 easy, 2 hard, 1 random
            assert reasons == ["easy", "easy", "hard", "hard", "random"]
            by_distance = sorted(members, key=lambda r: r["distance"])
            assert {r["reason"] for r in by_distance[:2]} == {"easy"}
            assert {r["reason"] for r in by_distance[-2:]} == {"hard"}
        else:
            assert reasons == ["whole_cluster"] * len(members)

    # Distances are cosine distances to the run's centroids, recomputed from the cached embeddings.
    centroids = selection_run_centroids(run)
    by_id = {ex.ext_id: ex for ex in train}
    texts = embedding_service.embedding_texts([by_id[r["id"]] for r in clustered], "src")
    X = embedding_service.embeddings_load(embedder_name=counting.name,
                                          hashes=[embedding_service.text_sha256(t) for t in texts])
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = centroids / np.linalg.norm(centroids, axis=1, keepdims=True)
    cos_dist = 1.0 - Xn @ C.T
    assigned = np.array([r["cluster"] for r in clustered])
    np.testing.assert_allclose(cos_dist[np.arange(len(clustered)), assigned], [r["distance"] for r in clustered],
                               atol=1e-4)
    assert np.all(assigned == cos_dist.argmin(axis=1))

    # The export holds exactly the chosen rows, with the same src and references.
    exported = Dataset.objects.get(name="cli-core")
    chosen_ids = {r["id"] for r in rows if r["chosen"]}
    assert exported.parent == demo_dataset and exported.row_count == len(chosen_ids)
    copies = {ex.ext_id: ex for ex in exported.examples.all()}
    assert set(copies) == chosen_ids
    for ext_id, copy in copies.items():
        assert (copy.src, copy.refs, copy.task) == (by_id[ext_id].src, by_id[ext_id].refs, by_id[ext_id].task)
    run.refresh_from_db()
    assert run.exported_dataset == exported
    assert run.summary["sizes"]["total"] == {"D": len(train), "D_base": n_base, "D_c": len(chosen_ids) - n_base,
                                             "chosen": len(chosen_ids)}


def test_a_second_run_with_other_parameters_embeds_nothing(demo_dataset, counting):
    run_cli("--dataset", demo_dataset.name, "--name", "first", "--base-fraction", "0")
    n_train = demo_dataset.examples.filter(split="train").count()
    assert len(counting.texts) == n_train and len(set(counting.texts)) == n_train
    counting.texts.clear()
    run_cli("--dataset", demo_dataset.name, "--name", "second", "--clusters", "4", "--per-cluster", "3",
            "--alpha", "0.5", "--beta", "0.5", "--base-fraction", "0.3", "--seed", "9")
    assert counting.texts == []
    assert SelectionRun.objects.get(name="second").summary["embedded"] == 0
    # Another embed_text mode is another text: embedded once more.
    run_cli("--dataset", demo_dataset.name, "--name", "third", "--embed-text", "input", "--base-fraction", "0")
    assert len(counting.texts) == n_train


def test_default_run_targets_a_third_of_the_data_and_baselines_match_its_size(demo_dataset, counting):
    run_cli("--dataset", demo_dataset.name, "--name", "ucs-default")
    run_cli("--dataset", demo_dataset.name, "--name", "rand", "--strategy", "random")
    run_cli("--dataset", demo_dataset.name, "--name", "strat", "--strategy", "stratified")
    n = demo_dataset.examples.filter(split="train").count()
    ucs = SelectionRun.objects.get(name="ucs-default")
    assert ucs.params["target_fraction"] == pytest.approx(1 / 3) and ucs.params["beta"] == 1.0
    assert ucs.embedder == "minilm" and ucs.summary["embedder_name"] == counting.name
    assert ucs.summary["sizes"]["total"]["chosen"] >= round(n / 3)
    assert ucs.summary["reasons"].get("hard", 0) > 0 and "easy" not in ucs.summary["reasons"]
    for name in ("rand", "strat"):
        run = SelectionRun.objects.get(name=name)
        assert run.summary["sizes"]["total"]["chosen"] == round(n / 3)
        assert set(run.summary["reasons"]) == {"random"} and run.embedder == ""
        assert run.picks.filter(cluster__isnull=False).count() == 0


@pytest.mark.parametrize("args, message", [
    (["--alpha", "0.7", "--beta", "0.6"], "alpha + beta must be <= 1"),
    (["--base-fraction", "1.5"], "base_fraction must be in [0, 1)"),
    (["--clusters", "0"], "n_clusters must be an integer >= 1"),
    (["--per-cluster", "0"], "per_cluster (A) must be an integer >= 1"),
    (["--target-fraction", "0"], "target_fraction must be in (0, 1]"),
    (["--split", "nope"], "split must be one of train, validation, test, got split='nope'"),
    (["--embedder", "minilm", "--embed-text", "tgt"], "embed_text must be one of src, input, input+target"),
])
def test_bad_parameters_give_clear_errors(demo_dataset, counting, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("+", r"\+")):
        run_cli("--dataset", demo_dataset.name, *args)
    assert counting.texts == []


def test_errors_found_only_while_running_fail_the_job_with_the_cores_message(demo_dataset, counting):
    with pytest.raises(CommandError, match="n_clusters=500 is larger than"):
        run_cli("--dataset", demo_dataset.name, "--name", "too-many", "--clusters", "500")
    assert SelectionRun.objects.get(name="too-many").status == "failed"
    with pytest.raises(CommandError, match="no dataset named 'missing'"):
        run_cli("--dataset", "missing")
    with pytest.raises(CommandError, match="already exists"):
        run_cli("--dataset", demo_dataset.name, "--name", "too-many")


def test_a_finished_run_is_immutable(demo_dataset, counting):
    run_cli("--dataset", demo_dataset.name, "--name", "done", "--clusters", "2")
    run = SelectionRun.objects.get(name="done")
    with pytest.raises(SelectionError, match="immutable"):
        selection_run_execute(run=run, report=None)
    selection_run_export(run=run)
    assert Dataset.objects.get(name="done-coreset").row_count == run.picks.filter(chosen=True).count()
    with pytest.raises(SelectionError, match="already exported"):
        selection_run_export(run=run, name="again")


def test_api_creates_runs_lists_them_and_serves_picks(client, researcher, demo_dataset, counting):
    client.force_login(researcher)
    bad = client.post("/api/selections/", {"dataset": demo_dataset.name, "alpha": 0.9, "beta": 0.9},
                      content_type="application/json")
    assert bad.status_code == 400 and "alpha + beta" in bad.json()["detail"]
    assert client.post("/api/selections/", {"dataset": "nope"}, content_type="application/json").status_code == 400

    made = client.post("/api/selections/", {"dataset": demo_dataset.name, "name": "api-run", "n_clusters": 3,
                                            "per_cluster": 4}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["status"] == "queued"
    run = SelectionRun.objects.get(name="api-run")
    assert job_run(run.job_id).status == "succeeded"

    listed = client.get("/api/selections/").json()
    items = listed["results"] if isinstance(listed, dict) else listed
    assert [r["name"] for r in items] == ["api-run"]
    detail = client.get("/api/selections/api-run/").json()
    assert detail["status"] == "succeeded" and detail["params"]["per_cluster"] == 4
    assert detail["summary"]["sizes"]["total"]["chosen"] == detail["sizes"]["total"]["chosen"]

    picks = client.get("/api/selections/api-run/picks/")
    rows = read_jsonl(b"".join(picks.streaming_content).decode())
    assert len(rows) == demo_dataset.examples.filter(split="train").count()
    assert sum(r["chosen"] for r in rows) == detail["sizes"]["total"]["chosen"]

    exported = client.post("/api/selections/api-run/export/", {"name": "api-core"}, content_type="application/json")
    assert exported.status_code == 201 and exported.json()["row_count"] == detail["sizes"]["total"]["chosen"]


def test_pages_show_the_run_its_pictures_and_the_comparison(client, researcher, demo_dataset, counting):
    client.force_login(researcher)
    form = client.get(f"/selections/new/?dataset={demo_dataset.name}").content.decode()
    assert f'<option value="{demo_dataset.name}" selected>' in form

    response = client.post("/selections/new/", {
        "dataset": demo_dataset.name, "name": "page-run", "strategy": "ucs", "split": "train", "base_fraction": 0.1,
        "n_clusters": 3, "target_fraction": 0.5, "alpha": 0, "beta": 1, "seed": 0, "embed_text": "src"})
    assert response.status_code == 302 and response["Location"] == "/selections/page-run/"
    run = SelectionRun.objects.get(name="page-run")
    assert client.get("/selections/page-run/").status_code == 200  # queued: progress bar
    job_run(run.job_id)

    page = client.get("/selections/page-run/").content.decode()
    for expected in ("Task mix of each cluster", "2-D projection", "cluster 0", "Purity", "NMI", "ARI",
                     "Download the chosen examples", "Download all rows with a chosen flag", "Export as dataset",
                     "because α = 0"):
        assert expected in page
    everything = [json.loads(line) for line in b"".join(client.get("/selections/page-run/picks.jsonl")).splitlines()]
    chosen = [json.loads(line) for line in b"".join(client.get("/selections/page-run/picks.jsonl?chosen=1")).splitlines()]
    assert len(everything) == run.picks.count() and {r["chosen"] for r in everything} == {True, False}
    assert chosen == [r for r in everything if r["chosen"]]
    assert "e.g. demo-ucs-975" in form and "Blank: --" not in form  # help text readable, nothing unescaped
    assert page.count("<svg") >= 2 + 3  # task mix, projection, one histogram per cluster
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ElementTree.fromstring(svg)  # well-formed, text escaped

    bad = client.post("/selections/new/", {"dataset": demo_dataset.name, "strategy": "ucs", "split": "train",
                                           "base_fraction": 0.1, "n_clusters": 3, "alpha": 0.8, "beta": 0.8,
                                           "seed": 0, "embed_text": "src"})
    assert bad.status_code == 200 and "alpha + beta must be &lt;= 1" in bad.content.decode()

    client.post("/selections/page-run/export/")
    page = client.get("/selections/page-run/").content.decode()
    assert "/training/new/?dataset=page-run-coreset" in page

    other = selection_run_create(dataset=demo_dataset, params={"strategy": "random", "target_fraction": 0.5},
                                 name="page-random")
    job_run(other.job_id)
    compared = client.get("/selections/compare/?a=page-run&b=page-random").content.decode()
    chosen = [set(SelectionRun.objects.get(name=n).picks.filter(chosen=True).values_list("example_id", flat=True))
              for n in ("page-run", "page-random")]
    jaccard = len(chosen[0] & chosen[1]) / len(chosen[0] | chosen[1])
    assert f"{jaccard:.3f}" in compared and "Task mix of each choice" in compared
    assert "page-run" in client.get("/selections/").content.decode()


def test_annotators_are_refused_everywhere(annotator_client, demo_dataset):
    run = selection_run_create(dataset=demo_dataset, params={"strategy": "random"}, name="secret")
    for url in ("/selections/", "/selections/new/", f"/selections/{run.name}/", "/selections/compare/",
                f"/selections/{run.name}/picks.jsonl", "/api/selections/", f"/api/selections/{run.name}/",
                f"/api/selections/{run.name}/picks/"):
        assert annotator_client.get(url).status_code == 403, url
    assert annotator_client.post("/api/selections/", {"dataset": demo_dataset.name}).status_code == 403
    assert annotator_client.post(f"/selections/{run.name}/export/").status_code == 403
    assert not Example.objects.filter(dataset__origin="selection").exists()


def test_cli_semdedup_run_drops_only_near_duplicates_inside_clusters(demo_dataset, settings, tmp_path):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    out_file = tmp_path / "semdedup.jsonl"
    eps = 0.6
    run_cli("--dataset", demo_dataset.name, "--name", "dedup", "--strategy", "semdedup", "--embedder", "tfidf",
            "--clusters", "3", "--base-fraction", "0.1", "--eps", str(eps), "--seed", "1", "--out", str(out_file))
    run = SelectionRun.objects.get(name="dedup")
    train = list(demo_dataset.examples.filter(split="train").order_by("id"))
    rows = read_jsonl(out_file.read_text())
    assert [r["id"] for r in rows] == [ex.ext_id for ex in train]
    assert run.params["eps"] == eps and run.params["target_fraction"] is None and run.embedder == "tfidf"
    assert sum(r["reason"] == "base" for r in rows) == round(0.1 * len(train))
    for r in rows:
        assert r["chosen"] == (r["reason"] in ("base", "kept")) and r["reason"] in ("base", "kept", None)
        assert (r["cluster"] is None) == (r["reason"] == "base")
    removed = [r for r in rows if not r["chosen"]]
    assert 0 < len(removed) == run.summary["duplicates_removed"]
    assert run.summary["sizes"]["total"]["chosen"] == len(rows) - len(removed)

    # Recompute the vectors (tfidf is fitted on the texts it embeds, so it is not cached; same texts, same
    # vectors): kept members of a cluster are no duplicates of each other, and each dropped member duplicates a
    # member of its cluster nearer the centroid.
    from selection.core.embedders import get_embedder

    clustered = [r for r in rows if r["reason"] != "base"]
    by_id = {ex.ext_id: ex for ex in train}
    X = get_embedder("tfidf").embed(embedding_service.embedding_texts([by_id[r["id"]] for r in clustered], "src"))
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = Xn @ Xn.T
    cluster = np.array([r["cluster"] for r in clustered])
    distance = np.array([r["distance"] for r in clustered])
    kept = np.array([r["chosen"] for r in clustered])
    for k in set(cluster.tolist()):
        members = np.flatnonzero((cluster == k) & kept)
        block = S[np.ix_(members, members)] - 2 * np.eye(len(members))
        assert block.max(initial=-1) <= 1 - eps + 1e-5
    for j in np.flatnonzero(~kept):
        peers = np.flatnonzero((cluster == cluster[j]) & (distance <= distance[j]) & (np.arange(len(kept)) != j))
        assert S[j, peers].max() > 1 - eps - 1e-5

    with pytest.raises(CommandError, match=r"eps must be in \(0, 1\)"):
        run_cli("--dataset", demo_dataset.name, "--strategy", "semdedup", "--embedder", "tfidf", "--eps", "1.5")
    with pytest.raises(CommandError, match="per_cluster does not apply"):
        run_cli("--dataset", demo_dataset.name, "--strategy", "semdedup", "--embedder", "tfidf", "--per-cluster", "3")


def test_cli_progress_reads_true_and_chosen_only_writes_the_chosen_rows(demo_dataset, counting, tmp_path, capsys):
    """What a person reads on the terminal: every stage ends where the next message starts (no "0/N saving"
    left before "saved"), the embedding count agrees with the cache message, no line is printed twice; and
    `--out --chosen-only` writes only the chosen rows, `--out` alone every row with its flag."""
    everything, chosen = tmp_path / "all.jsonl", tmp_path / "chosen.jsonl"
    printed = run_cli("--dataset", demo_dataset.name, "--name", "cli-a", "--clusters", "3", "--out", str(everything))
    first = capsys.readouterr().err
    run_cli("--dataset", demo_dataset.name, "--name", "cli-b", "--clusters", "3", "--out", str(chosen), "--chosen-only")
    second = capsys.readouterr().err
    n_train = demo_dataset.examples.filter(split="train").count()
    all_rows, chosen_rows = read_jsonl(everything.read_text()), read_jsonl(chosen.read_text())
    assert len(all_rows) == n_train and {r["chosen"] for r in all_rows} == {True, False}
    assert chosen_rows and all(r["chosen"] for r in chosen_rows)
    assert [r["id"] for r in chosen_rows] == [r["id"] for r in all_rows if r["chosen"]]
    assert f"Wrote {n_train} rows (every example of the split, with a chosen flag)" in printed
    for err, embedded_here in ((first, True), (second, False)):
        lines = [seg.strip() for seg in err.replace("\r", "\n").splitlines() if seg.strip()]
        saved = next(i for i, line in enumerate(lines) if line.startswith("saved a pick row"))
        assert f"100.0% {n_train}/{n_train} saving picks" in lines[saved - 1]
        cache = next(line for line in lines if line.startswith(("embedded ", "all ")))
        assert cache.startswith("embedded ") if embedded_here else cache.endswith("came from the embedding cache")
        assert "embedded 0 new" not in err
        messages = [line for line in lines if "[" not in line]
        assert len(messages) == len(set(messages)), messages  # no message twice
