"""Imports every module that registers job handlers, so all kinds are known wherever jobs run."""
from selection.services import datasets  # noqa: F401
from selection.services import scoring, systems, training  # noqa: F401,E402
from selection.services import selection_runs  # noqa: F401,E402
