"""The metrics against values computed by running their reference implementations on the shipped fixture.

``tests/fixtures/eval_sample.jsonl`` holds 50 public rows of the evaluation sets (ASSET, TurkCorpus GEM, JFLEG,
IteraTeR; see tests/fixtures/README.md). The expected numbers below were computed by running, on exactly these
rows and systems, from scratch copies that are not part of this repository:

* EASSE (feralvam/easse @ 6a4352ec299ed03fda8ee45445ca43d9c7673e89, ``easse/sari.py``):
  ``corpus_sari`` and ``get_corpus_sari_operation_scores`` with their defaults (sacrebleu 2.6.0), and the
  SARI with ``use_f1_for_deletion=False``;
* JFLEG's official GLEU (keisks/jfleg @ ee06ff806a208aba815ac45313f4e750a48330a5, ``eval/gleu.py``):
  ``GLEU(4)``, ``load_sources``, ``load_references``, ``run_iterations(num_iterations=500, per_sent=False)``
  on files written one sentence per line; the mean of its per-iteration scores taken unrounded, ×100.

Systems: ``identity`` (output = input, the copy baseline), ``ref0`` (the first reference), ``drop_last_word``
(the input without its last word when it has more than three). Rows with a blank reference are left out, as
the import leaves them out.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from selection.core.metrics import (
    corpus_gleu,
    corpus_sari,
    corpus_sari_scores,
    score_system,
)
from selection.core.metrics.calibration import calibration_set

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "eval_sample.jsonl"

# (sari, sari_add, sari_keep, sari_del, sari with deletion precision) from EASSE
EASSE = {
    "asset/identity": (21.939473538558925, 0.0, 65.81842061567677, 0.0, 21.939473538558925),
    "asset/ref0": (49.40608191424618, 18.236793875117428, 65.39348687821303, 64.58796498940809, 49.83262436403867),
    "asset/drop_last_word": (24.412007149612254, 0.0, 62.80309610251905, 10.432925346317711, 34.05936536750635),
    "turkcorpus_gem/identity": (26.33045219682384, 0.0, 78.99135659047151, 0.0, 26.33045219682384),
    "turkcorpus_gem/ref0": (51.51313263112187, 30.08272474903948, 71.4598007314978, 52.99687241282833, 50.19529594076854),
    "turkcorpus_gem/drop_last_word": (27.73857357327522, 0.0, 77.51676508055995, 5.698955639265712, 35.64794947129776),
    "jfleg/identity": (26.567049691629183, 0.0, 79.70114907488755, 0.0, 26.567049691629183),
    "jfleg/ref0": (73.45675316636894, 55.872669122816845, 88.64459176033294, 75.85299861595703, 74.10547579806642),
    "jfleg/drop_last_word": (26.903033198990318, 0.0, 77.21558759847996, 3.4935119984910017, 31.294084755048875),
    "iterater_human_sent/identity": (29.756083635529972, 0.0, 89.26825090658991, 0.0, 29.756083635529972),
    "iterater_human_sent/ref0": (100.0, 100.0, 100.0, 100.0, 100.0),
    "iterater_human_sent/drop_last_word": (31.274764043065577, 0.0, 86.35968466458927, 7.4646074646074645, 34.17871841760819),
}
# corpus GLEU x100 from JFLEG's eval/gleu.py
JFLEG_GLEU = {
    "asset/identity": 14.027013741744684,
    "asset/ref0": 28.375716443466647,
    "asset/drop_last_word": 13.273286145278979,
    "turkcorpus_gem/identity": 41.702305588653495,
    "turkcorpus_gem/ref0": 40.34100414946094,
    "turkcorpus_gem/drop_last_word": 41.43311780195093,
    "jfleg/identity": 41.0417016164255,
    "jfleg/ref0": 68.11703594591414,
    "jfleg/drop_last_word": 38.99484509834953,
    "iterater_human_sent/identity": 57.63300796089316,
    "iterater_human_sent/ref0": 100.0,
    "iterater_human_sent/drop_last_word": 57.0584241683928,
}


def _set(name: str):
    return calibration_set([json.loads(line) for line in FIXTURE.open(encoding="utf-8")], name)


@pytest.mark.parametrize("name", sorted(EASSE))
def test_corpus_sari_equals_easse(name):
    srcs, preds, refs = _set(name)
    sari, add, keep, delete, sari_precision_del = EASSE[name]
    scores = corpus_sari_scores(srcs, preds, refs)
    assert scores["sari"] == pytest.approx(sari, abs=1e-6)
    assert scores["sari_add"] == pytest.approx(add, abs=1e-6)
    assert scores["sari_keep"] == pytest.approx(keep, abs=1e-6)
    assert scores["sari_del"] == pytest.approx(delete, abs=1e-6)
    assert corpus_sari(srcs, preds, refs, use_f1_for_deletion=False) == pytest.approx(sari_precision_del, abs=1e-6)


@pytest.mark.parametrize("name", sorted(JFLEG_GLEU))
def test_gleu_equals_the_jfleg_script(name):
    srcs, preds, refs = _set(name)
    assert corpus_gleu(srcs, preds, refs) == pytest.approx(JFLEG_GLEU[name], abs=1e-9)


def test_copy_baseline_calibration_on_the_fixture():
    """The copy baseline is on the literature's scale (about 20.7 / 26.3 on the full ASSET / TurkCorpus test
    sets, docs/metrics.md), far below evaluate's sentence-mean SARI, which rewards copying."""
    for benchmark in ("asset", "turkcorpus_gem"):
        srcs, preds, refs = _set(f"{benchmark}/identity")
        scores = score_system(srcs, preds, refs, fkgl=False).corpus()
        assert scores["sari"] == pytest.approx(EASSE[f"{benchmark}/identity"][0], abs=1e-6)
        assert scores["sari_add"] == 0 and scores["sari_del"] == 0
        assert scores["sari_evaluate"] > 45 > scores["sari"] + 15
        assert scores["copy_rate"] == 1.0
    srcs, preds, refs = _set("jfleg/identity")
    assert score_system(srcs, preds, refs, fkgl=False).corpus()["gleu"] == pytest.approx(JFLEG_GLEU["jfleg/identity"])


def test_subsets_and_resamples_are_scored_from_the_summed_statistics():
    srcs, preds, refs = _set("asset/drop_last_word")
    scores = score_system(srcs, preds, refs, fkgl=False)
    index = np.array([0, 3, 3, 7, 11])
    assert scores.value("sari", index) == pytest.approx(
        corpus_sari([srcs[i] for i in index], [preds[i] for i in index], [refs[i] for i in index]), abs=1e-9)
    assert scores.value("gleu", index) == pytest.approx(
        corpus_gleu([srcs[i] for i in index], [preds[i] for i in index], [refs[i] for i in index]), abs=1e-9)
