"""The ledger over the API: logging (one, batches), idempotency, problems with field paths, scope, lists."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.api.idempotency import TTL, idempotency_purge
from clientela.api.models import IdempotencyRecord
from clientela.api.tests.conftest import field_errors
from clientela.core.models import SourceSystem
from clientela.interactions.models import Interaction, PartyStats
from clientela.interactions.services import interaction_log, source_get_or_create
from clientela.parties.services import relationship_add
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db

URL = "/api/v1/interactions"
BATCH = f"{URL}/batch"


def ago(days: float) -> str:
    return (timezone.now() - dt.timedelta(days=days)).isoformat()


def note(party, text: str = "Llamó para preguntar por la factura", **extra):
    return {"kind": "note", "occurred_at": ago(1), "party": party.pk, "payload": {"text": text}, **extra}


@pytest.fixture
def ana(admin_user):
    return make_person(admin_user)


# --- creating ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payload", "summary", "amount"),
    [
        (
            "note",
            {"text": "Prefiere que la llamemos por la tarde"},
            "Prefiere que la llamemos por la tarde",
            None,
        ),
        ("meeting", {"objective": "Renovar contrato", "conclusion": "Firmarán"}, "Renovar contrato", None),
        ("call", {"outcome": "answered", "summary": "Todo bien", "duration_seconds": 90}, "Todo bien", None),
        ("complaint", {"subject": "Llegó roto", "severity": "high"}, "Llegó roto", None),
        ("purchase", {"document_number": "P-7", "total": "250.5", "currency": "eur"}, "P-7", "250.50"),
        ("invoice", {"document_number": "F-9", "total": 99.9, "currency": "EUR"}, "F-9", "99.90"),
    ],
)
def test_create_each_kind(admin_api, admin_user, ana, kind, payload, summary, amount):
    response = admin_api.post(URL, {"kind": kind, "occurred_at": ago(2), "party": ana.pk, "payload": payload})
    assert response.status_code == 201, response.content
    body = response.json()
    row = Interaction.objects.get()
    assert body["id"] == row.pk and body["outcome"] == "created"
    assert response["Location"].endswith(f"{URL}/{row.pk}")
    assert body["kind"] == kind and body["kind_label"] == row.get_kind_display()
    assert body["party"] == {"id": ana.pk, "kind": "person", "display_name": ana.display_name}
    assert body["summary"] == summary and body["amount"] == amount
    assert body["source"] == "clientela" and body["external_id"] == ""
    assert body["is_current"] is True and body["supersedes"] is None and body["superseded_by"] is None
    assert body["related"] == [] and body["organisation"] is None
    # money records are not "handled" by whoever keys them in; the rest default to the caller
    assert body["user"] == (None if kind in ("purchase", "invoice") else admin_user.pk)
    assert body["currency"] == ("EUR" if amount else "")
    assert row.created_by == admin_user
    assert admin_api.get(f"{URL}/{row.pk}").json() == {k: v for k, v in body.items() if k != "outcome"}


def test_create_with_every_optional_field(admin_api, admin_user, users, ana):
    org = make_organisation(admin_user)
    earlier = interaction_log(
        actor=actor_for(admin_user), party=ana, kind="note", occurred_at=timezone.now(), payload={"text": "x"}
    ).interaction
    response = admin_api.post(
        URL,
        {
            "kind": "email",
            "occurred_at": "2025-03-01T10:30:00+01:00",
            "party": ana.pk,
            "organisation": org.pk,
            "user": users["support_agent"].pk,
            "channel": "web",
            "direction": "out",
            "source": "mailbox",
            "external_id": " <msg-1@ejemplo.es> ",
            "payload": {"subject": "Su pedido", "to": ["ana@ejemplo.es"]},
            "related": [earlier.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["occurred_at"] == "2025-03-01T09:30:00Z"
    assert (body["organisation"], body["user"], body["channel"], body["direction"]) == (
        org.pk,
        users["support_agent"].pk,
        "web",
        "out",
    )
    assert (body["source"], body["external_id"], body["related"]) == (
        "mailbox",
        "<msg-1@ejemplo.es>",
        [earlier.pk],
    )
    assert body["payload"]["subject"] == "Su pedido"
    assert SourceSystem.objects.filter(slug="mailbox").exists()  # registered on first use


def test_same_source_record_is_stored_once_and_changes_become_versions(admin_api, ana):
    invoice = {
        "kind": "invoice",
        "occurred_at": ago(3),
        "party": ana.pk,
        "source": "erp",
        "external_id": "F-1",
        "payload": {"document_number": "F-1", "total": "100.00", "currency": "EUR"},
    }
    first = admin_api.post(URL, invoice)
    assert first.status_code == 201 and first.json()["outcome"] == "created"
    again = admin_api.post(URL, {**invoice, "payload": {**invoice["payload"], "total": "100"}})
    assert again.status_code == 200, again.content
    assert again.json()["outcome"] == "unchanged" and again.json()["id"] == first.json()["id"]
    assert "Location" not in again
    assert Interaction.objects.count() == 1
    changed = admin_api.post(URL, {**invoice, "payload": {**invoice["payload"], "total": "120"}})
    assert changed.status_code == 200
    body = changed.json()
    assert body["outcome"] == "corrected" and body["supersedes"] == first.json()["id"]
    assert body["amount"] == "120.00"
    old = admin_api.get(f"{URL}/{first.json()['id']}").json()
    assert old["is_current"] is False and old["superseded_by"] == body["id"]
    assert Interaction.objects.filter(is_current=True).count() == 1
    assert PartyStats.objects.get(party=ana).outstanding_balance == Decimal("120.00")


# --- Idempotency-Key --------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer(admin_api, ana):
    body = note(ana)
    key = {"Idempotency-Key": "7f1c0e7a-retry-1"}
    first = admin_api.post(URL, body, headers=key)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    # the same JSON written differently is the same request
    reordered = json.loads(json.dumps(body))
    reordered = dict(reversed(list(reordered.items())))
    replay = admin_api.post(URL, reordered, headers=key)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.content == first.content
    assert replay["Location"] == first["Location"]
    assert Interaction.objects.count() == 1  # a note has no external id: only the key prevented a twin
    other = admin_api.post(URL, note(ana, "Otra cosa"), headers=key)
    errors = field_errors(other)
    assert errors == {"Idempotency-Key": ["Idempotency-Key reused with a different request."]}
    assert other.json()["detail"] == "Idempotency-Key reused with a different request."
    assert Interaction.objects.count() == 1
    # the same key on the batch endpoint is another request too
    assert field_errors(admin_api.post(BATCH, {"items": [body]}, headers=key))
    # without the key, the same note is logged again
    assert admin_api.post(URL, body).status_code == 201
    assert Interaction.objects.count() == 2


def test_idempotency_keys_belong_to_their_user_and_expire(admin_api, admin_user, api_for, users, ana):
    key = {"Idempotency-Key": "shared-key"}
    assert admin_api.post(URL, note(ana), headers=key).status_code == 201
    other_user = api_for(users["support_agent"])
    response = other_user.post(URL, note(ana, "Otra"), headers=key)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.count() == 2
    IdempotencyRecord.objects.update(created_at=timezone.now() - TTL - dt.timedelta(minutes=1))
    fresh = admin_api.post(URL, note(ana, "Tras un día"), headers=key)
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh
    assert Interaction.objects.count() == 3
    assert idempotency_purge() == 1  # the other user's expired key; the renewed one stays
    assert list(IdempotencyRecord.objects.values_list("key", "user")) == [("shared-key", admin_user.pk)]
    IdempotencyRecord.objects.update(created_at=timezone.now() - TTL - dt.timedelta(minutes=1))
    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert "1 expired idempotency key removed." in out.getvalue()
    assert not IdempotencyRecord.objects.exists()


def test_bad_idempotency_keys_and_errors_are_not_stored(admin_api, ana):
    assert "Idempotency-Key" in field_errors(
        admin_api.post(URL, note(ana), headers={"Idempotency-Key": "k" * 201})
    )
    bad = {**note(ana), "payload": {}}
    key = {"Idempotency-Key": "fix-and-retry"}
    assert "payload.text" in field_errors(admin_api.post(URL, bad, headers=key))
    assert not IdempotencyRecord.objects.exists()
    assert admin_api.post(URL, note(ana), headers=key).status_code == 201


def test_a_concurrent_request_with_the_same_key_writes_once(admin_api, ana, monkeypatch):
    from clientela.api import idempotency

    key = {"Idempotency-Key": "race"}
    body = note(ana)
    first = admin_api.post(URL, body, headers=key)
    real_live = idempotency._live
    calls = []

    def not_seen_yet(user, key):
        # the second request looks before the first one has committed its key...
        calls.append(key)
        return None if len(calls) == 1 else real_live(user, key)

    monkeypatch.setattr(idempotency, "_live", not_seen_yet)
    second = admin_api.post(URL, body, headers=key)
    # ... so it writes, fails to store the key, rolls its writes back and replays the first answer
    assert second.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert Interaction.objects.count() == 1 and IdempotencyRecord.objects.count() == 1


def test_batch_with_idempotency_key_replays(admin_api, ana):
    key = {"Idempotency-Key": "batch-1"}
    body = {"items": [note(ana, "uno"), note(ana, "dos")]}
    first = admin_api.post(BATCH, body, headers=key)
    assert first.status_code == 200, first.content
    replay = admin_api.post(BATCH, body, headers=key)
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert Interaction.objects.count() == 2


# --- problems ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "meeting", "payload": {"conclusion": "x"}}, "payload.objective", "This field is required."),
        (
            {"kind": "purchase", "payload": {"total": "abc", "currency": "EUR"}},
            "payload.total",
            "Enter a number.",
        ),
        ({"payload": {"text": "x", "colour": "red"}}, "payload.colour", "Unknown field."),
        (
            {"kind": "return", "payload": {"lines": [{"product": "A", "quantity": -1}], "currency": "EUR"}},
            "payload.lines.0.quantity",
            "Enter a number of at least 0.",
        ),
        (
            {"occurred_at": "2025-01-01T10:00:00"},
            "occurred_at",
            "Give the time zone (for example +01:00 or Z).",
        ),
        ({"occurred_at": "ayer"}, "occurred_at", "Enter a valid date and time (ISO 8601)."),
        (
            {"occurred_at": ago(-3)},
            "occurred_at",
            "This kind of interaction cannot be dated in the future.",
        ),
        ({"kind": "teleport"}, "kind", None),
        ({"channel": "pigeon"}, "channel", None),
        ({"user": 987654}, "user", "Unknown user."),
        ({"related": [987654]}, "related.0", "Unknown interaction."),
        ({"source": "no such/source"}, "source", None),
        ({"external_id": "x" * 201}, "external_id", None),
        ({"colour": "red"}, "colour", "Unknown field."),
        ({"payload": ["not", "an", "object"]}, "payload", "Enter an object."),
    ],
)
def test_invalid_entries_are_422_with_paths_and_write_nothing(admin_api, ana, change, field, message):
    response = admin_api.post(URL, {**note(ana), **change}, headers={"Idempotency-Key": "k1"})
    errors = field_errors(response)
    assert field in errors, errors
    if message:
        assert message in errors[field]
    assert response.json()["type"] == "urn:clientela:problem:validation-error"
    assert Interaction.objects.count() == 0
    assert not SourceSystem.objects.exclude(slug="clientela").exists()
    assert not IdempotencyRecord.objects.exists()


def test_organisation_must_be_a_visible_organisation(admin_api, admin_user, api_for, users, ana):
    person = make_person(admin_user, given_names="Luis")
    assert "organisation" in field_errors(admin_api.post(URL, note(ana, organisation=person.pk)))
    hidden_org = make_organisation(users["sales_rep_b"], team=users["sales_rep_b"].teams.get().pk)
    own = make_person(users["sales_rep"])
    rep = api_for(users["sales_rep"])
    errors = field_errors(rep.post(URL, note(own, organisation=hidden_org.pk)))
    assert errors["organisation"] == ["Unknown organisation."]
    assert Interaction.objects.count() == 0


def test_messages_follow_the_language_of_the_request(admin_api, ana):
    response = admin_api.post(
        URL, {**note(ana), "occurred_at": "2025-01-01T10:00:00"}, headers={"Accept-Language": "es"}
    )
    assert field_errors(response)["occurred_at"] == ["Indique la zona horaria (por ejemplo, +01:00 o Z)."]


# --- scope ------------------------------------------------------------------------------------------------


def test_party_out_of_scope_is_404_and_not_permitted_is_403(api_for, users):
    hidden = make_person(
        users["sales_rep_b"], given_names="Zacarías", team=users["sales_rep_b"].teams.get().pk
    )
    rep = api_for(users["sales_rep"])
    response = rep.post(URL, note(hidden))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Zacar" not in response.content.decode()
    assert rep.post(URL, note(hidden) | {"party": hidden.pk + 1000}).status_code == 404
    visible = make_person(users["manager"])
    forbidden = api_for(users["read_only"]).post(URL, note(visible))
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "You may not log interactions for this customer."
    assert Interaction.objects.count() == 0


def test_a_source_record_of_another_scope_cannot_be_taken_over(api_for, users):
    rep_b = users["sales_rep_b"]
    theirs = make_person(rep_b, team=rep_b.teams.get().pk)
    erp = source_get_or_create("erp")
    original = interaction_log(
        actor=actor_for(rep_b),
        party=theirs,
        kind="invoice",
        occurred_at=timezone.now(),
        payload={"document_number": "F-1", "total": "10", "currency": "EUR"},
        source=erp,
        external_id="F-1",
    ).interaction
    mine = make_person(users["sales_rep"])
    invoice = {
        "kind": "invoice",
        "occurred_at": ago(1),
        "party": mine.pk,
        "source": "erp",
        "external_id": "F-1",
        "payload": {"document_number": "F-1", "total": "10", "currency": "EUR"},
    }
    assert "external_id" in field_errors(api_for(users["sales_rep"]).post(URL, invoice))
    original.refresh_from_db()
    assert original.is_current and Interaction.objects.count() == 1


def test_get_one_is_404_outside_the_scope(api_for, users, admin_user):
    hidden = make_person(
        users["sales_rep_b"], given_names="Zacarías", team=users["sales_rep_b"].teams.get().pk
    )
    row = interaction_log(
        actor=actor_for(admin_user),
        party=hidden,
        kind="note",
        occurred_at=timezone.now(),
        payload={"text": "x"},
    ).interaction
    rep = api_for(users["sales_rep"])
    response = rep.get(f"{URL}/{row.pk}")
    assert response.status_code == 404 and "Zacar" not in response.content.decode()
    assert api_for(users["manager"]).get(f"{URL}/{row.pk}").status_code == 200
    assert rep.get(f"{URL}/abc").status_code == 422


# --- batches ----------------------------------------------------------------------------------------------


def test_batch_writes_every_item_in_one_go(admin_api, admin_user, ana):
    org = make_organisation(admin_user)
    items = [
        note(ana),
        {
            "kind": "purchase",
            "occurred_at": ago(5),
            "party": ana.pk,
            "organisation": org.pk,
            "source": "shop",
            "external_id": "P-1",
            "payload": {"document_number": "P-1", "total": "40", "currency": "EUR"},
        },
        {
            "kind": "purchase",
            "occurred_at": ago(4),
            "party": ana.pk,
            "source": "shop",
            "external_id": "P-2",
            "payload": {"document_number": "P-2", "total": "60.5", "currency": "EUR"},
        },
    ]
    response = admin_api.post(BATCH, {"items": items})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["partial"] is False
    assert body["counts"] == {"created": 3, "unchanged": 0, "corrected": 0, "error": 0}
    assert [(r["index"], r["status"], r["errors"]) for r in body["items"]] == [
        (0, "created", None),
        (1, "created", None),
        (2, "created", None),
    ]
    assert {r["id"] for r in body["items"]} == set(Interaction.objects.values_list("pk", flat=True))
    stats = PartyStats.objects.get(party=ana)
    assert (stats.purchases_total, stats.purchases_count, stats.interaction_count) == (
        Decimal("100.50"),
        2,
        3,
    )
    assert PartyStats.objects.get(party=org).purchases_total == Decimal("40.00")
    again = admin_api.post(BATCH, {"items": items[1:]}).json()
    assert again["counts"]["unchanged"] == 2 and Interaction.objects.count() == 3


def test_batch_is_all_or_nothing_by_default(admin_api, api_for, users, ana):
    hidden = make_person(users["sales_rep_b"], team=users["sales_rep_b"].teams.get().pk)
    items = [
        note(ana),
        {"kind": "meeting", "occurred_at": ago(1), "party": ana.pk, "payload": {"conclusion": "x"}},
        note(ana, source="nuevo", external_id="N-1"),
        {
            "kind": "purchase",
            "occurred_at": ago(1),
            "party": ana.pk,
            "payload": {"total": "abc", "currency": "EUR"},
        },
        {"kind": "teleport", "occurred_at": ago(1), "party": ana.pk},
        note(ana, occurred_at="2025-01-01T10:00:00"),
        "not an object",
    ]
    response = admin_api.post(BATCH, {"items": items})
    errors = field_errors(response)
    assert set(errors) == {
        "items.1.payload.objective",
        "items.3.payload.total",
        "items.4.kind",
        "items.5.occurred_at",
        "items.6",
    }
    assert errors["items.3.payload.total"] == ["Enter a number."]
    assert Interaction.objects.count() == 0
    assert not SourceSystem.objects.filter(slug="nuevo").exists()
    assert not PartyStats.objects.filter(party=ana, interaction_count__gt=0).exists()
    rep = api_for(users["sales_rep"])
    own = make_person(users["sales_rep"])
    errors = field_errors(rep.post(BATCH, {"items": [note(own), note(hidden)]}))
    assert errors == {"items.1.party": ["Unknown customer."]}
    assert Interaction.objects.count() == 0


def test_batch_partial_writes_the_good_items(admin_api, ana):
    items = [
        note(ana, "primera"),
        {"kind": "meeting", "occurred_at": ago(1), "party": ana.pk, "payload": {}},
        note(ana, "tercera", external_id="N-3"),
        {"kind": "note", "party": ana.pk, "payload": {"text": "sin fecha"}},
    ]
    response = admin_api.post(BATCH, {"items": items, "partial": True})
    assert response.status_code == 207, response.content
    body = response.json()
    assert body["partial"] is True
    assert body["counts"] == {"created": 2, "unchanged": 0, "corrected": 0, "error": 2}
    results = body["items"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "error"),
        (2, "created"),
        (3, "error"),
    ]
    assert results[1]["id"] is None
    assert results[1]["errors"] == [
        {"field": "items.1.payload.objective", "message": "This field is required."}
    ]
    assert results[3]["errors"] == [{"field": "items.3.occurred_at", "message": "This field is required."}]
    assert sorted(Interaction.objects.values_list("summary", flat=True)) == ["primera", "tercera"]
    assert PartyStats.objects.get(party=ana).interaction_count == 2
    only_good = admin_api.post(BATCH, {"items": items[:1] + items[2:3], "partial": True})
    assert only_good.status_code == 200
    assert [r["status"] for r in only_good.json()["items"]] == ["created", "unchanged"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": []}, "items"),
        ({"items": {}}, "items"),
        ({}, "items"),
        ({"items": [{}], "partial": "sometimes"}, "partial"),
        ({"items": [{}], "extra": 1}, "extra"),
    ],
)
def test_malformed_batches_are_422(admin_api, body, field):
    assert field in field_errors(admin_api.post(BATCH, body))


def test_batch_of_more_than_1000_items_is_refused(admin_api, ana):
    assert "items" in field_errors(admin_api.post(BATCH, {"items": [note(ana)] * 1001}))
    assert Interaction.objects.count() == 0


# --- lists ------------------------------------------------------------------------------------------------


def _log(by, party, kind="note", days=1.0, payload=None, **extra):
    return interaction_log(
        actor=actor_for(by),
        party=party,
        kind=kind,
        occurred_at=timezone.now() - dt.timedelta(days=days),
        payload=payload or {"text": f"{kind} {days}"},
        **extra,
    ).interaction


def _walk(api, query: str) -> list[int]:
    ids: list[int] = []
    cursor = None
    for _ in range(100):
        page = api.get(f"{URL}?{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.content
        body = page.json()
        ids.extend(i["id"] for i in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("pagination never ended")


def test_list_filters_and_cursor_pages(admin_api, admin_user, users):
    person = make_person(admin_user, given_names="Eva")
    other = make_person(admin_user, given_names="Luis")
    org = make_organisation(admin_user)
    relationship_add(actor=actor_for(admin_user), person=person, organisation=org)
    erp = source_get_or_create("erp")
    n1 = _log(admin_user, person, days=1)
    call = _log(admin_user, person, "call", days=2, payload={"summary": "hola"}, user=users["manager"])
    meeting = _log(admin_user, org, "meeting", days=3, payload={"objective": "Plan"})
    invoice = _log(
        admin_user,
        other,
        "invoice",
        days=10,
        payload={"document_number": "F-1", "total": "10", "currency": "EUR"},
        source=erp,
        external_id="F-1",
    )
    corrected = _log(
        admin_user,
        other,
        "invoice",
        days=10,
        payload={"document_number": "F-1", "total": "12", "currency": "EUR"},
        source=erp,
        external_id="F-1",
    )

    def ids(query: str) -> list[int]:
        response = admin_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [i["id"] for i in response.json()["items"]]

    everything = [n1.pk, call.pk, meeting.pk, corrected.pk]  # newest first, current versions only
    assert ids("") == everything
    assert invoice.pk not in ids("")
    assert ids(f"party={person.pk}") == [n1.pk, call.pk]
    assert ids(f"party={org.pk}") == [n1.pk, call.pk, meeting.pk]  # its people's too
    assert ids("kind=call&kind=meeting") == [call.pk, meeting.pk]
    assert ids("kind=call,meeting") == [call.pk, meeting.pk]
    assert ids("source=erp") == [corrected.pk]
    assert ids(f"user={users['manager'].pk}") == [call.pk]
    after = (timezone.now() - dt.timedelta(days=2.5)).isoformat().replace("+00:00", "Z")
    assert ids(f"occurred_after={after}") == [n1.pk, call.pk]
    assert ids(f"occurred_before={after}") == [meeting.pk, corrected.pk]
    week_ago = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    assert ids(f"occurred_before={week_ago}") == [corrected.pk]
    assert ids(f"occurred_after={week_ago}&kind=call") == [call.pk]
    item = admin_api.get(f"{URL}?kind=invoice").json()["items"][0]
    assert (item["amount"], item["currency"], item["supersedes"]) == ("12.00", "EUR", invoice.pk)
    assert "superseded_by" not in item
    assert _walk(admin_api, "limit=1") == everything
    assert _walk(admin_api, f"limit=2&party={org.pk}") == [n1.pk, call.pk, meeting.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=teleport", "kind"),
        ("kind=call,teleport", "kind"),
        ("party=987654", "party"),
        ("party=abc", "party"),
        ("occurred_after=ayer", "occurred_after"),
        ("user=abc", "user"),
        ("cursor=nope", "cursor"),
        ("limit=0", "limit"),
    ],
)
def test_bad_list_parameters_are_422(admin_api, query, field):
    assert field in field_errors(admin_api.get(f"{URL}?{query}"))


def test_list_shows_only_what_the_user_may_see(api_for, users, admin_user):
    rep_b = users["sales_rep_b"]
    hidden = make_person(rep_b, given_names="Zacarías", team=rep_b.teams.get().pk)
    org = make_organisation(users["sales_rep"], team=users["sales_rep"].teams.get().pk)
    relationship_add(actor=actor_for(admin_user), person=hidden, organisation=org)
    own = make_person(users["sales_rep"], team=users["sales_rep"].teams.get().pk)
    secret = _log(admin_user, hidden)
    mine = _log(admin_user, own)
    on_org = _log(admin_user, org)
    rep = api_for(users["sales_rep"])
    listed = rep.get(URL)
    assert [i["id"] for i in listed.json()["items"]] == [on_org.pk, mine.pk]  # newest first
    assert "Zacar" not in listed.content.decode()
    # the organisation's timeline leaves out its people the user may not see
    assert [i["id"] for i in rep.get(f"{URL}?party={org.pk}").json()["items"]] == [on_org.pk]
    assert "party" in field_errors(rep.get(f"{URL}?party={hidden.pk}"))
    assert secret.pk in [i["id"] for i in api_for(users["manager"]).get(URL).json()["items"]]


@pytest.mark.parametrize("role", ["administrator", "sales_rep"])
def test_list_query_count_does_not_grow_with_the_page(api_for, users, role):
    user = users[role]
    erp = source_get_or_create("erp")
    parties = [make_person(user, given_names=f"P{i}", team=user.teams.get().pk) for i in range(5)]
    previous = None
    for i in range(60):
        previous = _log(
            user,
            parties[i % 5],
            days=1 + i / 24,
            source=erp,
            external_id=f"N-{i}",
            related=[previous] if previous else (),
            refresh_stats=False,
        )
    api = api_for(user)

    def count(query: str, expected: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(f"{URL}?{query}")
        assert response.status_code == 200
        assert len(response.json()["items"]) == expected
        return len(ctx.captured_queries)

    count("limit=5", 5)  # warm caches (content types) so both runs are measured alike
    small, large = count("limit=5", 5), count("limit=50", 50)
    assert small == large
    assert large <= 6  # token, (teams), page, related ids
    small, large = count(f"limit=2&party={parties[0].pk}", 2), count(f"limit=12&party={parties[0].pk}", 12)
    assert small == large <= 7
