"""Number formats shared by the results page and the study report: one rule for p-values and percentages."""
from __future__ import annotations

import math

from django import template

register = template.Library()


@register.filter
def pvalue(p: float | None) -> str:
    """p < 0.001 as "< 0.001" (never "0.0000"), otherwise three decimals; "—" when undefined."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


@register.filter
def percent(x: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage ("58%")."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{100 * float(x):.{int(digits)}f}%"
