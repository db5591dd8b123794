"""Option parsing the annotation commands share."""
from __future__ import annotations

from django.core.management.base import CommandError

from annotation.judges import JudgeError
from annotation.judges.simulated import parse_prefer as _parse_prefer


def parse_prefer(specs: list[str]) -> dict[str, float]:
    """--prefer SYSTEM:P (repeatable) -> {system: P}, P in [0, 1]; CommandError naming a bad one."""
    try:
        return _parse_prefer(specs)
    except JudgeError as exc:
        raise CommandError(str(exc)) from None
