"""`clientela demo`: the generated data passes the same normalisers and rules as data typed by users."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import phonenumbers
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from stdnum.ar import cuit
from stdnum.co import nit
from stdnum.es import cif, dni
from stdnum.mx import rfc
from stdnum.us import ein

from clientela.accounts.models import Team, User
from clientela.core.models import ObjectChange
from clientela.core.text import fold
from clientela.demo.parties import SNAPSHOT_FIELDS
from clientela.parties.choices import PHONE_KINDS
from clientela.parties.models import ContactPoint, Party, Relationship
from clientela.parties.normalize import (
    address_key,
    normalize_email,
    normalize_phone,
    normalize_social,
    normalize_tax_id,
    normalize_website,
)
from clientela.parties.selectors import party_history
from clientela.parties.services import PARTY_LOGGED, _party_snapshot

LEGAL_FORMS = (
    "S.L.",
    "S.A.",
    "S.L.U.",
    "S.A. de C.V.",
    "S. de R.L. de C.V.",
    "S.C.",
    "S.R.L.",
    "S.A.S.",
    "Ltda.",
)
LEGAL_FORMS += ("Inc.", "LLC", "Corp.")
TAX_ID_CHECKS = {
    "ES": cif.is_valid,
    "MX": lambda v: rfc.is_valid(v, validate_check_digits=True),
    "AR": cuit.is_valid,
    "CO": nit.is_valid,
    "US": ein.is_valid,
}


def run_demo(**options: object) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **{k: str(v) for k, v in options.items()})
    return out.getvalue()


def snapshot(parties: list[Party]) -> list[tuple]:
    """What a run generated, without ids: names, tax ids and contact values in creation order."""
    return [
        (
            p.kind,
            p.display_name,
            p.tax_id,
            p.birth_date,
            tuple(p.contact_points.order_by("id").values_list("kind", "value", "is_primary")),
        )
        for p in parties
    ]


@pytest.fixture
def small_run(db) -> str:
    return run_demo(people=40, orgs=15, seed=3)


def test_small_run_creates_what_it_says(small_run):
    assert Party.objects.filter(kind="person").count() == 40
    assert Party.objects.filter(kind="organisation").count() == 15
    assert "Created 55 parties (40 people, 15 organisations)" in small_run
    assert f"{ContactPoint.objects.count():,} contact points" in small_run
    assert f"{Relationship.objects.count():,} relationships" in small_run
    assert ContactPoint.objects.count() > 100
    assert Relationship.objects.exists()


def test_parties_pass_model_validation_and_names_follow_the_services(small_run):
    for party in Party.objects.all():
        party.full_clean(validate_unique=False)
        assert party.display_name == party.derived_display_name()
        assert party.name_folded == fold(party.display_name)
        assert party.version == 1
        if party.kind == "person":
            assert party.given_names and party.family_name_1 and party.birth_date
            assert bool(party.family_name_2) == (party.country != "US")
        else:
            assert party.legal_name.endswith(LEGAL_FORMS)


def test_tax_ids_are_valid_and_stored_normalised(small_run):
    for party in Party.objects.exclude(tax_id=""):
        assert normalize_tax_id(party.tax_id, party.country) == party.tax_id
        if party.kind == "organisation":
            assert TAX_ID_CHECKS[party.country](party.tax_id), party.tax_id
        else:
            assert party.country == "ES" and dni.is_valid(party.tax_id)
    assert not Party.objects.filter(kind="organisation", tax_id="").exists()


def test_contact_points_are_valid_and_normalised(small_run):
    points = list(ContactPoint.objects.select_related("party"))
    assert {cp.kind for cp in points} >= {"email", "mobile", "landline", "website", "address"}
    for cp in points:
        cp.full_clean(exclude=["party"], validate_unique=False, validate_constraints=False)
        if cp.kind == "email":
            assert normalize_email(cp.value) == (cp.value, cp.normalized)
        elif cp.kind in PHONE_KINDS:
            number = phonenumbers.parse(cp.normalized, None)
            assert phonenumbers.is_valid_number(number), cp.normalized
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == cp.normalized
            assert cp.value == phonenumbers.format_number(
                number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
            )
            phone = normalize_phone(cp.value, "")
            assert phone.e164 == cp.normalized
            if cp.kind == "mobile":
                assert phone.is_mobile is not False
            else:
                assert phone.is_mobile is not True
        elif cp.kind == "website":
            assert normalize_website(cp.value) == (cp.value, cp.normalized)
        elif cp.kind == "social":
            assert normalize_social(cp.social_network, cp.value) == (cp.value, cp.normalized)
        elif cp.kind == "address":
            assert cp.street and cp.postal_code and cp.city and cp.region
            assert cp.country == cp.party.country
            assert cp.normalized == address_key(cp.street, cp.postal_code, cp.city, cp.country)
            assert cp.value == f"{cp.street}, {cp.postal_code} {cp.city}, {cp.region}, {cp.country}"


def test_exactly_one_primary_per_kind(small_run):
    per_kind = Counter(ContactPoint.objects.values_list("party_id", "kind"))
    primaries = Counter(ContactPoint.objects.filter(is_primary=True).values_list("party_id", "kind"))
    assert primaries == Counter(dict.fromkeys(per_kind, 1))


def test_relationships_link_people_to_organisations(small_run):
    for rel in Relationship.objects.select_related("person", "organisation"):
        assert rel.person.kind == "person" and rel.organisation.kind == "organisation"
        assert rel.role
        assert rel.start_date and rel.start_date > rel.person.birth_date
        assert (rel.end_date is None) == rel.is_primary
    primary_jobs = Counter(Relationship.objects.filter(is_primary=True).values_list("person_id", flat=True))
    assert set(primary_jobs.values()) == {1}


def test_parties_belong_to_sales_staff_and_their_team(small_run):
    owned = Party.objects.exclude(owner=None).select_related("owner__role")
    assert owned.exists()
    for party in owned:
        assert party.owner.role.slug in {"sales_rep", "manager"}
        assert party.team in party.owner.teams.all()
    assert set(Team.objects.values_list("name", flat=True)) >= {
        "Norte",
        "Sur",
        "Atención al cliente",
        "Marketing",
    }
    assert User.objects.count() == 8
    assert {u.role.slug for u in User.objects.select_related("role")} >= {"manager", "sales_rep", "read_only"}


def test_every_party_has_a_create_entry_in_its_history(small_run):
    party_type = ContentType.objects.get_for_model(Party)
    # the customers' entries (the demo's example segments write their own, under their own type)
    changes = ObjectChange.objects.filter(action="create", aggregate_type="parties.party")
    assert changes.count() == Party.objects.count()
    assert set(changes.values_list("source", "object_type", "aggregate_type", "actor_label")) == {
        ("cli", party_type.pk, "parties.party", "demo")
    }
    party = Party.objects.filter(kind="person").exclude(tags=None).first() or Party.objects.first()
    page = party_history(party=party)
    assert [c.action for c in page.items] == ["create"]
    entry = page.items[0]
    assert entry.object_id == party.pk and entry.object_repr == party.display_name
    assert entry.time == party.created_at
    assert entry.new_value["display_name"] == party.display_name
    assert entry.new_value["tags"] == sorted(t.name for t in party.tags.all())


def test_history_snapshot_is_the_one_the_services_write(small_run):
    assert {name for name, _i in SNAPSHOT_FIELDS} == set(PARTY_LOGGED)
    for party in Party.objects.all()[:20]:
        entry = ObjectChange.objects.get(
            aggregate_type="parties.party", aggregate_id=party.pk, action="create"
        )
        assert entry.new_value == _party_snapshot(party)


def test_same_seed_same_data_whatever_the_batch_size(db):
    run_demo(people=12, orgs=5, seed=7)
    first = list(Party.objects.order_by("id"))
    run_demo(people=12, orgs=5, seed=7, batch_size=4)
    second = list(Party.objects.order_by("id"))[len(first) :]
    assert min(p.pk for p in second) > max(p.pk for p in first)  # appended, not assumed empty
    assert snapshot(second) == snapshot(first)
    assert User.objects.count() == 8  # the demo staff is reused, not duplicated


def test_different_seed_different_data(db):
    run_demo(people=12, orgs=5, seed=7)
    first = list(Party.objects.order_by("id"))
    run_demo(people=12, orgs=5, seed=8)
    second = list(Party.objects.order_by("id"))[len(first) :]
    assert [p.display_name for p in second] != [p.display_name for p in first]


def test_nothing_requested_creates_nothing(db):
    out = run_demo(people=0, orgs=0, users=0)
    assert not Party.objects.exists()
    assert "Created 0 parties" in out


@pytest.mark.parametrize(
    "options",
    [
        {"people": "-1"},
        {"orgs": "abc"},
        {"users": "2.5"},
        {"seed": "-4"},
        {"batch_size": "0"},
        {"people": "99999999999"},
    ],
)
def test_bad_arguments_are_one_line_errors(db, options):
    with pytest.raises(CommandError) as exc:
        call_command("demo", stdout=StringIO(), **options)
    assert "\n" not in str(exc.value)
    assert not Party.objects.exists()


@pytest.mark.django_db
def test_demo_customers_are_searchable_at_once():
    from django.core.management import call_command

    from clientela.accounts.models import User
    from clientela.parties.models import Party
    from clientela.parties.search import party_search

    call_command("demo", people=12, orgs=4, seed=7, verbosity=0)
    party = Party.objects.filter(kind="person").order_by("pk").first()
    admin = User.objects.create_superuser("searcher", password="x-Clientela-1")
    found = [p.pk for p, _hit in party_search(user=admin, q=party.display_name)]
    assert party.pk in found
