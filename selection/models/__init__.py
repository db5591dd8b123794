"""Models of the selection app, one module per concept.

datasets: Dataset, Example, Split · embeddings: Embedding · selection_runs: SelectionRun, SelectionPick ·
systems: System, Output · training: TrainingRun · scores: ScoreReport
(Jobs live in deft_site.jobs; a run reads its state from its job.)
"""
from .datasets import Dataset, Example, Split  # noqa: F401
from .embeddings import *  # noqa: F401,F403
from .scores import *  # noqa: F401,F403
from .selection_runs import *  # noqa: F401,F403
from .systems import Output, System, SystemKind  # noqa: F401
from .training import *  # noqa: F401,F403
