"""Option parsing the annotation commands share."""
from __future__ import annotations

from django.core.management.base import CommandError


def parse_prefer(specs: list[str]) -> dict[str, float]:
    """--prefer SYSTEM:P (repeatable) -> {system: P}, P in [0, 1]; CommandError naming a bad one."""
    prefer: dict[str, float] = {}
    for spec in specs:
        name, _, p = spec.rpartition(":")
        try:
            prefer[name] = float(p)
        except ValueError:
            raise CommandError(f"--prefer wants SYSTEM:P, got {spec!r}") from None
        if not name or not 0 <= prefer[name] <= 1:
            raise CommandError(f"--prefer wants SYSTEM:P with P in [0, 1], got {spec!r}")
    return prefer
