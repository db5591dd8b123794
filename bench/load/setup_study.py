"""Create what the load benchmark rates: a dataset, two systems, a launched study and a crowd invite link.

Run against the same database as the server (DATABASE_URL), e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deft .venv/bin/python bench/load/setup_study.py --items 4000
Prints one JSON line: {"study": name, "token": public token, "invite": invite token, ...}.

Texts: the synthetic demo generator (default), or `--data FILE.jsonl` in CoEDIT's format (e.g.
../shared/data/coedit/train_pool.jsonl). System "ref" outputs the reference, system "drop" the reference with
one word dropped: a pair a rater can tell apart, of realistic length. A fresh study each run (judgments of an
earlier run never count), on a dataset made once and reused.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deft_site.settings.dev")
    import django

    django.setup()


def _rows(n: int, data: str | None) -> list[dict]:
    if not data:
        from selection.demo import make_demo_rows

        rows = make_demo_rows(n_rows=n, seed=11)
    else:
        with open(data, encoding="utf-8") as fh:
            rows = [json.loads(line) for _, line in zip(range(n), fh)]
    for i, row in enumerate(rows):
        row["_id"], row["split"] = f"load-{i:06d}", "test"
    return rows


def dataset_and_systems(n: int, data: str | None):  # noqa: ANN201 - (Dataset, [System, System])
    from selection.models import Dataset, Output, System
    from selection.services.datasets import dataset_import

    name = f"load-{n}-{Path(data).stem if data else 'synthetic'}".lower().replace("_", "-")
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        rows = _rows(n, data)
        body = "".join(json.dumps(r) + "\n" for r in rows).encode()
        dataset = dataset_import(stream=io.BytesIO(body), name=name, filename="load.jsonl")
    systems = []
    rng = random.Random(5)
    for sys_name in ("ref", "drop"):
        system, created = System.objects.get_or_create(name=sys_name, dataset=dataset,
                                                       defaults={"kind": "imported"})
        if created:
            outs = []
            for ex in dataset.examples.filter(split="test").order_by("pk"):
                ref = (ex.refs or [ex.src])[0]
                words = ref.split()
                if sys_name == "drop" and len(words) > 2:
                    del words[rng.randrange(len(words))]
                outs.append(Output(system=system, example=ex, text=" ".join(words)))
            Output.objects.bulk_create(outs, batch_size=2000)
        systems.append(system)
    return dataset, systems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=4000, help="examples in the study (default 4000)")
    parser.add_argument("--raters-per-item", type=int, default=3)
    parser.add_argument("--control-rate", type=float, default=0.1)
    parser.add_argument("--data", help="a CoEDIT-format JSONL file instead of the synthetic generator")
    args = parser.parse_args()
    _django()
    from annotation.services import invite_create, study_create

    t0 = time.perf_counter()
    # Controls are made from examples outside the study (annotation/services/studies.py): a fifth more rows.
    dataset, systems = dataset_and_systems(args.items + args.items // 5, args.data)
    name = f"load-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    study = study_create(name=name, dataset=dataset, systems=systems, n_examples=args.items,
                         raters_per_item=args.raters_per_item, control_rate=args.control_rate,
                         control_kinds=["degraded"], seed=1, open_to_annotators=False,
                         questions={"pairwise": True, "accuracy": True, "comment": False}, launch=True)
    invite = invite_create(study=study, label="load benchmark")
    print(json.dumps({"study": study.name, "token": study.public_token, "invite": invite.token,
                      "items": study.items.count(), "dataset": dataset.name,
                      "setup_seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
