"""DEFT's experiment in one call: a grid of selections, each trained, generated and scored by the platform.

Every cell goes through the platform's own services and jobs, run here and now (``job_run``), so each
selection run, exported core-set, training run, system and score report shows up in the UI like one made by
hand. Cells are named from a hash of everything they depend on, so a second call with the same inputs finds
the finished work and skips it (a cell stopped half-way resumes: its jobs are re-run, training from its last
checkpoint).

The grid (``reproduction_grid``): UCS at each target fraction with hard (alpha=0, beta=1), easy (alpha=1,
beta=0) and random (alpha=beta=0) in-cluster sampling and two D_base sizes; random and per-task stratified
subsets of the same sizes; the full data; the copy baseline. D_base sizes are given as a share of the
target fraction (``base_ratios``): a 10 % core-set cannot sit on a 20 % D_base.

A time budget is planned before anything runs: with a per-example training cost (measured on the first cell
trained, a prior until then) the planner keeps the grid whole and lowers the epochs (down to ``min_epochs``);
when even that does not fit it cuts cells from the end of the priority order, and says so. The same check runs
before each cell with the costs measured so far.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from deft_site.jobs.models import Job
from deft_site.jobs.services import job_requeue, job_run
from selection.core import tagger as core_tagger
from selection.core.benchmarks import coedit_eval_rows, headline_metric
from selection.core.sampling import stratified_sample
from selection.models import Dataset, SelectionRun, System, TrainingRun
from selection.services.datasets import dataset_import
from selection.services.scoring import ALL, score_report_create
from selection.services.selection_runs import selection_run_create, selection_run_export
from selection.services.systems import system_copy_baseline, system_generate_submit
from selection.services.training import training_run_create

logger = logging.getLogger(__name__)

FRACTIONS = (0.10, 0.325, 0.50)
BASE_RATIOS = (0.25, 0.75)
SAMPLINGS = {"hard": (0.0, 1.0), "easy": (1.0, 0.0), "random": (0.0, 0.0)}
CSV_COLUMNS = ("run", "strategy", "fraction", "base_fraction", "alpha", "beta", "embedder", "eval_set", "metric",
               "value", "low", "high")
# Priors (CPU seconds on this 2-core machine, one torch thread) until the first cell is measured.
PRIOR_TRAIN_S_PER_EXAMPLE = 0.02  # the top-two-layer tagger: ~0.6 s per batch of 32 on a contended core
PRIOR_CELL_OVERHEAD_S = 40.0
PRIOR_SELECTION_S = 15.0
PRIOR_SCORE_S = 8.0  # its score report at the end (two systems, bootstrap intervals and the paired test)
PREFERRED_MIN_EPOCHS = 2.0  # the planner cuts rows before it goes below this
MIN_PLANNED_ROWS = 2000


class ReproductionError(ValueError):
    """Inputs the experiment cannot run on (unreadable files, no test rows); says which."""


@dataclass(frozen=True)
class Cell:
    """One run of the grid. ``fraction`` is the share of the training data it trains on."""

    run: str
    strategy: str
    fraction: float
    base_fraction: float | None = None
    alpha: float | None = None
    beta: float | None = None
    sampling: str = ""
    embedder: str = ""

    @property
    def trains(self) -> bool:
        return self.strategy != "copy"

    @property
    def selects(self) -> bool:
        return self.strategy in ("ucs", "random", "stratified")


def reproduction_grid(*, fractions: Sequence[float] = FRACTIONS, base_ratios: Sequence[float] = BASE_RATIOS,
                      samplings: Sequence[str] = tuple(SAMPLINGS), embedder: str = "minilm",
                      second_embedder: str | None = None, second_samplings: Sequence[str] = ("hard",),
                      baselines: bool = True) -> list[Cell]:
    """The cells in run order (a budget cuts from the end): copy, then the fractions from the cheapest up, with
    the full-data model after the first (so the paired tests against it exist early, and a cut run loses the
    dearest cells first). Within a fraction, the cells the paper's claims need come first: UCS-hard on the small
    D_base (then the same on the ``second_embedder``: do embeddings whose clusters follow the tasks matter?), the
    random and stratified subsets of the same size, UCS-random on the small D_base (hard vs random in-cluster
    sampling), UCS-hard and UCS-random on the large D_base (does the winner flip with D_base?), then the easy
    variants. ``second_embedder`` cells run the ``second_samplings`` only."""
    cells = [Cell("copy", "copy", 0.0)]
    rank = {"hard": 0, "random": 1, "easy": 2}
    second = second_embedder if second_embedder and second_embedder != embedder else None
    for i, frac in enumerate(sorted(fractions)):
        tag = _pct(frac)
        ucs = []
        for r_i, ratio in enumerate(base_ratios):
            base = round(frac * ratio, 4)
            for emb_i, (emb, names) in enumerate(((embedder, samplings), (second, second_samplings))):
                if emb is None:
                    continue
                infix = f"-{emb.split(':')[0]}" if emb_i else ""
                for name in names:
                    alpha, beta = SAMPLINGS[name]
                    # easy last, then by D_base, hard first, the second embedder right after its twin
                    key = (rank.get(name, 3) >= 2, r_i, rank.get(name, 3), emb_i)
                    ucs.append((key, Cell(f"ucs-{name}{infix}-f{tag}-b{_pct(base)}", "ucs", frac, base, alpha,
                                          beta, name, emb)))
        ucs = [c for _, c in sorted(ucs, key=lambda kc: kc[0])]
        n_head = 2 if second and len(ucs) > 1 and ucs[1].embedder == second else 1
        cells.extend(ucs[:n_head])
        if baselines:
            cells.append(Cell(f"random-f{tag}", "random", frac))
            cells.append(Cell(f"stratified-f{tag}", "stratified", frac))
        cells.extend(ucs[n_head:])
        if i == 0:
            cells.append(Cell("full", "full", 1.0))
    return cells


def _pct(x: float) -> str:
    return f"{100 * x:g}".replace(".", "_")


@dataclass
class Plan:
    cells: list[Cell]
    epochs: float
    cut: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    estimate_s: float = 0.0
    rows: int = 0  # training rows the plan trains on (the pool, or the cap it chose)


def grid_cost(cells: Sequence[Cell], *, n_train: int, epochs: float,
              s_per_example: float = PRIOR_TRAIN_S_PER_EXAMPLE, overhead_s: float = PRIOR_CELL_OVERHEAD_S) -> float:
    """Seconds the cells need by the priors (or the costs measured so far): training, a fixed overhead per
    trained cell (generation, calibration, loading), a selection per selected one, and its scoring."""
    return sum((cell.fraction * n_train * epochs * s_per_example if cell.trains else 0.0)
               + (overhead_s if cell.trains else 5.0) + (PRIOR_SELECTION_S if cell.selects else 0.0)
               + PRIOR_SCORE_S for cell in cells)


def plan_budget(cells: list[Cell], *, n_train: int, budget_s: float | None, epochs: float | None,
                min_epochs: float, max_epochs: float, s_per_example: float = PRIOR_TRAIN_S_PER_EXAMPLE,
                overhead_s: float = PRIOR_CELL_OVERHEAD_S, rows_fixed: bool = True,
                min_rows: int = MIN_PLANNED_ROWS) -> Plan:
    """Fit the whole grid to ``budget_s``, cutting in this order: epochs down to ``PREFERRED_MIN_EPOCHS`` (a
    model needs some), then (unless ``rows_fixed``: the caller gave a cap) the training rows down to
    ``min_rows``, then epochs down to ``min_epochs``, and only then cells from the end of the order. Every cut
    is said in ``notes``."""

    def cost(cs: list[Cell], ep: float, rows: int) -> float:
        return grid_cost(cs, n_train=rows, epochs=ep, s_per_example=s_per_example, overhead_s=overhead_s)

    if budget_s is None:
        ep = epochs or max_epochs
        return Plan(list(cells), ep, estimate_s=cost(cells, ep, n_train), rows=n_train)
    notes: list[str] = []
    rows = n_train
    ep = epochs or max_epochs
    floor = max(min_epochs, min(PREFERRED_MIN_EPOCHS, max_epochs))
    while epochs is None and ep > floor and cost(cells, ep, rows) > budget_s:
        ep = max(floor, round(ep - 0.5, 2))
    if not rows_fixed and rows > min_rows and cost(cells, ep, rows) > budget_s:
        fixed = cost(cells, ep, 0)
        per_row = (cost(cells, ep, rows) - fixed) / rows
        fit = int((budget_s - fixed) / per_row) // 100 * 100 if per_row > 0 else rows
        rows = min(rows, max(min_rows, fit))
        notes.append(f"training pool cut from {n_train} to a per-task stratified sample of {rows} rows to fit "
                     f"the budget of {budget_s:.0f} s")
    while epochs is None and ep > min_epochs and cost(cells, ep, rows) > budget_s:
        ep = max(min_epochs, round(ep - 0.5, 2))
    if epochs is None and ep < max_epochs:
        notes.append(f"epochs lowered from {max_epochs:g} to {ep:g} to fit the budget of {budget_s:.0f} s")
    elif epochs is not None and epochs < max_epochs:
        notes.append(f"epochs set to {epochs:g} by the caller (the plan allows up to {max_epochs:g})")
    kept = list(cells)
    cut: list[Cell] = []
    while len(kept) > 2 and cost(kept, ep, rows) > budget_s:
        cut.insert(0, kept.pop())
    if cut:
        notes.append(f"{len(cut)} of {len(cells)} cells cut to fit the budget: {', '.join(c.run for c in cut)}")
    return Plan(kept, ep, cut, notes, cost(kept, ep, rows), rows)


# ---------------------------------------------------------------------------------------------- inputs


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def subsample_pool(train_path: Path, max_rows: int, seed: int) -> tuple[Path, int]:
    """A per-task stratified random ``max_rows`` of the pool, written next to the runs (same file each time)."""
    records = [line for line in train_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(records) <= max_rows:
        return train_path, len(records)
    tasks = []
    for line in records:
        try:
            tasks.append(str(json.loads(line).get("task", "")))
        except json.JSONDecodeError as exc:
            raise ReproductionError(f"{train_path}: a line is not valid JSON ({exc.msg})") from None
    kept = [records[i] for i in stratified_sample(tasks, max_rows, random_state=seed)]
    folder = Path(settings.DEFT_DATA_DIR) / "reproduce"
    folder.mkdir(parents=True, exist_ok=True)
    # "strat": drawn by selection.core.sampling (exactly max_rows), so no cut made before it is reused
    out = folder / f"{train_path.stem}-{_file_hash(train_path)[:10]}-{max_rows}-seed{seed}-strat.jsonl"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        tmp.replace(out)
    return out, len(records)


def reproduction_datasets(*, train_path: Path, eval_path: Path) -> tuple[Dataset, Dataset]:
    """The training pool and the evaluation sets as platform datasets (imported once, found by content hash).

    The evaluation file may be ``eval_sets.jsonl`` (inputs without instructions, a ``coedit_task`` per row:
    converted by ``selection.core.benchmarks``) or any dataset file with a test split.
    """
    for path in (train_path, eval_path):
        if not path.is_file():
            raise ReproductionError(f"no such file: {path}")
    train_name = f"repro-train-{_file_hash(train_path)[:10]}"
    eval_name = f"repro-eval-{_file_hash(eval_path)[:10]}"
    train = Dataset.objects.filter(name=train_name).first()
    if train is None:
        with train_path.open("rb") as fh:
            train = dataset_import(stream=fh, name=train_name, filename=train_path.name,
                                   description=f"reproduce: training pool from {train_path}")
    evalset = Dataset.objects.filter(name=eval_name).first()
    if evalset is None:
        evalset = _import_eval(eval_path, eval_name)
    if not evalset.examples.filter(split="test").exists():
        raise ReproductionError(f"{eval_path} has no test rows to score on")
    return train, evalset


def _import_eval(path: Path, name: str) -> Dataset:
    import io

    records = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ReproductionError(f"{path} line {line_no}: not valid JSON ({exc.msg})") from None
    if records and "coedit_task" in records[0]:
        rows = coedit_eval_rows(records)
        if not rows:
            raise ReproductionError(f"{path}: no test rows of a known benchmark")
        payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        return dataset_import(stream=io.BytesIO(payload), name=name, filename=path.name, default_split="test",
                              description=f"reproduce: test sets of {path} (instructions added per task)")
    with path.open("rb") as fh:
        return dataset_import(stream=fh, name=name, filename=path.name, default_split="test",
                              description=f"reproduce: evaluation data from {path}")


# ---------------------------------------------------------------------------------------------- running


@dataclass
class Settings:
    base_model: str
    epochs: float | None = None
    min_epochs: float = 1.0
    max_epochs: float = 3.0
    budget_s: float | None = None
    seed: int = 0
    n_clusters: int = 7
    n_boot: int = 1000
    training: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, Any] = field(default_factory=dict)
    report_only: bool = False  # run nothing new: score and report the cells that finished


Echo = Callable[[str], None]


class Reproduction:
    """One call of ``reproduce``: plan, then run cell after cell; ``rows`` and ``cells`` hold what ran."""

    def __init__(self, *, train: Dataset, evalset: Dataset, opts: Settings, echo: Echo | None = None,
                 job_echo: Any = None) -> None:
        self.train, self.evalset, self.opts = train, evalset, opts
        self.echo = echo or (lambda line: logger.info(line))
        self.job_echo = job_echo
        self.started = time.monotonic()
        self.n_train = train.examples.filter(split="train").count()
        self.cells_done: list[dict[str, Any]] = []
        self.measured: list[tuple[float, float]] = []  # (examples × epochs trained, seconds) per cell trained

    # -- naming

    def key(self, *parts: Any) -> str:
        blob = json.dumps([self.train.name, self.evalset.name, *parts], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:8]

    def selection_name(self, cell: Cell) -> str:
        return f"rp-{self.key('sel', asdict(cell), self.opts.seed, self.opts.n_clusters)}-{cell.run}"[:100]

    def training_config(self, epochs: float) -> dict[str, Any]:
        return {"base_model": self.opts.base_model, "epochs": epochs, "seed": self.opts.seed, **self.opts.training}

    def model_name(self, cell: Cell, epochs: float) -> str:
        sel = self.selection_name(cell) if cell.selects else cell.run
        return f"rp-{self.key('model', sel, self.training_config(epochs))}-{cell.run}"[:100]

    # -- plan

    def plan(self) -> Plan:
        cells = reproduction_grid(**self.opts.grid)
        return plan_budget(cells, n_train=self.n_train, budget_s=self.opts.budget_s, epochs=self.opts.epochs,
                           min_epochs=self.opts.min_epochs, max_epochs=self.opts.max_epochs)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def s_per_example(self) -> float:
        if not self.measured:
            return PRIOR_TRAIN_S_PER_EXAMPLE
        work, secs = map(sum, zip(*self.measured))
        return secs / max(work, 1.0)

    # -- the run

    def run(self) -> dict[str, Any]:
        plan = self.plan()
        for note in plan.notes:
            self.echo(f"plan: {note}")
        self.echo(f"plan: {len(plan.cells)} cells, {plan.epochs:g} epochs each, base model {self.opts.base_model}, "
                  f"{self.n_train} training rows; estimated {plan.estimate_s / 60:.0f} min")
        skipped: list[dict[str, Any]] = [{"run": c.run, "why": "cut from the plan to fit the budget"} for c in plan.cut]
        full_system = None
        for i, cell in enumerate(plan.cells, start=1):
            remaining = (self.opts.budget_s - self.elapsed()) if self.opts.budget_s else None
            need = self._estimate(cell, plan.epochs)
            label = f"[{i}/{len(plan.cells)}] {cell.run}"
            if self.opts.report_only and cell.trains and not self._is_finished(cell, plan.epochs):
                self.echo(f"{label}: not finished, left out (--report-only)")
                skipped.append({"run": cell.run, "why": "not finished when the report was written"})
                continue
            if remaining is not None and need > remaining and not self._is_finished(cell, plan.epochs) and i > 2:
                self.echo(f"{label}: skipped, needs ~{need:.0f} s and {remaining:.0f} s of the budget are left")
                skipped.append({"run": cell.run, "why": f"budget: needed ~{need:.0f} s, {remaining:.0f} s left"})
                continue
            t0 = time.monotonic()
            reused = cell.trains and self._is_finished(cell, plan.epochs)
            try:
                system = self._run_cell(cell, plan.epochs, label)
            except Exception as exc:  # noqa: BLE001 - one failed cell is reported, the grid goes on
                logger.exception("cell %s failed", cell.run)
                self.echo(f"{label}: FAILED: {exc}")
                skipped.append({"run": cell.run, "why": f"failed: {exc}"})
                continue
            if cell.strategy == "full":
                full_system = system
            self.cells_done.append({"cell": cell, "system": system, "reused": reused,
                                    "seconds": None if reused else round(time.monotonic() - t0, 1)})
            if time.monotonic() - t0 > 1:
                self.echo(f"{label}: done in {time.monotonic() - t0:.0f} s (elapsed {self.elapsed() / 60:.1f} min)")
        rows, paired = self._score(full_system)
        compared = self._compare()
        return {"plan": {"cells": [asdict(c) for c in plan.cells], "epochs": plan.epochs, "notes": plan.notes,
                         "estimate_s": round(plan.estimate_s)},
                "skipped": skipped, "rows": rows, "paired": paired, "compared": compared,
                "cells": [{**asdict(d["cell"]), "system": d["system"].name, "seconds": d["seconds"],
                           "reused": d["reused"]}
                          for d in self.cells_done],
                "train_dataset": self.train.name, "eval_dataset": self.evalset.name, "n_train": self.n_train,
                "base_model": self.opts.base_model, "elapsed_s": round(self.elapsed(), 1),
                "seconds_per_example_epoch": self.s_per_example(), "settings": asdict(self.opts)}

    def _estimate(self, cell: Cell, epochs: float) -> float:
        if not cell.trains:
            return 5.0
        return (cell.fraction * self.n_train * epochs * self.s_per_example() + PRIOR_CELL_OVERHEAD_S
                + (PRIOR_SELECTION_S if cell.selects else 0.0))

    def _is_finished(self, cell: Cell, epochs: float) -> bool:
        name = self.model_name(cell, epochs)
        return System.objects.filter(dataset=self.evalset, name=name).exists()

    def _run_cell(self, cell: Cell, epochs: float, label: str) -> System:
        if cell.strategy == "copy":
            return system_copy_baseline(dataset=self.evalset, split="test")
        name = self.model_name(cell, epochs)
        existing = System.objects.filter(dataset=self.evalset, name=name).first()
        if existing is not None:
            self.echo(f"{label}: finished earlier (system {name}), skipped")
            return existing
        data = self._selection(cell, label) if cell.selects else self.train
        run = self._training(cell, data, name, epochs, label)
        return self._generation(run, name, label)

    def _job(self, job: Job, label: str, what: str) -> Job:
        if job.status in (Job.Status.FAILED, Job.Status.CANCELLED):
            job = job_requeue(job)
        if job.status == Job.Status.QUEUED:
            self.echo(f"{label}: {what} (job #{job.pk})")
            job = job_run(job.pk, echo=self.job_echo)
        if job.status != Job.Status.SUCCEEDED:
            raise RuntimeError(f"{what} job #{job.pk} {job.status}: {job.error_headline}")
        return job

    def _selection(self, cell: Cell, label: str) -> Dataset:
        name = self.selection_name(cell)
        run = SelectionRun.objects.filter(name=name).first()
        if run is None:
            params: dict[str, Any] = {"strategy": cell.strategy, "target_fraction": cell.fraction,
                                      "seed": self.opts.seed, "split": "train"}
            if cell.strategy == "ucs":
                params.update({"base_fraction": cell.base_fraction, "alpha": cell.alpha, "beta": cell.beta,
                               "n_clusters": self.opts.n_clusters, "embedder": cell.embedder or None})
            run = selection_run_create(dataset=self.train, params=params, name=name)
        if not run.completed_at:
            self._job(run.job, label, f"selection {cell.strategy}")
            run.refresh_from_db()
        if run.exported_dataset_id:
            return run.exported_dataset
        return selection_run_export(run=run, name=f"{name}-data"[:100])

    def _training(self, cell: Cell, data: Dataset, name: str, epochs: float, label: str) -> TrainingRun:
        run = TrainingRun.objects.filter(name=name).first()
        if run is None:
            run = training_run_create(name=name, dataset=data, config=self.training_config(epochs), split="train",
                                      enqueue=False)
        if run.status != Job.Status.SUCCEEDED:
            t0 = time.monotonic()
            self._job(run.job, label, f"training on {data.examples.filter(split='train').count()} rows")
            run.refresh_from_db()
            n = data.examples.filter(split="train").count()
            self.measured.append((n * epochs, time.monotonic() - t0))
        return run

    def _generation(self, run: TrainingRun, name: str, label: str) -> System:
        job = Job.objects.filter(kind="generation", params__system=name, params__dataset=self.evalset.name).first()
        if job is None:
            with transaction.atomic():
                job = system_generate_submit(name=name, dataset=self.evalset, split="test", training_run=run,
                                             enqueue=False, batch_size=64)
        self._job(job, label, "generation")
        return System.objects.get(dataset=self.evalset, name=name)

    # -- scores

    def _score(self, full_system: System | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rows: list[dict[str, Any]] = []
        paired: list[dict[str, Any]] = []
        srcs, refs, bench_of = self._eval_rows()
        for done in self.cells_done:
            cell, system = done["cell"], done["system"]
            systems = [system] if full_system is None or system.pk == full_system.pk else [system, full_system]
            report = score_report_create(dataset=self.evalset, split="test", systems=systems, by="dataset",
                                         n_boot=self.opts.n_boot, seed=self.opts.seed)
            result = report.result
            for group in result["groups"]:
                for metric, value, low, high in _metric_cells(group["systems"][system.name]):
                    rows.append(_row(cell, group["name"], metric, value, low, high))
                for p in _paired_cells(result, group, system.name):
                    paired.append({"run": cell.run, "eval_set": group["name"], **p})
            outputs = dict(system.outputs.values_list("example_id", "text"))
            for bench, idx in bench_of.items():
                rates = core_tagger.edit_rates([srcs[i][1] for i in idx], [outputs[srcs[i][0]] for i in idx])
                for metric, value in rates.items():
                    rows.append(_row(cell, bench, metric, value, None, None))
        ref_cell = Cell("references", "references", 0.0)
        for bench, idx in bench_of.items():
            acc: dict[str, list[float]] = {}
            for i in idx:
                for ref in refs[i]:
                    for metric, value in core_tagger.edit_rates([srcs[i][1]], [ref]).items():
                        acc.setdefault(metric, []).append(value)
            for metric, values in acc.items():
                rows.append(_row(ref_cell, bench, metric, sum(values) / len(values), None, None))
        return rows, paired

    def _compare(self) -> list[dict[str, Any]]:
        """The paired bootstrap of the pairs of cells the paper's claims compare (``claim_pairs``)."""
        by_run = {d["cell"].run: d["system"] for d in self.cells_done}
        out: list[dict[str, Any]] = []
        primary = self.opts.grid.get("embedder") or ""
        for claim, cell, other in claim_pairs([d["cell"] for d in self.cells_done], primary):
            a, b = by_run[cell.run], by_run[other.run]
            report = score_report_create(dataset=self.evalset, split="test", systems=[a, b], by="dataset",
                                         n_boot=self.opts.n_boot, seed=self.opts.seed)
            for group in report.result["groups"]:
                for test in _paired_cells(report.result, group, a.name):
                    out.append({"claim": claim, "run": cell.run, "against_run": other.run,
                                "eval_set": group["name"], **test})
        return out

    def _eval_rows(self):
        from selection.core.text import strip_instruction

        srcs, refs, bench_of = [], [], {}
        qs = self.evalset.examples.filter(split="test").order_by("id").values_list("id", "src", "refs", "task", "extra")
        for i, (pk, src, ref, task, extra) in enumerate(qs):
            srcs.append((pk, strip_instruction(src)))
            refs.append(ref)
            bench_of.setdefault((extra or {}).get("dataset") or task, []).append(i)
        return srcs, refs, dict(sorted(bench_of.items()))


def claim_pairs(cells: Sequence[Cell], primary_embedder: str = "") -> list[tuple[str, Cell, Cell]]:
    """(claim, cell, other) for each pair of finished cells a claim of the paper compares: UCS-hard against
    the random and the stratified subset of its size ("UCS-hard beats random and stratified subsets") and
    against UCS-random in-cluster sampling on the same D_base ("hard wins on a small D_base, random on a large
    one"); each cell of a second embedder against its twin on the primary one ("embeddings matter")."""
    by_key = {(c.strategy, c.sampling, c.embedder, c.fraction, c.base_fraction): c for c in cells}
    out: list[tuple[str, Cell, Cell]] = []
    for c in cells:
        if c.strategy != "ucs":
            continue
        if c.embedder != primary_embedder and primary_embedder:
            twin = by_key.get(("ucs", c.sampling, primary_embedder, c.fraction, c.base_fraction))
            if twin is not None:
                out.append(("embedder", c, twin))
            continue
        if c.sampling != "hard":
            continue
        for strategy in ("random", "stratified"):
            other = by_key.get((strategy, "", "", c.fraction, None))
            if other is not None:
                out.append((f"ucs-hard vs {strategy} subset", c, other))
        other = by_key.get(("ucs", "random", c.embedder, c.fraction, c.base_fraction))
        if other is not None:
            out.append(("hard vs random in-cluster sampling", c, other))
    return out


def _row(cell: Cell, eval_set: str, metric: str, value: float, low: float | None, high: float | None) -> dict:
    return {"run": cell.run, "strategy": cell.strategy, "fraction": cell.fraction,
            "base_fraction": cell.base_fraction, "alpha": cell.alpha, "beta": cell.beta,
            "embedder": cell.embedder, "eval_set": eval_set, "metric": metric, "value": value, "low": low,
            "high": high}


def _metric_cells(cell: dict[str, Any]) -> Iterator[tuple[str, float, float, float]]:
    """(metric, value, low, high) for every number of a system's cell with an interval beside it."""
    for key, value in cell.items():
        if key.endswith("_ci") or not isinstance(value, (int, float)):
            continue
        ci = cell.get(f"{key}_ci") or [None, None]
        yield key, float(value), ci[0], ci[1]


def _paired_cells(result: dict[str, Any], group: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The paired test of ``name`` against the other system, for this group (per-group when the service gives
    it, else the report's overall test for the "all" group)."""
    paired = group.get("paired") or (result.get("paired") if group["name"] == ALL else None)
    if not paired or paired.get("a") != name:
        return []
    out = []
    for metric, test in paired.items():
        if isinstance(test, dict) and "p_value" in test:
            out.append({"against": paired["b"], "metric": metric, **test})
    return out


def headline(eval_set: str) -> str:
    return headline_metric(eval_set)


def default_base_model() -> str:
    return getattr(settings, "DEFT_REPRODUCE_BASE_MODEL", core_tagger.MINILM_TAGGER)
