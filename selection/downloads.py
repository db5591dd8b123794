"""JSON Lines downloads shared by the HTML pages and the API: a dataset's rows, a selection run's picks.

They stream (a dataset may have hundreds of thousands of rows) and only shape output; the records come from
the services' record functions.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import StreamingHttpResponse

from selection.models import Example, SelectionRun
from selection.services.datasets import example_to_record
from selection.services.selection_runs import selection_pick_records


def jsonl_download(examples: Iterable[Example], filename: str) -> StreamingHttpResponse:
    """The examples as a JSON Lines attachment named `filename`."""
    lines = (json.dumps(example_to_record(ex), ensure_ascii=False) + "\n" for ex in examples)
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def picks_jsonl_response(run: SelectionRun, chosen_only: bool = False) -> StreamingHttpResponse:
    """Every example of the run's split with its `chosen` flag (or the chosen ones only) as a JSON Lines attachment."""
    lines = (json.dumps(record) + "\n" for record in selection_pick_records(run, chosen_only=chosen_only))
    response = StreamingHttpResponse(lines, content_type="application/x-ndjson; charset=utf-8")
    suffix = "chosen" if chosen_only else "all-rows"
    response["Content-Disposition"] = f'attachment; filename="{run.name}-picks-{suffix}.jsonl"'
    return response
