"""Small text helpers shared by datasets, embeddings, metrics and the annotator's page: CoEDIT's
"instruction: input" convention lives here and nowhere else."""
from __future__ import annotations

import re

# An instruction prefix is short ("Fix grammar", "Make this text coherent"); a longer text before the
# first ": ", or one holding a sentence end, is part of the input itself, so it is kept.
MAX_INSTRUCTION_WORDS = 8
_SENTENCE_END = re.compile(r"[.!?]\s")


def split_instruction(src: str, max_words: int = MAX_INSTRUCTION_WORDS) -> tuple[str, str]:
    """Split CoEDIT's "instruction: input" into (instruction, input); ("", src) when there is no prefix.

    A short genuine prefix such as "Note: ..." cannot be told from an instruction and is split off too:
    call this only on instruction-prefixed data.

    >>> split_instruction("Fix grammar: She go to school.")
    ('Fix grammar', 'She go to school.')
    >>> split_instruction("The committee, after a long debate about the budget, concluded: no.")
    ('', 'The committee, after a long debate about the budget, concluded: no.')
    """
    head, sep, tail = src.partition(": ")
    if not sep or not head.strip() or len(head.split()) > max_words or _SENTENCE_END.search(head):
        return "", src
    return head.strip(), tail.lstrip()


def strip_instruction(src: str, max_words: int = MAX_INSTRUCTION_WORDS) -> str:
    """The input text without CoEDIT's instruction prefix (see `split_instruction`)."""
    return split_instruction(src, max_words)[1]
