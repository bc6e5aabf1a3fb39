"""Quote services: creation with priced lines, all-or-nothing validation, versions, sending, decisions, expiry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from clientela.core.exceptions import NotPermitted
from clientela.core.models import ObjectChange
from clientela.interactions.models import Interaction
from clientela.orders.choices import QuoteStatus
from clientela.orders.models import DocumentSequence, Quote, QuoteLine
from clientela.orders.pdf import quote_html, quote_pdf
from clientela.orders.services import (
    quote_accept,
    quote_create,
    quote_new_version,
    quote_reject,
    quote_send,
    quote_update,
    quotes_expire,
)
from clientela.orders.tasks import quotes_expire_task
from clientela.testing.factories import actor_for

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Quote.objects.count(),
        QuoteLine.objects.count(),
        ObjectChange.objects.count(),
        Interaction.objects.count(),
        DocumentSequence.objects.filter(last__gt=0).count(),
    )


def make_quote(user, customer, catalog, **data):
    lines = data.pop("lines", None) or [
        {"product": catalog["laptop"].pk, "quantity": "2", "discount_percent": "10"},
        {"product": catalog["book"].pk, "quantity": "3"},
    ]
    return quote_create(actor=actor_for(user), data={"party": customer, **data}, lines=lines)


def test_create_prices_lines_from_the_price_list_and_numbers_per_year(users, customer, catalog):
    quote = make_quote(users["sales_rep"], customer, catalog)
    year = timezone.localdate().year
    assert quote.number == f"Q-{year}-00001"
    assert quote.owner == users["sales_rep"] and quote.team_id is not None
    lines = list(quote.lines.order_by("position"))
    assert [line.unit_price for line in lines] == [D("999.99"), D("19.95")]
    assert [line.tax_rate for line in lines] == [D("21"), D("10")]
    assert lines[0].net == D("1799.98")  # 2 × 999.99 less 10% = 1799.982
    assert quote.subtotal == D("2059.83")  # 1999.98 + 59.85
    assert quote.discount_total == D("200.00")
    # 21% of 1799.98 = 377.9958 -> 378.00; 10% of 59.85 = 5.985 -> 5.99
    assert quote.tax_total == D("383.99")
    assert quote.total == D("2243.82")
    second = make_quote(users["sales_rep"], customer, catalog)
    assert second.number == f"Q-{year}-00002"
    assert ObjectChange.objects.filter(object_id=quote.pk, action="create").exists()


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ({"description": "x", "quantity": "-1", "unit_price": "5"}, "lines.1.quantity"),
        ({"description": "x", "quantity": "0", "unit_price": "5"}, "lines.1.quantity"),
        (
            {"description": "x", "quantity": "1", "unit_price": "5", "discount_percent": "150"},
            "lines.1.discount_percent",
        ),
        ({"description": "x", "quantity": "1", "unit_price": "-5"}, "lines.1.unit_price"),
        ({"description": "x", "quantity": "abc", "unit_price": "5"}, "lines.1.quantity"),
        ({"product": "NOPE", "quantity": "1"}, "lines.1.product"),
        ({"quantity": "1"}, "lines.1.description"),
    ],
)
def test_bad_lines_write_nothing_and_name_the_line(users, customer, catalog, line, path):
    if line.get("product") == "NOPE":
        line = {**line, "product": catalog["unpriced"].pk}
    before = _counts()
    good = {"product": catalog["book"].pk, "quantity": "1"}
    with pytest.raises(ValidationError) as exc:
        quote_create(actor=actor_for(users["sales_rep"]), data={"party": customer}, lines=[good, line])
    assert path in exc.value.message_dict, exc.value.message_dict
    assert _counts() == before


def test_no_price_list_in_the_currency_is_a_clear_line_error(users, customer, catalog):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        quote_create(
            actor=actor_for(users["sales_rep"]),
            data={"party": customer, "currency": "USD"},
            lines=[
                {"description": "libre", "quantity": 1, "unit_price": "3"},
                {"product": catalog["laptop"].pk},
            ],
        )
    message = exc.value.message_dict["lines.1.product"][0]
    assert "USD" in message and "No price list" in message
    assert "lines.0.product" not in exc.value.message_dict
    assert _counts() == before


def test_bad_header_writes_nothing(users, customer, catalog):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        make_quote(users["sales_rep"], customer, catalog, currency="XXZ", valid_until="mañana", language="fr")
    assert {"currency", "valid_until", "language"} <= set(exc.value.message_dict)
    assert _counts() == before


def test_cannot_create_for_another_owner_outside_the_scope(users, customer, catalog):
    with pytest.raises(NotPermitted):
        make_quote(users["sales_rep"], customer, catalog, owner=users["sales_rep_b"])
    with pytest.raises(NotPermitted):
        make_quote(users["read_only"], customer, catalog)
    assert Quote.objects.count() == 0


def test_draft_changes_in_place_and_sent_gets_a_new_version(users, customer, catalog):
    actor = actor_for(users["sales_rep"])
    quote = make_quote(users["sales_rep"], customer, catalog)
    same = quote_update(
        actor=actor,
        quote=quote,
        data={"notes": "Entrega en 2 semanas"},
        lines=[{"product": catalog["book"].pk, "quantity": "1"}],
        expected_version=quote.version,
    )
    assert same.pk == quote.pk and same.total == D("21.95") and same.lines.count() == 1
    assert ObjectChange.objects.filter(object_id=quote.pk, field="lines").exists()
    quote_send(actor=actor, quote=same)
    v2 = quote_update(actor=actor, quote=same, data={"notes": "Precio revisado"})
    assert v2.pk != same.pk and v2.revision == 2 and v2.number == same.number and v2.supersedes_id == same.pk
    assert v2.status == QuoteStatus.DRAFT and v2.notes == "Precio revisado" and v2.lines.count() == 1
    same.refresh_from_db()
    assert (
        same.is_current is False and same.status == QuoteStatus.SENT and same.notes == "Entrega en 2 semanas"
    )
    with pytest.raises(ValidationError):  # the old version is read-only
        quote_update(actor=actor, quote=same, data={"notes": "otra"})
    with pytest.raises(ValidationError):
        quote_accept(actor=actor, quote=same)
    # a rejected quote can be offered again as a new version; an accepted one cannot
    quote_send(actor=actor, quote=v2)
    quote_reject(actor=actor, quote=v2)
    v3 = quote_new_version(actor=actor, quote=v2)
    assert v3.revision == 3 and str(v3) == f"{v3.number} v3"


def test_bad_update_of_a_sent_quote_creates_no_version(users, customer, catalog):
    actor = actor_for(users["sales_rep"])
    quote = quote_send(actor=actor, quote=make_quote(users["sales_rep"], customer, catalog))
    before = _counts()
    with pytest.raises(ValidationError):
        quote_update(
            actor=actor, quote=quote, data={}, lines=[{"description": "x", "quantity": "-2", "unit_price": 1}]
        )
    assert _counts() == before


def test_send_logs_an_outbound_email_and_mails_the_pdf(
    users, customer, catalog, mailoutbox, django_capture_on_commit_callbacks
):
    quote = make_quote(users["sales_rep"], customer, catalog, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        quote_send(actor=actor_for(users["sales_rep"]), quote=quote)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.sent_at is not None
    email = Interaction.objects.get(party=customer, kind="email")
    assert email.direction == "out" and quote.number in email.summary
    assert email.payload["to"] == ["lucia@cliente.example"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["lucia@cliente.example"] and quote.number in message.subject
    _name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and content[:4] == b"%PDF"
    with pytest.raises(ValidationError):  # only drafts are sent
        quote_send(actor=actor_for(users["sales_rep"]), quote=quote)


def test_send_without_an_email_address_is_refused(users, catalog, team_a, mailoutbox):
    from clientela.testing.factories import make_person

    mute = make_person(users["sales_rep"], team=team_a.pk, given_names="Sinemail")
    quote = make_quote(users["sales_rep"], mute, catalog)
    with pytest.raises(ValidationError) as exc:
        quote_send(actor=actor_for(users["sales_rep"]), quote=quote)
    assert "to" in exc.value.message_dict
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and not Interaction.objects.filter(kind="email").exists()
    assert mailoutbox == []


@pytest.mark.parametrize("language", ["es", "en"])
def test_pdf_in_both_languages(users, customer, catalog, language):
    quote = make_quote(users["sales_rep"], customer, catalog, language=language, terms="Pago a 30 días")
    data = quote_pdf(quote)
    assert data.startswith(b"%PDF")
    import io

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert quote.number in text
    html = quote_html(quote)
    if language == "es":
        assert "Presupuesto" in html or "Quote" in html  # Spanish catalogue merged later
        assert 'lang="es"' in html
    else:
        assert "Tax base at 21%" in html and "Tax at 10%" in html and "Valid until" in html
    assert "Pago a 30 días" in html


def test_accept_and_reject_only_sent_current_quotes(users, customer, catalog):
    actor = actor_for(users["sales_rep"])
    quote = make_quote(users["sales_rep"], customer, catalog)
    with pytest.raises(ValidationError):
        quote_accept(actor=actor, quote=quote)
    quote_send(actor=actor, quote=quote)
    accepted = quote_accept(actor=actor, quote=quote)
    assert accepted.status == QuoteStatus.ACCEPTED and accepted.decided_at is not None
    with pytest.raises(ValidationError):
        quote_reject(actor=actor, quote=accepted)
    with pytest.raises(ValidationError):
        quote_new_version(actor=actor, quote=accepted)


def test_expiry_service_and_task(users, customer, catalog, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    actor = actor_for(users["sales_rep"])
    old = quote_send(
        actor=actor,
        quote=make_quote(
            users["sales_rep"], customer, catalog, valid_until=timezone.localdate() + dt.timedelta(days=1)
        ),
    )
    fresh = quote_send(actor=actor, quote=make_quote(users["sales_rep"], customer, catalog))
    draft = make_quote(users["sales_rep"], customer, catalog, valid_until=timezone.localdate())
    later = timezone.localdate() + dt.timedelta(days=5)
    assert quotes_expire(actor=actor, today=later) == 1
    assert quotes_expire(actor=actor, today=later) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    draft.refresh_from_db()
    assert (old.status, fresh.status, draft.status) == ("expired", "sent", "draft")
    Quote.objects.filter(pk=fresh.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    result = quotes_expire_task.enqueue()
    assert result.return_value == 1
    fresh.refresh_from_db()
    assert fresh.status == "expired"
