"""Where an annotator's request spends its time: CPU and wall per request, and its queries, in one process.

Run against a study made by setup_study.py (same DATABASE_URL), under the production settings:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deft nice -n 10 .venv/bin/python \\
        bench/load/profile_annotator.py --token STUDY_TOKEN --raters 20 --pairs 10 [--pyinstrument next]
Each rater is a fresh member of the study signed in by a session cookie (as the invite link leaves them), then asks for
"next pair" and submits it, --pairs times, through Django's test client (the whole middleware and DRF stack,
no network); every other answer goes as the rating page sends it, "submit+next" (?next=1, the next pair in the
reply), so the three kinds are measured side by side. Prints (and writes to bench/out/ as JSON) per endpoint the median and p90 of CPU (time.process_time) and wall time,
and the queries of the last request with each one's SQL head and time; `--pyinstrument next|submit` adds a
call-tree profile of that endpoint (text) to bench/out/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
ANSWER = {"preference": "left", "accurate_left": True, "accurate_right": False, "comment": ""}


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deft_site.settings.prod")
    os.environ.setdefault("SECRET_KEY", "profile-only-key")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS"):
        os.environ.setdefault(name, "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("API_THROTTLE_USER", "100000/minute")
    import django

    django.setup()


# Where a request's CPU goes, as cumulative shares of the profiled endpoint (cProfile slows everything about
# alike, so shares hold; multiply by an unprofiled run's median CPU for milliseconds). Nested parts overlap.
PARTS = {
    "whole request (test client)": "django/test/client.py:(request)",
    "DRF dispatch": "rest_framework/views.py:(dispatch)",
    "DRF initial: authentication (session + user), CSRF, permissions, throttles": "rest_framework/views.py:(initial)",
    "session load (1 query)": "sessions/backends/db.py:(load)",
    "user load (1 query)": "contrib/auth/__init__.py:(get_user)",
    "throttles": "rest_framework/views.py:(check_throttles)",
    "study and membership (1 query)": "annotation/api/views.py:(_member_study)",
    "own slot (1 query)": "annotation/api/views.py:(_own_slot)",
    "slot_next (transaction: 12 statements)": "annotation/services/assignment.py:(slot_next)",
    "  reclaim expired": "annotation/services/assignment.py:(slot_reclaim_expired)",
    "  rater counts (1 statement)": "annotation/queue.py:(rater_counts)",
    "  real item: window, lock, seats, create": "annotation/services/assignment.py:(_real_slot)",
    "  slot create: sides, insert, counters": "annotation/services/assignment.py:(_slot_create)",
    "judgment_submit (transaction)": "annotation/services/judgments.py:(judgment_submit)",
    "answer validation (serializer)": "rest_framework/serializers.py:(is_valid)",
    "progress (1 statement)": "annotation/selectors.py:(rater_progress)",
    "slot payload (texts, word diffs)": "annotation/selectors.py:(slot_payload)",
    "response rendering (JSON)": "rest_framework/response.py:(rendered_content)",
    "all SQL execution (driver + server wait)": "psycopg/cursor.py:(execute)",
    "all ORM query building": "django/db/models/sql/compiler.py:(as_sql)",
}


def _shares(stats) -> dict[str, float]:  # noqa: ANN001 (pstats.Stats)
    import re

    cumulative: dict[str, float] = {}
    for (path, _, func), (_, _, _, ct, callers) in stats.stats.items():
        for name, pattern in PARTS.items():
            where, wanted = re.match(r"(.*):\((.*)\)", pattern).groups()
            if path.endswith(where) and func == wanted:
                # recursive functions: count only calls from outside themselves
                cumulative[name] = cumulative.get(name, 0.0) + ct
    total = cumulative.get("whole request (test client)") or 1.0
    return {name: round(100 * cumulative[name] / total, 1) for name in PARTS if name in cumulative}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", required=True, help="the study's public token (setup_study.py prints it)")
    parser.add_argument("--raters", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--pyinstrument", choices=["next", "submit", "submit+next"], help="a wall-clock call tree of this endpoint")
    parser.add_argument("--cprofile", choices=["next", "submit", "submit+next"], help="CPU time by function of this endpoint")
    args = parser.parse_args()
    _django()
    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from annotation.models import Study, StudyRater

    group = Group.objects.get_or_create(name="annotator")[0]
    study = Study.objects.get(public_token=args.token)
    run = uuid.uuid4().hex[:6]
    kinds = ("next", "submit", "submit+next")
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    wall: dict[str, list[float]] = {k: [] for k in kinds}
    queries: dict[str, list] = {}
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    cprof = None
    if args.cprofile:
        import cProfile

        cprof = cProfile.Profile(time.process_time)

    def timed(kind: str, call):  # noqa: ANN001, ANN202
        c0, w0 = time.process_time(), time.perf_counter()
        if profiler and kind == args.pyinstrument:
            profiler.start()
        if cprof and kind == args.cprofile:
            cprof.enable()
        with CaptureQueriesContext(connection) as ctx:
            resp = call()
        if cprof and kind == args.cprofile:
            cprof.disable()
        if profiler and kind == args.pyinstrument:
            profiler.stop()
        cpu[kind].append(1000 * (time.process_time() - c0))
        wall[kind].append(1000 * (time.perf_counter() - w0))
        queries[kind] = [(q["time"], q["sql"][:160]) for q in ctx.captured_queries]
        return resp

    for r in range(args.raters):
        user = User.objects.create_user(f"prof-{run}-{r}")
        user.groups.add(group)
        StudyRater.objects.create(study=study, user=user, participant_id=f"prof-{run}-{r}")  # as the invite does
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        client.post(f"/api/work/{args.token}/next/")  # joins the study (first request of a rater)
        slot = None
        for p in range(args.pairs):
            # The separate endpoints on even pairs, the rating page's combined "answer and next" on odd ones
            # (that request's "next" is taken from its answer; a rater's first pair always comes from /next/).
            if slot is None:
                resp = timed("next", lambda client=client: client.post(f"/api/work/{args.token}/next/"))
                assert resp.status_code == 200, resp.content
                slot = resp.json()["slot"]["slot"]
            body = json.dumps({**ANSWER, "idempotency_key": uuid.uuid4().hex})
            kind = "submit+next" if p % 2 else "submit"
            resp = timed(kind, lambda client=client, slot=slot, body=body, kind=kind: client.post(
                f"/api/work/slots/{slot}/judgment/" + ("?next=1" if kind == "submit+next" else ""), body,
                content_type="application/json"))
            assert resp.status_code == 201, resp.content
            slot = resp.json()["next"]["slot"]["slot"] if kind == "submit+next" else None

    def pct(values: list[float], q: float) -> float:
        values = sorted(values)
        return round(values[min(len(values) - 1, int(q * len(values)))], 2)

    report = {"command": " ".join(sys.argv), "load_avg": [round(x, 2) for x in os.getloadavg()]}
    for kind in kinds:
        report[kind] = {"n": len(cpu[kind]), "cpu_ms_median": round(statistics.median(cpu[kind]), 2),
                        "cpu_ms_p90": pct(cpu[kind], 0.9), "wall_ms_median": round(statistics.median(wall[kind]), 2),
                        "wall_ms_p90": pct(wall[kind], 0.9), "queries": len(queries[kind]),
                        "sql": queries[kind]}
    if profiler:
        out = ROOT / "bench/out" / f"profile-{args.pyinstrument}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        report["profile"] = str(out.relative_to(ROOT))
    if cprof:
        import io
        import pstats

        text = io.StringIO()
        pstats.Stats(cprof, stream=text).sort_stats("cumulative").print_stats(60)
        pstats.Stats(cprof, stream=text).sort_stats("tottime").print_stats(40)
        out = ROOT / "bench/out" / f"cprofile-{args.cprofile}-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text.getvalue())
        cprof.dump_stats(str(out.with_suffix(".prof")))  # pstats.Stats(path).print_callees("...")
        report["cprofile"] = str(out.relative_to(ROOT))
        report["cpu_shares"] = _shares(pstats.Stats(cprof))
    out = ROOT / "bench/out" / f"profile-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    for name, share in report.get("cpu_shares", {}).items():
        print(f"{share:5.1f} %  {name}")
    for kind in kinds:
        print(f"{kind}: " + ", ".join(f"{k} {v}" for k, v in report[kind].items() if k != "sql"))
        for seconds, sql in report[kind]["sql"]:
            print(f"  {1000 * float(seconds):6.1f} ms  {sql[:110]}")
    print(f"written to {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
