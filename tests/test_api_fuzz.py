"""Fuzzing the API from its OpenAPI schema (schemathesis): no request, valid or not, gets a 5xx.

Every operation of the schema drf-spectacular generates is called against the test server (pytest-django's
`live_server`, a real threaded HTTP server) with schema-valid and schema-violating requests, half of them
aimed at objects that exist (a dataset, a system, a study, a training run, a job, the annotator's own slots).
Researcher operations run as a researcher, the annotator API (/api/work/) as an annotator. Bounded: a few
examples per operation, seeded (the same requests every run), and a time budget for the whole test.
"""
from __future__ import annotations

import io
import time

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 2  # per strategy; twice that for requests aimed at a real object
BUDGET_SECONDS = 30.0  # past it, each remaining operation gets one call: bounded on a slow machine too


def auth_headers(user: User) -> dict[str, str]:
    """How the fuzzer authenticates: the API token a user makes on /account/tokens/, as a script would."""
    from rest_framework.authtoken.models import Token

    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def _user(name: str, group: str) -> User:
    user = User.objects.create_user(name, password=f"pw-{name}")
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def world(transactional_db):
    """Real objects for the path parameters to name."""
    from annotation.services import slot_next, study_create
    from deft_site.jobs.services import job_submit
    from selection.demo import make_demo_rows
    from selection.models import System, TrainingRun
    from selection.services.datasets import dataset_import
    from tests.annotation.conftest import make_study_data
    from tests.conftest import jsonl_bytes

    researcher, annotator = _user("fuzz-r", "researcher"), _user("fuzz-a", "annotator")
    demo = dataset_import(stream=io.BytesIO(jsonl_bytes(make_demo_rows(n_rows=40, seed=2))), name="fuzz-demo",
                          filename="demo.jsonl")
    ds, systems = make_study_data(n_examples=12, n_systems=2, seed=31)
    study = study_create(name="fuzz-study", dataset=ds, systems=systems, n_examples=8, raters_per_item=2,
                         control_rate=0.2, launch=True, user=researcher)
    # The annotator works on a study of its own, which the researcher's fuzzed close / pause never name.
    work = study_create(name="fuzz-work", dataset=ds, systems=systems, n_examples=8, raters_per_item=2,
                        control_rate=0.2, launch=True, user=researcher)
    slot = slot_next(study=work, user=annotator)
    run = TrainingRun.objects.create(name="fuzz-run", dataset=demo)
    job = job_submit(kind="dataset_import", title="fuzz", params={"path": "/nonexistent"}, user=researcher)
    system = System.objects.filter(dataset=ds).first()
    params = {
        "/api/datasets/{name}": {"name": demo.name}, "/api/studies/{name}": {"name": study.name},
        "/api/studies/{ref}": {"ref": study.name}, "/api/systems/{id}": {"id": system.pk},
        "/api/training-runs/{name}": {"name": run.name}, "/api/jobs/{id}": {"id": job.pk},
        "/api/work/{token}": {"token": work.public_token}, "/api/work/slots/{slot}": {"slot": slot.token},
    }
    return {"researcher": auth_headers(researcher), "annotator": auth_headers(annotator),
            "params": params}


def _api_schema():
    from drf_spectacular.generators import SchemaGenerator

    return schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))


def _real_params(path: str, params: dict) -> dict | None:
    for prefix, values in params.items():
        if path.startswith(prefix):
            return values
    return None


@pytest.mark.slow
def test_no_request_from_the_schema_gets_a_5xx(live_server, world):
    operations = [result.ok() for result in _api_schema().get_all_operations()]
    assert len(operations) >= 40
    failures: list[str] = []
    calls = 0
    deadline = time.monotonic() + BUDGET_SECONDS
    for operation in operations:
        examples = EXAMPLES_PER_OPERATION if time.monotonic() < deadline else 1
        headers = world["annotator" if operation.path.startswith("/api/work/") else "researcher"]
        plan = [(GenerationMode.POSITIVE, operation.as_strategy(generation_mode=GenerationMode.POSITIVE), examples),
                (GenerationMode.NEGATIVE, operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), examples)]
        real = _real_params(operation.path, world["params"])
        if real:  # aimed at objects that exist, where most of the code runs: twice the examples
            plan += [(mode, operation.as_strategy(generation_mode=mode, path_parameters=real), 2 * examples)
                     for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        for mode, strategy, n in plan:

            @seed(20261201)
            @settings(max_examples=n, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def call(case) -> None:  # noqa: ANN001
                nonlocal calls
                calls += 1
                response = case.call(base_url=live_server.url, headers=headers, timeout=30)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} query={case.query} "
                                    f"body={str(case.body)[:200]} -> {response.status_code}")

            try:
                call()
            except Unsatisfiable:
                # An operation whose every input is fixed (no parameters, or only the real ones given) has no
                # schema-violating request to send; positive requests must always be possible.
                if mode is not GenerationMode.NEGATIVE:
                    raise
    assert calls >= 2 * len(operations)
    assert not failures, "5xx answers:\n" + "\n".join(failures[:20])
