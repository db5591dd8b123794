"""Training runs: create one (validated settings, a run directory, a background job) and run it.

The fine-tuning itself is ``selection.core.training.train``; this module turns a dataset's split into its
``{"id", "src", "tgt"}`` rows, wires the job's progress and cancellation to the trainer, and records the
outcome. A failed or cancelled run's job can be retried: the trainer resumes from the last checkpoint in the
same run directory. A run may carry ``then_generate`` so that, when training succeeds, a generation job is
queued for the trained model (the demo pipeline uses this).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from deft_site.jobs.errors import JobCancelled
from deft_site.jobs.models import Job
from deft_site.jobs.services import job_create, job_enqueue
from selection.core.training import TrainingCancelled, TrainingConfig, read_loss_log
from selection.models import Dataset, TrainingRun
from selection.services.systems import system_copy_baseline, system_generate_submit


class TrainingRunError(ValueError):
    """A training run that cannot be created as asked (bad name, settings or data); says which."""


def training_config_build(config: dict[str, Any] | None = None) -> TrainingConfig:
    """A validated ``TrainingConfig``: ``settings.DEFT_BASE_MODEL`` unless ``config`` names a base model."""
    values = dict(config or {})
    values.setdefault("base_model", getattr(settings, "DEFT_BASE_MODEL", "tiny-t5"))
    if values.get("max_steps") is not None:
        values.setdefault("epochs", None)
    try:
        return TrainingConfig.from_dict(values).validate()
    except (TypeError, ValueError) as exc:
        raise TrainingRunError(f"bad training settings: {exc}") from None


def training_examples(dataset: Dataset, split: str | None = "train") -> list[dict[str, str]]:
    """The rows a run trains on: one per example of ``split`` (None: all), target = first reference."""
    examples = dataset.examples.order_by("id")
    if split:
        examples = examples.filter(split=split)
    return [{"id": ex.ext_id, "src": ex.src, "tgt": ex.refs[0], "task": ex.task}
            for ex in examples.iterator(chunk_size=2000)]


def training_run_create(
    *,
    name: str,
    dataset: Dataset,
    config: dict[str, Any] | None = None,
    user: Any = None,
    selection_run: Any = None,
    split: str = "train",
    then_generate: dict[str, Any] | None = None,
    enqueue: bool = True,
    queue: str | None = None,
) -> TrainingRun:
    """Create a run and its "training" job; with ``enqueue`` the job goes to the worker on commit.

    ``then_generate`` = ``{"dataset": NAME, "split": "test", "system": NAME, "num_beams": 1, "batch_size": 32}``
    queues a generation job for the trained model when training succeeds. ``queue`` overrides where the job
    goes (default ``settings.DEFT_TRAINING_QUEUE``; "gpu" reaches only workers that opt into it).
    Raises ``TrainingRunError``.
    """
    if not name or slugify(name) != name:
        raise TrainingRunError(f"run name {name!r} must be a slug, e.g. {slugify(name) or 'run-1'!r}")
    if TrainingRun.objects.filter(name=name).exists():
        raise TrainingRunError(f"a training run named {name!r} already exists; pick another name")
    cfg = training_config_build(config)
    n_rows = dataset.examples.filter(split=split).count() if split else dataset.row_count
    if n_rows == 0:
        raise TrainingRunError(f"dataset {dataset.name!r} has no examples in split {split!r} to train on")
    if then_generate:
        _check_then_generate(then_generate)
    run_dir = Path(settings.DEFT_RUNS_DIR) / name
    with transaction.atomic():
        job = job_create(kind="training", title=f"Train {name} on {dataset.name}", user=user, queue=queue,
                         params={"run": name, "then_generate": then_generate or None})
        run = TrainingRun.objects.create(
            name=name, dataset=dataset, split=split or "", selection_run=selection_run, config=cfg.to_dict(),
            run_dir=str(run_dir), job=job, created_by=job.created_by,
        )
        if enqueue:
            job_enqueue(job)
    return run


def _check_then_generate(spec: dict[str, Any]) -> None:
    missing = [k for k in ("dataset", "split", "system") if not spec.get(k)]
    if missing:
        raise TrainingRunError(f"then_generate lacks {', '.join(missing)}")
    dataset = Dataset.objects.filter(name=spec["dataset"]).first()
    if dataset is None:
        raise TrainingRunError(f"then_generate: no dataset named {spec['dataset']!r}")
    if not dataset.examples.filter(split=spec["split"]).exists():
        have = ", ".join(sorted(set(dataset.examples.values_list("split", flat=True)))) or "none"
        raise TrainingRunError(f"dataset {dataset.name!r} has no {spec['split']!r} split to generate on "
                               f"(it has: {have})")


def training_run_execute(*, run: TrainingRun, report: Any) -> dict[str, Any]:
    """Train (or resume from its last checkpoint) ``run`` under a job reporter; returns the job's result.

    Raises JobCancelled (a checkpoint was saved first). The run's state is its job's; this writes only the
    metrics and the finish time.
    """
    cfg = TrainingConfig.from_dict(run.config)
    rows = training_examples(run.dataset, run.split or None)
    cancelled = {"flag": False}

    def progress(step: int, total: int, loss: float) -> None:
        try:
            report.progress(step, total, f"step {step}/{total} · loss {loss:.4f}")
        except JobCancelled:  # let the trainer save a checkpoint first; it then raises TrainingCancelled
            cancelled["flag"] = True

    def should_stop() -> bool:
        return cancelled["flag"] or report.should_stop()

    report.log(f"training {run.name}: {len(rows)} examples of {run.dataset.name}"
               f" ({run.split or 'all splits'}), base model {cfg.base_model}")
    try:
        result = _train(cfg, rows, run.run_dir, progress, should_stop)
    except TrainingCancelled as exc:
        raise JobCancelled(str(exc)) from None
    metrics = {"steps": result.steps, "total_steps": result.total_steps, "epochs": result.epochs,
               "final_loss": result.final_loss, "train_seconds": result.train_seconds, "device": result.device,
               "precision": result.precision, "num_parameters": result.num_parameters,
               "resumed_from_step": result.resumed_from_step, "n_train": len(rows)}
    TrainingRun.objects.filter(pk=run.pk).update(metrics=metrics, finished_at=timezone.now())
    report.log(f"done: {result.steps} steps, final loss {result.final_loss}")
    return {"run": run.name, "final_dir": result.final_dir, **metrics}


def _train(cfg, rows, run_dir, progress, should_stop):  # noqa: ANN001, ANN202 - a seam for the core call
    from selection.core.training import train

    return train(cfg, rows, run_dir, progress=progress, should_stop=should_stop)


def training_manifest(run: TrainingRun) -> dict[str, Any]:
    """The run directory's manifest.json ({} before training starts)."""
    import json

    path = Path(run.run_dir) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def training_loss_log(run: TrainingRun) -> list[dict[str, float]]:
    return read_loss_log(run.run_dir) if run.run_dir else []


def run_training_job(job: Job, report: Any) -> dict[str, Any]:
    run = TrainingRun.objects.select_related("dataset").get(name=job.params["run"])
    if run.job_id != job.pk:  # a retried job is the same row; anything else is a mix-up
        TrainingRun.objects.filter(pk=run.pk).update(job=job)
    result = training_run_execute(run=run, report=report)
    spec = job.params.get("then_generate")
    if spec:
        gen = system_generate_submit(
            name=spec["system"], dataset=Dataset.objects.get(name=spec["dataset"]), split=spec["split"],
            training_run=run, num_beams=int(spec.get("num_beams", 1)), batch_size=int(spec.get("batch_size", 32)),
            user=job.created_by,
        )
        report.log(f"queued generation job #{gen.pk} for system {spec['system']!r}")
        result["generation_job"] = gen.pk
    return result


def demo_pipeline_enqueue(
    *, dataset: Dataset, selection_dataset: Dataset | None = None, config: dict[str, Any] | None = None,
    user: Any = None, split: str = "test", prefix: str = "demo",
) -> list[TrainingRun]:
    """Queue the demo's systems: the copy baseline now, and tiny models trained in the background on the
    full data (``<prefix>-full``) and on a selection's export (``<prefix>-ucs``), each generating outputs for
    ``dataset``'s ``split`` when it finishes (systems named like the runs). Idempotent: runs that already
    exist are returned as they are, so ``make run`` may call it every time.
    """
    system_copy_baseline(dataset=dataset, split=split)
    plan = [(f"{prefix}-full", dataset)] + ([(f"{prefix}-ucs", selection_dataset)] if selection_dataset else [])
    runs = []
    for name, train_on in plan:
        existing = TrainingRun.objects.filter(name=name).first()
        if existing is not None:
            runs.append(existing)
            continue
        runs.append(training_run_create(
            name=name, dataset=train_on, config=config, user=user, split="train",
            then_generate={"dataset": dataset.name, "split": split, "system": name},
        ))
    return runs
