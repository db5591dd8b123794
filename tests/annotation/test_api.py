"""The study API: create and launch through REST, and the OpenAPI schema documents every endpoint."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_create_launch_and_progress_via_api(researcher_client, study_data):
    ds, systems = study_data
    resp = researcher_client.post("/api/studies/", {
        "name": "api-study", "dataset": ds.name, "systems": [systems[0].name, systems[1].name], "n_examples": 5,
        "raters_per_item": 2, "questions": {"likert": ["fluency"]}}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "draft" and body["summary"]["real_items"] == 5
    assert body["questions"]["likert"][0]["key"] == "fluency"
    assert researcher_client.post("/api/studies/api-study/launch/").json()["status"] == "live"
    assert researcher_client.post("/api/studies/api-study/launch/").status_code == 400
    progress = researcher_client.get("/api/studies/api-study/progress/").json()
    assert progress == {**progress, "done": 0, "total": 10, "status": "live"}
    bad = researcher_client.post("/api/studies/", {"name": "x", "dataset": ds.name, "systems": ["nope", "zebrasys0"],
                                                   "n_examples": 2}, content_type="application/json")
    assert bad.status_code == 400


def test_schema_lists_annotation_endpoints(researcher_client):
    resp = researcher_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    paths = resp.json()["paths"] if resp["Content-Type"].endswith("json") else resp.content.decode()
    for p in ("/api/studies/", "/api/studies/{name}/launch/", "/api/studies/{name}/judgments/", "/api/work/",
              "/api/work/{token}/next/", "/api/work/slots/{slot}/judgment/"):
        assert p in paths
