"""Adjudication as users run it: the study wizard, the study page, the reviewer's page, the API and the
`adjudication` command; who may review (403/404 for everyone else); the exports carry raw and final labels."""
from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from annotation.models import Adjudication, Item, Study
from annotation.services import reviewer_add, simulate_raters, study_close

pytestmark = pytest.mark.django_db

PREFER = {"zebrasys0": 0.8}


def _reviewer(name: str) -> User:
    user = User.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get_or_create(name="reviewer")[0])
    return user


@pytest.fixture
def disputed(study_factory):
    study = study_factory(n_examples=10, raters_per_item=3, control_rate=0.0, adjudication="disagreements")
    simulate_raters(study=study, raters=2, random_clickers=2, seed=4, prefer=PREFER)
    return study


def test_the_wizard_sets_adjudication_and_assigns_reviewers(researcher_client, study_data):
    ds, systems = study_data
    rev = _reviewer("wizrev")
    form = {"name": "wiz-adj", "public_title": "Edits", "dataset": ds.name, "split": "test",
            "systems": [systems[0].pk, systems[1].pk], "n_examples": 6, "raters_per_item": 3, "allocation": "fixed",
            "seed": 0, "control_rate": 0.0, "q_pairwise": "on", "q_accuracy": "on", "q_comment": "on",
            "practice_count": 0, "identical_outputs": "tie", "display_mode": "auto",
            "adjudication": "disagreements", "adjudication_agreement": "0.6", "adjudication_share": "0.1",
            "reviewers": rev.username, "save": "1"}
    page = researcher_client.get("/studies/new/").content.decode()
    assert 'name="adjudication"' in page and 'name="reviewers"' in page
    resp = researcher_client.post("/studies/new/", form)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    study = Study.objects.get(name="wiz-adj")
    assert (study.adjudication, study.adjudication_agreement) == ("disagreements", 0.6)
    assert list(study.reviewers.all()) == [rev]
    bad = researcher_client.post("/studies/new/", {**form, "name": "wiz-adj2", "reviewers": "nobody"})
    assert bad.status_code == 200 and "Not users with the reviewer role" in bad.content.decode()


def test_the_study_page_assigns_reviewers_and_changes_the_setting(researcher_client, disputed):
    rev = _reviewer("pagerev")
    url = f"/studies/{disputed.name}/"
    researcher_client.post(url, {"action": "add_reviewer", "username": rev.username})
    assert list(disputed.reviewers.all()) == [rev]
    researcher_client.post(url, {"action": "adjudication", "adjudication": "sample", "adjudication_agreement": "1",
                                 "adjudication_share": "0.5"})
    disputed.refresh_from_db()
    assert (disputed.adjudication, disputed.adjudication_share) == ("sample", 0.5)
    page = researcher_client.get(url).content.decode()
    assert "pagerev" in page and "queued" in page
    researcher_client.post(url, {"action": "remove_reviewer", "username": rev.username})
    assert not disputed.reviewers.exists()


def test_the_review_page_stores_a_final_label_in_canonical_terms(client, disputed):
    rev = _reviewer("pagerev")
    reviewer_add(study=disputed, user=rev)
    client.force_login(rev)
    assert disputed.public_title in client.get("/review/").content.decode()
    page = client.get(f"/review/{disputed.public_token}/")
    assert page.status_code == 200 and "What the raters said" in page.content.decode()
    adj = Adjudication.objects.get(reviewer=rev, status="reserved")
    empty = client.post(f"/review/{disputed.public_token}/", {"item": adj.token, "idempotency_key": "k"})
    assert empty.status_code == 400
    body = {"item": adj.token, "label": "right", "note": "B keeps the meaning", "idempotency_key": "k1"}
    assert client.post(f"/review/{disputed.public_token}/", body).status_code == 302
    assert client.post(f"/review/{disputed.public_token}/", body).status_code == 302  # a double submission
    adj.refresh_from_db()
    assert adj.status == "done" and adj.label == ("b" if adj.left_is_a else "a") and adj.note == "B keeps the meaning"
    assert Adjudication.objects.filter(study=disputed, status="done").count() == 1


def test_only_the_studys_reviewers_get_in(client, disputed, annotator, researcher):
    rev, outsider = _reviewer("in"), _reviewer("out")
    reviewer_add(study=disputed, user=rev)
    token = disputed.public_token
    for user in (annotator, outsider, researcher):  # a rater, an unassigned reviewer, the study's owner
        client.force_login(user)
        assert client.get(f"/review/{token}/").status_code == 404
        assert client.post(f"/api/review/{token}/next/").status_code == 404
        assert disputed.public_title not in client.get("/review/").content.decode()
    client.force_login(rev)
    item = client.post(f"/api/review/{token}/next/").json()["item"]
    client.force_login(outsider)
    assert client.get(f"/api/review/items/{item['token']}/").status_code == 404
    assert client.post(f"/api/review/items/{item['token']}/label/", {"idempotency_key": "x", "label": "left"},
                       content_type="application/json").status_code == 404
    client.logout()
    assert client.post(f"/api/review/{token}/next/").status_code in (401, 403)
    # A reviewer cannot read unblinded results: the researchers' API refuses them.
    client.force_login(rev)
    assert client.get(f"/api/studies/{disputed.name}/adjudications/?peek=1").status_code == 403


def test_the_api_hands_out_items_and_stores_labels_idempotently(client, disputed):
    rev = _reviewer("apirev")
    reviewer_add(study=disputed, user=rev)
    client.force_login(rev)
    token = disputed.public_token
    first = client.post(f"/api/review/{token}/next/").json()
    again = client.post(f"/api/review/{token}/next/").json()
    assert first["item"]["token"] == again["item"]["token"] and not first["finished"]
    url = f"/api/review/items/{first['item']['token']}/label/"
    bad = client.post(url, {"idempotency_key": "k", "label": "a"}, content_type="application/json")
    assert bad.status_code == 400
    made = client.post(url, {"idempotency_key": "k", "label": "tie", "note": "n"}, content_type="application/json")
    same = client.post(url, {"idempotency_key": "k", "label": "left"}, content_type="application/json")
    assert (made.status_code, same.status_code) == (201, 200) and same.json()["created"] is False
    assert made.json()["progress"]["done"] == 1
    assert Adjudication.objects.get(token=first["item"]["token"]).label == "tie"
    while not (nxt := client.post(f"/api/review/{token}/next/").json())["finished"]:
        client.post(f"/api/review/items/{nxt['item']['token']}/label/", {"idempotency_key": nxt["item"]["token"],
                                                                         "label": "left"},
                    content_type="application/json")
    assert nxt["progress"]["left"] == 0


def test_researchers_read_and_import_final_labels_over_the_api(researcher_client, disputed):
    url = f"/api/studies/{disputed.name}/adjudications/"
    assert researcher_client.get(url).status_code == 403  # sealed until close
    item = Item.objects.filter(study=disputed, kind="real").select_related("system_a__system").first()
    resp = researcher_client.post(url, {"rows": [{"item": item.pk, "final_system": item.system_a.system.name}]},
                                  content_type="application/json")
    assert resp.status_code == 200 and resp.json()["created"] == 1
    bad = researcher_client.post(url, {"rows": [{"item": item.pk, "final_label": "x"}]}, content_type="application/json")
    assert bad.status_code == 400 and "row 1, field final_label" in bad.json()["detail"]
    rows = researcher_client.get(url + "?peek=1").json()["results"]
    mine = [r for r in rows if r["item"] == item.pk][0]
    assert mine["final_label"] == "a" and mine["final_system"] == item.system_a.system.name
    rev = _reviewer("viaapi")
    out = researcher_client.post(f"/api/studies/{disputed.name}/reviewers/", {"username": rev.username},
                                 content_type="application/json")
    assert out.status_code == 200 and out.json()["reviewers"] == ["viaapi"]


def test_the_api_creates_a_study_that_adjudicates(researcher_client, study_data):
    ds, systems = study_data
    rev = _reviewer("apicreate")
    resp = researcher_client.post("/api/studies/", {
        "name": "api-adj", "dataset": ds.name, "systems": [systems[0].name, systems[1].name], "n_examples": 4,
        "control_rate": 0.0, "adjudication": "sample", "adjudication_share": 0.25, "reviewers": [rev.username]},
        content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["adjudication"] == "sample" and resp.json()["reviewers"] == ["apicreate"]


def test_the_command_runs_the_whole_adjudication(disputed, tmp_path, capsys):
    rev = _reviewer("clirev")
    call_command("adjudication", disputed.name, "assign", rev.username)
    call_command("adjudication", disputed.name, "status")
    assert "reviewers: clirev" in capsys.readouterr().out
    call_command("adjudication", disputed.name, "queue", "--json")
    queued = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert queued and all(r["status"] == "waiting" for r in queued)
    assert not any("zebrasys" in json.dumps(r) for r in queued)  # the queue names no system
    with pytest.raises(CommandError, match="peek"):
        call_command("adjudication", disputed.name, "export")
    call_command("adjudication", disputed.name, "simulate", "--reviewers", "1", "--seed", "4", "--prefer",
                 "zebrasys0:0.8")
    assert f"gave {len(queued)} final labels" in capsys.readouterr().out
    study_close(study=disputed)
    out = tmp_path / "adj.csv"
    call_command("adjudication", disputed.name, "export", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == len(queued) and all(r["final_label"] in ("a", "b") for r in rows)
    # Round trip: flip every final label in the file and import it back.
    flipped = tmp_path / "flipped.csv"
    with flipped.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["item", "final_label", "note"])
        w.writeheader()
        for r in rows:
            w.writerow({"item": r["item"], "final_label": "b" if r["final_label"] == "a" else "a", "note": "panel"})
    call_command("adjudication", disputed.name, "import", str(flipped), "--reviewer", rev.username)
    assert f"{len(rows)} final labels stored (0 new, {len(rows)} changed)" in capsys.readouterr().out
    broken = tmp_path / "broken.csv"
    broken.write_text("item,final_label\n1,maybe\n")
    with pytest.raises(CommandError, match="row 1"):
        call_command("adjudication", disputed.name, "import", str(broken))
    # export_study: the raw judgments with the final label of each item beside them.
    call_command("export_study", disputed.name, "--format", "csv")
    judged = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    finals = {r["item"]: r["final_label"] for r in rows}
    flipped_back = {k: "b" if v == "a" else "a" for k, v in finals.items()}
    assert {r["item"]: r["final_label"] for r in judged if r["item"] in finals} == flipped_back
    assert all(r["answer"] for r in judged if r["item"] in finals)  # raw answers stay
    call_command("export_study", disputed.name, "--format", "preference-pairs")
    pairs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(p["final_system"] for p in pairs)


def test_the_export_page_and_report_carry_final_labels(researcher_client, disputed):
    from annotation.services import simulate_reviewers

    simulate_reviewers(study=disputed, reviewers=1, seed=4, prefer=PREFER)
    study_close(study=disputed)
    body = researcher_client.get(f"/studies/{disputed.name}/export/?format=adjudications").content.decode()
    assert "final_system" in body.splitlines()[0] and "zebrasys" in body
    judged = researcher_client.get(f"/studies/{disputed.name}/export/?format=csv").content.decode()
    assert "final_label" in judged.splitlines()[0]
    report = researcher_client.get(f"/studies/{disputed.name}/report/").content.decode()
    assert "Adjudicated results" in report and "final label where" in report


def test_create_study_sets_adjudication_and_reviewers(study_data, capsys):
    ds, systems = study_data
    rev = _reviewer("createrev")
    call_command("create_study", "cli-adj", "--dataset", ds.name, "--system", systems[0].name, "--system",
                 systems[1].name, "--items", "4", "--control-rate", "0", "--adjudication", "sample",
                 "--adjudication-share", "0.5", "--reviewer", rev.username, "--launch")
    study = Study.objects.get(name="cli-adj")
    assert (study.adjudication, study.adjudication_share, list(study.reviewers.all())) == ("sample", 0.5, [rev])
    with pytest.raises(CommandError, match="reviewer role"):
        call_command("create_study", "cli-adj2", "--dataset", ds.name, "--system", systems[0].name, "--system",
                     systems[1].name, "--items", "4", "--control-rate", "0", "--adjudication", "sample",
                     "--reviewer", User.objects.create_user("plain").username)
