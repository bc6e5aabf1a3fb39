"""Global customer search, the same cases on SQLite FTS5 and PostgreSQL pg_trgm (whichever DATABASE_URL selects)."""

from __future__ import annotations

import pytest

from clientela.parties.search import party_index_rebuild, party_search
from clientela.parties.services import party_delete, party_update
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(admin_user):
    jose = make_person(
        admin_user,
        given_names="José María",
        family_name_1="García",
        family_name_2="Ñúñez",
        contact_points=[
            {"kind": "email", "value": "jm.garcia@ejemplo.es"},
            {"kind": "mobile", "value": "612 34 56 78"},
        ],
        tax_id="12345678Z",
        country="ES",
    )
    garcia_ana = make_person(admin_user, given_names="Ana", family_name_1="García", family_name_2="López")
    garciarena = make_person(admin_user, given_names="Luis", family_name_1="Garciarena")
    org = make_organisation(
        admin_user, legal_name="Industrias Álamo S.L.", trade_name="Álamo", tax_id="B12345674", country="ES"
    )
    return {"jose": jose, "ana": garcia_ana, "garciarena": garciarena, "org": org}


def ids(user, q):
    return [p.pk for p, _hit in party_search(user=user, q=q)]


def test_partial_name_accent_and_case_insensitive(admin_user, people):
    assert ids(admin_user, "jose maria")[0] == people["jose"].pk
    assert ids(admin_user, "JOSÉ garc")[0] == people["jose"].pk
    assert people["jose"].pk in ids(admin_user, "nunez")
    assert ids(admin_user, "alamo") == [people["org"].pk]


def test_exact_word_ranks_above_prefix(admin_user, people):
    found = ids(admin_user, "garcia")
    assert set(found[:2]) == {people["jose"].pk, people["ana"].pk}
    assert found[2] == people["garciarena"].pk


@pytest.mark.parametrize("q", ["612 34 56 78", "+34612345678", "0034 612-345-678", "612345678", "+34 612 34"])
def test_phone_in_any_format(admin_user, people, q):
    assert ids(admin_user, q)[0] == people["jose"].pk


@pytest.mark.parametrize("q", ["jm.garcia@ejemplo.es", "jm.garcia@", "garcia@ejem", "JM.GARCIA@EJEMPLO.ES"])
def test_email_or_part_of_it(admin_user, people, q):
    assert ids(admin_user, q) == [people["jose"].pk]


@pytest.mark.parametrize("q", ["jm.garcia", "jm.garc"])
def test_start_of_an_email_without_at_sign_ranks_its_owner_first(admin_user, people, q):
    # it is also read as name words, so the other Garcías follow
    found = ids(admin_user, q)
    assert found[0] == people["jose"].pk and people["ana"].pk in found


def test_start_of_an_email_typed_as_one_word_finds_its_owner(admin_user, people):
    pepe = make_person(
        admin_user,
        given_names="José Luis",
        family_name_1="Pérez",
        contact_points=[{"kind": "email", "value": "pepelu99@gmail.com"}],
    )
    assert ids(admin_user, "pepelu") == [pepe.pk]
    assert ids(admin_user, "PepeLu99") == [pepe.pk]
    assert ids(admin_user, "pepelux") == []


def test_start_of_an_address_and_start_of_its_domain(admin_user, people):
    luz = make_person(
        admin_user,
        given_names="María Luz",
        family_name_1="Acosta",
        contact_points=[{"kind": "email", "value": "marialuz.acosta@hotmail.com"}],
    )
    other = make_person(
        admin_user,
        given_names="Marta",
        family_name_1="Luz",
        contact_points=[{"kind": "email", "value": "marialuz_b@gmail.com"}],
    )
    assert ids(admin_user, "marialuz@hot") == [luz.pk]
    assert ids(admin_user, "MariaLuz@Hotm") == [luz.pk]
    assert ids(admin_user, "marialuz@gma") == [other.pk]
    assert ids(admin_user, "marialuz.a@hot") == [luz.pk]
    assert ids(admin_user, "marialuz@yah") == []
    # "_" and "%" are the address's own characters, not wildcards
    assert ids(admin_user, "marialuz_@gma") == [other.pk]
    assert ids(admin_user, "marialu%@gma") == []
    assert ids(admin_user, "jm.gar@ejem") == [people["jose"].pk]


def test_tax_id(admin_user, people):
    assert ids(admin_user, "12345678-Z") == [people["jose"].pk]
    assert ids(admin_user, "b12345674") == [people["org"].pk]


@pytest.mark.parametrize("q", ["jsoe garcia", "jose garcai", "garzia nunez", "indstrias alamo"])
def test_one_or_two_typos(admin_user, people, q):
    found = ids(admin_user, q)
    assert found and found[0] in {people["jose"].pk, people["org"].pk}


def test_index_follows_updates_and_deletes(admin_user, people):
    party_update(actor=actor_for(admin_user), party=people["ana"], data={"given_names": "Anabel"})
    assert people["ana"].pk in ids(admin_user, "anabel")
    party_delete(actor=actor_for(admin_user), party=people["ana"])
    assert people["ana"].pk not in ids(admin_user, "anabel garcia")
    assert party_index_rebuild() == 3
    assert ids(admin_user, "anabel") == []


def test_respects_record_permissions(users, team_b):
    hidden = make_person(users["sales_rep_b"], given_names="Zacarías", team=team_b.pk)
    assert ids(users["sales_rep"], "zacarias") == []
    assert ids(users["manager"], "zacarias") == [hidden.pk]


def test_garbage_and_empty_queries(admin_user, people):
    assert ids(admin_user, "") == []
    assert ids(admin_user, "   ") == []
    assert ids(admin_user, '"*:()') == []
    assert ids(admin_user, "a") == []


def test_header_search_suggests_as_you_type(admin_user, people, client_for):
    client = client_for(admin_user)
    html = client.get("/search/?q=612 34 56 78").content.decode()
    assert "José María García Ñúñez" in html and "jm.garcia@ejemplo.es" in html
    assert "No customer matches" in client.get("/search/?q=zzzzqqq").content.decode()
    assert client.get("/search/?q=").content.decode().strip() == ""


def test_result_card_follows_the_customer(admin_user, people):
    from clientela.parties.models import ContactPoint
    from clientela.parties.services import contact_point_update

    jose = people["jose"]
    card, _hit = party_search(user=admin_user, q="jm.garcia@ejemplo.es")[0]
    assert (card.pk, card.kind, card.display_name) == (jose.pk, "person", jose.display_name)
    assert (card.email, card.phone, card.tax_id) == ("jm.garcia@ejemplo.es", "+34612345678", "12345678Z")
    email = ContactPoint.objects.get(party=jose, kind="email")
    contact_point_update(actor=actor_for(admin_user), contact_point=email, data={"value": "jose@nuevo.es"})
    party_update(actor=actor_for(admin_user), party=jose, data={"given_names": "Josep"})
    card, _hit = party_search(user=admin_user, q="josep garcia")[0]
    assert card.pk == jose.pk
    assert card.email == "jose@nuevo.es" and card.display_name.startswith("Josep")
    party_index_rebuild()
    assert party_search(user=admin_user, q="jose@nuevo.es")[0][0] == card
