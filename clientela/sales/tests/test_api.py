"""The pipelines and opportunities API: create, read, change with If-Match, move, board, list filters and
pages, stage history, bad input as 422 with field paths."""

from __future__ import annotations

import pytest

from clientela.accounts.services import api_token_create
from clientela.api.tests.conftest import ApiClient, field_errors
from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage
from clientela.testing.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_for(db):
    def make(user) -> ApiClient:
        _token, secret = api_token_create(user=user, name="tests")
        return ApiClient(secret)

    return make


@pytest.fixture
def pipeline():
    return Pipeline.objects.get(is_default=True)


def stage(pipeline, name):
    return Stage.objects.get(pipeline=pipeline, name=name)


def test_create_read_patch_move_and_history(api_for, users, pipeline):
    rep = users["sales_rep"]
    api = api_for(rep)
    party = make_person(rep)
    created = api.post("/api/v1/opportunities", {"name": "Flota", "party": party.pk, "amount": "2500.00"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["stage"]["name"] == "Qualification" and body["probability"] == 10
    assert body["weighted_amount"] == "250.00" and body["owner"]["username"] == rep.username
    pk = body["id"]
    etag = created["ETag"]
    patched = api.patch(
        f"/api/v1/opportunities/{pk}", {"amount": "3000", "probability": 40}, headers={"If-Match": etag}
    )
    assert patched.status_code == 200 and patched.json()["probability"] == 40
    stale = api.patch(f"/api/v1/opportunities/{pk}", {"amount": "1"}, headers={"If-Match": etag})
    assert stale.status_code == 412
    moved = api.post(f"/api/v1/opportunities/{pk}/move", {"stage": stage(pipeline, "Proposal").pk})
    assert moved.status_code == 200 and moved.json()["probability"] == 50
    lost = api.post(f"/api/v1/opportunities/{pk}/move", {"stage": stage(pipeline, "Lost").pk})
    assert "lost_reason" in field_errors(lost)
    reason = LostReason.objects.get(name="Price")
    lost = api.post(
        f"/api/v1/opportunities/{pk}/move", {"stage": stage(pipeline, "Lost").pk, "lost_reason": reason.pk}
    )
    assert lost.json()["status"] == "lost" and lost.json()["lost_reason"] == "Price"
    history = api.get(f"/api/v1/opportunities/{pk}/stage-changes").json()
    assert [h["to_stage_id"] for h in history] == [
        stage(pipeline, n).pk for n in ("Qualification", "Proposal", "Lost")
    ]
    assert history[1]["seconds_in_from_stage"] is not None


def test_bad_input_is_422_with_paths_and_writes_nothing(api_for, users):
    api = api_for(users["sales_rep"])
    hidden = make_person(users["sales_rep_b"])
    response = api.post(
        "/api/v1/opportunities",
        {"name": "X", "party": hidden.pk, "amount": "-1", "currency": "XXX", "probability": 101},
    )
    errors = field_errors(response)
    assert {"party", "amount", "currency", "probability"} <= set(errors)
    assert "colour" in field_errors(
        api.post("/api/v1/opportunities", {"name": "X", "party": hidden.pk, "colour": 1})
    )
    not_number = api.post("/api/v1/opportunities", {"name": "X", "party": hidden.pk, "amount": "mucho"})
    assert "amount" in field_errors(not_number)
    assert Opportunity.objects.count() == 0


def test_board_and_list_filters_and_pages(api_for, users, pipeline):
    rep = users["sales_rep"]
    api = api_for(rep)
    party = make_person(rep)
    for i in range(5):
        api.post(
            "/api/v1/opportunities", {"name": f"D{i}", "party": party.pk, "amount": "100", "currency": "EUR"}
        )
    api.post(
        "/api/v1/opportunities",
        {
            "name": "Dólares",
            "party": party.pk,
            "amount": "70",
            "currency": "USD",
            "stage": stage(pipeline, "Proposal").pk,
        },
    )
    board = api.get(f"/api/v1/pipelines/{pipeline.pk}/board?per_column=2").json()
    columns = {c["stage"]["name"]: c for c in board["columns"]}
    assert columns["Qualification"]["count"] == 5 and len(columns["Qualification"]["cards"]) == 2
    assert columns["Qualification"]["next_cursor"]
    assert columns["Proposal"]["totals"] == [
        {"currency": "USD", "count": 1, "amount": "70.00", "weighted": "35.00"}
    ]
    first = api.get("/api/v1/opportunities?limit=4").json()
    second = api.get(f"/api/v1/opportunities?limit=4&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 4 and len(second["items"]) == 2 and second["next_cursor"] is None
    usd = api.get(f"/api/v1/opportunities?stage={stage(pipeline, 'Proposal').pk}").json()
    assert [o["name"] for o in usd["items"]] == ["Dólares"]
    assert api.get("/api/v1/opportunities?close_from=mañana").status_code == 422
    assert api.get("/api/v1/pipelines").json()[0]["stages"][0]["name"] == "Qualification"


def test_others_opportunities_are_404_and_unchanged(api_for, users, pipeline):
    theirs = users["sales_rep_b"]
    opp = (
        api_for(theirs)
        .post("/api/v1/opportunities", {"name": "Ajena", "party": make_person(theirs).pk})
        .json()
    )
    api = api_for(users["sales_rep"])
    assert api.get(f"/api/v1/opportunities/{opp['id']}").status_code == 404
    assert api.patch(f"/api/v1/opportunities/{opp['id']}", {"amount": "9"}).status_code == 404
    assert (
        api.post(f"/api/v1/opportunities/{opp['id']}/move", {"stage": stage(pipeline, "Won").pk}).status_code
        == 404
    )
    assert api.delete(f"/api/v1/opportunities/{opp['id']}").status_code == 404
    assert api.get("/api/v1/opportunities").json()["items"] == []
    assert Opportunity.objects.get(pk=opp["id"]).version == 1
