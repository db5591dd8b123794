"""Word-level diff of an output against its input, as HTML with <ins>/<del>. Pure (no Django).

Whitespace-split tokens, difflib's SequenceMatcher; every token is escaped. The markup depends only on
the two texts, so identical outputs render identically whatever system wrote them.
"""
from __future__ import annotations

import difflib
from html import escape


def diff_tokens(source: str, output: str) -> list[tuple[str, str]]:
    """[(op, text)] with op in "equal", "insert", "delete"; a replace is a delete then an insert."""
    a, b = source.split(), output.split()
    ops: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("equal", " ".join(a[i1:i2])))
        if tag in ("delete", "replace"):
            ops.append(("delete", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(("insert", " ".join(b[j1:j2])))
    return ops


def edit_words(source: str, output: str) -> int:
    """How much the output changed its input: words deleted plus words inserted (the edit length a report
    controls for)."""
    return sum(len(text.split()) for op, text in diff_tokens(source, output) if op != "equal")


def diff_html(source: str, output: str) -> str:
    """HTML for the diff, with accessible labels on insertions and deletions."""
    parts = []
    for op, text in diff_tokens(source, output):
        if op == "equal":
            parts.append(escape(text))
        elif op == "insert":
            parts.append(f'<ins aria-label="added: {escape(text)}">{escape(text)}</ins>')
        else:
            parts.append(f'<del aria-label="removed: {escape(text)}">{escape(text)}</del>')
    return " ".join(parts)


def changed_share(source: str, output: str) -> float:
    """Share of the words of input and output that the diff marks as removed or added (0 = identical)."""
    a, b = source.split(), output.split()
    if not a and not b:
        return 0.0
    same = sum(i2 - i1 for tag, i1, i2, _, _ in
               difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if tag == "equal")
    return 1.0 - 2 * same / (len(a) + len(b))


HEAVY_REWRITE = 0.5  # above this share of changed words a diff is harder to read than the plain text


def initial_view(mode: str, source: str, outputs: tuple[str, ...]) -> str:
    """'diff' or 'plain' for a pair: the study's choice, or under 'auto' plain when any output is a heavy rewrite.
    Depends only on the texts, so it reveals nothing about which system wrote them."""
    if mode in ("diff", "plain"):
        return mode
    return "plain" if any(changed_share(source, o) > HEAVY_REWRITE for o in outputs) else "diff"
