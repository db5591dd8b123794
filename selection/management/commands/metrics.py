"""python manage.py metrics FILE.jsonl [--json] [--per-row] [--ci] [--strip-instruction] [--stem]

Scores rows of {"src", "prediction", "refs"} (``refs`` a list of strings, or one string for one reference)
with every automatic metric: EASSE's corpus SARI (``sari``, with ``sari_add`` / ``sari_keep`` / ``sari_del``),
evaluate's sentence-mean SARI (``sari_evaluate``), JFLEG's GLEU ×100, ROUGE-L (0-1), FKGL and the edit
statistics. ``src`` is taken literally, as the text the system was asked to edit, unless the row declares
its instruction (an ``instruction`` field: that prefix is removed) or ``--strip-instruction`` says every
``src`` starts with one of CoEDIT's instruction phrasings. '-' reads standard input.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from selection.core.metrics import per_row_scores, score_system
from selection.core.text import strip_instruction

CI_METRICS = ("sari", "sari_evaluate", "gleu", "rouge_l", "fkgl")


class RowError(ValueError):
    pass


def read_metric_rows(stream: IO[str], *, strip_known: bool = False) -> tuple[list[str], list[str], list[list[str]]]:
    """Sources, predictions and reference lists of a JSONL stream; RowError names the line and field.

    A row's ``instruction`` (a string) is removed from the front of its ``src``; with ``strip_known`` a known
    CoEDIT instruction is removed from every ``src``.
    """
    srcs, preds, refs = [], [], []
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RowError(f"line {line_no}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise RowError(f"line {line_no}: expected a JSON object with src, prediction, refs")
        for field in ("src", "prediction"):
            if not isinstance(row.get(field), str):
                raise RowError(f"line {line_no}: field `{field}` must be a string"
                               + (" (missing)" if field not in row else ""))
        row_refs = row.get("refs")
        if isinstance(row_refs, str):
            row_refs = [row_refs]
        if not isinstance(row_refs, list) or not row_refs or not all(isinstance(r, str) for r in row_refs):
            raise RowError(f"line {line_no}: field `refs` must be a non-empty list of strings"
                           + (" (missing)" if "refs" not in row else ""))
        instruction = row.get("instruction")
        if instruction is not None and not isinstance(instruction, str):
            raise RowError(f"line {line_no}: field `instruction` must be a string")
        src = row["src"]
        if instruction:
            src = strip_instruction(src, instruction)
        elif strip_known:
            src = strip_instruction(src)
        srcs.append(src)
        preds.append(row["prediction"])
        refs.append(row_refs)
    if not preds:
        raise RowError("no rows to score")
    return srcs, preds, refs


class Command(BaseCommand):
    help = ("Corpus SARI (EASSE) with add/keep/del, evaluate's SARI, GLEU, ROUGE-L, FKGL and edit statistics of "
            "a JSONL file of {src, prediction, refs} rows.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="JSONL file, or '-' for standard input.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print one JSON object.")
        parser.add_argument("--per-row", action="store_true", help="Also give each row's scores (in input order).")
        parser.add_argument("--ci", action="store_true",
                            help="Add 95 %% bootstrap intervals (<metric>_ci) for SARI, evaluate's SARI, GLEU, "
                                 "ROUGE-L and FKGL, recomputing the corpus scores on every resample.")
        parser.add_argument("--n-boot", type=int, default=1000, help="Bootstrap resamples for --ci.")
        parser.add_argument("--seed", type=int, default=0, help="Bootstrap seed for --ci.")
        parser.add_argument("--strip-instruction", action="store_true",
                            help="Every src starts with a CoEDIT instruction (e.g. 'Fix grammar: '): remove it.")
        parser.add_argument("--stem", action="store_true", help="ROUGE-L with the Porter stemmer.")

    def handle(self, *args: Any, path: str, as_json: bool, per_row: bool, stem: bool, ci: bool = False,
               n_boot: int = 1000, seed: int = 0, strip_instruction: bool = False, **o: Any) -> None:
        try:
            if path == "-":
                srcs, preds, refs = read_metric_rows(sys.stdin, strip_known=strip_instruction)
            else:
                file = Path(path)
                if not file.is_file():
                    raise CommandError(f"{path}: no such file")
                with file.open(encoding="utf-8") as stream:
                    srcs, preds, refs = read_metric_rows(stream, strip_known=strip_instruction)
        except RowError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if n_boot < 1:
            raise CommandError("--n-boot must be at least 1")
        scores = score_system(srcs, preds, refs, use_stemmer=stem)  # counted once, for the scores and the intervals
        rows, out = per_row_scores(scores) if per_row else [], scores.corpus()
        if ci:
            for metric in CI_METRICS:
                interval = scores.interval(metric, n_resamples=n_boot, random_state=seed)
                out[f"{metric}_ci"] = [interval.low, interval.high]
        if as_json:
            if per_row:
                out["rows"] = rows
            self.stdout.write(json.dumps(out))
            return
        self._print(out, rows if per_row else None)

    def _print(self, out: dict, rows: list[dict] | None) -> None:
        def with_ci(metric: str, fmt: str) -> str:
            text = format(out[metric], fmt)
            if f"{metric}_ci" in out:
                low, high = out[f"{metric}_ci"]
                text += f" [{format(low, fmt)}, {format(high, fmt)}]"
            return text

        self.stdout.write(
            f"n              {out['n']}\n"
            f"SARI           {with_ci('sari', '.2f')}  (add {out['sari_add']:.2f}, keep {out['sari_keep']:.2f}, "
            f"del {out['sari_del']:.2f}; EASSE corpus SARI)\n"
            f"SARI evaluate  {with_ci('sari_evaluate', '.2f')}  (Hugging Face evaluate: mean of sentence SARIs)\n"
            f"GLEU           {with_ci('gleu', '.2f')}\n"
            f"ROUGE-L        {with_ci('rouge_l', '.4f')}\n"
            f"FKGL           {with_ci('fkgl', '.2f')}")
        for key in ("exact_match", "copy_rate", "mean_edit_distance", "length_ratio", "compression_ratio"):
            self.stdout.write(f"{key:<20} {out[key]:.4f}")
        for i, row in enumerate(rows or [], start=1):
            self.stdout.write(f"{i}\tSARI {row['sari']:.2f}\tSARI-evaluate {row['sari_evaluate']:.2f}\t"
                              f"ROUGE-L {row['rouge_l']:.4f}")
