"""Research exports and interchange, as pure functions over typed records (no Django).

A ``PairJudgment`` is one rater's answer on one real pair, in the sides that rater saw. From a list of them:

- ``preference_pairs``: (prompt, chosen, rejected) rows for preference tuning (DPO-style); decisive answers only.

Every format carries, beside each raw answer, the pair's adjudicated ``final_system`` ("" where none was given;
see annotation/review.py), so a file holds both the raw judgments and the final labels.
- ``hf_rows``: flat rows for a Hugging Face ``datasets.Dataset`` (``save_hf_dataset`` writes it to disk and to
  Parquet).
- Potato (``to_potato`` / ``from_potato``): Potato's annotation output, one JSON line per (annotator, instance):
  ``id``, ``user_id``, ``displayed_text``, ``label_annotations`` {scheme: {label: value}}, ``span_annotations``,
  ``behavioral_data`` {``time_spent``}. The pair's texts are the instance fields ``A`` and ``B`` (as the rater saw
  them) and the systems ``system_A`` / ``system_B``; the preference is the scheme ``preference`` with label
  ``A``, ``B``, ``tie`` or ``both_bad``.
- Label Studio (``to_label_studio`` / ``from_label_studio``): Label Studio's JSON export, a list of tasks
  ``{id, data, annotations: [{completed_by, result, lead_time, created_at}]}``; ``data`` holds ``prompt``,
  ``text1``/``text2`` and ``system1``/``system2``; the preference is a ``pairwise`` result (``selected`` left =
  text1, right = text2) or a ``choices`` result named ``verdict`` (tie, both_bad). Each annotation keeps which
  system its rater saw on the left in ``deft_left`` (optional on import: text1 on the left).

Readers validate everything first and raise ``InterchangeError`` naming the row and the field; they return
records only when the whole file is good. ``study_plan`` checks that the records can make a study of their own
(one prompt and task per example, one text per example and system, one answer per rater and pair) and returns
what it would hold: its examples, systems, outputs and pairs.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ANSWERS = ("left", "right", "tie", "both_bad")
STRENGTHS = ("", "much", "slightly")
POTATO_LABELS = {"left": "A", "right": "B", "tie": "tie", "both_bad": "both_bad"}
FORMATS = ("preference-pairs", "hf-dataset", "potato", "label-studio")


class InterchangeError(ValueError):
    """A file that cannot be read as judgments: the message names the row and the field."""


@dataclass(frozen=True)
class PairJudgment:
    example: str
    task: str
    prompt: str
    rater: str
    left_system: str
    right_system: str
    left_text: str
    right_text: str
    answer: str
    strength: str = ""
    comment: str = ""
    seconds: float = 0.0
    submitted_at: str = ""
    # The item's adjudicated final label by system name (or "tie" / "both_bad"), "" where none was given.
    final_system: str = field(default="", compare=False)
    # Where a record read from a file came from ("line 3", "task 2 annotation 1"), for error messages.
    place: str = field(default="", compare=False)

    @property
    def preferred_system(self) -> str:
        return {"left": self.left_system, "right": self.right_system}.get(self.answer, "")

    def key(self) -> tuple:
        """What a round trip must keep: who judged which pair, what they saw where, and what they answered."""
        return (self.example, self.rater, self.left_system, self.right_system, self.answer, self.strength,
                self.comment, round(self.seconds, 3))


def preference_pairs(records: list[PairJudgment]) -> list[dict[str, Any]]:
    """One (prompt, chosen, rejected) row per decisive judgment (left or right); ties and "both bad" carry no
    preference and are left out. Texts are the systems' outputs; the system names ride along for analysis."""
    rows = []
    for r in records:
        if r.answer not in ("left", "right"):
            continue
        chosen, rejected = (r.left_text, r.right_text) if r.answer == "left" else (r.right_text, r.left_text)
        other = r.right_system if r.answer == "left" else r.left_system
        rows.append({"prompt": r.prompt, "chosen": chosen, "rejected": rejected, "chosen_system": r.preferred_system,
                     "rejected_system": other, "example": r.example, "task": r.task, "rater": r.rater,
                     "strength": r.strength, "final_system": r.final_system})
    return rows


def hf_rows(records: list[PairJudgment]) -> list[dict[str, Any]]:
    """Flat rows (every field plus ``preferred_system``), one per judgment, for ``datasets.Dataset.from_list``."""
    return [{**{k: v for k, v in asdict(r).items() if k != "place"}, "preferred_system": r.preferred_system}
            for r in records]


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


# --- Potato --------------------------------------------------------------------------------------------------

def to_potato(records: list[PairJudgment]) -> str:
    lines = []
    for r in records:
        labels: dict[str, dict[str, str]] = {"preference": {POTATO_LABELS[r.answer]: "1"}}
        if r.strength:
            labels["strength"] = {r.strength: "1"}
        if r.comment:
            labels["comment"] = {"text_box": r.comment}
        lines.append({"id": f"{r.example}:{r.left_system}:{r.right_system}", "user_id": r.rater,
                      "displayed_text": r.prompt, "example": r.example, "task": r.task, "A": r.left_text,
                      "B": r.right_text, "system_A": r.left_system, "system_B": r.right_system,
                      "final_system": r.final_system, "label_annotations": labels, "span_annotations": [],
                      "behavioral_data": {"time_spent": r.seconds, "timestamp": r.submitted_at}})
    return jsonl(lines)


def _need(row: dict, field: str, where: str, kind: type = str) -> Any:
    value = row.get(field)
    if value is None or (kind is str and not isinstance(value, str)) or (kind is str and not value.strip()):
        raise InterchangeError(f"{where}: field {field!r} is missing or empty.")
    if kind is not str and not isinstance(value, kind):
        raise InterchangeError(f"{where}: field {field!r} must be a {kind.__name__}.")
    return value


def _seconds(value: Any, where: str, field: str) -> float:
    if value in (None, ""):
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InterchangeError(f"{where}: field {field!r} must be a number of seconds >= 0, not {value!r}.")
    return float(value)


def _one_label(scheme: Any, where: str, field: str, allowed: tuple[str, ...]) -> str:
    if not isinstance(scheme, dict):
        raise InterchangeError(f"{where}: field {field!r} must be an object {{label: value}}.")
    chosen = [k for k, v in scheme.items() if v not in (None, "", False, "0", 0)]
    if len(chosen) != 1 or chosen[0] not in allowed:
        raise InterchangeError(f"{where}: field {field!r} must mark exactly one of {', '.join(allowed)}; "
                               f"got {sorted(scheme)!r}.")
    return chosen[0]


def from_potato(text: str) -> list[PairJudgment]:
    back = {v: k for k, v in POTATO_LABELS.items()}
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InterchangeError(f"{where}: not JSON ({exc.msg}).") from None
        if not isinstance(row, dict):
            raise InterchangeError(f"{where}: a line must be a JSON object.")
        labels = _need(row, "label_annotations", where, dict)
        answer = back[_one_label(labels.get("preference"), where, "label_annotations.preference", tuple(back))]
        strength = ""
        if labels.get("strength"):
            strength = _one_label(labels["strength"], where, "label_annotations.strength", STRENGTHS[1:])
        comment = labels.get("comment", {}).get("text_box", "") if isinstance(labels.get("comment"), dict) else ""
        behaviour = row.get("behavioral_data") or {}
        if not isinstance(behaviour, dict):
            raise InterchangeError(f"{where}: field 'behavioral_data' must be an object.")
        example = row.get("example") or row.get("instance_id") or row.get("id")
        if not isinstance(example, str) or not example.strip():
            raise InterchangeError(f"{where}: field 'example' (or 'instance_id') is missing or empty.")
        out.append(PairJudgment(
            example=example, task=str(row.get("task") or ""), prompt=str(row.get("displayed_text") or ""),
            rater=_need(row, "user_id", where), left_system=_need(row, "system_A", where),
            right_system=_need(row, "system_B", where), left_text=str(row.get("A") or ""),
            right_text=str(row.get("B") or ""), answer=answer, strength=strength, comment=str(comment),
            seconds=_seconds(behaviour.get("time_spent"), where, "behavioral_data.time_spent"),
            submitted_at=str(behaviour.get("timestamp") or ""), place=where))
    return out


# --- Label Studio --------------------------------------------------------------------------------------------

def to_label_studio(records: list[PairJudgment]) -> str:
    """One task per pair (example and the two systems, in canonical order: text1 is the system named first)."""
    tasks: dict[tuple[str, str, str], dict] = {}
    for r in records:
        s1, s2 = sorted((r.left_system, r.right_system))
        t1, t2 = (r.left_text, r.right_text) if r.left_system == s1 else (r.right_text, r.left_text)
        task = tasks.setdefault((r.example, s1, s2), {
            "id": len(tasks) + 1, "data": {"prompt": r.prompt, "text1": t1, "text2": t2, "system1": s1,
                                           "system2": s2, "example": r.example, "task": r.task,
                                           "final_system": r.final_system},
            "annotations": []})
        result: list[dict] = []
        if r.answer in ("left", "right"):
            side = "left" if r.preferred_system == s1 else "right"
            result.append({"from_name": "pw", "to_name": ["text1", "text2"], "type": "pairwise",
                           "value": {"selected": side}})
        else:
            result.append({"from_name": "verdict", "to_name": "text1", "type": "choices",
                           "value": {"choices": [r.answer]}})
        if r.strength:
            result.append({"from_name": "strength", "to_name": "text1", "type": "choices",
                           "value": {"choices": [r.strength]}})
        if r.comment:
            result.append({"from_name": "comment", "to_name": "text1", "type": "textarea",
                           "value": {"text": [r.comment]}})
        task["annotations"].append({"id": sum(len(t["annotations"]) for t in tasks.values()) + 1,
                                    "completed_by": {"email": r.rater}, "result": result,
                                    "lead_time": r.seconds, "created_at": r.submitted_at,
                                    "was_cancelled": False, "deft_left": r.left_system})
    return json.dumps(list(tasks.values()), ensure_ascii=False, indent=1) + "\n"


def _ls_rater(value: Any, where: str) -> str:
    if isinstance(value, dict):
        value = value.get("email") or value.get("username") or value.get("id")
    if isinstance(value, bool) or value in (None, ""):
        raise InterchangeError(f"{where}: field 'completed_by' is missing.")
    return str(value) if not isinstance(value, int) else f"label-studio-user-{value}"


def from_label_studio(text: str) -> list[PairJudgment]:
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InterchangeError(f"not JSON ({exc.msg}, line {exc.lineno}).") from None
    if not isinstance(tasks, list):
        raise InterchangeError("a Label Studio export is a JSON list of tasks.")
    out = []
    for n, task in enumerate(tasks, start=1):
        where = f"task {n}"
        if not isinstance(task, dict):
            raise InterchangeError(f"{where}: a task must be a JSON object.")
        data = _need(task, "data", where, dict)
        s1, s2 = _need(data, "system1", f"{where} data"), _need(data, "system2", f"{where} data")
        example = _need(data, "example", f"{where} data")
        for m, ann in enumerate(task.get("annotations") or [], start=1):
            at = f"{where} annotation {m}"
            if not isinstance(ann, dict):
                raise InterchangeError(f"{at}: an annotation must be a JSON object.")
            if ann.get("was_cancelled"):
                continue
            answer, strength, comment = "", "", ""
            for res in _need(ann, "result", at, list):
                name, value = (res or {}).get("from_name"), (res or {}).get("value") or {}
                if (res or {}).get("type") == "pairwise":
                    if value.get("selected") not in ("left", "right"):
                        raise InterchangeError(f"{at}: field 'result.value.selected' must be left or right.")
                    answer = value["selected"]
                elif name == "verdict":
                    answer = _ls_choice(value, at, ("tie", "both_bad"))
                elif name == "strength":
                    strength = _ls_choice(value, at, STRENGTHS[1:])
                elif name == "comment":
                    comment = "\n".join(value.get("text") or [])
            if not answer:
                raise InterchangeError(f"{at}: field 'result' has no pairwise or verdict answer.")
            left = ann.get("deft_left") or s1
            if left not in (s1, s2):
                raise InterchangeError(f"{at}: field 'deft_left' names {left!r}, not system1 or system2.")
            right = s2 if left == s1 else s1
            t1, t2 = str(data.get("text1") or ""), str(data.get("text2") or "")
            if answer in ("left", "right"):  # pairwise answers name text1/text2; the record names screen sides
                winner = s1 if answer == "left" else s2
                answer = "left" if winner == left else "right"
            out.append(PairJudgment(
                example=example, task=str(data.get("task") or ""), prompt=str(data.get("prompt") or ""),
                rater=_ls_rater(ann.get("completed_by"), at), left_system=left, right_system=right,
                left_text=t1 if left == s1 else t2, right_text=t2 if left == s1 else t1, answer=answer,
                strength=strength, comment=comment, seconds=_seconds(ann.get("lead_time"), at, "lead_time"),
                submitted_at=str(ann.get("created_at") or ""), place=at))
    return out


def _ls_choice(value: dict, where: str, allowed: tuple[str, ...]) -> str:
    choices = value.get("choices") or []
    if len(choices) != 1 or choices[0] not in allowed:
        raise InterchangeError(f"{where}: field 'result.value.choices' must be one of {', '.join(allowed)}.")
    return choices[0]


READERS = {"potato": from_potato, "label-studio": from_label_studio}
WRITERS = {"potato": to_potato, "label-studio": to_label_studio,
           "preference-pairs": lambda records: jsonl(preference_pairs(records))}
FIELD_NAMES = [f.name for f in fields(PairJudgment) if f.name != "place"]


def save_hf_dataset(records: list[PairJudgment], path: str) -> dict[str, str]:
    """The judgments as a Hugging Face ``datasets.Dataset``: saved to disk at `path` (``load_from_disk`` reads
    it back) and as ``path``/judgments.parquet. Returns the two locations."""
    import os

    import datasets

    rows = hf_rows(records)
    columns = FIELD_NAMES + ["preferred_system"]
    ds = datasets.Dataset.from_dict({c: [r[c] for r in rows] for c in columns}) if rows else \
        datasets.Dataset.from_dict({c: [] for c in columns})
    ds.save_to_disk(path)
    parquet = os.path.join(path, "judgments.parquet")
    ds.to_parquet(parquet)
    return {"dataset": path, "parquet": parquet}


def export_file(fmt: str, records: list[PairJudgment]) -> tuple[bytes, str, str]:
    """One download: (body, content type, file name suffix). hf-dataset downloads as the Parquet file
    (``datasets.load_dataset("parquet", data_files=...)`` reads it); the command can also save the folder."""
    if fmt == "hf-dataset":
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            where = save_hf_dataset(records, f"{tmp}/dataset")
            with open(where["parquet"], "rb") as fh:
                return fh.read(), "application/vnd.apache.parquet", ".parquet"
    if fmt not in WRITERS:
        raise InterchangeError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}.")
    body = WRITERS[fmt](records).encode("utf-8")
    if fmt == "label-studio":
        return body, "application/json", ".json"
    return body, "application/x-ndjson", ".jsonl"


# --- A new study from a file --------------------------------------------------------------------------------

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


@dataclass(frozen=True)
class StudyPlan:
    """What a file holds, as a study: examples (ext id -> (task, prompt)), systems (name order), each output's
    text ((example, system) -> text), the pairs judged ((example, a, b), a < b) and the most raters on one pair."""

    examples: dict[str, tuple[str, str]]
    systems: list[str]
    outputs: dict[tuple[str, str], str]
    pairs: list[tuple[str, str, str]]
    max_raters: int
    graded: bool
    places: dict[str, str]  # example / system / output key -> the first record that named it, for errors


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def study_plan(records: list[PairJudgment]) -> StudyPlan:
    """Check that ``records`` describe one consistent study, and what it holds; InterchangeError names the first
    record (its place in the file) and the field that disagrees with an earlier one."""
    if not records:
        raise InterchangeError("The file holds no judgments.")
    examples: dict[str, tuple[str, str]] = {}
    outputs: dict[tuple[str, str], str] = {}
    raters: dict[tuple[str, str, str], set[str]] = {}
    places: dict[str, str] = {}
    for n, r in enumerate(records, start=1):
        at = r.place or f"record {n}"
        for what, system in (("left system", r.left_system), ("right system", r.right_system)):
            if not SLUG.match(system) or len(system) > 100:
                raise InterchangeError(f"{at}: {what} {system!r} must be a slug of at most 100 characters "
                                       "(letters, digits, '-' and '_').")
        if r.left_system == r.right_system:
            raise InterchangeError(f"{at}: left and right name the same system {r.left_system!r}.")
        if len(r.example) > 255:
            raise InterchangeError(f"{at}: field 'example' is longer than 255 characters.")
        if r.example in examples and examples[r.example] != (r.task, r.prompt):
            was = places[f"example:{r.example}"]
            field_name = "task" if examples[r.example][0] != r.task else "prompt"
            raise InterchangeError(f"{at}: field {field_name!r} of example {r.example!r} differs from {was}.")
        if not r.prompt.strip():
            raise InterchangeError(f"{at}: the prompt (the input text) of example {r.example!r} is empty.")
        examples.setdefault(r.example, (r.task, r.prompt))
        places.setdefault(f"example:{r.example}", at)
        for system, text in ((r.left_system, r.left_text), (r.right_system, r.right_text)):
            key = (r.example, system)
            if key in outputs and not _same_text(outputs[key], text):
                raise InterchangeError(f"{at}: the text of system {system!r} on example {r.example!r} differs from "
                                       f"{places[f'output:{r.example}:{system}']}.")
            outputs.setdefault(key, text)
            places.setdefault(f"output:{r.example}:{system}", at)
            places.setdefault(f"system:{system}", at)
        a, b = sorted((r.left_system, r.right_system))
        who = raters.setdefault((r.example, a, b), set())
        if r.rater in who:
            raise InterchangeError(f"{at}: rater {r.rater!r} judged example {r.example!r} ({a} vs {b}) twice.")
        who.add(r.rater)
    systems = sorted({s for _, s in outputs})
    if len(systems) < 2:
        raise InterchangeError("A study compares two or more systems; the file names one.")
    return StudyPlan(examples=examples, systems=systems, outputs=outputs, pairs=sorted(raters),
                     max_raters=max(len(v) for v in raters.values()), graded=any(r.strength for r in records),
                     places=places)
