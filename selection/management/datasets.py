"""What the selection commands share: a dataset named on the command line, or a clear CommandError."""
from __future__ import annotations

from django.core.management.base import CommandError

from selection.models import Dataset
from selection.selectors import dataset_named


def command_dataset(name: str) -> Dataset:
    """The dataset called ``name``; CommandError "no dataset named ..." when there is none."""
    dataset = dataset_named(name)
    if dataset is None:
        raise CommandError(f"no dataset named {name!r}")
    return dataset
