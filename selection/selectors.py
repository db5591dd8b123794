"""Reads of the selection app: datasets, disk and cache use, run summaries, and selection runs (lists, the run
page's tables and pictures, drawn from the stored summary so the page renders without touching embeddings, and
the comparison of two runs)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils.safestring import mark_safe

from deft_site.jobs.models import Job
from selection import plots
from selection.models import Dataset, Embedding, Example, Output, SelectionRun, Split, System, TrainingRun
from selection.params import params_display


def dataset_by_name(name: str) -> Dataset | None:
    """The dataset called ``name``, or None."""
    return Dataset.objects.filter(name=name).first()


def datasets_with_systems() -> QuerySet[Dataset]:
    """Datasets that have at least one system (what the results page offers), by name."""
    return Dataset.objects.filter(systems__isnull=False).distinct().order_by("name")


def dataset_splits(dataset: Dataset) -> list[str]:
    return sorted(set(dataset.examples.values_list("split", flat=True).distinct()))


def dataset_default_split(dataset: Dataset, split: str | None) -> str:
    """``split`` when given, else "test" when the dataset has a test split, else "" (every example)."""
    if split is not None:
        return split
    return Split.TEST.value if dataset.examples.filter(split=Split.TEST).exists() else ""


def dataset_tasks(dataset: Dataset, split: str | None) -> set[str]:
    examples = dataset.examples.filter(split=split) if split else dataset.examples.all()
    return set(examples.values_list("task", flat=True).distinct())


def scoring_job_pending(dataset: Dataset, split: str, systems: list[str], by: str) -> Job | None:
    """The newest unfinished scoring job for exactly this report, if one is queued or running."""
    return (Job.objects.filter(kind="scoring", params__dataset=dataset.name, params__split=split,
                               params__systems=systems, params__by=by)
            .exclude(status__in=Job.FINISHED).order_by("-created_at").first())


def dataset_list() -> QuerySet[Dataset]:
    return Dataset.objects.select_related("parent", "created_by").order_by("-created_at")


def dataset_choices() -> QuerySet[Dataset]:
    """Every dataset by name (the forms' dataset menus; lazy, so a form class may hold it)."""
    return Dataset.objects.order_by("name")


def dataset_list_newest_first() -> QuerySet[Dataset]:
    """Every dataset, newest first (the API's list)."""
    return Dataset.objects.order_by("-created_at")


def dataset_names(limit: int = 20) -> list[str]:
    """Up to ``limit`` dataset names (what an error message lists as known)."""
    return list(Dataset.objects.values_list("name", flat=True)[:limit])


def dataset_or_404(name: str) -> Dataset:
    """The dataset called ``name``; Http404 when there is none."""
    return get_object_or_404(Dataset, name=name)


def dataset_examples(dataset: Dataset, filters: dict[str, str] | None = None, *,
                     ordered: bool = False) -> QuerySet[Example]:
    """The dataset's examples, narrowed by the non-empty ``filters`` among task and split; by id when ``ordered``."""
    examples = dataset.examples.order_by("id") if ordered else dataset.examples.all()
    for field in ("task", "split"):
        if (filters or {}).get(field):
            examples = examples.filter(**{field: filters[field]})
    return examples


def dataset_example_stream(dataset: Dataset) -> Iterator[Example]:
    """Every example of the dataset by id, fetched in chunks (the JSONL download)."""
    return dataset.examples.order_by("id").iterator(chunk_size=2000)


def dataset_split_example_ids(dataset: Dataset, split: str) -> QuerySet:
    """The ids of the dataset's examples in ``split`` (a lazy values list)."""
    return dataset.examples.filter(split=split).values_list("id", flat=True)


def dataset_systems(dataset: Dataset) -> QuerySet[System]:
    """The dataset's systems by name."""
    return dataset.systems.order_by("name")


# ---------------------------------------------------------------- systems


def system_list(dataset_name: str | None = None) -> QuerySet[System]:
    """Systems by dataset and name, with their dataset and training run; only ``dataset_name``'s when given."""
    systems = System.objects.select_related("dataset", "training_run").order_by("dataset__name", "name")
    return systems.filter(dataset__name=dataset_name) if dataset_name else systems


def system_or_404(pk: int) -> System:
    return get_object_or_404(System.objects.select_related("dataset", "training_run"), pk=pk)


def dataset_system_named(dataset: Dataset, name: str) -> System | None:
    """The dataset's system called ``name``, or None."""
    return System.objects.filter(dataset=dataset, name=name).first()


def system_outputs(system: System) -> QuerySet[Output]:
    """The system's outputs with their examples, in example order."""
    return system.outputs.select_related("example").order_by("example_id")


def system_output_count(system: System) -> int:
    return system.outputs.count()


# ---------------------------------------------------------------- training runs


def training_run_list() -> QuerySet[TrainingRun]:
    """Training runs, newest first, with dataset, job and the selection run they trained on."""
    return TrainingRun.objects.select_related("dataset", "job", "selection_run").order_by("-created_at")


def training_run_list_api() -> QuerySet[TrainingRun]:
    """Training runs, newest first, with dataset and job (what the API serializes)."""
    return TrainingRun.objects.select_related("dataset", "job").order_by("-created_at")


def training_run_named(name: str) -> TrainingRun | None:
    return TrainingRun.objects.filter(name=name).first()


def training_run_or_404(name: str, *, with_related: bool = False) -> TrainingRun:
    """The run called ``name`` (with its dataset and job when ``with_related``); Http404 when there is none."""
    runs = TrainingRun.objects.select_related("dataset", "job") if with_related else TrainingRun
    return get_object_or_404(runs, name=name)


def training_run_systems(run: TrainingRun) -> QuerySet[System]:
    return run.systems.select_related("dataset")


def disk_usage() -> dict[str, int]:
    """Bytes used under the data directory, per top-level folder (runs, embeddings, exports, ...)."""
    root = Path(settings.DEFT_DATA_DIR)
    usage: dict[str, int] = {}
    if not root.exists():
        return usage
    for child in sorted(root.iterdir()):
        files = [child] if child.is_file() else child.rglob("*")
        usage[child.name] = sum(f.stat().st_size for f in files if f.is_file())
    return usage


# ---------------------------------------------------------------- selection and training runs


def run_summaries(limit: int = 50) -> list[dict]:
    """Selection and training runs for the staff dashboard, newest first: name, url, kind, status, dataset,
    created_at."""
    rows = [
        {"name": run.name, "url": f"/selections/{run.name}/", "kind": "selection", "status": run.status,
         "dataset": run.dataset.name, "created_at": run.created_at}
        for run in SelectionRun.objects.select_related("dataset", "job").order_by("-created_at")[:limit]
    ]
    rows += [
        {"name": run.name, "url": f"/training/{run.name}/", "kind": "training",
         "status": run.status, "dataset": run.dataset.name,
         "created_at": run.created_at}
        for run in TrainingRun.objects.select_related("dataset", "job").order_by("-created_at")[:limit]
    ]
    return sorted(rows, key=lambda r: r["created_at"], reverse=True)[:limit]


def embedding_cache_stats() -> dict:
    """What the embedding cache holds (it lives in the database, so disk_usage does not see it):
    rows and bytes in all, and per embedder."""
    per = list(Embedding.objects.values("embedder").annotate(rows=Count("id"), dim_sum=Sum("dim"))
               .order_by("embedder"))
    embedders = {p["embedder"]: {"rows": p["rows"], "bytes": 4 * (p["dim_sum"] or 0)} for p in per}
    return {"rows": sum(e["rows"] for e in embedders.values()), "bytes": sum(e["bytes"] for e in embedders.values()),
            "embedders": embedders}


# ---------------------------------------------------------------- one selection run


def selection_run_list() -> QuerySet[SelectionRun]:
    return SelectionRun.objects.select_related("dataset", "job", "exported_dataset").order_by("-created_at")


def selection_run_list_completed() -> QuerySet[SelectionRun]:
    """The finished selection runs (those two can be compared), newest first."""
    return selection_run_list().filter(completed_at__isnull=False)


def selection_run_or_404(name: str, *, with_related: bool = False) -> SelectionRun:
    """The run called ``name`` (with dataset, job and exported dataset when ``with_related``); Http404 if none."""
    runs = (SelectionRun.objects.select_related("dataset", "job", "exported_dataset") if with_related
            else SelectionRun)
    return get_object_or_404(runs, name=name)


def selection_size_rows(summary: dict) -> list[dict[str, Any]]:
    """Rows of the sizes table: one per task, then the total, with the chosen share."""
    sizes = summary.get("sizes") or {}
    names = [t for t in sizes if t != "total"] + (["total"] if "total" in sizes else [])
    return [{"task": t, **sizes[t], "share": sizes[t]["chosen"] / sizes[t]["D"] if sizes[t]["D"] else 0.0}
            for t in names]


def selection_run_page(run: SelectionRun) -> dict[str, Any]:
    """Everything the run page shows beyond the run itself: sizes, diagnostics and SVG pictures."""
    summary = run.summary or {}
    tasks = summary.get("tasks") or []
    colours = plots.colour_map(tasks)
    context: dict[str, Any] = {"param_rows": params_display(run.params or {}),
                               "size_rows": selection_size_rows(summary), "diagnostics": summary.get("diagnostics"),
                               "clusters": summary.get("clusters") or [], "plots": {},
                               "warnings": summary.get("warnings") or [], "sources": summary.get("sources") or {}}
    clusters = summary.get("clusters") or []
    if clusters:
        context["plots"]["task_mix"] = mark_safe(plots.stacked_bars_svg(
            [f"c{c['id']}" for c in clusters], {t: [c["tasks"].get(t, 0) for c in clusters] for t in tasks},
            title="Task mix of each cluster", colours=colours,
            annotations=[f"n={c['size']}" for c in clusters],
        ))
        context["plots"]["histograms"] = [mark_safe(plots.histogram_svg(
            c["hist"]["edges"], c["hist"]["counts"], highlight=c["hist"].get("chosen"),
            title=f"cluster {c['id']} · n={c['size']} · chosen {c['chosen']}",
            lines=[(x, label, colour) for x, label, colour in ((c.get("easy_cut"), "easy ≤", plots.GOOD),
                                                                (c.get("hard_cut"), "hard ≥", plots.BAD))
                   if x is not None],
        )) for c in clusters if c.get("hist")]
    projection = summary.get("projection")
    if projection and projection.get("x"):
        context["plots"]["projection"] = mark_safe(plots.scatter_svg(
            projection["x"], projection["y"], projection["task"], marked=projection["chosen"], colours=colours,
            title=f"2-D projection ({projection.get('method', 'PCA')}, {len(projection['x'])} points)",
        ))
    return context


def selection_chosen_ids(run: SelectionRun) -> set[str]:
    return set(run.picks.filter(chosen=True).values_list("example__ext_id", flat=True))


def selection_runs_compare(a: SelectionRun, b: SelectionRun) -> dict[str, Any]:
    """Overlap of the chosen ids (count, Jaccard) and the task mix of each run's choice."""
    ids_a, ids_b = selection_chosen_ids(a), selection_chosen_ids(b)
    union = ids_a | ids_b
    both = ids_a & ids_b
    mix = {run.name: {row["task"]: row["chosen"] for row in selection_size_rows(run.summary) if row["task"] != "total"}
           for run in (a, b)}
    tasks = sorted(set(mix[a.name]) | set(mix[b.name]))
    stacks = {t: [mix[a.name].get(t, 0), mix[b.name].get(t, 0)] for t in tasks}
    return {
        "a": a, "b": b, "n_a": len(ids_a), "n_b": len(ids_b), "overlap": len(both),
        "only_a": len(ids_a - ids_b), "only_b": len(ids_b - ids_a),
        "jaccard": len(both) / len(union) if union else None,
        "tasks": [{"task": t, "a": stacks[t][0], "b": stacks[t][1]} for t in tasks],
        "task_mix_svg": mark_safe(plots.stacked_bars_svg(["A", "B"], stacks, title="Task mix of each choice",
                                                         colours=plots.colour_map(tasks),
                                                         annotations=[f"n={len(ids_a)}", f"n={len(ids_b)}"])),
    }
