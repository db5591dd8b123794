"""Selection runs: validate parameters, run a strategy as a job (base split, embedding, clustering, picking,
saving), and export the result as a dataset or as a JSONL of picks.

A run is immutable once its picks are saved (`completed_at` set): `selection_run_execute` refuses to run it
again, and there is no update service. The pure work lives in `selection.core` (ucs, embedders,
diagnostics); this module moves rows in and out of the database and reports progress.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import IO, Any, Iterator

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from deft_site.jobs.services import job_create, job_enqueue
from selection import params as selection_params
from selection.core import baselines as core_baselines
from selection.core import embedders as core_embedders
from selection.core import semdedup as core_semdedup
from selection.core import ucs as core_ucs
from selection.models import Dataset, Example, SelectionPick, SelectionRun
from selection.services import embeddings as embedding_service
from selection.services.datasets import DatasetImportError, dataset_create_from_examples, dataset_name_validate

STRATEGIES = selection_params.STRATEGIES
EMBEDDING_STRATEGIES = selection_params.EMBEDDING_STRATEGIES
DEFAULTS: dict[str, Any] = {p.name: p.default for p in selection_params.PARAMS}
DEFAULT_TARGET_FRACTION = selection_params.DEFAULT_TARGET_FRACTION
PROJECTION_POINTS = 3000
HISTOGRAM_BINS = 20
PICK_BATCH = 5000
STARVED_RATIO = 0.5  # warn when a task's share of the selection is below half its share of the pool


class SelectionError(ValueError):
    """Bad parameters or a run that cannot go ahead; `field` names the parameter when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------- parameters


def selection_params_normalise(raw: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults, coerce types and check every parameter (`selection.params.SelectionParams.parse`, the one
    validation the form, the API, the CLI and the core share); the result is what the run records."""
    try:
        return selection_params.SelectionParams.parse(raw, default_embedder=settings.DEFT_EMBEDDER).as_dict()
    except selection_params.SelectionParamsError as exc:
        raise SelectionError(str(exc), exc.field) from None


# ---------------------------------------------------------------- create / submit


def selection_run_name_default(dataset: Dataset, strategy: str) -> str:
    base = slugify(f"{dataset.name}-{strategy}")[:90]
    n = 1
    while SelectionRun.objects.filter(name=f"{base}-{n}").exists():
        n += 1
    return f"{base}-{n}"


def selection_run_create(*, dataset: Dataset, params: dict[str, Any], name: str | None = None,
                         user: Any = None) -> SelectionRun:
    """Validate and record a run with its (queued, not yet enqueued) job; `selection_run_submit` enqueues it."""
    params = selection_params_normalise(params)
    if not dataset.examples.filter(split=params["split"]).exists():
        raise SelectionError(f"dataset {dataset.name!r} has no rows in split {params['split']!r}", "split")
    name = name or selection_run_name_default(dataset, params["strategy"])
    if slugify(name) != name:
        raise SelectionError(f"run name {name!r} must be a slug (letters, digits, '-' and '_')", "name")
    if SelectionRun.objects.filter(name=name).exists():
        raise SelectionError(f"a selection run named {name!r} already exists; pick another name", "name")
    uses_embedder = params["strategy"] in EMBEDDING_STRATEGIES
    with transaction.atomic():
        job = job_create(kind="selection", title=f"Selection {name}", params={"run": name}, user=user)
        return SelectionRun.objects.create(
            name=name, dataset=dataset, strategy=params["strategy"], params=params, seed=params["seed"],
            embedder=params["embedder"] if uses_embedder else "", embed_text=params["embed_text"], job=job,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )


def selection_run_submit(*, dataset: Dataset, params: dict[str, Any], name: str | None = None,
                         user: Any = None) -> SelectionRun:
    """Create a run and hand its job to the worker (the web and API path)."""
    with transaction.atomic():
        run = selection_run_create(dataset=dataset, params=params, name=name, user=user)
        job_enqueue(run.job)
    return run


# ---------------------------------------------------------------- the work


def run_selection_job(job, report) -> dict:  # noqa: ANN001
    run = SelectionRun.objects.select_related("dataset").get(name=job.params["run"])
    return selection_run_execute(run=run, report=report)


def selection_run_execute(*, run: SelectionRun, report: Any) -> dict:
    """Do the run: base split, embedding (cached), clustering, picking, saving. Returns a short result."""
    from selection.core import diagnostics as core_diagnostics  # scikit-learn: loaded when a run needs it
    if run.completed_at:
        raise SelectionError(f"selection run {run.name!r} is finished; its result is immutable")
    params = run.params
    examples = list(run.dataset.examples.filter(split=params["split"]).order_by("id")
                    .only("id", "ext_id", "task", "src", "refs"))
    tasks = np.array([ex.task for ex in examples])
    sources = np.array([core_embedders.text_for_embedding(ex.src, None, "input") for ex in examples], dtype=object)
    report.log(f"{len(examples)} examples in split {params['split']!r} of {run.dataset.name}")
    report.progress(0, None, "base split")
    selector = _selector(params, n=len(examples))
    X_remain, n_embedded = None, 0
    if params["strategy"] in EMBEDDING_STRATEGIES:
        _, remain = selector.split_base(tasks)
        X_remain, n_embedded = _embed([examples[i] for i in remain], params, report)
        cached = len(remain) - n_embedded
        report.log(f"all {len(remain)} texts to cluster came from the embedding cache" if not n_embedded else
                   f"embedded {n_embedded} new texts" + (f"; {cached} came from the cache" if cached > 0 else ""))
        report.progress(0, None, "clustering")
        grouping = {"groups": sources} if params.get("group_by_source") else {}
        selector.fit(X_remain, tasks, remain_indices=remain, **grouping)
    else:
        report.progress(0, None, "picking")
        selector.fit(None, tasks)
    report.progress(0, None, "picking")
    instructions = np.array([core_diagnostics.instruction_of(ex.src) for ex in examples], dtype=object)
    summary = _summary(params, tasks, selector, X_remain, n_embedded, sources=sources, instructions=instructions)
    for warning in summary["warnings"]:
        report.log(f"warning: {warning}")
    if X_remain is not None:
        summary["embedder_name"] = embedding_service.embedder_get(params["embedder"]).name
    report.progress(0, len(examples), "saving picks")
    if X_remain is not None:
        _save_centroids(run, selector.cluster_centers_)
    _save(run, examples, selector, summary, report)
    chosen = summary["sizes"]["total"]["chosen"]
    report.log(f"saved a pick row for each of the {len(examples)} examples: {chosen} chosen (D_base ∪ D_c)")
    return {"run": run.name, "chosen": chosen, "rows": len(examples), "embedded": n_embedded,
            "url": f"/selections/{run.name}/"}


def _selector(params: dict[str, Any], n: int | None = None) -> Any:
    """The core estimator for the parameters. Baselines get the size a UCS run with them would aim at."""
    if params["strategy"] == "semdedup":
        return core_semdedup.SemDeDupSelector(
            base_fraction=params["base_fraction"], n_clusters=params["n_clusters"], eps=params["eps"],
            random_state=params["seed"],
        )
    ucs = core_ucs.UCSSelector(
        base_fraction=params["base_fraction"], n_clusters=params["n_clusters"], per_cluster=params["per_cluster"],
        target_fraction=params["target_fraction"], alpha=params["alpha"], beta=params["beta"],
        random_state=params["seed"],
    )
    if params["strategy"] == "ucs" or n is None:
        return ucs
    baseline = core_baselines.RandomSelector if params["strategy"] == "random" else core_baselines.StratifiedRandomSelector
    if params["target_fraction"] is not None:
        return baseline(fraction=params["target_fraction"], random_state=params["seed"])
    size = core_ucs.round_half_up(params["base_fraction"] * n) + params["n_clusters"] * params["per_cluster"]
    return baseline(size=min(size, n), random_state=params["seed"])


def _summary(params: dict, tasks: np.ndarray, selector: Any, X_remain: np.ndarray | None, n_embedded: int, *,
             sources: np.ndarray, instructions: np.ndarray) -> dict:
    """What the run page shows, computed once: sizes per task, warnings for starved tasks, how many distinct
    source sentences were chosen, and for UCS / SemDeDup the cluster diagnostics (agreement with the task and
    with the instruction phrasing, purity beside its majority-class baseline), a 2-D projection (subsampled)
    and per-cluster distance histograms with their cut-offs."""
    from selection.core import diagnostics as core_diagnostics  # scikit-learn: loaded when a run needs it
    reasons = selector.reason_
    names = sorted(set(tasks.tolist()))
    sizes: dict[str, dict[str, int]] = {}
    for task in names + ["total"]:
        mask = np.ones(len(tasks), bool) if task == "total" else tasks == task
        base = int(np.sum(mask & (reasons == "base")))
        chosen = int(np.sum(mask & selector.chosen_mask_))
        sizes[task] = {"D": int(mask.sum()), "D_base": base, "D_c": chosen - base, "chosen": chosen}
    starved = core_diagnostics.starved_tasks(tasks, selector.chosen_mask_, ratio=STARVED_RATIO)
    summary: dict[str, Any] = {
        "tasks": names, "sizes": sizes, "embedded": n_embedded,
        "reasons": dict(Counter(r for r in reasons.tolist() if r)),
        "starved": starved, "warnings": [_starved_message(row) for row in starved],
        "sources": core_diagnostics.source_spread(sources, selector.chosen_mask_),
    }
    if X_remain is None:
        return summary
    remain = selector.remain_indices_
    labels = selector.labels_
    remain_tasks = tasks[remain]
    report = core_diagnostics.cluster_report(labels, remain_tasks)
    if hasattr(selector, "per_cluster_"):
        summary["per_cluster"] = int(selector.per_cluster_)
    if hasattr(selector, "n_removed_"):
        summary["duplicates_removed"] = int(selector.n_removed_)
    by_task = core_diagnostics.agreement(labels, remain_tasks)
    summary["diagnostics"] = {**by_task, "instruction": core_diagnostics.agreement(labels, instructions[remain])}
    distances = selector.distance_[remain]
    chosen_remain = selector.chosen_mask_[remain]
    histograms = core_diagnostics.distance_histograms(
        labels, distances, easy_cutoff=getattr(selector, "easy_cutoff_", None),
        hard_cutoff=getattr(selector, "hard_cutoff_", None),
        bins=HISTOGRAM_BINS)
    clusters = []
    for row, hist in zip(report["counts"], histograms):
        k = hist["cluster"]
        member = labels == k
        chosen_counts, _ = np.histogram(distances[member & chosen_remain], bins=hist["bin_edges"])
        mix = {t: int(c) for t, c in zip(report["tasks"], row) if c}
        clusters.append({
            "id": k, "size": hist["size"], "chosen": int(np.sum(member & chosen_remain)), "tasks": mix,
            "majority": max(mix, key=mix.get) if mix else None,
            "purity": max(mix.values()) / hist["size"] if hist["size"] else None,
            "easy_cut": hist["easy_cutoff"], "hard_cut": hist["hard_cutoff"],
            "hist": {"edges": hist["bin_edges"], "counts": hist["counts"], "chosen": chosen_counts.tolist()},
        })
    summary["clusters"] = clusters
    idx, coords = core_diagnostics.project_2d(X_remain, max_points=PROJECTION_POINTS, random_state=params["seed"])
    summary["projection"] = {
        "method": "PCA", "x": np.round(coords[:, 0], 4).tolist(), "y": np.round(coords[:, 1], 4).tolist(),
        "task": remain_tasks[idx].tolist(), "chosen": chosen_remain[idx].tolist(),
    }
    return summary


def _starved_message(row: dict) -> str:
    return (f"task {row['task']!r} is starved: {row['chosen_share']:.1%} of the selection against "
            f"{row['pool_share']:.1%} of the pool ({row['chosen']} of {row['pool']} rows chosen). A larger "
            "base_fraction (D_base is stratified by task), more clusters or the 'stratified' baseline keep its share.")


def _embed(examples: list[Example], params: dict, report: Any) -> tuple[np.ndarray, int]:
    embedder = embedding_service.embedder_get(params["embedder"])
    report.log(f"embedder {params['embedder']!r} is {embedder.name}")
    texts = embedding_service.embedding_texts(examples, params["embed_text"])
    return embedding_service.embeddings_for_texts(
        embedder=embedder, texts=texts, batch_size=params["batch_size"],
        progress=lambda done, total: report.progress(done, total, "texts embedded (cached ones count as done)"),
    )


def selection_run_dir(run: SelectionRun) -> Path:
    """Files of a run that do not belong in its summary (e.g. K × d centroids), under DEFT_DATA_DIR."""
    return Path(settings.DEFT_DATA_DIR) / "selections" / run.name


def selection_run_centroids(run: SelectionRun) -> np.ndarray | None:
    """The cluster centres (K × d, unit rows for cosine) a UCS run assigned against; None for baselines."""
    path = selection_run_dir(run) / "centroids.npy"
    return np.load(path) if path.exists() else None


def _save_centroids(run: SelectionRun, centers: np.ndarray) -> None:
    folder = selection_run_dir(run)
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / "centroids.part.npy"  # written aside, then renamed: never read half-written
    np.save(part, np.asarray(centers, dtype=np.float32))
    part.replace(folder / "centroids.npy")


def _save(run: SelectionRun, examples: list[Example], selector: Any, summary: dict, report: Any) -> None:
    """Write every pick and the summary in one transaction; completed_at marks the run immutable."""
    cluster = getattr(selector, "cluster_", None)
    distance = getattr(selector, "distance_", None)
    with transaction.atomic():
        locked = SelectionRun.objects.select_for_update().get(pk=run.pk)
        if locked.completed_at:
            raise SelectionError(f"selection run {run.name!r} is finished; its result is immutable")
        SelectionPick.objects.filter(run=run).delete()  # leftovers of an interrupted attempt
        batch: list[SelectionPick] = []
        for i, ex in enumerate(examples):
            k = int(cluster[i]) if cluster is not None else -1
            d = float(distance[i]) if distance is not None else float("nan")
            batch.append(SelectionPick(
                run=run, example_id=ex.pk, chosen=bool(selector.chosen_mask_[i]), reason=selector.reason_[i] or "",
                cluster=k if k >= 0 else None, distance=d if np.isfinite(d) else None,
            ))
            if len(batch) >= PICK_BATCH:
                SelectionPick.objects.bulk_create(batch)
                batch.clear()
                report.progress(i + 1, len(examples), "saving picks")
        SelectionPick.objects.bulk_create(batch)
        report.progress(len(examples), len(examples), "saving picks")
        SelectionRun.objects.filter(pk=run.pk).update(summary=summary, completed_at=timezone.now())
    run.refresh_from_db()


# ---------------------------------------------------------------- export


def selection_run_export(*, run: SelectionRun, name: str | None = None, user: Any = None) -> Dataset:
    """The chosen examples (D_base ∪ D_c) as a new dataset in CoEDIT format, e.g. "<run>-coreset"."""
    if not run.completed_at:
        raise SelectionError(f"selection run {run.name!r} has not finished; nothing to export yet")
    if run.exported_dataset_id:
        raise SelectionError(f"selection run {run.name!r} was already exported as {run.exported_dataset.name!r}")
    name = name or f"{run.name}-coreset"[:100]
    try:
        dataset_name_validate(name)
    except DatasetImportError as exc:
        raise SelectionError(str(exc), "name") from None
    chosen = Example.objects.filter(pk__in=run.picks.filter(chosen=True).values("example_id")).order_by("id")
    with transaction.atomic():
        dataset = dataset_create_from_examples(
            name=name, parent=run.dataset, examples=chosen.iterator(chunk_size=2000), user=user,
            description=f"D_base ∪ D_c of selection run {run.name} ({run.strategy}).",
        )
        SelectionRun.objects.filter(pk=run.pk).update(exported_dataset=dataset)
    run.refresh_from_db()
    return dataset


def selection_pick_records(run: SelectionRun, chosen_only: bool = False) -> Iterator[dict[str, Any]]:
    """One record per example of the run's split, chosen or not: id, task, cluster, distance, chosen, reason
    (``chosen_only``: the chosen ones, D_base ∪ D_c, only)."""
    picks = run.picks.filter(chosen=True) if chosen_only else run.picks
    rows = picks.order_by("example_id").values_list(
        "example__ext_id", "example__task", "cluster", "distance", "chosen", "reason")
    for ext_id, task, cluster, distance, chosen, reason in rows.iterator(chunk_size=5000):
        yield {"id": ext_id, "task": task, "cluster": cluster, "distance": distance, "chosen": chosen,
               "reason": reason or None}


def selection_picks_write_jsonl(*, run: SelectionRun, out: IO[str], chosen_only: bool = False) -> int:
    count = 0
    for record in selection_pick_records(run, chosen_only=chosen_only):
        out.write(json.dumps(record) + "\n")
        count += 1
    return count
