"""The reproduction's cut of a large training pool: exactly max_rows, each task keeping its share, the same file
for the same pool and seed, and a clear error on a line that is not JSON."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from selection.services.reproduction import ReproductionError, subsample_pool


def _pool(path, counts):
    rows = [{"task": t, "src": f"{t} {i}", "tgt": "x"} for t, n in counts.items() for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_cut_keeps_task_shares_and_is_reused(tmp_path, settings):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    pool = _pool(tmp_path / "train.jsonl", {"gec": 60, "simplification": 30, "paraphrase": 10})
    out, n_pool = subsample_pool(pool, 20, seed=3)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert n_pool == 100 and len(rows) == 20 and len({r["src"] for r in rows}) == 20
    assert Counter(r["task"] for r in rows) == {"gec": 12, "simplification": 6, "paraphrase": 2}
    again, _ = subsample_pool(pool, 20, seed=3)
    assert again == out and again.read_text() == out.read_text()
    assert subsample_pool(pool, 200, seed=3) == (pool, 100)  # small pools are used as they are


def test_a_line_that_is_not_json_is_named(tmp_path, settings):
    settings.DEFT_DATA_DIR = tmp_path / "data"
    pool = _pool(tmp_path / "train.jsonl", {"gec": 5})
    pool.write_text(pool.read_text() + "{oops\n", encoding="utf-8")
    with pytest.raises(ReproductionError, match="not valid JSON"):
        subsample_pool(pool, 2, seed=0)
