"""`manage.py metrics`: JSON shape and values against selection.core.metrics, a hand-checked case, bad rows."""
from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from selection.core.metrics import corpus_rouge_l, corpus_sari, sari_sentence

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
    assert [set(r) for r in out["rows"]] == [{"sari", "sari_add", "sari_keep", "sari_del", "rouge_l"}] * 2
    assert out["rows"][0]["sari"] == pytest.approx(26.953601953601954)
    assert out["rows"][1]["rouge_l"] == pytest.approx(2 / 3)
    assert out["rows"][1]["sari"] == pytest.approx(sari_sentence(srcs[1], preds[1], refs[1])["sari"])
    assert 0 <= out["rouge_l"] <= 1 and 0 <= out["sari"] <= 100


def test_without_per_row_and_plain_text(tmp_path, capsys):
    path = _write(tmp_path, ROWS[:1])
    out = json.loads(_run(capsys, path, "--json"))
    assert "rows" not in out and out["sari"] == pytest.approx(26.953601953601954)
    text = _run(capsys, path)
    assert "SARI     26.95" in text and "ROUGE-L" in text


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
