"""Exceptions a handler raises or meets, and how a failure becomes a headline for users."""
from __future__ import annotations


class JobCancelled(Exception):
    """Raised inside a handler (at a progress report) when somebody asked to cancel its job."""


class JobLost(Exception):
    """Raised inside a handler when its lease was taken over (the job was re-queued to another worker)."""


class JobError(Exception):
    """A failure a retry with the same parameters would meet again (bad input, missing data).

    ``hint`` tells the user what to do instead; the job is marked not retryable.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


# Domain errors of the apps are ValueErrors that name the bad input; retrying cannot fix them.
PERMANENT = (JobError, ValueError, LookupError, TypeError)


def headline_for(exc: BaseException) -> tuple[str, bool]:
    """``(one-sentence headline, retryable)`` for an exception raised by a handler."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, PERMANENT):
        hint = getattr(exc, "hint", "") or "Fix the input and start a new job; a retry would fail the same way."
        sentence = as_sentence(message)
        first = sentence.split(" ", 1)[0]
        if first.isalpha():  # "row 3 has no src" -> "Row 3 ...", but a name stays as written: "n_clusters=500 ..."
            sentence = sentence[:1].upper() + sentence[1:]
        return f"{sentence} {hint}", False
    if isinstance(exc, MemoryError):
        return "The worker ran out of memory. Retry on a larger worker or with smaller batches.", True
    if isinstance(exc, OSError):
        return f"A file or network operation failed ({as_sentence(message, end='')}). Retry once it is fixed.", True
    return (f"Unexpected error ({type(exc).__name__}: {as_sentence(message, end='')}). "
            "Retry may help; staff can see the details."), True


def as_sentence(text: str, end: str = ".") -> str:
    """The text (at most 300 characters) ending as a sentence: "x" -> "x.", "x." unchanged."""
    text = text[:300].rstrip()
    return text if not end or text.endswith((".", "!", "?")) else text + end
