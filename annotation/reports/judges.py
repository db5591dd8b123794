"""The report's automatic-judge section (pure, no Django): one entry per judge run, each measured against the
human majority of the results shown (annotation/stats/judges.py). The judges' answers never enter the human
results: this section is the only place they appear."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from annotation.stats.judges import JudgeRecord, as_judge_records, judge_report
from annotation.stats.preferences import Judgment

__all__ = ["judges_section"]


def judges_section(human: list[Judgment], judges: Iterable[Mapping[str, Any]], *, bootstrap: int,
                   seed: int) -> list[dict[str, Any]]:
    """``judges``: {"name", "kind", "description", "records": [JudgeRecord or dict]} per run."""
    out = []
    for j in judges:
        records = [r if isinstance(r, JudgeRecord) else as_judge_records([r])[0] for r in j.get("records", [])]
        out.append({"name": j["name"], "kind": j.get("kind", ""), "description": j.get("description", ""),
                    "status": j.get("status", ""),
                    **judge_report(human, records, bootstrap=bootstrap, seed=seed)})
    return out
