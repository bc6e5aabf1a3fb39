"""The real-time duplicate check: blocking keys kept in the database, candidates, scores, permissions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from clientela.identity import check
from clientela.identity.check import current_matcher, likely_matches, matches_for_data, record_from_data
from clientela.identity.keys import SYNC_LIMIT, match_keys_rebuild, on_parties_changed
from clientela.identity.matching.default import default_matcher
from clientela.identity.models import MatchKey, ResolutionRun, RunStatus
from clientela.identity.services import pair_mark_distinct
from clientela.parties.models import Party
from clientela.parties.services import party_delete, party_update
from clientela.testing.factories import actor_for, make_person

pytestmark = pytest.mark.django_db


def mobile(value: str) -> dict:
    return {"kind": "mobile", "value": value, "is_primary": True}


def email(value: str) -> dict:
    return {"kind": "email", "value": value, "is_primary": True}


@pytest.fixture
def jose(admin_user):
    return make_person(
        admin_user,
        given_names="José",
        family_name_1="Martínez",
        family_name_2="Ruiz",
        birth_date=dt.date(1970, 5, 2),
        contact_points=[mobile("+34 655 111 222"), email("jose.martinez@example.es")],
    )


@pytest.fixture
def others(admin_user):
    """Other customers, some sharing a common first name or surname with José."""
    people = [
        ("Ana", "García", "López", "+34 611 000 001"),
        ("José", "García", "Sánchez", "+34 611 000 002"),
        ("Lucía", "Martínez", "Gómez", "+34 611 000 003"),
        ("Pablo", "Ruiz", "Díaz", "+34 611 000 004"),
    ]
    return [
        make_person(admin_user, given_names=g, family_name_1=f1, family_name_2=f2, contact_points=[mobile(m)])
        for g, f1, f2, m in people
    ]


def keys_of(party) -> set[int]:
    return set(MatchKey.objects.filter(party=party).values_list("key", flat=True))


def test_keys_follow_creates_edits_and_deletes(admin_user, jose):
    before = keys_of(jose)
    assert before, "a new customer gets its blocking keys in the same transaction"
    party_update(actor=actor_for(admin_user), party=jose, data={"family_name_1": "Moreno"}, contact_points=[])
    after = keys_of(jose)
    assert after and after != before
    party_delete(actor=actor_for(admin_user), party=jose)
    assert keys_of(jose) == set()


def test_rebuild_writes_the_same_keys_as_the_listener(jose, others):
    by_listener = set(MatchKey.objects.values_list("key", "party_id"))
    MatchKey.objects.all().delete()
    match_keys_rebuild()
    assert set(MatchKey.objects.values_list("key", "party_id")) == by_listener


def test_a_nickname_and_the_same_mobile_typed_another_way_is_found(admin_user, jose, others):
    found = matches_for_data(
        user=admin_user,
        data={"kind": "person", "given_names": "Pepe", "family_name_1": "Martinez"},
        contacts=[{"kind": "mobile", "value": "655111222"}],
    )
    assert [m.party_id for m in found] == [jose.pk]
    assert found[0].probability >= 0.9
    assert found[0].display_name == jose.display_name
    fields = {e["field"] for e in found[0].explanation}
    assert "phone" in fields and "given_name" in fields


def test_the_same_email_with_other_case_is_found(admin_user, jose, others):
    found = matches_for_data(
        user=admin_user,
        data={"kind": "person", "given_names": "José", "family_name_1": "Martínez"},
        contacts=[{"kind": "email", "value": "JOSE.Martinez@EXAMPLE.es"}],
    )
    assert found and found[0].party_id == jose.pk


def test_only_a_first_name_or_garbage_finds_nothing(admin_user, jose, others):
    assert matches_for_data(user=admin_user, data={"kind": "person", "given_names": "José"}) == []
    garbage = matches_for_data(
        user=admin_user,
        data={"kind": "person", "given_names": "n/a", "family_name_1": "-"},
        contacts=[{"kind": "email", "value": "test@test.com"}, {"kind": "landline", "value": "000000000"}],
    )
    assert garbage == []


def test_a_different_person_with_a_common_name_is_not_proposed(admin_user, jose, others):
    found = matches_for_data(
        user=admin_user,
        data={"kind": "person", "given_names": "José", "family_name_1": "Martínez", "family_name_2": "Ruiz"},
        contacts=[{"kind": "mobile", "value": "+34 699 888 777"}, email("pepito@otro.es")],
    )
    # same full name but a different mobile and email: possibly proposed, never as near-certain
    assert all(m.probability < 0.99 for m in found)


def test_the_customer_being_edited_and_decided_pairs_are_left_out(admin_user, jose):
    twin = make_person(
        admin_user,
        given_names="José",
        family_name_1="Martínez",
        family_name_2="Ruiz",
        contact_points=[mobile("+34 655 111 222")],
    )
    data = {"kind": "person", "given_names": "José", "family_name_1": "Martínez", "family_name_2": "Ruiz"}
    contacts = [mobile("+34 655 111 222")]
    assert {m.party_id for m in matches_for_data(user=admin_user, data=data, contacts=contacts)} == {
        jose.pk,
        twin.pk,
    }
    editing = matches_for_data(user=admin_user, data=data, contacts=contacts, exclude=jose.pk)
    assert [m.party_id for m in editing] == [twin.pk]
    pair_mark_distinct(actor=actor_for(admin_user), a=jose, b=twin)
    assert matches_for_data(user=admin_user, data=data, contacts=contacts, exclude=jose.pk) == []


def test_customers_the_user_cannot_see_are_not_shown(users, jose):
    data = {"kind": "person", "given_names": "Pepe", "family_name_1": "Martinez"}
    contacts = [mobile("655111222")]
    assert matches_for_data(user=users["administrator"], data=data, contacts=contacts)
    assert matches_for_data(user=users["sales_rep_b"], data=data, contacts=contacts) == []


def test_an_organisation_is_never_proposed_for_a_person(admin_user, jose):
    record = record_from_data(
        {"kind": "organisation", "legal_name": "José Martínez Ruiz S.L."}, [mobile("+34 655 111 222")]
    )
    assert likely_matches(user=admin_user, record=record) == []


def test_half_typed_values_are_ignored_not_errors():
    record = record_from_data(
        {"kind": "person", "given_names": "Ana", "tax_id": "12", "birth_date": "1990-13-45"},
        [
            {"kind": "email", "value": "ana@"},
            {"kind": "mobile", "value": "6"},
            {"kind": "social", "value": "x"},
        ],
    )
    assert record.emails == () and record.phones == () and record.birth_date is None and record.tax_id == ""


def test_the_shipped_parameters_are_used_until_a_run_over_enough_customers(monkeypatch, jose, others):
    check._matcher_cache.clear()
    assert current_matcher() is default_matcher()
    # a finished run over too few customers is not trusted
    small = ResolutionRun.objects.create(
        status=RunStatus.DONE,
        merge_threshold=0.99,
        review_threshold=0.5,
        parties=10,
        parameters={"fields": []},
    )
    assert current_matcher() is default_matcher()
    monkeypatch.setattr(check, "MIN_FIT_RECORDS", 5)
    small.parameters = json.loads(default_matcher().to_json())
    small.save(update_fields=["parameters"])
    chosen = current_matcher()
    assert chosen is not default_matcher() and chosen.fitted.prior == default_matcher().fitted.prior
    # parameters of an older engine format fall back to the shipped ones instead of failing
    small.parameters = {**small.parameters, "format_version": 0}
    small.save(update_fields=["parameters"])
    check._matcher_cache.clear()
    assert current_matcher() is default_matcher()


def test_many_changed_customers_are_keyed_by_a_task_after_commit(django_capture_on_commit_callbacks, jose):
    MatchKey.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks:
        on_parties_changed([jose.pk] * (SYNC_LIMIT + 1))
    assert not MatchKey.objects.exists(), "nothing is computed inside the caller's transaction"
    assert len(callbacks) == 1


def test_a_few_changed_customers_are_keyed_at_once(jose):
    MatchKey.objects.all().delete()
    on_parties_changed([jose.pk])
    assert keys_of(jose)


def form_post(**overrides) -> dict:
    data = {
        "kind": "person",
        "status": "lead",
        "given_names": "Pepe",
        "family_name_1": "Martinez",
        "cp-TOTAL_FORMS": "1",
        "cp-INITIAL_FORMS": "0",
        "cp-0-kind": "mobile",
        "cp-0-label": "work",
        "cp-0-value": "655 11 12 22",
    }
    data.update(overrides)
    return data


def test_the_form_panel_lists_likely_matches_as_the_user_types(admin_user, client_for, jose, others):
    client = client_for(admin_user)
    page = client.get("/customers/new/").content.decode()
    assert 'id="possible-duplicates"' in page and 'hx-post="/duplicates/check/"' in page
    response = client.post("/duplicates/check/", form_post())
    assert response.status_code == 200
    html = response.content.decode()
    assert jose.display_name in html and f"/customers/{jose.pk}/" in html
    assert "This may be the same customer as" in html
    nothing = client.post("/duplicates/check/", form_post(given_names="Zoe", **{"cp-0-value": "699000111"}))
    assert nothing.content.decode().strip() == ""


def test_the_edit_form_checks_against_everyone_but_the_customer_itself(admin_user, client_for, jose):
    client = client_for(admin_user)
    page = client.get(f"/customers/{jose.pk}/edit/").content.decode()
    assert f'hx-post="/duplicates/check/?party={jose.pk}"' in page
    response = client.post(f"/duplicates/check/?party={jose.pk}", form_post())
    assert jose.display_name not in response.content.decode()


def test_the_panel_speaks_spanish(admin_user, client_for, jose):
    client = client_for(admin_user)
    response = client.post("/duplicates/check/", form_post(), HTTP_ACCEPT_LANGUAGE="es")
    assert "Puede ser el mismo cliente que" in response.content.decode()


def test_the_check_refuses_a_customer_the_user_cannot_see_and_get(users, client_for, jose):
    client = client_for(users["sales_rep_b"])
    assert client.post(f"/duplicates/check/?party={jose.pk}", form_post()).status_code == 404
    assert client.get("/duplicates/check/").status_code == 405


def test_a_run_rebuilds_the_keys_only_when_customers_lack_them(jose, others):
    from clientela.identity.keys import match_keys_complete
    from clientela.identity.resolution import resolve_run
    from clientela.testing.factories import actor_for as actor

    assert match_keys_complete(Party.objects.count())
    MatchKey.objects.filter(party=jose).delete()
    assert not match_keys_complete(Party.objects.count())
    run = resolve_run(actor=actor(None), auto_merge=False, merge_threshold=None, review_threshold=None)
    assert run.status == RunStatus.DONE and keys_of(jose)
