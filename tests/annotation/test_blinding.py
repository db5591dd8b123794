"""Blinding as a security property: nothing an annotator can fetch names a system, and sides are balanced."""
from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Group, User

from annotation.models import Item, Slot, Study
from tests.annotation.conftest import next_queries_by_kind

pytestmark = pytest.mark.django_db


def _secrets(study: Study) -> list[str]:
    """Every string that would reveal a system: names, ids, model paths, run ids."""
    out = []
    for ss in study.study_systems.select_related("system"):
        s = ss.system
        out += [s.name, s.model_path, s.params["run"], f'"system": {s.pk}', "system_id", f"system-{s.pk}",
                f"sys{s.pk}", "zebrasys", "secretpath", "runid", "study_system", "system_a", "system_b", study.name]
    return out


def _rater_pages(client, study: Study) -> list[tuple[str, str]]:
    """Walk every annotator-facing page and API response for the study, answering as we go."""
    token = study.public_token
    seen = []

    def get(url, method="get", **kw):
        resp = getattr(client, method)(url, **kw)
        assert resp.status_code in (200, 201, 204, 302), (url, resp.status_code)
        body = resp.content.decode()
        seen.append((url, body + json.dumps(dict(resp.headers))))
        return resp

    get("/work/")
    get("/api/work/")
    get(f"/work/{token}/guidelines/")
    for i in range(200):
        page = get(f"/work/{token}/")
        if page.status_code == 302:
            break
        nxt = get(f"/api/work/{token}/next/", "post").json()
        if nxt["finished"]:
            break
        slot = nxt["slot"]["slot"]
        get(f"/api/work/slots/{slot}/")
        get(f"/api/work/slots/{slot}/judgment/", "post", data={"idempotency_key": f"k{i}", "preference": "left",
                                                                   "accurate_left": True, "accurate_right": False,
                                                                   "seconds": 3}, content_type="application/json")
        get(f"/api/work/{token}/previous/")
    get(f"/work/{token}/done/")
    get(f"/api/work/{token}/finish/", "post")
    return seen


def test_no_annotator_page_or_api_response_names_a_system(client, study_factory):
    study = study_factory(n_systems=3, n_examples=6, raters_per_item=1, practice_count=2, control_rate=0.2,
                          name="zebrasys-vs-secretpath",
                          guidelines="Compare <script>alert(1)</script> **carefully**.")
    user = User.objects.create_user("rater1")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client.force_login(user)
    pages = _rater_pages(client, study)
    assert len(pages) > 20
    secrets = _secrets(study)
    for url, body in pages:
        for secret in secrets:
            assert secret not in body, f"{secret!r} leaks on {url}"
        assert "<script>alert(1)" not in body  # guidelines' raw HTML is escaped
    # Slot tokens are opaque: not sequential ids, not derived from item ids.
    tokens = list(Slot.objects.filter(rater=user).values_list("token", flat=True))
    assert all(len(t) >= 16 and not t.isdigit() for t in tokens)
    # The page markup is the same shape whichever system is on the left (element ids, classes).
    ids = [set(re.findall(r'(?:id|class)="([^"]+)"', b)) for u, b in pages if u == f"/work/{study.public_token}/"]
    assert all(x == ids[0] for x in ids[1:-1])


def test_left_right_split_is_balanced_for_every_pair(study_factory):
    from annotation.services import judgment_submit, slot_next
    from annotation.sides import SIDE_BOUND

    study = study_factory(n_systems=3, n_examples=12, raters_per_item=3, control_rate=0.0)
    group = Group.objects.get_or_create(name="annotator")[0]
    for i in range(4):
        u = User.objects.create_user(f"b{i}")
        u.groups.add(group)
        while (s := slot_next(study=study, user=u)) is not None:
            judgment_submit(slot=s, user=u, answer={"preference": "tie", "accurate_left": True, "accurate_right": True},
                            idempotency_key=f"{s.pk}")
    slots = Slot.objects.filter(item__study=study, item__kind=Item.Kind.REAL)
    for ssa, ssb in {(i.system_a_id, i.system_b_id) for i in study.items.filter(kind="real")}:
        pair = slots.filter(item__system_a=ssa, item__system_b=ssb)
        assert abs(2 * pair.filter(left_is_a=True).count() - pair.count()) <= 4
        for u in User.objects.filter(username__startswith="b"):
            mine = pair.filter(rater=u)
            assert abs(2 * mine.filter(left_is_a=True).count() - mine.count()) <= SIDE_BOUND


def test_identical_outputs_render_identically(client, db, researcher):
    from annotation.selectors import slot_payload
    from annotation.services import slot_next, study_create
    from tests.annotation.conftest import make_study_data

    ds, systems = make_study_data(n_examples=6, seed=9, identical_every=1)
    study = study_create(name="same", dataset=ds, systems=systems[:2], n_examples=6, raters_per_item=1,
                         identical_outputs="show", control_rate=0, launch=True)
    user = User.objects.create_user("r")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    payload = slot_payload(slot_next(study=study, user=user))
    assert payload["left"] == payload["right"]


@pytest.mark.parametrize("quota", [None, 10])
def test_progress_counts_do_not_single_out_controls(client, study_factory, quota):
    """A rater watching "done · left" must not tell a control from a real pair: for a lone rater the total
    (done + left) stays the same from the first pair to the last, whatever kind each pair is, and nothing is
    handed out once "left" reaches 0 (no tail of leftover controls after the real pairs)."""
    study = study_factory(n_systems=3, n_examples=8, raters_per_item=1, control_rate=0.3, quota_per_rater=quota)
    user = User.objects.create_user("lone")
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client.force_login(user)
    token, totals, lefts, kinds = study.public_token, [], [], []
    for i in range(200):
        nxt = client.post(f"/api/work/{token}/next/").json()
        totals.append(nxt["progress"]["total"])
        if nxt["finished"]:
            break
        lefts.append(nxt["progress"]["left"])
        kinds.append(Slot.objects.get(token=nxt["slot"]["slot"]).item.kind)
        stored = client.post(f"/api/work/slots/{nxt['slot']['slot']}/judgment/",
                             data={"idempotency_key": f"k{i}", "preference": "left", "accurate_left": True,
                                   "accurate_right": False}, content_type="application/json").json()
        totals.append(stored["progress"]["total"])
    assert "control" in kinds and "real" in kinds
    assert len(set(totals)) == 1, totals
    assert lefts == list(range(len(kinds), 0, -1))


@pytest.mark.parametrize("quota", [None, 10])
def test_skipping_does_not_single_out_controls(client, study_factory, quota):
    """A rater who skips a pair to see what "done · left" does next learns nothing about its kind: after a
    skip, the total (done + left) moves the same way for a control as for a real pair."""
    from annotation.queue import _wants_control

    study = study_factory(n_systems=3, n_examples=8, raters_per_item=1, control_rate=0.3, quota_per_rater=quota)
    for j in range(100):  # a rater whose seeded draws bring a control early (ids differ between databases)
        user = User.objects.create_user(f"skipper{j}")
        if sum(_wants_control(study, user, n) for n in range(6)) >= 2:
            break
    user.groups.add(Group.objects.get_or_create(name="annotator")[0])
    client.force_login(user)
    token, moves = study.public_token, {"real": set(), "control": set()}
    for i in range(200):
        nxt = client.post(f"/api/work/{token}/next/").json()
        if nxt["finished"]:
            break
        kind = Slot.objects.get(token=nxt["slot"]["slot"]).item.kind
        before = nxt["progress"]["total"]
        if i % 2 or kind == Item.Kind.CONTROL:  # every control and every other real pair
            assert client.post(f"/api/work/slots/{nxt['slot']['slot']}/skip/", {"reason": "x"},
                               content_type="application/json").status_code == 204
            moves[kind].add(client.post(f"/api/work/{token}/next/").json()["progress"]["total"] - before)
        else:
            client.post(f"/api/work/slots/{nxt['slot']['slot']}/judgment/",
                        data={"idempotency_key": f"k{i}", "preference": "left", "accurate_left": True,
                              "accurate_right": False}, content_type="application/json")
    assert moves["real"] and moves["control"], moves
    assert moves["real"] == moves["control"], moves


def test_a_control_costs_the_server_what_a_real_pair_costs(client, study_factory):
    """Timing: handing out a control runs the same database work as handing out a real pair (the median within
    one query, never outside what real pairs vary by), so response times do not tell them apart (measured in
    annotation/blinding.md)."""
    study = study_factory(n_examples=12, raters_per_item=2, control_rate=0.4)
    counts = next_queries_by_kind(client, study, 100)
    assert counts["real"] and counts["control"], counts
    real, control = sorted(counts["real"]), sorted(counts["control"])
    assert real[0] - 1 <= control[0] and control[-1] <= real[-1] + 1, counts  # within what real pairs vary by
    assert abs(real[len(real) // 2] - control[len(control) // 2]) <= 1, counts


def test_no_reviewer_page_or_api_response_names_a_system(client, study_factory):
    """Adjudication: a reviewer's pages and API answers name no system, no study name and no item id, and the
    sides they see are their own (not the raters'), so nothing shown says which system wrote which output."""
    from annotation.models import Adjudication, Judgment
    from annotation.services import reviewer_add, simulate_raters

    study = study_factory(n_systems=3, n_examples=6, raters_per_item=3, control_rate=0.0,
                          name="zebrasys-vs-secretpath", adjudication="sample", adjudication_share=1.0)
    simulate_raters(study=study, raters=3, seed=2, prefer={"zebrasys0": 0.7})
    Judgment.objects.filter(slot__item__study=study).update(comment="the left one reads better")
    user = User.objects.create_user("rev1")
    user.groups.add(Group.objects.get_or_create(name="reviewer")[0])
    reviewer_add(study=study, user=user)
    client.force_login(user)
    token = study.public_token
    seen, payloads = [], []

    def get(url, method="get", **kw):
        resp = getattr(client, method)(url, **kw)
        assert resp.status_code in (200, 201, 302), (url, resp.status_code)
        seen.append((url, resp.content.decode() + json.dumps(dict(resp.headers))))
        return resp

    get("/review/")
    get("/api/review/")
    flips = set()
    for i in range(200):
        page = get(f"/review/{token}/").content.decode()
        nxt = get(f"/api/review/{token}/next/", "post").json()
        if nxt["finished"]:
            assert "Nothing is waiting for you" in page
            break
        item = nxt["item"]
        assert set(item) == {"token", "instruction", "input", "left", "right", "view", "raters", "answer"}
        assert "the left one reads better" in page  # the raters' comments are shown
        payloads.append(get(f"/api/review/items/{item['token']}/").json())
        get(f"/api/review/items/{item['token']}/label/", "post", data={"idempotency_key": f"k{i}", "label": "left"},
            content_type="application/json")
        flips.add(Adjudication.objects.get(token=item["token"]).left_is_a)
    assert len(payloads) > 5 and flips == {True, False}  # the reviewer's own random sides
    secrets = _secrets(study) + ["adjudication_", "left_is_a", "reviewer_id", "item_id"]
    for url, body in seen:
        for secret in secrets:
            assert secret not in body, f"{secret!r} leaks on {url}"
    item_ids = {str(pk) for pk in study.items.values_list("pk", flat=True)}
    for payload in payloads:
        answers = json.dumps([{k: v for k, v in r.items() if k != "rater"} for r in payload["raters"]])
        assert not item_ids & set(re.findall(r"\b\d+\b", answers))
        assert {r["rater"] for r in payload["raters"]} <= {"Rater 1", "Rater 2", "Rater 3"}
