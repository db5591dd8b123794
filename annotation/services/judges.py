"""Automatic judges beside the humans: start one on a study (a background job), and the job that runs it.

A judge rates every real pair the humans are asked about, in both orders (a left and b right, then swapped),
from the payload the rating page gets (``selectors.slot_payload`` of an unsaved slot with that order), so it sees
what a rater sees and nothing more. Its answers are stored here as ``JudgeAnswer`` rows of a ``JudgeRun``: never
as slots or judgments, so human statistics, completion codes, quotas, seats, side balance and adaptive
allocation cannot count a judge, and the report sets the two side by side (annotation/stats/judges.py).

The job (kind "judge", long queue; ``gpu=True`` puts it on the gpu queue) reports progress per answer, stops at
a cancel, and resumes where it stopped when retried: the unique (run, item, order) key skips what is stored.
A judge's configuration error fails it for good (``JudgeError``); an endpoint that is down fails it retryably.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from annotation import selectors
from annotation.judges import JudgeError, JudgeQuery, JudgeSpec, build_judge
from annotation.models import Item, JudgeAnswer, JudgeRun, Slot, Study
from deft_site.jobs.models import Job
from deft_site.jobs.queues import Queue
from deft_site.jobs.services import job_create, job_enqueue, job_requeue

from .errors import AnnotationError
from .simulation import item_truth_is_a

logger = logging.getLogger(__name__)

KIND = "judge"


def judge_run_submit(*, study: Study, spec: JudgeSpec, name: str = "", user: User | None = None,
                     truth: dict[str, Any] | None = None, gpu: bool = False, enqueue: bool = True) -> JudgeRun:
    """A judge run on the study and its job (handed to a worker when ``enqueue``; the CLI runs it itself).

    ``name`` defaults to the spec's label. A run of that name whose job failed or was cancelled is picked up
    again (it resumes); one that is queued, running or done is refused: give another name. ``truth`` is a
    simulated judge's ``{"prefer": {system: p}, "seed": s}`` (simulate_raters' own)."""
    name = (name or spec.label()).strip()[:100]
    if not name:
        raise AnnotationError("A judge run needs a name.")
    if not Item.objects.filter(study=study, kind=Item.Kind.REAL).exists():
        raise AnnotationError(f"Study {study.name} has no real pairs to judge.")
    if spec.kind == "sim" and truth is None:
        raise AnnotationError("A simulated judge needs the simulation's truth: the --prefer and --seed given to "
                              "simulate_raters.")
    params = {**spec.as_params(), **({"truth": truth} if truth is not None else {})}
    queue = Queue.GPU if gpu else Queue.LONG
    with transaction.atomic():
        run = (JudgeRun.objects.select_for_update(of=("self",)).filter(study=study, name=name)
               .select_related("job").first())
        if run is not None:
            job = run.job
            if job is not None and job.status not in (Job.Status.FAILED, Job.Status.CANCELLED):
                raise AnnotationError(f"A judge named {name!r} is already {job.status} on {study.name}: give "
                                      "another name (--name) to run it again.")
            if run.spec != params:
                raise AnnotationError(f"A judge named {name!r} on {study.name} was configured differently: give "
                                      "another name (--name).")
        else:
            try:
                with transaction.atomic():
                    run = JudgeRun.objects.create(study=study, name=name, kind=spec.kind, spec=params,
                                                  created_by=user if getattr(user, "pk", None) else None)
            except IntegrityError:
                raise AnnotationError(f"A judge named {name!r} was just started on {study.name}.") from None
        if run.job is None:
            run.job = job_create(kind=KIND, title=f"judge {name} on {study.name}", params={"run": run.pk},
                                 user=user, queue=queue)
            run.save(update_fields=["job"])
        else:
            job_requeue(run.job)
        if enqueue:
            job_enqueue(run.job)
    logger.info("judge %s submitted on study %s (job %s)", name, study.name, run.job_id)
    return run


def _work(study: Study) -> list[Item]:
    """The real items raters are asked about (not the ties the design counts without asking), in study order."""
    items = Item.objects.filter(study=study, kind=Item.Kind.REAL).select_related(
        "example", "system_a__system", "system_b__system")
    if study.identical_outputs == Study.Identical.TIE:
        items = items.filter(identical=False)
    return list(items.order_by("order_key", "pk"))


def _query(study: Study, item: Item, left_is_a: bool) -> JudgeQuery:
    item.study = study
    return JudgeQuery.from_payload(selectors.slot_payload(Slot(item=item, left_is_a=left_is_a, token="judge")))


def _oracle(study: Study, items: list[Item], truth: dict[str, Any]):  # noqa: ANN202 (an annotation.judges Oracle)
    """A simulated judge's truth: which side of a query is truly better, by the simulation's seeded winner."""
    prefer, seed = dict(truth.get("prefer") or {}), int(truth.get("seed", 0))
    table: dict[JudgeQuery, str | None] = {}
    for item in items:
        a_wins = item_truth_is_a(item, prefer, seed)
        for left_is_a in (True, False):
            better = None if item.identical else ("left" if a_wins == left_is_a else "right")
            table[_query(study, item, left_is_a)] = better
    return table.get


def run_judge_job(job: Job, report: Any) -> dict[str, Any]:
    """The handler of kind "judge": answer every (item, order) not answered yet, storing each as it comes."""
    run = JudgeRun.objects.select_related("study").get(pk=job.params["run"])
    study = run.study
    spec = JudgeSpec.from_params(run.spec)
    items = _work(study)
    work = [(item, left_is_a) for item in items for left_is_a in (True, False)]
    done = set(JudgeAnswer.objects.filter(run=run).values_list("item_id", "left_is_a"))
    todo = [(item, o) for item, o in work if (item.pk, o) not in done]
    total = len(work)
    report.progress(total - len(todo), total, "loading the judge")
    oracle = _oracle(study, items, run.spec.get("truth") or {}) if spec.kind == "sim" else None
    judge = build_judge(spec, oracle=oracle)
    described = judge.describe()[:200]
    if run.description != described:
        JudgeRun.objects.filter(pk=run.pk).update(description=described)
    report.log(f"judge {run.name}: {described}; {len(todo)} of {total} answers to go")
    for n, (item, left_is_a) in enumerate(todo, start=total - len(todo) + 1):
        started = time.monotonic()
        verdict = judge.judge(_query(study, item, left_is_a))
        JudgeAnswer.objects.bulk_create([JudgeAnswer(
            run=run, item=item, left_is_a=left_is_a, preference=verdict.answer, p_left=verdict.p_left,
            raw=verdict.raw[:200], seconds=max(0.0, time.monotonic() - started))], ignore_conflicts=True)
        report.progress(n, total, f"judged {n}/{total}")
    unusable = JudgeAnswer.objects.filter(run=run, preference="").count()
    if work and unusable == total:
        raise JudgeError(f"Judge {run.name} named no answer (A, B or tie) in any of its {total} replies; see the "
                         "stored raw replies and adjust the model or endpoint.")
    return {"run": run.name, "study": study.name, "items": len(items), "answers": total, "unusable": unusable}
