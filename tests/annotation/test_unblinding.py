"""One unblinding gate (annotation/blinding.py) and study ownership: every channel decides the same way."""
from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client

from annotation.models import Study, StudyEvent
from annotation.services import judgment_submit, slot_next, study_close

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _researcher(username: str) -> User:
    user = User.objects.create_user(username=username, password="pw")
    user.groups.add(Group.objects.get_or_create(name="researcher")[0])
    return user


@pytest.fixture
def rated(study_factory, annotator):
    """A live study owned by `researcher` (rita) with one judgment."""
    study = study_factory(name="gate", n_examples=4, raters_per_item=1, control_rate=0.0)
    slot = slot_next(study=study, user=annotator)
    judgment_submit(slot=slot, user=annotator, answer={"preference": "left", "accurate_left": True,
                                                       "accurate_right": False}, idempotency_key="k1")
    return study


def _peeks(study: Study) -> int:
    return StudyEvent.objects.filter(study=study, action="peek").count()


CHANNELS = ["/studies/{name}/report/?{q}", "/studies/{name}/report/?format=json&{q}",
            "/studies/{name}/export/?format=csv&{q}", "/api/studies/{name}/judgments/?{q}",
            "/api/studies/{name}/report/?{q}"]


@pytest.mark.parametrize("spelling", ["1", "true", "True", "yes", "on"])
def test_every_channel_reads_the_peek_switch_the_same_way(researcher_client, rated, spelling):
    for i, url in enumerate(CHANNELS, start=1):
        resp = researcher_client.get(url.format(name=rated.name, q=f"peek={spelling}"))
        assert resp.status_code == 200, (url, spelling)
        assert b"zebrasys" in resp.content, url
        assert _peeks(rated) == i  # each peek is logged once


@pytest.mark.parametrize("spelling", ["", "0", "false", "no", "peek"])
def test_every_channel_refuses_a_live_study_without_a_peek(researcher_client, rated, spelling):
    for url in CHANNELS:
        resp = researcher_client.get(url.format(name=rated.name, q=f"peek={spelling}"))
        assert resp.status_code == 403, (url, spelling)
        assert b"zebrasys" not in resp.content
    assert _peeks(rated) == 0


def test_closed_study_is_open_to_its_owner_everywhere_without_a_log(researcher_client, researcher, rated):
    study_close(study=rated, user=researcher)
    for url in CHANNELS:
        assert researcher_client.get(url.format(name=rated.name, q="")).status_code == 200, url
    assert _peeks(rated) == 0


def _export(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_study", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_study_on_a_live_study_needs_peek_and_logs_it(rated, researcher, caplog):
    with pytest.raises(CommandError, match="--peek"):
        _export(rated.name, "--format", "csv")
    assert _peeks(rated) == 0
    with caplog.at_level(logging.INFO, logger="annotation.blinding"):
        out, err = _export(rated.name, "--format", "csv", "--peek")
    assert "zebrasys" in out and "logged as a peek" in err
    assert _peeks(rated) == 1
    assert any("export_study" in r.getMessage() and rated.name in r.getMessage() for r in caplog.records)
    study_close(study=rated, user=researcher)
    out, _ = _export(rated.name, "--format", "jsonl")  # a closed study exports freely
    assert "zebrasys" in out and _peeks(rated) == 1


def test_study_report_command_goes_through_the_same_gate(rated):
    with pytest.raises(CommandError, match="--peek"):
        call_command("study_report", rated.name, "--json", stdout=io.StringIO())
    call_command("study_report", rated.name, "--json", "--peek", "--bootstrap", "0", stdout=io.StringIO())
    assert _peeks(rated) == 1


UNBLINDED_READS = re.compile(r"\b(judgment_records|study_report|study_report_inputs)\(")


def test_every_unblinded_read_outside_the_report_code_passes_the_gate():
    """Each module that reads unblinded judgments or the report (other than their own definitions) calls
    annotation.blinding.unblind: a new page, API view or command that forgets the gate fails here."""
    own = {"annotation/selectors.py", "annotation/reports/gather.py", "annotation/blinding.py"}
    callers = []
    for path in [p for app in ("annotation", "deft_site", "selection") for p in sorted((ROOT / app).rglob("*.py"))]:
        rel = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        if rel in own or "/migrations/" in rel or not UNBLINDED_READS.search(text):
            continue
        callers.append(rel)
        assert "blinding.unblind" in text, f"{rel} reads unblinded results without annotation.blinding.unblind"
    assert len(callers) >= 5, callers  # pages, API views and both commands


# --- ownership ------------------------------------------------------------------------------------------------

@pytest.fixture
def other_client(db):
    client = Client()
    client.force_login(_researcher("victor"))
    return client


def test_another_researcher_cannot_peek_export_or_change_a_study(other_client, rated):
    name = rated.name
    for url in CHANNELS:
        resp = other_client.get(url.format(name=name, q="peek=1"))
        assert resp.status_code == 403, url
        assert b"zebrasys" not in resp.content
    assert other_client.get(f"/studies/{name}/").status_code == 403
    assert other_client.get(f"/studies/{name}/report/live/").status_code == 403
    assert other_client.post(f"/studies/{name}/", {"action": "close"}).status_code == 403
    for action in ("pause", "close"):
        assert other_client.post(f"/api/studies/{name}/{action}/").status_code == 403
    assert other_client.get(f"/api/studies/{name}/").status_code == 403
    assert other_client.get(f"/api/studies/{name}/progress/").status_code == 403
    rated.refresh_from_db()
    assert rated.status == "live" and _peeks(rated) == 0
    assert name.encode() not in other_client.get("/studies/").content
    assert all(s["name"] != name for s in other_client.get("/api/studies/").json()["results"])


def test_owner_shares_a_study_with_a_collaborator(researcher_client, rated, other_client):
    resp = researcher_client.post(f"/studies/{rated.name}/", {"action": "add_collaborator", "username": "victor"})
    assert resp.status_code == 302
    assert list(rated.collaborators.values_list("username", flat=True)) == ["victor"]
    assert other_client.get(f"/studies/{rated.name}/report/?peek=1").status_code == 200
    assert other_client.get(f"/api/studies/{rated.name}/").json()["collaborators"] == ["victor"]
    # a collaborator may not share further; the owner can stop sharing
    other_client.post(f"/studies/{rated.name}/", {"action": "add_collaborator", "username": "anna"})
    assert rated.collaborators.count() == 1
    researcher_client.post(f"/studies/{rated.name}/", {"action": "remove_collaborator", "username": "victor"})
    assert other_client.get(f"/studies/{rated.name}/report/?peek=1").status_code == 403


def test_only_researchers_can_be_collaborators(researcher_client, rated, annotator):
    researcher_client.post(f"/studies/{rated.name}/", {"action": "add_collaborator", "username": annotator.username})
    assert not rated.collaborators.exists()


def test_admin_may_act_on_any_study_and_it_is_logged(rated, staff, caplog):
    admin = Client()
    admin.force_login(staff)
    with caplog.at_level(logging.INFO, logger="annotation.blinding"):
        assert admin.get(f"/api/studies/{rated.name}/judgments/?peek=1").status_code == 200
        assert admin.post(f"/api/studies/{rated.name}/pause/").status_code == 200
    messages = [r.getMessage() for r in caplog.records if r.name == "annotation.blinding"]
    assert any("admin sam" in m and "owned by rita" in m and "pause" in m for m in messages), messages
    assert any("peek" in m and "sam" in m for m in messages)
    assert StudyEvent.objects.filter(study=rated, action="peek", user=staff).count() == 1


def test_the_admin_site_is_no_unlogged_peek(rated, staff):
    """A live study's answers are not browsable in Django's admin (with the slot's sides and the item's systems
    they would unblind it, unlogged); after close they are."""
    from annotation.models import Judgment

    admin = Client()
    admin.force_login(staff)
    judgment = Judgment.objects.get(slot__item__study=rated)
    listing = admin.get("/admin/annotation/judgment/")
    assert listing.status_code == 200 and f"/admin/annotation/judgment/{judgment.pk}/" not in listing.content.decode()
    page = admin.get(f"/admin/annotation/judgment/{judgment.pk}/change/")
    assert page.status_code == 302 or judgment.slot.token not in page.content.decode()
    study_close(study=rated)
    listing = admin.get("/admin/annotation/judgment/")
    assert f"/admin/annotation/judgment/{judgment.pk}/" in listing.content.decode()
    assert admin.get(f"/admin/annotation/judgment/{judgment.pk}/change/").status_code == 200


def test_study_creators_own_their_studies(researcher_client, study_data, researcher):
    ds, systems = study_data
    resp = researcher_client.post("/api/studies/", {"name": "via-api", "dataset": ds.name, "n_examples": 3,
                                                   "systems": [systems[0].name, systems[1].name]},
                                  content_type="application/json")
    assert resp.status_code == 201 and resp.json()["owner"] == "rita"
    assert Study.objects.get(name="via-api").owner == researcher


def test_create_study_command_owner(study_data, staff, researcher):
    ds, systems = study_data
    args = ["--dataset", ds.name, "--system", systems[0].name, "--system", systems[1].name, "--items", "3"]
    call_command("create_study", "cmd-default", *args, stdout=io.StringIO())
    assert Study.objects.get(name="cmd-default").owner == staff  # the first admin
    call_command("create_study", "cmd-owned", *args, "--owner", "rita", stdout=io.StringIO())
    assert Study.objects.get(name="cmd-owned").owner == researcher
    with pytest.raises(CommandError, match="No user"):
        call_command("create_study", "cmd-x", *args, "--owner", "nobody", stdout=io.StringIO())


def test_migration_gives_existing_studies_an_owner(study_factory, researcher, staff):
    import importlib

    migration = importlib.import_module("annotation.migrations.0002_h3_study_owner")
    made = study_factory(name="made-by-rita")
    orphan = study_factory(name="orphan")
    Study.objects.filter(pk=made.pk).update(owner=None)
    Study.objects.filter(pk=orphan.pk).update(owner=None, created_by=None)
    migration.owners_for_existing_studies(django_apps, None)
    made.refresh_from_db()
    orphan.refresh_from_db()
    assert made.owner == researcher and orphan.owner == staff
