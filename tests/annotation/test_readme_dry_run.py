"""The README's dry run, through the commands exactly as the README writes them, on a study built like the
demo's (annotation.demo: same name, systems, size, raters per item, controls and practice)."""
from __future__ import annotations

import io
import json
import re
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

# Each rater's share of the pairs is drawn from their account's id (annotation.queue.stable_int), so what the README
# promises holds for the demo's own fresh ids: start every id sequence afresh, whatever tests ran before.
pytestmark = pytest.mark.django_db(transaction=True, reset_sequences=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_command(name: str) -> list[str]:
    """The README's `python manage.py NAME ...` command, split as a shell would (line breaks joined)."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(rf"`python manage\.py ({name} [^`]+)`", text)
    assert match, f"README has no `python manage.py {name} ...` command"
    return shlex.split(match.group(1))


def _demo_like_study(n_rows: int = 600):
    from annotation import demo
    from annotation.services import study_create
    from selection.demo import make_demo_rows
    from selection.models import Dataset, Example, Output, System

    rows = [r for r in make_demo_rows(n_rows, seed=demo.DEMO_SEED) if r["split"] == "test"]
    ds = Dataset.objects.create(name=demo.DEMO_DATASET, row_count=len(rows))
    Example.objects.bulk_create(Example(dataset=ds, ext_id=r["_id"], task=r["task"], split="test", src=r["src"],
                                        refs=[r["tgt"]]) for r in rows)
    systems = []
    for k, name in enumerate(demo.SYSTEMS):
        system = System.objects.create(name=name, dataset=ds, kind="imported")
        Output.objects.bulk_create(Output(system=system, example=ex, text=ex.refs[0] if k == 0 else ex.input_text)
                                   for ex in ds.examples.all())
        systems.append(system)
    return study_create(name=demo.DEMO_STUDY, dataset=ds, systems=systems, n_examples=demo.DEMO_STUDY_ITEMS,
                        raters_per_item=3, split="test", seed=0, control_rate=0.1, guidelines=demo.GUIDELINES,
                        practice_count=1, launch=True, public_title="Which edit is better?")


def test_readme_dry_run_does_what_the_readme_says():
    """The README claims: the dry run fills the study through the services, the report shows the analysis and
    flags both bad raters, the random clicker and the always-left one (each rater judging about 15 pairs)."""
    study = _demo_like_study()
    args = _readme_command("simulate_raters")
    assert args[:2] == ["simulate_raters", study.name]
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert "flags both bad raters" in readme and "about 15 of the demo's 30 pairs" in readme
    out = io.StringIO()
    call_command(*args, stdout=out)
    assert out.getvalue().startswith("6 synthetic raters stored")
    out = io.StringIO()
    call_command(*_readme_command("study_report"), stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue())
    raters = {r["rater"]: r for r in report["raters"]["raters"]}
    assert len(raters) == 6 and all(13 <= r["n_judgments"] <= 19 for r in raters.values())
    flagged = report["raters"]["flagged"]
    (lefty,) = [name for name in raters if "always_left" in name]
    (clicker,) = [name for name in raters if "-random-" in name]
    assert "always_left" in flagged[lefty]
    assert "random_clicking" in flagged[clicker]
    # On ~15 pairs a rater the checks are noisy, and the README says so: a careful rater may be flagged too.
    assert "read flags as leads to check, not verdicts" in readme
    (pair,) = report["results"]["all_raters"]["all"]["pairs"]
    assert {pair["a"], pair["b"]} == {"demo-full", "demo-ucs"} and pair["n"] > 60
