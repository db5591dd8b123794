"""The commands' one way to turn a name on the command line into a row: a selector read, or a CommandError that
names what is missing."""
from __future__ import annotations

from django.core.management.base import CommandError

from selection import selectors
from selection.models import Dataset


def dataset_or_error(name: str) -> Dataset:
    """The dataset called ``name``; CommandError ("no dataset named ...") when there is none."""
    dataset = selectors.dataset_by_name(name)
    if dataset is None:
        raise CommandError(f"no dataset named {name!r}")
    return dataset
