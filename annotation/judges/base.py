"""What every judge shares: the query (what a rater sees), the verdict, the errors, the prompt, reply parsing
and the spec string that names a judge (``hf:PATH``, ``openai:URL``, ``sim:accuracy=A,left_bias=B``)."""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Protocol
from urllib.parse import urlsplit

ANSWERS = ("left", "right", "tie")  # what a judge may answer; "" in a verdict: a reply that said none of them
LABELS = ("A", "B")  # the names the prompt gives the left and the right output
KINDS = ("hf", "openai", "sim")

PROMPT = ("Two edits of the same text follow. Which output carries out the instruction better?\n\n"
          "Instruction: {instruction}\nInput: {source}\nOutput A: {left}\nOutput B: {right}\n\n"
          "Answer with one letter, A or B.\nAnswer:")
CHAT_SYSTEM = ("You rate text edits. You are shown an instruction, an input text and two outputs, A and B. Reply "
               "with exactly one word: A if output A carries out the instruction better, B if output B does, or "
               "tie if they are equally good.")
CHAT_USER = ("Instruction: {instruction}\nInput: {source}\nOutput A: {left}\nOutput B: {right}\n\n"
             "Which is better: A, B or tie?")


class JudgeError(ValueError):
    """A judge cannot work as configured (bad spec, missing model, refused key): a retry would fail alike."""


class JudgeUnavailable(OSError):
    """The judge could not be reached or kept failing (endpoint down, timeouts): a later retry may work."""


@dataclass(frozen=True)
class JudgeQuery:
    """One pair in the sides shown, exactly the texts a rater reads (no system, id or kind)."""

    instruction: str
    source: str
    left: str
    right: str

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> JudgeQuery:
        """From ``annotation.selectors.slot_payload``: the rating page's own payload."""
        return cls(instruction=str(payload.get("instruction") or ""), source=str(payload.get("input") or ""),
                   left=str(payload["left"]["text"]), right=str(payload["right"]["text"]))

    def swapped(self) -> JudgeQuery:
        return JudgeQuery(self.instruction, self.source, self.right, self.left)

    def prompt(self, template: str = PROMPT) -> str:
        return template.format(instruction=self.instruction or "(none)", source=self.source, left=self.left,
                               right=self.right)


@dataclass(frozen=True)
class Verdict:
    """A judge's answer on one order of a pair: "left" / "right" / "tie", or "" when its reply named none
    (``raw`` keeps what it said); ``p_left`` is the probability it gives the left output, when it has one."""

    answer: str
    p_left: float | None = None
    raw: str = ""

    def __post_init__(self) -> None:
        if self.answer not in (*ANSWERS, ""):
            raise ValueError(f"a verdict is one of {ANSWERS} or '', not {self.answer!r}")
        if self.p_left is not None and not (0.0 <= self.p_left <= 1.0 and math.isfinite(self.p_left)):
            raise ValueError(f"p_left must be a probability, not {self.p_left!r}")


class Judge(Protocol):
    """``judge(query) -> Verdict`` for one order of one pair; ``describe()`` names it for the methods text."""

    def judge(self, query: JudgeQuery) -> Verdict: ...

    def describe(self) -> str: ...


def verdict_from_scores(score_left: float, score_right: float, tie_margin: float = 0.0, raw: str = "") -> Verdict:
    """The verdict from two log-scores (log-likelihoods or log-probabilities of the labels A and B): p_left is
    their softmax; within ``tie_margin`` of 1/2 the answer is a tie."""
    p_left = 1.0 / (1.0 + math.exp(min(700.0, max(-700.0, score_right - score_left))))
    answer = "tie" if abs(p_left - 0.5) <= tie_margin and tie_margin > 0 else "left" if p_left >= 0.5 else "right"
    return Verdict(answer=answer, p_left=p_left, raw=raw)


_REPLY = re.compile(r"^\W*(?:output\s+|answer\s*:?\s*)?(a|b|tie|equal|same)\b", re.IGNORECASE)


def parse_reply(text: str) -> str:
    """"left" / "right" / "tie" from a chat reply ("A", "B.", "Output B", "Tie"), "" when it says none of them."""
    m = _REPLY.match(text or "")
    if not m:
        return ""
    word = m.group(1).lower()
    return "left" if word == "a" else "right" if word == "b" else "tie"


# ------------------------------------------------------------------------------------------ specs

_OPTIONS: dict[str, dict[str, type]] = {
    "hf": {"tie_margin": float, "max_length": int, "device": str},
    "openai": {"api_key_env": str, "timeout": float, "retries": int, "logprobs": bool},
    "sim": {"accuracy": float, "left_bias": float, "seed": int},
}


@dataclass(frozen=True)
class JudgeSpec:
    """Which judge: its kind, target (a model path or id, a base URL, or "" for a simulated judge), the model
    name an endpoint serves, and its options (see ``_OPTIONS``)."""

    kind: str
    target: str = ""
    model: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        """A short readable name: "hf:tiny-judge", "openai:llama-3@127.0.0.1:8000", "sim:acc0.80-left0.10"."""
        if self.kind == "hf":
            return f"hf:{PurePath(self.target).name or self.target}"[:100]
        if self.kind == "openai":
            return f"openai:{self.model}@{urlsplit(self.target).netloc}"[:100]
        return f"sim:acc{self.options.get('accuracy', 1.0):.2f}-left{self.options.get('left_bias', 0.0):.2f}"

    def as_params(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "model": self.model, "options": dict(self.options)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> JudgeSpec:
        return spec_validate(cls(kind=params["kind"], target=params.get("target", ""),
                                 model=params.get("model", ""), options=dict(params.get("options") or {})))


def _coerce(kind: str, key: str, value: Any) -> Any:
    allowed = _OPTIONS[kind]
    if key not in allowed:
        raise JudgeError(f"A {kind} judge has no option {key!r}; it takes {', '.join(sorted(allowed))}.")
    want = allowed[key]
    try:
        if want is bool and isinstance(value, str):
            if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(value)
            return value.lower() in ("1", "true", "yes")
        return want(value)
    except (TypeError, ValueError):
        raise JudgeError(f"Option {key} of a {kind} judge must be a {want.__name__}, not {value!r}.") from None


def spec_validate(spec: JudgeSpec) -> JudgeSpec:
    """The spec with its options typed and checked; JudgeError naming the first problem."""
    if spec.kind not in KINDS:
        raise JudgeError(f"Unknown judge kind {spec.kind!r}: use hf:PATH, openai:URL or sim:accuracy=A,left_bias=B.")
    options = {k: _coerce(spec.kind, k, v) for k, v in spec.options.items()}
    if spec.kind == "hf" and not spec.target.strip():
        raise JudgeError("An hf judge needs a model: hf:PATH (a local directory) or hf:ID (a model in the local "
                         "Hugging Face cache).")
    if spec.kind == "openai":
        url = urlsplit(spec.target)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise JudgeError(f"An openai judge needs a base URL such as http://127.0.0.1:8000/v1, not {spec.target!r}.")
        if not spec.model.strip():
            raise JudgeError("An openai judge needs the model name its endpoint serves (--model NAME).")
    if spec.kind == "sim":
        for key in ("accuracy", "left_bias"):
            if not 0.0 <= options.get(key, 0.0) <= 1.0:
                raise JudgeError(f"{key} of a simulated judge is a probability in [0, 1], not {options[key]}.")
        options.setdefault("accuracy", 1.0)
        options.setdefault("left_bias", 0.0)
    if options.get("tie_margin", 0.0) < 0 or options.get("tie_margin", 0.0) >= 0.5:
        raise JudgeError("tie_margin is a distance from 1/2 in [0, 0.5).")
    return JudgeSpec(kind=spec.kind, target=spec.target.strip(), model=spec.model.strip(), options=options)


def parse_spec(text: str, *, model: str = "", **options: Any) -> JudgeSpec:
    """``hf:PATH``, ``openai:URL`` or ``sim:accuracy=A,left_bias=B[,seed=S]`` (keyword ``options`` add to or
    override the spec's own), validated."""
    kind, sep, rest = (text or "").strip().partition(":")
    if not sep:
        raise JudgeError(f"A judge is hf:PATH, openai:URL or sim:accuracy=A,left_bias=B, not {text!r}.")
    kind = kind.lower()
    given: dict[str, Any] = {}
    target = rest
    if kind == "sim":
        target = ""
        for part in filter(None, (p.strip() for p in rest.split(","))):
            key, eq, value = part.partition("=")
            if not eq:
                raise JudgeError(f"Simulated judge options are key=value, not {part!r}.")
            given[key.strip()] = value.strip()
    given.update({k: v for k, v in options.items() if v is not None})
    return spec_validate(JudgeSpec(kind=kind, target=target, model=model or "", options=given))
