"""Writes of the annotation app: studies, assignment, judgments, invites, simulation.

Import from here: `from annotation.services import study_create, slot_next, judgment_submit, ...`.
"""
from .adjudication import (  # noqa: F401
    adjudication_next,
    adjudication_submit,
    adjudications_import,
    reviewer_add,
    reviewer_remove,
)
from .assignment import (  # noqa: F401
    rater_join,
    slot_flag,
    slot_next,
    slot_next_counted,
    slot_reclaim_expired,
    slot_skip,
)
from .errors import (  # noqa: F401
    AnnotationError,
    InvalidAnswer,
    NotAllowed,
    StudyFrozen,
    StudyNotLive,
    WorkLeft,
)
from .judges import judge_run_submit  # noqa: F401
from .judgments import (  # noqa: F401
    completion_code_valid,
    control_passed,
    judgment_submit,
    rater_finish,
    rater_practice_done,
)
from .simulation import simulate_raters, simulate_reviewers  # noqa: F401
from .studies import (  # noqa: F401
    invite_create,
    invite_join,
    participant_id_clean,
    questions_normalise,
    study_adjudication_set,
    study_close,
    study_create,
    study_launch,
    study_pause,
    study_peek,
    study_resume,
    study_share,
    study_unshare,
    study_update,
)
