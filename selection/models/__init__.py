"""Models of the selection app, one module per concept.

datasets: Dataset, Example · jobs: Job · embeddings: Embedding · selection_runs: SelectionRun, SelectionPick ·
systems: System, Output · training: TrainingRun · scores: ScoreReport
"""
from .datasets import Dataset, Example  # noqa: F401
from .embeddings import *  # noqa: F401,F403
from .jobs import Job  # noqa: F401
from .scores import *  # noqa: F401,F403
from .selection_runs import *  # noqa: F401,F403
from .systems import Output, System  # noqa: F401
from .training import *  # noqa: F401,F403
