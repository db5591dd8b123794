"""The demo `make run` loads once: users of each role, the demo dataset, and a background pipeline on it.

The pipeline is the platform's own loop, run by the worker as one "demo_pipeline" job whose steps are jobs
of their own (each visible with its progress under Jobs): a UCS selection on the demo's train split and its
export, two tiny T5 models trained from a config (full data vs the core-set), their outputs on the test
split as two systems (plus the copy baseline), a score report, and a launched blinded study of the two.
`demo_load` is idempotent: a second `make run` finds everything in place and changes nothing; every step
skips what already exists, so retrying a failed pipeline job resumes it.
"""
from __future__ import annotations

import io
import json
import time
from typing import Any, Callable

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from annotation.models import Study
from annotation.services import study_create
from deft_site.jobs.models import Job
from deft_site.jobs.services import job_requeue, job_run, job_submit
from deft_site.roles import ANNOTATOR, RESEARCHER, REVIEWER
from selection.demo import make_demo_rows
from selection.models import Dataset, SelectionRun, System, TrainingRun
from selection.services.datasets import dataset_import
from selection.services.scoring import score_report_create
from selection.services.selection_runs import selection_run_create, selection_run_export
from selection.services.systems import system_copy_baseline, system_generate
from selection.services.training import training_run_create

DEMO_USERS = [
    ("admin", "admin-demo", "admin"),
    ("researcher", "researcher-demo", RESEARCHER),
    ("annotator1", "annotator-demo", ANNOTATOR),
    ("annotator2", "annotator-demo", ANNOTATOR),
    ("annotator3", "annotator-demo", ANNOTATOR),
    ("reviewer", "reviewer-demo", REVIEWER),
]
DEMO_DATASET = "demo"
DEMO_ROWS = 3000
DEMO_SEED = 0
DEMO_SELECTION = {"strategy": "ucs", "base_fraction": 0.1, "n_clusters": 7, "target_fraction": 0.325,
                  "alpha": 0.0, "beta": 1.0, "seed": 0, "split": "train"}
# Both models get the same number of optimisation steps (the same compute), so the comparison is about which
# data, not how much training. settings.DEFT_DEMO_STEPS (default 800) replaces max_steps: 800 finishes in
# minutes on two cores, 2000 learns the edits far better (bench/RESULTS.md, "Demo pipeline"). One torch
# thread: the worker shares the cores with the web server (two threads ran 7x slower under load).
DEMO_TRAINING = {"max_steps": 800, "learning_rate": 3e-3, "seed": 0, "num_threads": 1}
DEMO_STUDY = "demo-study"
DEMO_STUDY_ITEMS = 30
SYSTEMS = ("demo-full", "demo-ucs")
GUIDELINES = """Each item shows an **instruction**, the **input** text and two edited versions, A and B.

* Choose the version that carries out the instruction better (`1` = A, `2` = B, `3` = tie, `4` = both bad).
* Then say whether each version is an accurate edit for the instruction.
* Judge the edit, not the style you would have chosen yourself. Press `Enter` to submit.
"""


def demo_users_create() -> list[User]:
    users = []
    for username, password, role in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.is_staff = user.is_superuser = role == "admin"
            user.save()
        if role in (RESEARCHER, ANNOTATOR, REVIEWER):
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        users.append(user)
    return users


def demo_dataset_create() -> Dataset:
    existing = Dataset.objects.filter(name=DEMO_DATASET).first()
    if existing:
        return existing
    rows = make_demo_rows(n_rows=DEMO_ROWS, seed=DEMO_SEED)
    payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    return dataset_import(stream=io.BytesIO(payload), name=DEMO_DATASET, filename=f"make_demo_data seed={DEMO_SEED}",
                          origin=Dataset.Origin.DEMO, description=f"Synthetic demo data: {DEMO_ROWS} rows, seed {DEMO_SEED}.")


def demo_load(say: Callable[[str], None] = print) -> Job:
    """Users and dataset now; the pipeline as a background job (queued once, ever)."""
    with transaction.atomic():
        users = demo_users_create()
        dataset = demo_dataset_create()
    say(f"Demo dataset '{dataset.name}': {dataset.row_count} rows.")
    job = Job.objects.filter(kind="demo_pipeline").order_by("-created_at").first()
    if job is None:
        job = job_submit(kind="demo_pipeline", title="Demo pipeline: select, train, generate, score, study",
                         params={"dataset": dataset.name}, user=users[1])
        say(f"Queued the demo pipeline (job #{job.pk}): a UCS selection, two tiny models, their outputs, "
            "scores and a blinded study. Follow it at /jobs/.")
    else:
        say(f"Demo pipeline: job #{job.pk} is {job.status}.")
    return job


def run_demo_pipeline_job(job: Job, report: Any) -> dict:
    dataset = Dataset.objects.get(name=job.params["dataset"])
    researcher = job.created_by
    steps = 7
    report.progress(0, steps, "UCS selection")
    selection = _demo_selection(dataset, researcher, report)
    coreset = selection.exported_dataset
    report.progress(1, steps, "copy baseline")
    system_copy_baseline(dataset=dataset, split="test")
    for i, (name, train_on, selected_by) in enumerate(zip(SYSTEMS, (dataset, coreset), (None, selection))):
        report.progress(2 + 2 * i, steps, f"training {name}")
        run = _demo_training(name, train_on, selected_by, researcher, report)
        report.progress(3 + 2 * i, steps, f"generating {name}")
        if not System.objects.filter(dataset=dataset, name=name).exists():
            system_generate(name=name, dataset=dataset, split="test", training_run=run, user=researcher)
    report.progress(6, steps, "scores and study")
    systems = [System.objects.get(dataset=dataset, name=name) for name in SYSTEMS]
    score_report_create(dataset=dataset, split="test", systems=[*systems, System.objects.get(dataset=dataset, name="copy")])
    study = Study.objects.filter(name=DEMO_STUDY).first() or study_create(
        name=DEMO_STUDY, dataset=dataset, systems=systems, n_examples=DEMO_STUDY_ITEMS, raters_per_item=3,
        split="test", seed=0, control_rate=0.1, guidelines=GUIDELINES, practice_count=1, user=researcher,
        launch=True, public_title="Which edit is better?", adjudication=Study.Adjudication.DISAGREEMENTS,
        reviewers=User.objects.filter(groups__name=REVIEWER, username__in=[u for u, _, _ in DEMO_USERS]),
    )
    report.progress(steps, steps, "done")
    return {"url": f"/results/?dataset={dataset.name}&split=test&system={SYSTEMS[0]}&system={SYSTEMS[1]}&system=copy",
            "study": study.name, "coreset": coreset.name}


def _demo_selection(dataset: Dataset, user: User | None, report: Any) -> SelectionRun:
    """The UCS run on the demo's train split, done and exported (D_base ∪ D_c as a dataset)."""
    run = SelectionRun.objects.filter(name="demo-ucs").first()
    if run is None:
        run = selection_run_create(dataset=dataset, params=DEMO_SELECTION, name="demo-ucs", user=user)
    if not run.completed_at:
        _run_step(run.job, "selection", report)
        run.refresh_from_db()
    if run.exported_dataset is None:
        selection_run_export(run=run, user=user)
        run.refresh_from_db()
    return run


def _demo_training(name: str, dataset: Dataset, selection: SelectionRun | None, user: User | None,
                   report: Any) -> TrainingRun:
    run = TrainingRun.objects.filter(name=name).first()
    if run is None:
        config = {**DEMO_TRAINING, "max_steps": getattr(settings, "DEFT_DEMO_STEPS", DEMO_TRAINING["max_steps"])}
        run = training_run_create(name=name, dataset=dataset, config=config, user=user,
                                  selection_run=selection, enqueue=False)
    if run.status != Job.Status.SUCCEEDED:
        report.log(f"training {name} on {dataset.name} ({dataset.row_count} rows), job #{run.job_id}")
        _run_step(run.job, f"training {name}", report)
        run.refresh_from_db()
    return run


def _run_step(job: Job, what: str, report: Any) -> None:
    """Run a step's own job here (it keeps its own progress and log); retry it if an earlier try failed.

    After a crash the step's job may have been re-queued to (and taken by) another worker: then wait for it.
    """
    job.refresh_from_db()
    if job.status in (Job.Status.FAILED, Job.Status.CANCELLED):
        job_requeue(job)
    done = job_run(job.pk)
    while not done.is_finished:
        report.progress(0, None, f"{what}: waiting for job #{done.pk} ({done.status} on {done.worker or 'a worker'})")
        time.sleep(2)
        done.refresh_from_db()
        if done.status == Job.Status.QUEUED:
            done = job_run(done.pk)
    if done.status != Job.Status.SUCCEEDED:
        raise RuntimeError(f"{what} failed (job #{done.pk}): {done.error_headline or done.status}")
