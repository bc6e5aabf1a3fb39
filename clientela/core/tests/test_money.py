"""``money`` writes exactly what Babel writes (it learns each locale's pattern once for speed)."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from django.urls import reverse
from django.utils import translation

from clientela.core.html import money
from clientela.web.templatetags.clientela import link


@pytest.mark.parametrize("language", ["es", "en", "es-mx", "fr", "de"])
def test_money_matches_babel(language):
    rng = random.Random(language)
    with translation.override(language):
        locale = language.replace("-", "_")
        for currency in ("EUR", "USD", "MXN", "JPY", "KWD"):
            for _ in range(300):
                scale = rng.choice([1e7, 2e4, 10])
                value = Decimal(rng.uniform(-scale, scale)).quantize(Decimal("0.001"))
                assert money(value, currency) == format_currency(value, currency, locale=locale), (
                    value,
                    currency,
                )
            assert money(Decimal("1234.5"), currency) == format_currency(
                Decimal("1234.5"), currency, locale=locale
            )
    assert money(None, "EUR") == "" and money("", "EUR") == ""


def test_link_with_integer_ids_matches_reverse():
    assert link("parties:detail", 42) == reverse("parties:detail", args=[42])
    assert link("parties:detail", 918273645) == reverse("parties:detail", args=[918273645])
    assert link("interactions:quick_log", 7, "call") == reverse("interactions:quick_log", args=[7, "call"])


def test_esc_escapes_every_value_as_itself():
    from clientela.core.html import esc

    # equal values of other types must not share an answer (1, 1.0 and True are equal in Python)
    assert [esc(1), esc(1.0), esc(True)] == ["1", "1.0", "True"]
    assert esc(["<a>"]) == "[&#x27;&lt;a&gt;&#x27;]"
    assert esc('"x" & y') == "&quot;x&quot; &amp; y"
