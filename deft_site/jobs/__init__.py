"""Background jobs, the platform's one home for long work: every app may use it, it imports no app.

models (Job, Worker) · queues (names, lease settings) · registry (kind -> handler, lazily imported) ·
reporter (progress, log, cancellation) · leases (a running job's lease and its renewal; reclaiming lapsed
ones) · services (create, enqueue, run, cancel, retry) · tasks (the django-tasks entry point) · workers
(worker presence and the worker command's loop) · selectors (reads for pages, API and CLI).
"""
