"""A simulated judge of known quality, for tests and simulated studies (``simulate_raters``).

It sees the same blinded query as every judge; what it cannot see (which output is truly better) comes from an
``oracle(query) -> "left" | "right" | None`` that the simulation builds from its own seeded truth (None: no
truth, e.g. identical outputs). With probability ``left_bias`` it answers "left" whatever it is shown (a pure
position bias); otherwise it names the truly better side with probability ``accuracy``. So, with sides shown in
both orders, its share of left answers is 1/2 + left_bias/2 and it agrees with the truth with probability
left_bias/2 + (1 - left_bias) * accuracy; it picks the same output in both orders with probability
(1 - left_bias)^2 * (accuracy^2 + (1 - accuracy)^2) + left_bias * (1 - left_bias). Each draw is seeded by the
query's texts, so a run is reproducible and a retried job answers as the first attempt did.
"""
from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable

from .base import JudgeError, JudgeQuery, Verdict

Oracle = Callable[[JudgeQuery], "str | None"]


class SimulatedJudge:
    def __init__(self, *, oracle: Oracle, accuracy: float = 1.0, left_bias: float = 0.0, seed: int = 0) -> None:
        self.oracle, self.accuracy, self.left_bias, self.seed = oracle, accuracy, left_bias, seed

    def describe(self) -> str:
        return (f"a simulated judge (accuracy {self.accuracy:.2f}, answering left regardless on "
                f"{self.left_bias:.0%} of pairs)")

    def _rng(self, query: JudgeQuery) -> random.Random:
        key = "\x1f".join((str(self.seed), query.instruction, query.source, query.left, query.right))
        return random.Random(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))

    def judge(self, query: JudgeQuery) -> Verdict:
        rng = self._rng(query)
        if rng.random() < self.left_bias:
            return Verdict(answer="left", p_left=None, raw="simulated: position")
        truth = self.oracle(query)
        if truth not in ("left", "right"):
            return Verdict(answer="tie", raw="simulated: no truth")
        right = rng.random() < self.accuracy
        answer = truth if right else ("right" if truth == "left" else "left")
        return Verdict(answer=answer, raw="simulated: " + ("truth" if right else "error"))


def parse_prefer(specs: Iterable[str]) -> dict[str, float]:
    """["SYSTEM:P", ...] (simulate_raters' --prefer, the truth a simulated judge is told) -> {system: P}, P in
    [0, 1]; JudgeError naming the first bad one."""
    prefer: dict[str, float] = {}
    for spec in specs:
        name, _, p = spec.strip().rpartition(":")
        try:
            value = float(p)
        except ValueError:
            value = -1.0
        if not name or not 0 <= value <= 1:
            raise JudgeError(f"--prefer wants SYSTEM:P with P in [0, 1], got {spec!r}")
        prefer[name] = value
    return prefer
