"""Behaviour of the synthetic demo dataset: determinism, mix, splits, and the edits each task makes."""

from __future__ import annotations

import collections
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from selection.demo import INSTRUCTIONS, TASKS, make_demo_rows, write_jsonl
from selection.demo import lexicon as L

REPO_ROOT = Path(__file__).resolve().parents[3]
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return make_demo_rows()


def split_src(row: dict) -> tuple[str, str]:
    prefix, _, text = row["src"].partition(": ")
    return prefix, text


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def by_task(rows: list[dict]) -> dict[str, list[dict]]:
    out = collections.defaultdict(list)
    for row in rows:
        out[row["task"]].append(row)
    return out


# --- determinism -------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_rows():
    assert make_demo_rows(500, seed=3) == make_demo_rows(500, seed=3)


def test_different_seeds_give_different_rows():
    a, b = make_demo_rows(500, seed=0), make_demo_rows(500, seed=1)
    assert [r["src"] for r in a] != [r["src"] for r in b]
    assert len({r["src"] for r in a} & {r["src"] for r in b}) < 50


def _digest_in_subprocess(hash_seed: str) -> str:
    code = ("import hashlib, json; from selection.demo import make_demo_rows; "
            "print(hashlib.sha256(json.dumps(make_demo_rows(400, 7)).encode()).hexdigest())")
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def test_rows_do_not_depend_on_hash_randomization():
    here = hashlib.sha256(json.dumps(make_demo_rows(400, 7)).encode()).hexdigest()
    assert _digest_in_subprocess("1") == _digest_in_subprocess("12345") == here


def test_global_random_state_is_neither_used_nor_touched():
    import random
    random.seed(1)
    expected_next = random.random()
    random.seed(1)
    a = make_demo_rows(200, seed=0)
    assert random.random() == expected_next
    random.seed(999)
    assert make_demo_rows(200, seed=0) == a


# --- size, ids, format -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 60, 1234])
def test_n_rows_is_honoured(n):
    assert len(make_demo_rows(n, seed=n)) == n


def test_default_is_at_least_3000_rows(rows):
    assert len(rows) >= 3000


@pytest.mark.parametrize("bad", [-1, 2.5, "10", True])
def test_invalid_n_rows_is_rejected(bad):
    with pytest.raises(ValueError):
        make_demo_rows(bad)


def test_rows_have_coedit_fields_and_sequential_unique_ids(rows):
    assert all(set(r) == {"_id", "task", "src", "tgt", "split"} for r in rows)
    ids = [r["_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert ids[:3] == ["demo-000001", "demo-000002", "demo-000003"]
    assert all(re.fullmatch(r"demo-\d{6}", i) for i in ids)


def test_no_duplicate_src_nor_duplicate_input_text(rows):
    assert len({r["src"] for r in rows}) == len(rows)
    assert len({split_src(r)[1] for r in rows}) == len(rows)


def test_src_starts_with_one_of_its_tasks_instructions(rows):
    for row in rows:
        prefix, text = split_src(row)
        assert prefix in INSTRUCTIONS[row["task"]], row
        assert text, row


def test_instruction_prefixes_are_varied_and_never_shared_between_tasks(rows):
    all_prefixes = [p for t in TASKS for p in INSTRUCTIONS[t]]
    assert len(set(all_prefixes)) == len(all_prefixes)
    used = collections.Counter((r["task"], split_src(r)[0]) for r in rows)
    for task in TASKS:
        assert len(INSTRUCTIONS[task]) >= 3
        assert all(used[(task, p)] > 0 for p in INSTRUCTIONS[task]), task


def test_target_differs_from_input_for_every_row(rows):
    assert all(split_src(r)[1] != r["tgt"] for r in rows)


def test_targets_are_capitalised_and_end_with_punctuation(rows):
    for row in rows:
        assert row["tgt"][0].isupper(), row
        assert row["tgt"][-1] in ".!?", row


def test_sentences_are_between_6_and_30_words(rows):
    for row in rows:
        for text in (split_src(row)[1], row["tgt"]):
            assert len(text.split()) >= 6, row
            for sentence in re.split(r"(?<=\.) (?=[A-Z])", text):
                assert len(sentence.split()) <= 30, row


def test_vocabulary_is_moderate_but_sentences_are_many(rows):
    vocab = {w.lower() for r in rows for w in words(r["src"] + " " + r["tgt"])}
    assert 300 <= len(vocab) <= 2500
    assert len({r["tgt"] for r in rows}) > 0.95 * len(rows)


# --- task mix and splits -----------------------------------------------------------------------------------

def test_all_six_tasks_with_a_skewed_but_fair_mix(rows):
    counts = collections.Counter(r["task"] for r in rows)
    assert set(counts) == set(TASKS) == {"gec", "simplification", "clarity", "coherence", "paraphrase",
                                         "neutralize"}
    shares = {t: counts[t] / len(rows) for t in TASKS}
    assert all(share >= 0.08 for share in shares.values()), shares
    assert min(shares["gec"], shares["simplification"]) > max(
        shares[t] for t in ("clarity", "coherence", "paraphrase", "neutralize"))
    assert shares["coherence"] == min(shares.values())


def test_splits_are_about_80_10_10_within_every_task(rows):
    for task, task_rows in by_task(rows).items():
        counts = collections.Counter(r["split"] for r in task_rows)
        assert set(counts) == {"train", "validation", "test"}, task
        assert counts["train"] / len(task_rows) == pytest.approx(0.8, abs=0.02)
        assert counts["validation"] / len(task_rows) == pytest.approx(0.1, abs=0.01)
        assert counts["test"] / len(task_rows) == pytest.approx(0.1, abs=0.01)


def test_small_datasets_still_have_every_task_and_split():
    small = make_demo_rows(60, seed=5)
    for task in TASKS:
        splits = {r["split"] for r in small if r["task"] == task}
        assert splits == {"train", "validation", "test"}, task


def test_tasks_are_interleaved_not_blocked(rows):
    first_hundred = {r["task"] for r in rows[:100]}
    assert first_hundred == set(TASKS)


def test_twenty_thousand_rows_are_unique_and_well_formed():
    big = make_demo_rows(20_000, seed=2)
    assert len(big) == 20_000
    assert len({split_src(r)[1] for r in big}) == 20_000
    assert len({r["_id"] for r in big}) == 20_000
    assert all(split_src(r)[1] != r["tgt"] for r in big)


# --- what each task's edit is ------------------------------------------------------------------------------

def _verb_form_sets() -> list[set[str]]:
    forms = []
    for v in L.VERBS.values():
        forms.append({v["base"], v["s3"], v["past"], v["pp"], v["ing"], v["bad_past"], "will", "has", "have"}
                     - {""})
    return forms


VERB_FORMS = _verb_form_sets()
PREPOSITIONS = {"in", "on", "at"}
CORRECT_SPELLING = {wrong: right for right, wrong in L.MISSPELLINGS.items()}


def _explained_gec_edit(wrong: list[str], right: list[str]) -> bool:
    """Is this input->target word edit one of the injected error kinds?"""
    if len(wrong) == len(right) > 1 and all(_explained_gec_edit([a], [b]) for a, b in zip(wrong, right)):
        return True  # two neighbouring errors ("The commitee have" for "The committee has")
    if len(right) == len(wrong) + 1 and any(  # a dropped "the" next to another error
            tok == "the" and _explained_gec_edit(wrong, right[:k] + right[k + 1:]) for k, tok in enumerate(right)):
        return True
    w, r = " ".join(wrong), " ".join(right)
    if w.lower() == r.lower():  # capitalisation
        return True
    if L.MISSPELLINGS.get(r) == w:
        return True
    if len(wrong) == 1 and w in CORRECT_SPELLING and w not in L.MISSPELLINGS:  # "recieve" for "receives"
        return _explained_gec_edit([CORRECT_SPELLING[w]], right)
    if {w, r} == {"a", "an"}:
        return True
    if not wrong and right == ["the"]:  # dropped article
        return True
    if not wrong and not right:
        return True
    if len(wrong) == len(right) == 1 and {w.lower(), r.lower()} <= PREPOSITIONS:
        return True
    return bool(wrong) and any(set(wrong) | set(right) <= forms for forms in VERB_FORMS)


def test_gec_inputs_contain_real_injected_errors(rows):
    gec = [r for r in rows if r["task"] == "gec"]
    kinds = collections.Counter()
    for row in gec:
        wrong, right = words(split_src(row)[1]), words(row["tgt"])
        ops = [op for op in difflib.SequenceMatcher(a=wrong, b=right, autojunk=False).get_opcodes()
               if op[0] != "equal"]
        assert 1 <= len(ops) <= 3, row
        for tag, i1, i2, j1, j2 in ops:
            assert _explained_gec_edit(wrong[i1:i2], right[j1:j2]), (row, wrong[i1:i2], right[j1:j2])
            pairs = zip(wrong[i1:i2], right[j1:j2]) if i2 - i1 == j2 - j1 else [(wrong[i1:i2], right[j1:j2])]
            for w, r in pairs:
                kinds[_gec_kind(*(([w], [r]) if isinstance(w, str) else (w, r)))] += 1
    # every error family shows up often
    assert all(kinds[k] > 0.04 * len(gec) for k in ("misspelling", "article", "verb", "preposition")), kinds


def _gec_kind(wrong: list[str], right: list[str]) -> str:
    w, r = " ".join(wrong), " ".join(right)
    if L.MISSPELLINGS.get(r) == w:
        return "misspelling"
    if {w, r} == {"a", "an"} or right == ["the"]:
        return "article"
    if w.lower() == r.lower():
        return "case"
    if {w.lower(), r.lower()} <= PREPOSITIONS:
        return "preposition"
    return "verb"


def test_gec_agreement_errors_include_the_specs_example():
    rows = make_demo_rows(3000, seed=0)
    pairs = {(w, r) for row in rows if row["task"] == "gec"
             for w, r in zip(words(split_src(row)[1]), words(row["tgt"])) if w != r}
    assert ("walk", "walks") in pairs or ("has", "have") in pairs or ("have", "has") in pairs
    assert any(w == "recieve" or w == "recieved" or w == "recieves" for w, _ in pairs) or any(
        w == "definately" for w, _ in pairs)


def test_simplification_inputs_are_longer_or_use_rarer_words(rows):
    rare = {v["base"] for v in L.COMPLEX_VERBS.values()} | {v["past"] for v in L.COMPLEX_VERBS.values()} | {
        v["s3"] for v in L.COMPLEX_VERBS.values()} | set(L.COMPLEX_WORDS.values()) | {"subsequently"}
    for row in (r for r in rows if r["task"] == "simplification"):
        text = split_src(row)[1]
        uses_rare = any(phrase in text and phrase not in row["tgt"] for phrase in rare)
        assert len(text.split()) > len(row["tgt"].split()) or uses_rare, row


def test_clarity_inputs_are_wordier_versions_of_the_target(rows):
    for row in (r for r in rows if r["task"] == "clarity"):
        text = split_src(row)[1]
        assert len(text.split()) > len(row["tgt"].split()), row
        # the concise target keeps the order of the input's words: only wordiness was removed
        matcher = difflib.SequenceMatcher(a=words(text.lower()), b=words(row["tgt"].lower()), autojunk=False)
        assert sum(b.size for b in matcher.get_matching_blocks()) >= 0.6 * len(words(row["tgt"])), row


def test_neutralize_inputs_only_add_loaded_words(rows):
    loaded = {w.lower().rstrip(",") for pool in (L.LOADED_PERSON_ADJS, L.LOADED_GROUP_ADJS, L.LOADED_ORG_ADJS,
                                                 L.LOADED_IDEA_ADJS, L.LOADED_THING_ADJS,
                                                 L.LOADED_ANIMATE_ADJS, L.LOADED_SENTENCE_ADVERBS,
                                                 L.LOADED_VERB_ADVERBS) for w in pool} | {"so-called"}
    for row in (r for r in rows if r["task"] == "neutralize"):
        a, b = words(split_src(row)[1].lower()), words(row["tgt"].lower())
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            added = [w for w in a[i1:i2] if w not in ("a", "an")]  # "a plan" -> "an outrageous plan"
            removed = [w for w in b[j1:j2] if w not in ("a", "an")]
            assert not removed, row
            assert all(w in loaded for w in added), row


def test_coherence_targets_have_two_clauses_joined_by_a_connective(rows):
    connectives = ("However,", "As a result,", "Therefore,", "Because of this,", "Then ", "After that,",
                   "Later,", ", and then ", ", but ", ", so ")
    for row in (r for r in rows if r["task"] == "coherence"):
        text = split_src(row)[1]
        assert len(re.findall(r"\.(?: |$)", text)) == 2, row
        assert any(c in row["tgt"] for c in connectives), row


def test_paraphrases_keep_the_content_words(rows):
    for row in (r for r in rows if r["task"] == "paraphrase"):
        a = {w.lower()[:3] for w in words(split_src(row)[1])}  # crude stems: "uses"/"used", "day"/"days"
        b = {w.lower()[:3] for w in words(row["tgt"])}
        assert len(a & b) / len(a | b) >= 0.3, row


def test_paraphrases_include_voice_changes_and_reordering(rows):
    para = [r for r in rows if r["task"] == "paraphrase"]
    voice = sum((" by " in split_src(r)[1]) != (" by " in r["tgt"]) for r in para)
    reordered = sum(sorted(words(split_src(r)[1].lower())) == sorted(words(r["tgt"].lower())) for r in para)
    assert voice > 0.2 * len(para) and reordered > 0.05 * len(para)


# --- writing -----------------------------------------------------------------------------------------------

def test_write_jsonl_round_trips(tmp_path):
    rows = make_demo_rows(60)
    path = tmp_path / "demo.jsonl"
    assert write_jsonl(rows, path) == 60
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    assert list(json.loads(lines[0])) == ["_id", "task", "src", "tgt", "split"]
