"""The one specification of a selection run's parameters, and its one validation. No Django.

Every way in uses it: the web form (``selection.views.selection_runs``) builds its fields from
:data:`PARAMS` and cleans through :meth:`SelectionParams.parse`; the API passes the raw request
values to the same call; ``manage.py select`` builds its options from :data:`PARAMS` and passes
the raw strings; the service records ``parse(raw).as_dict()``; the core estimators
(``selection.core.ucs`` / ``semdedup``) check the values they share with :func:`check_param`.
So a bad value gets one message, naming the parameter, wherever it was typed::

    >>> SelectionParams.parse({"per_cluster": 0})
    Traceback (most recent call last):
    ...
    selection.params.SelectionParamsError: per_cluster (A) must be an integer >= 1, got per_cluster=0

Values may arrive as strings (form, CLI), JSON numbers (API) or Python values (code); they are
coerced here, never by the callers, so "abc", 2.5 for an integer, or True for a number give the
same message everywhere. Checks that need the data (K larger than D_remain, a target not above
D_base, a split with no rows) run later, in the core or the service.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from selection.core.embedders import TEXT_MODES

__all__ = [
    "EMBED_TEXT_MODES",
    "EMBEDDING_STRATEGIES",
    "PARAMS",
    "Param",
    "SPLITS",
    "STRATEGIES",
    "SelectionParams",
    "SelectionParamsError",
    "check_alpha_beta",
    "check_param",
]

STRATEGIES = ("ucs", "random", "stratified", "semdedup")  # = SelectionRun.Strategy.values (tested)
EMBEDDING_STRATEGIES = ("ucs", "semdedup")
SPLITS = ("train", "validation", "test")  # = selection.models.datasets.Split.values (tested)
EMBED_TEXT_MODES = TEXT_MODES
DEFAULT_TARGET_FRACTION = 1 / 3
MAX_SEED = 2**63 - 1  # SelectionRun.seed is a BigIntegerField


class SelectionParamsError(ValueError):
    """A bad parameter value; ``field`` names the parameter (None for a rule across several)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Param:
    """One parameter: its type, bounds, default and the words shown beside it.

    ``kind`` is float, int, bool or str. Numbers lie in [low, high] (an end is excluded when
    ``low_open`` / ``high_open``; None: unbounded). ``optional``: None (blank) is a value.
    ``strategies``: the strategies it applies to (a non-default value elsewhere is an error
    only where ``strict``).
    """

    name: str
    kind: type
    default: Any
    help: str
    label: str = ""
    symbol: str = ""
    cli: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    optional: bool = False
    max_length: int | None = None
    strategies: tuple[str, ...] = STRATEGIES
    strict: bool = False

    @property
    def display(self) -> str:
        """How messages name it: "per_cluster (A)"."""
        return f"{self.name} ({self.symbol})" if self.symbol else self.name

    @property
    def option(self) -> str:
        """The command-line option: --clusters for n_clusters, else --base-fraction style."""
        return self.cli or "--" + self.name.replace("_", "-")

    def requirement(self) -> str:
        """What a valid value is, in words: "in [0, 1)", "an integer >= 1", "one of a, b"."""
        if self.choices is not None:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return f"a text of at most {self.max_length} characters" if self.max_length else "a non-empty text"
        lo, hi = self.low, self.high
        prefix = "an integer " if self.kind is int else ""
        if lo is not None and hi is not None:
            return f"{prefix}in {'(' if self.low_open else '['}{_num(lo)}, {_num(hi)}{')' if self.high_open else ']'}"
        if lo is not None:
            return f"{prefix}{'>' if self.low_open else '>='} {_num(lo)}"
        if hi is not None:
            return f"{prefix}{'<' if self.high_open else '<='} {_num(hi)}"
        return "an integer" if self.kind is int else "a number"

    def error(self, value: Any) -> SelectionParamsError:
        return SelectionParamsError(f"{self.display} must be {self.requirement()}, got {self.name}={value!r}"
                                    if isinstance(value, str) else
                                    f"{self.display} must be {self.requirement()}, got {self.name}={value}",
                                    self.name)

    def coerce(self, raw: Any) -> Any:
        """The typed value of ``raw`` (a string, a number, a bool or None); raises SelectionParamsError."""
        if raw is None or (isinstance(raw, str) and raw.strip() == "" and self.kind is not str):
            if self.optional or self.kind is bool:
                return None if self.optional else False
            raise self.error(raw)
        if self.kind is bool:
            return _boolean(raw, self)
        if self.kind is str:
            if not isinstance(raw, str):
                raise self.error(raw)
            return raw.strip()
        if isinstance(raw, bool):
            raise self.error(raw)
        if isinstance(raw, str):
            try:
                number = float(raw.strip())
            except ValueError:
                raise self.error(raw) from None
        elif isinstance(raw, numbers.Real):
            number = float(raw)
        else:
            raise self.error(raw)
        if not math.isfinite(number):
            raise self.error(raw)
        if self.kind is int:
            if number != int(number):
                raise self.error(number)  # "2.5" and 2.5 read the same in the message
            return int(number) if not isinstance(raw, numbers.Integral) else int(raw)
        return number

    def check(self, value: Any) -> None:
        """Raise SelectionParamsError unless ``value`` (already typed) is valid for this parameter."""
        if value is None:
            if not self.optional:
                raise self.error(value)
            return
        if self.choices is not None:
            if value not in self.choices:
                raise self.error(value)
            return
        if self.kind is bool:
            if not isinstance(value, bool):
                raise self.error(value)
            return
        if self.kind is str:
            if not isinstance(value, str) or not value or (self.max_length and len(value) > self.max_length):
                raise self.error(value)
            return
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self.error(value)
        if self.kind is int and not isinstance(value, numbers.Integral):
            raise self.error(value)
        if not math.isfinite(value):
            raise self.error(value)
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise self.error(value)
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise self.error(value)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _boolean(raw: Any, param: Param) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, numbers.Integral) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "1", "yes", "on"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("false", "0", "no", "off"):
        return False
    raise param.error(raw)


PARAMS: tuple[Param, ...] = (
    Param("strategy", str, "ucs", choices=STRATEGIES,
          help="ucs: DEFT's clustering core-set; random / stratified: same-size baselines; semdedup: everything "
               "but near-duplicates inside clusters."),
    Param("split", str, "train", choices=SPLITS, help="Which split of the dataset to select from."),
    Param("base_fraction", float, 0.1, low=0.0, high=1.0, high_open=True,
          help="Share of the data in D_base (stratified by task)."),
    Param("n_clusters", int, 7, label="Clusters (K)", cli="--clusters", low=1,
          help="K, the number of k-means clusters of D_remain.", strategies=EMBEDDING_STRATEGIES),
    Param("per_cluster", int, None, label="Per cluster (A)", symbol="A", low=1, optional=True, strategies=("ucs", "random", "stratified"),
          strict=True, help="A, examples taken from each cluster; or give a target fraction."),
    Param("target_fraction", float, None, low=0.0, high=1.0, low_open=True, optional=True,
          strategies=("ucs", "random", "stratified"), strict=True,
          help="Share of the data in D_base ∪ D_c (A is solved for). Blank with A blank: 1/3."),
    Param("alpha", float, 0.0, low=0.0, high=1.0, label="α", strategies=("ucs",),
          help="Share of A taken nearest the centroid (easy)."),
    Param("beta", float, 1.0, low=0.0, high=1.0, label="β", strategies=("ucs",),
          help="Share of A taken farthest from the centroid (hard); alpha + beta <= 1, the rest is random."),
    Param("eps", float, 0.05, low=0.0, high=1.0, low_open=True, high_open=True, label="SemDeDup eps",
          strategies=("semdedup",),
          help="semdedup only: pairs in a cluster with cosine similarity above 1 − eps are duplicates; the one "
               "nearest the centroid stays."),
    Param("group_by_source", bool, False, label="Group rows by source sentence", strategies=("ucs",), strict=True,
          help="ucs only: rows that share one source sentence (the input without its instruction) are picked "
               "one at a time: a cluster gives each of its sentences one row before any gets a second."),
    Param("seed", int, 0, low=0, high=MAX_SEED, help="Random seed for the split, k-means and the random picks."),
    Param("embedder", str, None, optional=True, max_length=200, strategies=EMBEDDING_STRATEGIES,
          help="Blank: the site default (e.g. minilm), or a local model path."),
    Param("embed_text", str, "src", choices=EMBED_TEXT_MODES, strategies=EMBEDDING_STRATEGIES,
          help="src: instruction + input; input: without the instruction; input+target: input and reference."),
    Param("batch_size", int, 64, low=1, high=4096, strategies=EMBEDDING_STRATEGIES, help="Embedding batch size."),
)
PARAM: dict[str, Param] = {p.name: p for p in PARAMS}


def check_param(name: str, value: Any) -> None:
    """The checks of one parameter, for the core estimators (same bounds, same message)."""
    PARAM[name].check(value)


def check_alpha_beta(alpha: float, beta: float) -> None:
    """alpha + beta <= 1 (the rest of A is drawn at random)."""
    if alpha + beta > 1.0 + 1e-9:
        raise SelectionParamsError(
            f"alpha + beta must be <= 1, got alpha={alpha}, beta={beta} (sum {alpha + beta:g})", "alpha")


@dataclass(frozen=True)
class SelectionParams:
    """A selection run's parameters (see :data:`PARAMS` for each one's meaning and bounds).

    Build it with :meth:`parse` (coerce + defaults + :meth:`validate`); ``as_dict()`` is what a
    run records. Direct construction skips coercion: call ``validate()`` yourself.
    """

    strategy: str = "ucs"
    split: str = "train"
    base_fraction: float = 0.1
    n_clusters: int = 7
    per_cluster: int | None = None
    target_fraction: float | None = None
    alpha: float = 0.0
    beta: float = 1.0
    eps: float = 0.05
    group_by_source: bool = False
    seed: int = 0
    embedder: str | None = None
    embed_text: str = "src"
    batch_size: int = 64

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, default_embedder: str | None = None) -> "SelectionParams":
        """Coerce the raw values (strings, numbers or None: None or "" means the default), fill the
        defaults (target_fraction 1/3 when neither A nor a target is given, except for semdedup;
        the embedder ``default_embedder``), and validate. Unknown names are an error."""
        unknown = sorted(set(raw) - set(PARAM))
        if unknown:
            raise SelectionParamsError(f"unknown parameter(s): {', '.join(unknown)}; known: {', '.join(PARAM)}",
                                       unknown[0])
        values: dict[str, Any] = {}
        for p in PARAMS:
            given = raw.get(p.name)
            blank = given is None or (isinstance(given, str) and given.strip() == "")
            values[p.name] = p.default if blank else p.coerce(given)
        if values["embedder"] is None:
            values["embedder"] = default_embedder
        if (values["strategy"] != "semdedup" and values["per_cluster"] is None
                and values["target_fraction"] is None):
            values["target_fraction"] = DEFAULT_TARGET_FRACTION
        return cls(**values).validate()

    def validate(self) -> "SelectionParams":
        """Every check that needs no data; raises SelectionParamsError (with ``field``); returns self."""
        for p in PARAMS:
            p.check(getattr(self, p.name))
        for p in PARAMS:
            value = getattr(self, p.name)
            if p.strict and self.strategy not in p.strategies and value not in (None, False):
                if self.strategy == "semdedup" and p.name in ("per_cluster", "target_fraction"):
                    raise SelectionParamsError(
                        f"semdedup keeps every example that is not a near-duplicate; {p.name} does not apply "
                        "(tune eps instead)", p.name)
                raise SelectionParamsError(f"{p.name} applies to {', '.join(p.strategies)} only, not to "
                                           f"strategy {self.strategy!r}", p.name)
        if self.per_cluster is not None and self.target_fraction is not None:
            raise SelectionParamsError("give either per_cluster (A) or target_fraction, not both", "per_cluster")
        if self.strategy != "semdedup" and self.per_cluster is None and self.target_fraction is None:
            raise SelectionParamsError("give per_cluster (A) or target_fraction", "target_fraction")
        check_alpha_beta(self.alpha, self.beta)
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def params_display(params: dict[str, Any]) -> list[tuple[str, str]]:
    """A run's parameters as a researcher reads them: each one's label (``Clusters (K)``, not ``n_clusters``),
    only those that apply to the run's strategy, booleans as yes / no and a blank as what it means."""
    strategy = params.get("strategy", "ucs")
    rows = []
    for p in PARAMS:
        if p.name not in params or strategy not in p.strategies:
            continue
        value = params[p.name]
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif value is None:
            shown = {"per_cluster": "solved for from the target fraction", "target_fraction": "1/3",
                     "embedder": "the site default"}.get(p.name, "—")
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
        label = p.label or p.name.replace("_", " ").capitalize()
        rows.append((label, shown))
    return rows
