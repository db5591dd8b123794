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
