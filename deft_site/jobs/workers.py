"""Worker presence: which worker processes are alive, on which queues, and what each one runs.

A worker started with ``manage.py jobs_worker`` (or an RQ worker of class ``deft_site.jobs.rq.LeaseRQWorker``)
keeps a ``Worker`` row and beats every third of a lease from a background thread; each beat also runs
``leases_reclaim``, so whichever worker notices a lapsed lease first re-queues that job. The staff dashboard
and a queued job's page read these rows ("no worker is serving queue long").
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

from deft_site.jobs.models import Worker
from deft_site.jobs.queues import renew_every

logger = logging.getLogger("deft.jobs")
_process: dict[str, "Presence | None"] = {"presence": None}


def current_name() -> str:
    """The name a job records as its worker: this process's presence, else host:pid."""
    presence = _process["presence"]
    return presence.name if presence else f"{socket.gethostname()}:{os.getpid()}"


def current_job_set(job_id: int | None) -> None:
    presence = _process["presence"]
    if presence is not None:
        presence.current_job_id = job_id
        try:
            Worker.objects.filter(name=presence.name).update(current_job_id=job_id, last_heartbeat=timezone.now())
        except Exception:  # noqa: BLE001 - presence is informative; never fail a job over it
            logger.exception("worker %s: could not record its current job", presence.name)


class Presence:
    """Registers this process as a worker and beats until stopped (a context manager)."""

    def __init__(self, queues: list[str], backend: str = "db", tag: str = "") -> None:
        self.name = f"{socket.gethostname()}:{os.getpid()}" + (f":{tag}" if tag else "")
        self.queues, self.backend = queues, backend
        self.current_job_id: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-presence", daemon=True)

    def __enter__(self) -> Presence:
        now = timezone.now()
        Worker.objects.filter(last_heartbeat__lt=now - timedelta(days=7)).delete()  # long gone
        Worker.objects.update_or_create(name=self.name, defaults={
            "hostname": socket.gethostname(), "pid": os.getpid(), "queues": self.queues, "backend": self.backend,
            "started_at": now, "last_heartbeat": now, "stopped_at": None, "current_job": None})
        _process["presence"] = self
        self.beat()
        self._thread.start()
        logger.info("worker %s serving queues %s", self.name, ",".join(self.queues))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        _process["presence"] = None
        if not connection.in_atomic_block:  # a worker's own connection may be stale; never close a caller's atomic one
            close_old_connections()
        Worker.objects.filter(name=self.name).update(stopped_at=timezone.now(), current_job=None)

    def beat(self) -> None:
        from deft_site.jobs.leases import leases_reclaim

        Worker.objects.filter(name=self.name).update(last_heartbeat=timezone.now())
        leases_reclaim()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(renew_every()):
                try:
                    self.beat()
                except Exception:  # noqa: BLE001 - the next beat tries again
                    logger.exception("worker %s: heartbeat failed", self.name)
                    close_old_connections()
        finally:
            connection.close()

