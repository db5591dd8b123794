"""python manage.py reproduce --train PATH --eval PATH [--budget-seconds N] [--out DIR] [--quick]
[--base-model M] [--epochs E] [--embedder E] [--second-embedder E] [--max-train-rows N] [--seed S] [--dry-run]
[--report-only]"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deft_site.jobs.reporter import terminal_progress
from selection.reproduction_report import write_outputs
from selection.services.reproduction import (
    Reproduction,
    ReproductionError,
    Settings,
    default_base_model,
    plan_budget,
    reproduction_datasets,
    reproduction_grid,
    subsample_pool,
)

QUICK_GRID = {"fractions": (0.325,), "base_ratios": (0.25,), "samplings": ("hard", "random"), "baselines": True}
# The tagger's settings for the grid (measured best here, docs/reproduction.md): the encoder's top two layers
# fine-tuned at a tenth of the heads' learning rate over cached states of the frozen layers below it, "no
# insertion" down-weighted so the phrase head learns to insert, biases calibrated per task; see tagger.py.
TAGGER_TRAINING = {"tagger_trainable_layers": 2, "tagger_layer_lr_scale": 0.1, "tagger_none_weight": 0.2,
                   "learning_rate": 1e-3, "batch_size": 32, "max_source_length": 96, "num_threads": 1,
                   "log_every": 20, "checkpoint_every": 500}


class Command(BaseCommand):
    help = ("Re-run DEFT's experiment: a grid of UCS selections (3 fractions x hard/easy/random x 2 D_base sizes), "
            "random and stratified subsets, the full data and the copy baseline, each trained, generated and scored "
            "through the platform's jobs (all visible in the UI). Resumable: a second call skips finished cells.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", help="Training pool (CoEDIT JSONL: _id, task, src, tgt).")
        parser.add_argument("--eval", help="Evaluation sets: eval_sets.jsonl, or a dataset file with a test split.")
        parser.add_argument("--budget-seconds", type=float, help="Plan the grid to fit this many seconds.")
        parser.add_argument("--out", help="Write results.csv, results.json and report.html here.")
        parser.add_argument("--quick", action="store_true",
                            help="A small grid (32.5 %% only: UCS hard and random, the baselines) on the demo data "
                                 "unless --train/--eval are given; three epochs.")
        parser.add_argument("--base-model", help="Default: the best measured offline base (minilm-tagger); any "
                            "Hugging Face id, local path or tagger:<encoder> works.")
        parser.add_argument("--epochs", type=float, help="Epochs per model (default: as many as fit, 1-3).")
        parser.add_argument("--embedder", default=None, help="UCS embedder (default settings.DEFT_EMBEDDER).")
        parser.add_argument("--second-embedder", default="tfidf",
                            help="A second UCS embedder for the UCS-hard cells, to test whether embeddings whose "
                                 "clusters follow the editing tasks matter (default tfidf; 'none' for none; the "
                                 "--quick grid has none).")
        parser.add_argument("--max-train-rows", type=int,
                            help="Train on a per-task stratified random sample of this many pool rows (a cut to "
                                 "fit a CPU budget; said in the output and the report). Default: the whole pool, "
                                 "or with --budget-seconds as many rows as the plan fits.")
        parser.add_argument("--dry-run", action="store_true", help="Print the plan (cells, cuts, epochs, rows, "
                            "estimated time) and stop.")
        parser.add_argument("--report-only", action="store_true",
                            help="Run nothing new: score the cells that finished and write the outputs (for a run "
                                 "stopped before its end; give the same options as the run).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--n-boot", type=int, default=1000, help="Bootstrap resamples for intervals and tests.")

    def handle(self, *args: Any, **o: Any) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        train_path, eval_path = o["train"], o["eval"]
        if o["quick"] and not (train_path and eval_path):
            train_path, eval_path = self._demo_files()
        if not (train_path and eval_path):
            raise CommandError("give --train and --eval (or --quick for the demo data)")
        if o["budget_seconds"] is not None and o["budget_seconds"] <= 0:
            raise CommandError("--budget-seconds must be positive")
        base_model = o["base_model"] or default_base_model()
        training = dict(TAGGER_TRAINING) if base_model.startswith(("minilm-tagger", "tagger:")) else {}
        grid = dict(QUICK_GRID) if o["quick"] else {}
        grid["embedder"] = o["embedder"] or settings.DEFT_EMBEDDER
        if not o["quick"] and o["second_embedder"] and o["second_embedder"].lower() != "none":
            grid["second_embedder"] = o["second_embedder"]
        opts = Settings(base_model=base_model, epochs=o["epochs"] if o["epochs"] else (3.0 if o["quick"] else None),
                        budget_s=o["budget_seconds"], seed=o["seed"], n_boot=o["n_boot"], training=training,
                        grid=grid, report_only=o["report_only"])
        notes = []
        try:
            max_rows = o["max_train_rows"]
            if max_rows is not None and max_rows < 10:
                raise CommandError("--max-train-rows must be at least 10")
            n_pool = _count_rows(Path(train_path))
            plan = plan_budget(reproduction_grid(**grid), n_train=min(n_pool, max_rows or n_pool),
                               budget_s=opts.budget_s, epochs=opts.epochs, min_epochs=opts.min_epochs,
                               max_epochs=opts.max_epochs, rows_fixed=max_rows is not None)
            if o["dry_run"]:
                self._print_plan(plan, n_pool)
                return
            if max_rows is None and plan.rows < n_pool:
                max_rows = plan.rows
            if max_rows:
                sampled, n_pool = subsample_pool(Path(train_path), max_rows, o["seed"])
                if sampled != Path(train_path):
                    how = "--max-train-rows" if o["max_train_rows"] else "planned from --budget-seconds"
                    notes.append(f"training pool cut from {n_pool} to a stratified sample of about {max_rows} "
                                 f"rows ({how}) to fit the CPU budget")
                train_path = str(sampled)
            train, evalset = reproduction_datasets(train_path=Path(train_path), eval_path=Path(eval_path))
        except (ReproductionError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"training data: {train.name} ({train.row_count} rows); evaluation: {evalset.name}")
        started = time.monotonic()
        for note in notes:
            self._echo(f"plan: {note}")
        run = Reproduction(train=train, evalset=evalset, opts=opts, echo=self._echo, job_echo=terminal_progress("  "))
        result = run.run()
        result["plan"]["notes"] = notes + result["plan"]["notes"]
        self.stdout.write(f"finished in {(time.monotonic() - started) / 60:.1f} min: {len(result['cells'])} cells ran, "
                          f"{len(result['skipped'])} did not")
        for skipped in result["skipped"]:
            self.stdout.write(f"  not run: {skipped['run']} ({skipped['why']})")
        self._summary(result)
        if o["out"]:
            paths = write_outputs(result, Path(o["out"]))
            self.stdout.write(self.style.SUCCESS("wrote " + ", ".join(str(p) for p in paths.values())))

    def _print_plan(self, plan: Any, n_pool: int) -> None:
        for note in plan.notes:
            self.stdout.write(f"plan: {note}")
        self.stdout.write(f"plan: {len(plan.cells)} cells, {plan.epochs:g} epochs each, {plan.rows} of {n_pool} "
                          f"training rows; estimated {plan.estimate_s / 60:.0f} min by the priors")
        for i, cell in enumerate(plan.cells, start=1):
            self.stdout.write(f"  [{i}/{len(plan.cells)}] {cell.run} ({cell.embedder or cell.strategy})")
        for cell in plan.cut:
            self.stdout.write(f"  cut: {cell.run}")

    def _echo(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _summary(self, result: dict) -> None:
        from selection.reproduction_report import headline_rows

        for eval_set, rows in headline_rows(result).items():
            self.stdout.write(f"{eval_set} ({rows[0]['metric']}):")
            for r in sorted(rows, key=lambda r: -r["value"]):
                ci = f" [{r['low']:.2f}, {r['high']:.2f}]" if r["low"] is not None else ""
                self.stdout.write(f"  {r['run']:<32} {r['value']:7.2f}{ci}")

    def _demo_files(self) -> tuple[str, str]:
        from selection.demo import make_demo_rows, write_jsonl

        folder = Path(settings.DEFT_DATA_DIR) / "reproduce-quick"
        folder.mkdir(parents=True, exist_ok=True)
        rows = make_demo_rows(n_rows=600, seed=0)
        train = folder / "train.jsonl"
        evaluation = folder / "eval.jsonl"
        if not train.exists() or not evaluation.exists():
            write_jsonl([r for r in rows if r.get("split", "train") == "train"], train)
            write_jsonl([{**r, "split": "test"} for r in rows if r.get("split") == "test"], evaluation)
        return str(train), str(evaluation)


def _count_rows(path: Path) -> int:
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())
