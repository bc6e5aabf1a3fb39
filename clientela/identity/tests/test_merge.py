"""Merging customers and undoing merges, on a real database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.identity import references
from clientela.identity.keys import match_keys_refresh
from clientela.identity.models import Merge, MergeMove
from clientela.identity.services import (
    merged_into,
    pair_is_marked_distinct,
    pair_mark_distinct,
    party_merge,
    party_unmerge,
)
from clientela.identity.tests.conftest import add_interactions, diff, snapshot
from clientela.imports.models import FieldProvenance, SourceRecord
from clientela.interactions.models import Interaction, PartyStats
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.models import ContactPoint, Party, Relationship, SourceLink
from clientela.parties.services import party_update
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


def email(value: str, primary: bool = False) -> dict:
    return {"kind": "email", "value": value, "is_primary": primary}


@pytest.fixture
def pair(admin_user, erp):
    """Two records of one person, each with contact points, an employer, a timeline and source records."""
    org = make_organisation(admin_user, legal_name="Ejemplo S.L.")
    other_org = make_organisation(admin_user, legal_name="Otra S.A.")
    a = make_person(
        admin_user,
        contact_points=[email("ana@example.com", True), email("shared@example.com")],
        given_names="Ana",
        country="ES",
        tags=["VIP", "Norte"],
    )
    b = make_person(
        admin_user,
        contact_points=[
            email("ana.garcia@example.com", True),
            {"kind": "mobile", "value": "+34 612 345 678", "is_primary": True},
        ],
        given_names="Ana María",
        tax_id="12345678Z",
        country="FR",
        notes="from the shop",
        tags=["vip", "Web"],
    )
    Relationship.objects.create(person=a, organisation=org, role="CEO", is_primary=True)
    Relationship.objects.create(person=b, organisation=other_org, role="Advisor", is_primary=True)
    Relationship.objects.create(person=b, organisation=org, role="CEO")
    add_interactions(a, erp, 2)
    add_interactions(b, erp, 3, organisation=org)
    SourceLink.objects.create(source=erp, external_id="C-1", party=a)
    SourceLink.objects.create(source=erp, external_id="C-2", party=b)
    SourceRecord.objects.create(source=erp, entity="parties", external_id="C-2", digest="x", party=b)
    FieldProvenance.objects.create(party=a, field="country", source=erp)
    FieldProvenance.objects.create(party=b, field="country", source=erp)
    FieldProvenance.objects.create(party=b, field="tax_id", source=erp)
    FieldProvenance.objects.create(party=a, field="given_names", source=erp)
    FieldProvenance.objects.create(party=b, field="given_names", source=erp)
    party_stats_refresh([a.pk, b.pk, org.pk, other_org.pk])
    match_keys_refresh([a.pk, b.pk])  # the source links above bypassed the services that keep keys current
    return a, b, org


def test_registry_discovers_every_reference_to_party():
    keys = {r.key for r in references.discover()}
    assert {
        "parties.ContactPoint.party",
        "parties.Relationship.person",
        "parties.Relationship.organisation",
        "parties.SourceLink.party",
        "parties.Party_tags.party",
        "interactions.Interaction.party",
        "interactions.Interaction.organisation",  # nullable
        "imports.SourceRecord.party",  # hidden (related_name="+") and nullable
        "imports.FieldProvenance.party",
    } <= keys
    moved = {r.key for r in references.references()}
    assert "interactions.PartyStats.party" not in moved  # derived: recomputed, not moved
    assert "identity.Merge.survivor" not in moved
    assert references.reference_problems() == []


def test_a_conditional_unique_constraint_without_hook_is_reported():
    hooks = references._hooks.pop("parties.ContactPoint")
    try:
        assert any("contact_one_primary_per_kind" in p for p in references.reference_problems())
        assert references.check_references()
    finally:
        references._hooks["parties.ContactPoint"] = hooks


def test_merge_moves_every_related_row(admin_user, pair):
    a, b, org = pair
    b_points = set(ContactPoint.objects.filter(party=b).values_list("pk", flat=True))
    merge = party_merge(actor=actor_for(admin_user), survivor=a, merged=b)

    assert set(ContactPoint.objects.filter(party=b).values_list("pk", flat=True)) == set()
    assert b_points <= set(ContactPoint.objects.filter(party=a).values_list("pk", flat=True))
    assert Interaction.objects.filter(party=b).count() == 0
    assert Interaction.objects.filter(party=a).count() == 5
    assert Interaction.objects.filter(organisation=org).count() == 3  # untouched: org is not merged
    assert set(SourceLink.objects.filter(party=a).values_list("external_id", flat=True)) == {"C-1", "C-2"}
    assert SourceRecord.objects.get(external_id="C-2").party_id == a.pk
    assert set(Relationship.objects.filter(person=a).values_list("role", flat=True)) == {"CEO", "Advisor"}
    # the same link (same organisation, role and dates) on both sides is kept once
    assert Relationship.objects.filter(person=a, organisation=org).count() == 1
    assert sorted(a.tags.values_list("name", flat=True)) == ["Norte", "VIP", "Web"]

    b.refresh_from_db()
    assert b.deleted_at is not None
    assert merged_into(b.pk) == a.pk
    assert merged_into(a.pk) is None
    assert not Party.objects.filter(pk=b.pk).exists()
    assert merge.moved_counts["interactions.Interaction.party"] == 3
    assert MergeMove.objects.filter(merge=merge, model="interactions.Interaction").count() == 3
    assert PartyStats.objects.get(party=a).interaction_count == 5
    assert PartyStats.objects.get(party=b).interaction_count == 0


def test_merge_between_organisations_moves_the_organisation_link(admin_user, erp):
    org_a = make_organisation(admin_user, legal_name="Uno S.L.")
    org_b = make_organisation(admin_user, legal_name="Uno Sociedad Limitada")
    person = make_person(admin_user)
    add_interactions(person, erp, 2, organisation=org_b)
    Relationship.objects.create(person=person, organisation=org_b, role="Buyer")
    party_merge(actor=actor_for(admin_user), survivor=org_a, merged=org_b)
    assert Interaction.objects.filter(organisation=org_a).count() == 2
    assert Relationship.objects.get(person=person).organisation_id == org_a.pk


def test_survivorship_default_and_chosen(admin_user, pair):
    a, b, _org = pair
    party_merge(actor=actor_for(admin_user), survivor=a, merged=b, field_choices={"given_names": "merged"})
    a.refresh_from_db()
    assert a.given_names == "Ana María"  # chosen
    assert a.display_name == "Ana María García López"  # a derived name follows the names
    assert a.tax_id == "12345678Z"  # empty on the survivor
    assert a.country == "ES"  # the survivor's non-empty value wins
    assert a.notes == "from the shop"


def test_field_choices_are_validated(admin_user, pair):
    a, b, _org = pair
    with pytest.raises(ValidationError) as exc:
        party_merge(actor=actor_for(admin_user), survivor=a, merged=b, field_choices={"kind": "merged"})
    assert "field_choices.kind" in exc.value.message_dict
    with pytest.raises(ValidationError):
        party_merge(actor=actor_for(admin_user), survivor=a, merged=b, field_choices={"notes": "both"})
    assert not Merge.objects.exists()


def test_provenance_follows_the_surviving_value(admin_user, pair, shop):
    a, b, _org = pair
    FieldProvenance.objects.filter(party=b, field="given_names").update(source=shop)
    FieldProvenance.objects.filter(party=b, field="tax_id").update(source=shop)
    party_merge(actor=actor_for(admin_user), survivor=a, merged=b, field_choices={"given_names": "merged"})
    provenance = dict(FieldProvenance.objects.filter(party=a).values_list("field", "source__slug"))
    assert provenance == {"given_names": "shop", "tax_id": "shop", "country": "erp"}
    assert not FieldProvenance.objects.filter(party=b).exists()


def test_unique_clashes_are_resolved(admin_user, pair):
    a, b, _org = pair
    ContactPoint.objects.filter(party=b, kind="email").update(normalized="shared@example.com")
    party_merge(actor=actor_for(admin_user), survivor=a, merged=b)
    emails = ContactPoint.objects.filter(party=a, kind="email", deleted_at__isnull=True)
    assert emails.filter(is_primary=True).get().value == "ana@example.com"
    assert emails.count() == 3  # duplicates are kept, the merged-in one is not primary
    # the merged party's primary mobile stays primary: the survivor had none
    assert ContactPoint.objects.get(party=a, kind="mobile").is_primary
    # one main organisation per person: the survivor's
    assert Relationship.objects.filter(person=a, is_primary=True).count() == 1


def test_change_log(admin_user, pair):
    a, b, _org = pair
    merge = party_merge(actor=actor_for(admin_user), survivor=a, merged=b)
    rows = ObjectChange.objects.filter(aggregate_type="parties.party", aggregate_id=a.pk, request_id__gt="")
    tax = rows.get(field="tax_id", action="update")
    assert (tax.old_value, tax.new_value) == ("", "12345678Z")
    assert rows.filter(object_id=merge.pk, action="create", field="").exists()
    merged_rows = ObjectChange.objects.filter(aggregate_type="parties.party", aggregate_id=b.pk)
    assert merged_rows.filter(object_id=merge.pk, action="create").exists()
    deleted = merged_rows.get(object_id=b.pk, action="delete")
    assert deleted.old_value["merged_into"] == a.pk


def test_permission_denied_without_merge_role(users, pair):
    a, b, _org = pair
    before = snapshot()
    with pytest.raises(NotPermitted):
        party_merge(actor=actor_for(users["support_agent"]), survivor=a, merged=b)
    assert diff(before, snapshot()) == []
    assert not Merge.objects.exists()


def test_permission_denied_for_a_party_out_of_scope(users):
    rep, other = users["sales_rep"], users["sales_rep_b"]
    mine = make_person(rep)
    theirs = make_person(other)
    before = snapshot()
    with pytest.raises(NotPermitted):
        party_merge(actor=actor_for(rep), survivor=mine, merged=theirs)
    with pytest.raises(NotPermitted):
        party_merge(actor=actor_for(rep), survivor=theirs, merged=mine)
    assert diff(before, snapshot()) == []
    # within their own records a sales rep may merge
    party_merge(actor=actor_for(rep), survivor=mine, merged=make_person(rep))


def test_refusals(admin_user, pair):
    a, b, org = pair
    actor = actor_for(admin_user)
    with pytest.raises(ValidationError, match="itself"):
        party_merge(actor=actor, survivor=a, merged=a)
    with pytest.raises(ValidationError, match="person and an organisation"):
        party_merge(actor=actor, survivor=a, merged=org)
    party_merge(actor=actor, survivor=a, merged=b)
    with pytest.raises(ValidationError, match="recycle bin"):
        party_merge(actor=actor, survivor=a, merged=b)
    assert Merge.objects.count() == 1


def test_unmerge_restores_everything_exactly(admin_user, pair):
    a, b, _org = pair
    # a link between the two parties themselves would become a self-link: deleted, then restored
    Relationship.objects.create(person=b, organisation=a, role="odd data")
    ContactPoint.objects.filter(party=b, kind="email").update(normalized="shared@example.com")
    match_keys_refresh([b.pk])  # the update above bypassed the services that keep keys current
    before = snapshot()
    merge = party_merge(
        actor=actor_for(admin_user), survivor=a, merged=b, field_choices={"given_names": "merged"}
    )
    assert diff(before, snapshot())  # the merge did change things
    party_unmerge(actor=actor_for(admin_user), merge=merge)
    assert diff(before, snapshot()) == []
    merge.refresh_from_db()
    assert merge.undone_at is not None and merge.undone_by == admin_user
    assert merged_into(b.pk) is None
    assert Party.objects.filter(pk=b.pk).exists()
    assert ObjectChange.objects.filter(aggregate_id=b.pk, action="restore").exists()


def test_an_edit_after_the_merge_survives_the_undo(admin_user, pair):
    a, b, _org = pair
    actor = actor_for(admin_user)
    merge = party_merge(actor=actor, survivor=a, merged=b, field_choices={"given_names": "merged"})
    party_update(actor=actor, party=Party.objects.get(pk=a.pk), data={"tax_id": "87654321X"})
    party_unmerge(actor=actor, merge=merge)
    a.refresh_from_db()
    assert a.tax_id == "87654321X"  # edited after the merge: kept
    assert a.given_names == "Ana"  # set by the merge and untouched since: restored
    assert a.notes == ""
    assert a.display_name == "Ana García López"


def test_unmerge_refused_while_a_later_merge_stands(admin_user, pair):
    a, b, _org = pair
    actor = actor_for(admin_user)
    first = party_merge(actor=actor, survivor=a, merged=b)
    c = make_person(admin_user, given_names="Anita")
    second = party_merge(actor=actor, survivor=a, merged=c)
    with pytest.raises(ValidationError, match="later merge"):
        party_unmerge(actor=actor, merge=first)
    assert Merge.objects.get(pk=first.pk).undone_at is None
    party_unmerge(actor=actor, merge=second)
    party_unmerge(actor=actor, merge=first)
    with pytest.raises(ValidationError, match="already been undone"):
        party_unmerge(actor=actor, merge=first)


def test_unmerge_refused_when_the_survivor_was_merged_again(admin_user, pair):
    a, b, _org = pair
    actor = actor_for(admin_user)
    first = party_merge(actor=actor, survivor=a, merged=b)
    d = make_person(admin_user)
    party_merge(actor=actor, survivor=d, merged=a)
    assert merged_into(b.pk) == d.pk
    with pytest.raises(ValidationError, match="later merge"):
        party_unmerge(actor=actor, merge=first)


def test_unmerge_needs_permission(users, admin_user, pair):
    a, b, _org = pair
    merge = party_merge(actor=actor_for(admin_user), survivor=a, merged=b)
    with pytest.raises(NotPermitted):
        party_unmerge(actor=actor_for(users["read_only"]), merge=merge)
    with pytest.raises(NotPermitted):
        party_unmerge(actor=actor_for(users["sales_rep"]), merge=merge)  # not their customers
    assert Merge.objects.get(pk=merge.pk).undone_at is None


def _merge_queries(admin_user, erp, n: int) -> int:
    a = make_person(admin_user, contact_points=[email(f"a{n}@example.com", True)])
    b = make_person(admin_user, contact_points=[email(f"b{n}@example.com", True)])
    add_interactions(b, erp, n)
    party_stats_refresh([a.pk, b.pk])
    with CaptureQueriesContext(connection) as ctx:
        party_merge(actor=actor_for(admin_user), survivor=a, merged=b)
    assert Interaction.objects.filter(party=a).count() == n
    return len(ctx.captured_queries)


def test_merge_queries_do_not_grow_with_the_interactions(admin_user, erp, django_assert_max_num_queries):
    few = _merge_queries(admin_user, erp, 5)
    many = _merge_queries(admin_user, erp, 500)
    assert many == few
    a = make_person(admin_user)
    b = make_person(admin_user)
    add_interactions(b, erp, 500)
    with django_assert_max_num_queries(few):
        party_merge(actor=actor_for(admin_user), survivor=a, merged=b)


def test_not_duplicate_decision_lasts_until_the_data_change(admin_user):
    actor = actor_for(admin_user)
    a = make_person(admin_user)
    b = make_person(admin_user, given_names="Anabel")
    assert not pair_is_marked_distinct(a, b)
    pair_mark_distinct(actor=actor, a=b, b=a)
    assert pair_is_marked_distinct(a, b)
    assert pair_is_marked_distinct(b, a)
    party_update(actor=actor, party=b, data={"tax_id": "12345678Z"})
    assert not pair_is_marked_distinct(a, b)
    with pytest.raises(ValidationError):
        pair_mark_distinct(actor=actor, a=a, b=a)


def test_a_merged_customers_page_leads_to_the_survivor_until_the_merge_is_undone(admin_user, client):
    from clientela.testing.factories import actor_for, make_person

    ana = make_person(admin_user, given_names="Ana", family_name_1="Ruiz")
    copy = make_person(admin_user, given_names="Ana", family_name_1="Ruiz")
    client.force_login(admin_user)
    merge = party_merge(actor=actor_for(admin_user), survivor=ana, merged=copy)
    response = client.get(f"/customers/{copy.pk}/")
    assert response.status_code == 302 and response.headers["Location"] == f"/customers/{ana.pk}/"
    assert client.get("/customers/999999/").status_code == 404  # never existed: still not found
    party_unmerge(actor=actor_for(admin_user), merge=merge)
    assert client.get(f"/customers/{copy.pk}/").status_code == 200
