"""End to end in Chromium: a quote with a bad line shows the error on that line, is fixed, saved and printed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from clientela.accounts.models import Role
from clientela.orders.models import Quote
from clientela.products.models import PriceList, PriceListItem, Product
from clientela.testing.browser import screenshot
from clientela.testing.factories import UserFactory, make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtin_roles"),
]


def test_quote_journey(live_server, page):
    user = UserFactory(username="quote.admin", role=Role.objects.get(slug="administrator"))
    customer = make_person(user, given_names="Olga", contact_points=[{"kind": "email", "value": "olga@x.es"}])
    book = Product.objects.create(code="BOOK", name="Libro", tax_rate=Decimal("10"))
    Product.objects.create(code="LAP", name="Portátil", tax_rate=Decimal("21"))
    eur = PriceList.objects.create(name="Tarifa", currency="EUR", valid_from=dt.date(2020, 1, 1))
    PriceListItem.objects.create(price_list=eur, product=book, unit_price=Decimal("19.95"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("quote.admin")
    page.get_by_label("Password").fill("pw-Clientela-1")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/quotes/new/?party={customer.pk}")
    page.locator("#id_lines-0-product").select_option(str(book.pk))
    page.locator("#id_lines-0-quantity").fill("3")
    page.locator("#id_lines-1-description").fill("Instalación")
    page.locator("#id_lines-1-quantity").fill("2")
    page.locator("#id_lines-1-unit_price").fill("40")
    page.locator("#id_lines-1-discount_percent").fill("150")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert page.get_by_text("Enter a discount between 0 and 100%.").first.is_visible()
    screenshot(page, "quote-form-error")
    page.locator("#id_lines-1-discount_percent").fill("10")
    page.locator("#id_lines-1-tax_rate").fill("21")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/quotes/*/")
    quote = Quote.objects.get()
    assert quote.total == Decimal("152.96")  # 59.85 + 5.99 (10%) + 72.00 + 15.12 (21%)
    assert page.get_by_text("Tax base at 10%").is_visible()
    screenshot(page, "quote-detail")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "quote-detail-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
