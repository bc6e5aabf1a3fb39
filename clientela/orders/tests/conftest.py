"""Fixtures of the quotes and orders tests: a small catalogue with EUR prices and a customer with an email."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.products.models import PriceList, PriceListItem, Product
from clientela.testing.factories import make_person


@pytest.fixture
def catalog(db):
    """Two products (IVA 21% and 10%) priced in a EUR list valid from 2020 with no end."""
    laptop = Product.objects.create(code="LAP", name="Portátil", tax_rate=Decimal("21"), unit="unit")
    book = Product.objects.create(code="BOOK", name="Libro", tax_rate=Decimal("10"), unit="unit")
    unpriced = Product.objects.create(code="NOPE", name="Sin precio", tax_rate=Decimal("21"))
    eur = PriceList.objects.create(name="Tarifa 2020", currency="EUR", valid_from=dt.date(2020, 1, 1))
    PriceListItem.objects.create(price_list=eur, product=laptop, unit_price=Decimal("999.99"))
    PriceListItem.objects.create(price_list=eur, product=book, unit_price=Decimal("19.95"))
    return {"laptop": laptop, "book": book, "unpriced": unpriced, "eur": eur}


@pytest.fixture
def customer(users, team_a):
    """A customer of the team A sales rep, with an email address."""
    return make_person(
        users["sales_rep"],
        team=team_a.pk,
        given_names="Lucía",
        contact_points=[{"kind": "email", "value": "lucia@cliente.example", "is_primary": True}],
    )
