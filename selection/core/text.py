"""Small text helpers shared by datasets, embeddings, metrics and the annotator's page: CoEDIT's
"instruction: input" convention lives here and nowhere else.

The instruction is a property of the data, not a guess: only a **known CoEDIT phrasing** (the ones CoEDIT's
training data and the platform's own data use, listed in ``COEDIT_INSTRUCTIONS``) or an instruction the row
itself declares is ever split off. A text is never cut just because it holds a colon: "The spacecraft
consists of two main elements: the NASA Cassini orbiter, ..." stays whole.
"""
from __future__ import annotations

import re

# CoEDIT-style instruction phrasings per task (case-insensitive; a final "." or ":" is optional). From the
# CoEDIT paper's instruction templates and the phrasings of the platform's data (shared train pool, demo data).
COEDIT_INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "gec": (
        "Fix grammar", "Fix grammaticality", "Fix the grammar", "Fix grammar errors", "Fix grammatical errors",
        "Fix grammatical errors in this sentence", "Fix all grammatical errors", "Fix errors in this text",
        "Fix the grammar mistakes", "Fix disfluencies in the sentence", "Fix the errors in this text",
        "Correct this text", "Correct the errors in this text", "Correct the grammar", "Correct grammar",
        "Correct grammatical errors", "Remove all grammatical errors from this text", "Remove grammar mistakes",
        "Remove grammatical mistakes", "Improve the grammar", "Improve the grammaticality",
        "Improve the grammaticality of this text", "Improve the grammaticality of this sentence",
        "Make the sentence fluent", "Make the sentence grammatical", "Make the text more grammatical",
        "Make this sentence fluent", "Update to remove grammar errors", "Grammar correction",
    ),
    "simplification": (
        "Simplify", "Simplify this sentence", "Simplify the sentence", "Simplify this text", "Make this simpler",
        "Make this easier to read", "Make this easier to understand", "Make the sentence simple",
        "Make the sentence simpler", "Rewrite this more simply", "Rewrite to make this easier to understand",
        "Write a simpler version for the sentence", "Use simpler wording", "Make it easier to read",
    ),
    "clarity": (
        "Clarify", "Clarify this text", "Clarify this sentence", "Make this clearer", "Make the text clearer",
        "Make the sentence clear", "Make the sentence clearer", "Make this more readable",
        "Improve the clarity of this text", "Improve the clarity of the text", "Improve clarity",
        "Rewrite this sentence for clarity", "Rewrite this sentence clearly", "Use clearer wording",
    ),
    "coherence": (
        "Fix coherence", "Fix coherence in this text", "Fix coherence in the text", "Fix the coherence in this sentence",
        "Fix lack of coherence", "Make this text coherent", "Make this more coherent", "Make this more cohesive",
        "Make this paragraph more cohesive", "Improve the coherence of this text", "Improve the cohesiveness",
        "Fix sentence flow",
    ),
    "paraphrase": (
        "Paraphrase", "Paraphrase this", "Paraphrase this sentence", "Paraphrase the sentence",
        "Write a paraphrase for the sentence", "Write a paraphrase", "Rewrite this sentence", "Reword this sentence",
        "Rephrase this sentence", "Rephrase", "Rewrite this text", "Use different wording",
    ),
    "neutralize": (
        "Neutralize", "Neutralize this text", "Make this more neutral", "Make the text more neutral",
        "Make this text less biased", "Remove point of view", "Remove POV", "Remove non-neutral POV",
        "Remove non-neutral POVs", "Remove biased language", "Write in a more neutral way",
    ),
    "formality": (
        "Formalize", "Write this more formally", "Make this formal", "Make this more formal",
        "Rewrite more formally", "Make this sound more formal", "Rewrite in a formal manner",
    ),
}
# The one instruction per task the platform prepends: ``generate --add-instruction`` and the reproduction's
# evaluation rows (``selection.core.benchmarks.coedit_eval_rows``). Each is a CoEDIT phrasing of the shared
# training pool, so a model trained on it is asked the way it was trained.
DEFAULT_INSTRUCTIONS: dict[str, str] = {
    "gec": "Fix grammar",
    "simplification": "Simplify this sentence",
    "clarity": "Make this clearer",
    "coherence": "Make this text coherent",
    "paraphrase": "Paraphrase this",
    "neutralize": "Write in a more neutral way",
    "formality": "Write this more formally",
}


def _key(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".:")


_KNOWN = {_key(p): task for task, phrasings in COEDIT_INSTRUCTIONS.items() for p in phrasings}
_MAX_WORDS = max(len(k.split()) for k in _KNOWN)
_PREFIX = re.compile(r"^\s*([^:\n]{1,120}?)\s*:\s+", re.DOTALL)


def is_known_instruction(text: str) -> bool:
    """Whether ``text`` is one of CoEDIT's instruction phrasings (case and a final "." or ":" ignored)."""
    return _key(text) in _KNOWN


def instruction_task(text: str) -> str | None:
    """The task a known instruction phrasing belongs to, else None."""
    return _KNOWN.get(_key(text))


def split_instruction(src: str, instruction: str | None = None) -> tuple[str, str]:
    """Split "instruction: input" into (instruction, input); ("", src) when ``src`` carries no known one.

    With ``instruction`` (what the row declares) only that exact prefix is split off; without it, only a
    known CoEDIT phrasing before the first ": " is.

    >>> split_instruction("Fix grammar: She go to school.")
    ('Fix grammar', 'She go to school.')
    >>> split_instruction("Working Group I: Assesses scientific aspects of the climate system.")
    ('', 'Working Group I: Assesses scientific aspects of the climate system.')
    >>> split_instruction("Tidy up: it go.", instruction="Tidy up")
    ('Tidy up', 'it go.')
    """
    if instruction:
        head = instruction.strip().rstrip(":").strip()
        stripped = src.lstrip()
        if head and stripped.startswith(head):
            rest = stripped[len(head):]
            if rest[:1] in (":", " ", "\n", "\t", ""):
                return head, rest.lstrip(":").lstrip()
        return "", src
    match = _PREFIX.match(src)
    if match is None or len(match.group(1).split()) > _MAX_WORDS or not is_known_instruction(match.group(1)):
        return "", src
    return match.group(1).strip(), src[match.end():]


def strip_instruction(src: str, instruction: str | None = None) -> str:
    """The input text without its instruction prefix (see `split_instruction`)."""
    return split_instruction(src, instruction)[1]


def add_instruction(text: str, task: str) -> str | None:
    """``text`` with CoEDIT's instruction for ``task`` in front ("Simplify this sentence: ..."); the text as
    it is when it already starts with a known instruction; None when the task has no CoEDIT instruction."""
    if split_instruction(text)[0]:
        return text
    instruction = DEFAULT_INSTRUCTIONS.get(task)
    return f"{instruction}: {text}" if instruction else None
