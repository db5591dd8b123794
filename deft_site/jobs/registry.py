"""Which function runs each kind of job, and on which queue by default.

Apps declare their kinds in ``AppConfig.ready()`` with a dotted path (``register("training",
"selection.services.training:run_training_job", queue=Queue.LONG)``), so a process that only starts (the web
server, ``manage.py check``, an idle worker) imports none of the handlers' heavy libraries; the handler's
module is imported the first time a job of its kind runs. ``@job_handler("kind")`` registers a function
directly (tests use it).

A handler is ``handler(job, report) -> dict | None``: it calls ``report.progress(done, total, stage)`` now
and then, and raises on failure (``JobError`` for a failure a retry cannot fix).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Callable

from deft_site.jobs.queues import Queue

Handler = Callable[[Any, Any], "dict | None"]


@dataclass
class Kind:
    name: str
    target: str | Handler
    queue: str

    def handler(self) -> Handler:
        if isinstance(self.target, str):
            module, _, attr = self.target.partition(":")
            self.target = getattr(import_module(module), attr)
        return self.target


_KINDS: dict[str, Kind] = {}


def register(kind: str, target: str | Handler, queue: str = Queue.LONG) -> None:
    if queue not in Queue.values:
        raise ValueError(f"unknown queue {queue!r}; use one of {', '.join(Queue.values)}")
    _KINDS[kind] = Kind(kind, target, str(queue))


def job_handler(kind: str, queue: str = Queue.LONG) -> Callable[[Handler], Handler]:
    def decorate(func: Handler) -> Handler:
        register(kind, func, queue)
        return func

    return decorate


def kind_get(kind: str) -> Kind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise ValueError(f"Unknown job kind {kind!r}; known: {', '.join(registered_kinds())}") from None


def registered_kinds() -> list[str]:
    return sorted(_KINDS)
