"""The platform's metrics on the FULL public test sets against values computed with the reference implementations.

The expected values below were computed by running, on the test rows of ``../shared/data/coedit/eval/eval_sets.jsonl``
(rows with a blank reference left out, as ``import_dataset --skip-invalid`` leaves them out), from scratch copies
that are not part of this repository, in a separate virtual environment:

* EASSE (feralvam/easse @ 6a4352ec299ed03fda8ee45445ca43d9c7673e89, ``easse/sari.py``, sacrebleu 2.6.0):
  ``get_corpus_sari_operation_scores`` with its defaults (add, keep, del; SARI their mean) and
  ``corpus_sari(..., use_f1_for_deletion=False)``;
* JFLEG's ``eval/gleu.py`` (keisks/jfleg @ ee06ff806a208aba815ac45313f4e750a48330a5): ``GLEU(4)``,
  ``load_sources`` / ``load_references`` on files written one sentence per line,
  ``run_iterations(num_iterations=500, per_sent=False)``, the mean of its per-iteration scores unrounded, x100.
  (On the original JFLEG test files the script itself prints 0.404740 for the source as hypothesis.)

Systems: ``identity`` (output = input: the copy baseline), ``ref0`` (the first reference), ``drop_last_word``
(the input without its last word when it has more than three).

    nice -n 10 .venv/bin/python bench/check_reference_values.py

prints each combination and the largest absolute difference per metric, and exits 1 if any exceeds 1e-6
(docs/metrics.md, "Calibration"). It needs the shared data; the tests pin the same comparison on the shipped
fixture (tests/selection/core/test_metrics_reference_values.py).
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selection.core.metrics import corpus_gleu, corpus_sari, corpus_sari_scores  # noqa: E402
from selection.core.metrics.calibration import calibration_set  # noqa: E402

EVAL_SETS = ROOT.parent / "shared" / "data" / "coedit" / "eval" / "eval_sets.jsonl"
TOLERANCE = 1e-6
# set/system: (n, sari, sari_add, sari_keep, sari_del, sari with deletion precision, gleu x100)
EXPECTED = {
    "asset/identity": (359, 20.73382634687167, 0.0, 62.201479040615006, 0.0, 20.73382634687167, 13.056583011814368),
    "asset/ref0": (359, 51.60397261269986, 23.203680211038602, 62.967064391556434, 68.64117323550455, 51.71114942443202, 26.594112908804597),
    "asset/drop_last_word": (359, 23.667498669790266, 0.0, 58.4739004310166, 12.528595578354196, 33.470523269236786, 12.993180229443105),
    "turkcorpus_gem/identity": (359, 26.3426842982666, 0.0, 79.0280528947998, 0.0, 26.3426842982666, 41.376262987660176),
    "turkcorpus_gem/ref0": (359, 49.73052061725906, 24.993402952625644, 73.78384094055825, 50.4143179585933, 49.54366436951903, 42.16061320967727),
    "turkcorpus_gem/drop_last_word": (359, 28.008686486753408, 0.0, 77.28021364349195, 6.745845816768281, 35.668961650894715, 41.027641715210116),
    "jfleg/identity": (747, 26.784314204429602, 0.0, 80.3529426132888, 0.0, 26.784314204429602, 40.47403595675026),
    "jfleg/ref0": (747, 74.74515140573617, 56.48549367289342, 89.93275142894232, 77.81720911537273, 75.42623657794073, 71.32748059127961),
    "jfleg/drop_last_word": (747, 28.272758954597, 0.0, 77.94772926072307, 6.870547603067938, 34.33801408602351, 37.84421281235946),
    "iterater_human_sent/identity": (362, 30.229674059071076, 0.0, 90.68902217721323, 0.0, 30.229674059071076, 67.32854070070407),
    "iterater_human_sent/ref0": (362, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0),
    "iterater_human_sent/drop_last_word": (362, 31.011220032644, 0.0, 88.28860979330419, 4.7450503046278065, 33.097240071070296, 65.79282673251619),
}
FIELDS = ("sari", "sari_add", "sari_keep", "sari_del", "sari_del_precision", "gleu")


def main() -> int:
    if not EVAL_SETS.exists():
        print(f"{EVAL_SETS} is not there: nothing to check")
        return 0
    with EVAL_SETS.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    worst = dict.fromkeys(FIELDS, 0.0)
    for name, (n, *expected) in EXPECTED.items():
        srcs, preds, refs = calibration_set(rows, name)
        assert len(srcs) == n, (name, len(srcs), n)
        got = corpus_sari_scores(srcs, preds, refs)
        values = (got["sari"], got["sari_add"], got["sari_keep"], got["sari_del"],
                  corpus_sari(srcs, preds, refs, use_f1_for_deletion=False), corpus_gleu(srcs, preds, refs))
        for field, value, want in zip(FIELDS, values, expected):
            worst[field] = max(worst[field], abs(value - want))
        print(f"{name:<36} n={n:<4} SARI {values[0]:.4f} (EASSE {expected[0]:.4f})  GLEU {values[5]:.4f} "
              f"(script {expected[5]:.4f})")
    print("max abs difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))
    return 1 if max(worst.values()) > TOLERANCE else 0


if __name__ == "__main__":
    sys.exit(main())
