"""The generator's building blocks: phones, tax ids, folding and the bulk writer."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType
from stdnum.ar import cuit
from stdnum.co import nit
from stdnum.es import cif, dni
from stdnum.mx import rfc
from stdnum.us import ein

from clientela.core.bulk import TableWriter
from clientela.core.text import fold
from clientela.demo import taxids
from clientela.demo.data import COUNTRIES
from clientela.demo.phones import PhoneMaker
from clientela.demo.pools import build_pool, fast_fold, slug
from clientela.parties.models import ContactPoint, Tag


@pytest.mark.parametrize("country", COUNTRIES, ids=lambda c: c.code)
def test_phones_are_valid_numbers_of_the_wanted_type(country):
    maker = PhoneMaker(random.Random(11))
    for city in country.cities:
        for _ in range(25):
            for mobile in (True, False):
                phone = maker.mobile(country.code, city) if mobile else maker.landline(country.code, city)
                number = phonenumbers.parse(phone.e164, None)
                assert phonenumbers.is_valid_number(number), phone
                assert phonenumbers.region_code_for_number(number) == country.code
                kind = phonenumbers.number_type(number)
                if mobile:
                    assert kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
                else:
                    assert kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
                if not mobile and country.code != "US":
                    # Landlines carry the area code of their city.
                    national = str(number.national_number)
                    assert national.startswith(city.area_codes), (city.name, phone)


def test_spanish_mobiles_and_argentine_mobiles_follow_the_plan():
    maker = PhoneMaker(random.Random(5))
    spain = COUNTRIES[0]
    argentina = next(c for c in COUNTRIES if c.code == "AR")
    for _ in range(200):
        e164 = maker.mobile("ES", spain.cities[0]).e164
        assert e164.startswith(("+346", "+3471", "+3472", "+3473", "+3474")) and len(e164) == 12
        assert maker.mobile("AR", argentina.cities[0]).e164.startswith("+54911")


def test_tax_ids_are_valid():
    rng = random.Random(2)
    for _ in range(500):
        spanish = taxids.spanish_cif(rng, rng.choice("AB"))
        assert cif.is_valid(spanish) and spanish[0] in "AB"
        assert dni.is_valid(taxids.spanish_dni(rng))
        assert rfc.is_valid(taxids.mexican_company_rfc(rng, "CGL", "190305"), validate_check_digits=True)
        assert cuit.is_valid(taxids.argentine_cuit(rng))
        assert nit.is_valid(taxids.colombian_nit(rng))
        assert ein.is_valid(taxids.us_ein(rng))


@pytest.mark.parametrize(
    "text",
    [
        "José  Núñez",
        "Calle Mayor, 12, 3º B",
        "ÆØÅ Straße İzmir ﬁn",
        "  a\tb\n",
        "\uff26\uff55\uff4c\uff4c"  # full-width letters,
        "x\u0301\u0327y",
        "",
    ],
)
def test_fast_fold_is_fold(text):
    assert fast_fold(text) == fold(text)


def test_fast_fold_is_fold_on_every_pool_value():
    for country in COUNTRIES:
        pool = build_pool(country.locale, 1)
        for name in (*pool.male, *pool.female, *pool.surnames):
            assert name.folded == fold(name.text)
            assert name.slug.isascii() and name.slug.isalnum()
        for street in pool.streets:
            assert fast_fold(street) == fold(street)


def test_slug_keeps_ascii_letters_and_digits():
    assert slug("José Ñúñez-O'Brien 2") == "josenunezobrien2"


def test_pools_depend_on_the_seed():
    assert build_pool("es_ES", 1) == build_pool("es_ES", 1)
    assert build_pool("es_ES", 1).surnames != build_pool("es_ES", 2).surnames


@pytest.mark.django_db
def test_table_writer_returns_ids_in_row_order_on_a_non_empty_table():
    Tag.objects.create(key="old", name="Old")
    writer = TableWriter(Tag, ("key", "name"))
    writer.rows_per_statement = 2  # several statements per insert
    rows = [(f"k{i}", f"Tag {i}") for i in range(5)]
    ids = writer.insert(rows, returning=True)
    assert len(ids) == 5
    assert [Tag.objects.get(pk=pk).key for pk in ids] == [key for key, _name in rows]
    assert writer.insert([]) == []


def test_table_writer_refuses_to_leave_a_required_column_empty(db):
    with pytest.raises(ValueError, match="party"):
        TableWriter(ContactPoint, ("kind", "value"))
