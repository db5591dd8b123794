"""`manage.py metrics`: JSON shape and values against selection.core.metrics, a hand-checked case, bad rows."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from selection.core.metrics import corpus_gleu, corpus_rouge_l, corpus_sari, corpus_sari_evaluate, sari_sentence

ROWS = [
    # the worked example of evaluate's SARI docs: 26.9536...
    {"src": "About 95 species are currently accepted.", "prediction": "About 95 you now get in.",
     "refs": ["About 95 species are currently known.", "About 95 species are now accepted.",
              "95 species are now accepted."]},
    # ROUGE-L by hand: LCS("the cat sat", "the cat sat on the mat") = 3, P = 1, R = 1/2, F = 2/3
    {"src": "the cat was sitting", "prediction": "the cat sat", "refs": "the cat sat on the mat"},
]


def _write(tmp_path, rows) -> str:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


def _run(capsys, *args) -> str:
    capsys.readouterr()
    call_command("metrics", *args)
    return capsys.readouterr().out


def test_json_matches_core_and_hand_checked_values(tmp_path, capsys):
    out = json.loads(_run(capsys, _write(tmp_path, ROWS), "--json", "--per-row"))
    srcs = [r["src"] for r in ROWS]
    preds = [r["prediction"] for r in ROWS]
    refs = [r["refs"] if isinstance(r["refs"], list) else [r["refs"]] for r in ROWS]
    assert out["n"] == 2
    assert out["sari"] == pytest.approx(corpus_sari(srcs, preds, refs))
    assert out["rouge_l"] == pytest.approx(corpus_rouge_l(preds, refs))
    assert out["sari_evaluate"] == pytest.approx(corpus_sari_evaluate(srcs, preds, refs))
    assert out["gleu"] == pytest.approx(corpus_gleu(srcs, preds, refs))
    for key in ("sari", "sari_add", "sari_keep", "sari_del", "sari_evaluate", "gleu", "rouge_l", "exact_match",
                "copy_rate", "mean_edit_distance", "length_ratio", "compression_ratio", "fkgl"):
        assert isinstance(out[key], float), key
    assert [set(r) for r in out["rows"]] == [{"sari", "sari_add", "sari_keep", "sari_del", "sari_evaluate",
                                              "rouge_l"}] * 2
    assert out["rows"][0]["sari_evaluate"] == pytest.approx(26.953601953601954)
    assert out["rows"][0]["sari"] == pytest.approx(corpus_sari(srcs[:1], preds[:1], refs[:1]))
    assert out["rows"][1]["rouge_l"] == pytest.approx(2 / 3)
    assert out["rows"][1]["sari_evaluate"] == pytest.approx(sari_sentence(srcs[1], preds[1], refs[1])["sari"])
    assert 0 <= out["rouge_l"] <= 1 and 0 <= out["sari"] <= 100


def test_without_per_row_and_plain_text(tmp_path, capsys):
    path = _write(tmp_path, ROWS[:1])
    out = json.loads(_run(capsys, path, "--json"))
    # EASSE's corpus_sari of this one row (computed with EASSE @ 6a4352ec) and evaluate's documented 26.95
    assert "rows" not in out and out["sari"] == pytest.approx(31.350246975246975)
    assert out["sari_evaluate"] == pytest.approx(26.953601953601954)
    text = _run(capsys, path)
    assert "SARI           31.35" in text and "SARI evaluate  26.95" in text and "ROUGE-L" in text


def test_src_is_taken_literally_unless_an_instruction_is_declared(tmp_path, capsys):
    """An unchanged output is a copy: the instruction is removed only when the row or the flag says so."""
    copy = {"src": "Fix grammar: she go home .", "prediction": "she go home .", "refs": ["she goes home ."]}
    literal = json.loads(_run(capsys, _write(tmp_path, [copy]), "--json"))
    assert literal["copy_rate"] == 0.0
    declared = json.loads(_run(capsys, _write(tmp_path, [dict(copy, instruction="Fix grammar")]), "--json"))
    flagged = json.loads(_run(capsys, _write(tmp_path, [copy]), "--json", "--strip-instruction"))
    assert declared["copy_rate"] == flagged["copy_rate"] == 1.0
    assert declared["sari"] == flagged["sari"] == pytest.approx(corpus_sari(["she go home ."], ["she go home ."],
                                                                            [["she goes home ."]]))
    colon = {"src": "Working Group I: Assesses the climate.", "prediction": "Working Group I: Assesses the climate.",
             "refs": ["Group I assesses the climate."]}
    assert json.loads(_run(capsys, _write(tmp_path, [colon]), "--json", "--strip-instruction"))["copy_rate"] == 1.0


def test_intervals_bracket_the_corpus_scores(tmp_path, capsys):
    rows = [dict(ROWS[0], prediction=p) for p in ("About 95 species are now accepted.", "95 species.",
                                                  "About 95 you now get in.", "Species are accepted.")]
    out = json.loads(_run(capsys, _write(tmp_path, rows), "--json", "--ci", "--n-boot", "200"))
    for metric in ("sari", "gleu", "rouge_l", "sari_evaluate", "fkgl"):
        low, high = out[f"{metric}_ci"]
        assert low <= out[metric] <= high, metric


@pytest.mark.parametrize("rows, message", [
    ([ROWS[0], "{not json"], "line 2: not valid JSON"),
    ([ROWS[0], {"src": "a", "refs": ["b"]}], "line 2: field `prediction` must be a string (missing)"),
    ([{"src": "a", "prediction": "b", "refs": []}], "line 1: field `refs` must be a non-empty list of strings"),
    ([{"src": 3, "prediction": "b", "refs": ["c"]}], "line 1: field `src` must be a string"),
    ([], "no rows to score"),
])
def test_bad_rows_name_line_and_field(tmp_path, rows, message):
    with pytest.raises(CommandError) as err:
        call_command("metrics", _write(tmp_path, rows), "--json")
    assert message in str(err.value)
