"""The `agreement` command on Krippendorff's (2011) worked example, degenerate input and bad files."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers x 12 units.
K2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# Published values: nominal .743, ordinal .815, interval .849, ratio .797.
PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
KEYS = {"n_raters", "n_items", "percent_agreement", "krippendorff_alpha", "fleiss_kappa", "scotts_pi",
        "gwet_ac1", "cohen_kappa", "undefined"}


def run_json(path, *args) -> dict:
    out = StringIO()
    call_command("agreement", str(path), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def write_csv(path, matrix, names=("A", "B", "C", "D")) -> None:
    lines = ["rater,item,label"]
    for r, row in enumerate(matrix):
        for i, v in enumerate(row):
            if v is not None:
                lines.append(f"{names[r]},u{i + 1},{v}")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def k2011_json(tmp_path):
    p = tmp_path / "k2011.json"
    p.write_text(json.dumps(K2011))
    return p


def test_json_matrix_matches_krippendorff_2011(k2011_json):
    report = run_json(k2011_json)
    assert KEYS <= set(report)
    assert report["n_raters"] == 4 and report["n_items"] == 12
    for level, value in PUBLISHED.items():
        assert round(report["krippendorff_alpha"][level], 3) == value
    assert set(report["cohen_kappa"]) == {"unweighted", "linear", "quadratic"}
    # Items carry 1 to 4 ratings, so Fleiss' kappa is undefined and says why.
    assert report["fleiss_kappa"] is None
    assert "same number of ratings" in report["undefined"]["fleiss_kappa"]


def test_csv_form_gives_the_same_numbers(tmp_path, k2011_json):
    p = tmp_path / "k2011.csv"
    write_csv(p, K2011)
    from_csv, from_json = run_json(p), run_json(k2011_json)
    for level, value in PUBLISHED.items():
        assert round(from_csv["krippendorff_alpha"][level], 3) == value
    for key in ("percent_agreement", "scotts_pi", "gwet_ac1"):
        assert from_csv[key] == pytest.approx(from_json[key])
    assert from_csv["cohen_kappa"] == pytest.approx(from_json["cohen_kappa"])


def test_bootstrap_is_seeded_and_brackets_the_estimate(k2011_json):
    a = run_json(k2011_json, "--bootstrap", "300", "--seed", "4", "--level", "ordinal")
    b = run_json(k2011_json, "--bootstrap", "300", "--seed", "4", "--level", "ordinal")
    c = run_json(k2011_json, "--bootstrap", "300", "--seed", "5", "--level", "ordinal")
    lo, hi = a["ci"]["krippendorff_alpha.ordinal"]
    assert lo <= a["krippendorff_alpha"]["ordinal"] <= hi
    assert a["ci"] == b["ci"] and a["ci"] != c["ci"]
    assert a["alpha"] == a["krippendorff_alpha"]["ordinal"]


def test_no_variation_gives_nulls_with_reasons(tmp_path):
    p = tmp_path / "same.json"
    p.write_text(json.dumps([[2, 2, 2], [2, 2, 2]]))
    report = run_json(p)
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert report["krippendorff_alpha"][level] is None
        assert "no variation" in report["undefined"][f"krippendorff_alpha.{level}"]
    assert report["gwet_ac1"] is None and report["fleiss_kappa"] is None
    assert report["percent_agreement"] == 1.0  # genuine agreement, not chance-corrected


def test_one_rater_and_string_labels(tmp_path):
    p = tmp_path / "one.json"
    p.write_text(json.dumps([[1, 2, 3]]))
    report = run_json(p)
    assert report["krippendorff_alpha"]["nominal"] is None
    assert report["undefined"]["krippendorff_alpha.nominal"] == "only one rater"

    p = tmp_path / "labels.csv"
    write_csv(p, [["a", "b", "a", "b"], ["a", "b", "b", "b"]])
    report = run_json(p)
    assert report["krippendorff_alpha"]["nominal"] is not None
    assert report["krippendorff_alpha"]["interval"] is None  # string labels have no distances
    assert "krippendorff_alpha.interval" in report["undefined"]


def test_readable_table(k2011_json):
    out = StringIO()
    call_command("agreement", str(k2011_json), stdout=out)
    text = out.getvalue()
    assert "Krippendorff alpha (nominal)" in text and "0.743" in text
    assert "undefined: Fleiss' kappa needs" in text


@pytest.mark.parametrize("name, content, message", [
    ("bad.json", "[[1, 2], [1, ]]", "invalid JSON at line 1"),
    ("ragged.json", "[[1, 2], [1]]", "same number of items"),
    ("short.csv", "rater,item,label\nA,u1,2\nB,u1\n", "line 3"),
    ("header.csv", "who,what\nA,u1\n", "line 1"),
    ("dup.csv", "rater,item,label\nA,u1,2\nA,u1,3\n", "line 3"),
    ("empty-rater.csv", "rater,item,label\n,u1,2\n", "field 'rater'"),
])
def test_unreadable_files_raise_command_error_naming_the_place(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("agreement", str(p), "--json", stdout=StringIO())


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("agreement", str(tmp_path / "nope.json"), stdout=StringIO())


def test_unequal_drop_is_a_command_line_option(k2011_json, capsys):
    """Unequal rating counts leave Fleiss' kappa undefined and say how to get it from the command line;
    --unequal drop computes it on the items with the most common count (here the 8 items with 4 ratings)."""
    from annotation.stats.agreement import fleiss_kappa

    plain = run_json(k2011_json)
    assert plain["fleiss_kappa"] is None and "--unequal drop" in plain["undefined"]["fleiss_kappa"]
    dropped = run_json(k2011_json, "--unequal", "drop")
    full_items = [j for j in range(12) if sum(row[j] is not None for row in K2011) == 4]
    sub = [[row[j] for j in full_items] for row in K2011]
    assert len(full_items) == 8
    assert dropped["fleiss_kappa"] == pytest.approx(fleiss_kappa(sub).value, abs=1e-12)
    with pytest.raises(CommandError):
        call_command("agreement", str(k2011_json), "--unequal", "sometimes")


def test_competence_option_finds_the_spammer(tmp_path):
    """Three raters who give an item's true label 90 % of the time and one who answers at random: --competence
    fits MACE on the same file and ranks the spammer last, flagged; the table form says so too."""
    import random

    rng = random.Random(0)
    lines = ["rater,item,label"]
    for i in range(60):
        truth = rng.choice("xyz")
        for r in ("r1", "r2", "r3"):
            lines.append(f"{r},u{i},{truth if rng.random() < 0.9 else rng.choice('xyz')}")
        lines.append(f"spam,u{i},{rng.choice('xyz')}")
    path = tmp_path / "labels.csv"
    path.write_text("\n".join(lines) + "\n")
    data = run_json(path, "--competence")
    comp = data["competence"]
    assert comp["model"] == "mace" and comp["reason"] is None
    assert comp["raters"]["spam"]["low"] is True
    assert comp["raters"]["spam"]["competence"] < min(comp["raters"][r]["competence"] for r in ("r1", "r2", "r3"))
    assert len(comp["items"]) == 60 and abs(sum(comp["items"][0]["probabilities"].values()) - 1) < 1e-9
    assert run_json(path, "--competence", "dawid_skene")["competence"]["model"] == "dawid_skene"
    out = StringIO()
    call_command("agreement", str(path), "--competence", stdout=out)
    assert "spam:" in out.getvalue() and "LOW" in out.getvalue()
    assert "competence" not in run_json(path)
