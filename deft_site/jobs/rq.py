"""An RQ worker that keeps a ``Worker`` row and reclaims lapsed leases, like ``manage.py jobs_worker`` does.

Use it with django-rq: ``manage.py rqworker interactive long --worker-class deft_site.jobs.rq.LeaseRQWorker``
(``manage.py jobs_worker`` does this by itself when TASKS_BACKEND=rq). Jobs keep their leases however they
are run; this class only adds the presence and the reclaiming beat.
"""
from __future__ import annotations

from typing import Any

from rq import Worker as RQWorker

from deft_site.jobs.models import Worker
from deft_site.jobs.workers import Presence


class LeaseRQWorker(RQWorker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        with Presence([q.name for q in self.queues], backend=Worker.Backend.RQ):
            return super().work(*args, **kwargs)
