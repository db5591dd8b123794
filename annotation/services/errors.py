"""Errors the annotation services raise; views turn them into 400/403/409 answers."""


class AnnotationError(Exception):
    """Base class: a request the services refuse, with a message fit for the user."""


class StudyFrozen(AnnotationError):
    """The study was launched: its items, systems and questions can no longer change."""


class StudyNotLive(AnnotationError):
    """No work is handed out or accepted unless the study is live."""


class NotAllowed(AnnotationError):
    """The user may not do this (not their slot, not a member of the study)."""


class InvalidAnswer(AnnotationError):
    """A submission that does not answer the study's questions."""


class WorkLeft(AnnotationError):
    """A rater asked to finish while pairs are still waiting for them."""
