"""Small text helpers shared by datasets, embeddings, metrics and the annotator's page."""
from __future__ import annotations

# An instruction prefix is short ("Fix grammar", "Make this text coherent"); a longer text before the
# first ": " is part of the input itself (e.g. a quoted title), so it is kept.
MAX_INSTRUCTION_WORDS = 10


def split_instruction(src: str) -> tuple[str, str]:
    """Split CoEDIT's "instruction: input" into (instruction, input); ("", src) when there is no prefix."""
    head, sep, tail = src.partition(": ")
    if not sep or not head.strip() or len(head.split()) > MAX_INSTRUCTION_WORDS:
        return "", src
    return head.strip(), tail


def strip_instruction(src: str) -> str:
    """The input text without CoEDIT's instruction prefix."""
    return split_instruction(src)[1]
