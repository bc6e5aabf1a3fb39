"""Quote services: create, change (a sent quote gets a new version), send by email, accept, reject, expire.

Each one locks the quote, checks the actor's "quote" scope, validates everything before writing, writes
the change log and publishes its domain event; emails leave only after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.models import Team, User
from clientela.accounts.selectors import first_team_id
from clientela.core.actor import Actor
from clientela.core.changes import record_snapshot, record_update
from clientela.core.events import publish
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, can, can_assign
from clientela.interactions.choices import Direction
from clientela.interactions.services import interaction_log, manual_source
from clientela.orders.choices import QuoteLanguage, QuoteStatus
from clientela.orders.events import quote_event
from clientela.orders.models import Quote, QuoteLine
from clientela.orders.numbering import next_number
from clientela.orders.services.common import (
    TOTAL_FIELDS,
    apply_totals,
    build_lines,
    party_visible,
    snapshot,
)
from clientela.orders.validation import check_organisation, clean_lines, currency_or_error, date_or_error
from clientela.parties.choices import ContactKind
from clientela.parties.models import ContactPoint
from clientela.parties.validation import Errors

HEADER_FIELDS = (
    "party",
    "organisation",
    "opportunity",
    "currency",
    "price_list",
    "valid_until",
    "language",
    "notes",
    "terms",
    "owner",
    "team",
)
LOGGED_FIELDS = (*HEADER_FIELDS, "status", "revision", *TOTAL_FIELDS)
DEFAULT_VALIDITY = dt.timedelta(days=30)


def _assign(actor: Actor, quote: Quote, data: Mapping[str, Any], errors: Errors) -> None:
    """Header values onto ``quote`` (FKs arrive as instances or None), with their errors."""
    for name in data:
        if name not in HEADER_FIELDS:
            errors.add(name, _("Unknown field."))
    for name in ("party", "organisation", "opportunity", "price_list", "owner", "team"):
        if name in data:
            setattr(quote, name, data[name])
    if "currency" in data:
        quote.currency = currency_or_error(data["currency"], errors)
    if "valid_until" in data:
        quote.valid_until = date_or_error(data["valid_until"], errors, "valid_until")  # type: ignore[assignment]
    if "language" in data:
        if data["language"] not in QuoteLanguage.values:
            errors.add(
                "language", _("Choose one of: %(choices)s.") % {"choices": ", ".join(QuoteLanguage.values)}
            )
        else:
            quote.language = data["language"]
    for name, limit in (("notes", 5000), ("terms", 10000)):
        if name in data:
            value = str(data[name] or "")
            if len(value) > limit:
                errors.add(name, _("Enter at most %(limit)s characters.") % {"limit": limit})
            setattr(quote, name, value)
    party_visible(actor, quote.party if quote.party_id else None, errors, "party", required=True)
    check_organisation(quote.organisation, errors)
    if (
        quote.opportunity_id
        and actor.user is not None
        and not can(actor.user, Action.VIEW, quote.opportunity)
    ):
        errors.add("opportunity", _("Unknown opportunity."))
    if quote.price_list is not None and quote.currency and quote.price_list.currency != quote.currency:
        errors.add(
            "price_list",
            _("Choose a price list in the quote's currency (%(currency)s).") % {"currency": quote.currency},
        )
    if quote.owner_id and not User.objects.filter(pk=quote.owner_id, is_active=True).exists():
        errors.add("owner", _("Choose an active user."))
    if quote.team_id and not Team.objects.filter(pk=quote.team_id).exists():
        errors.add("team", _("Choose an existing team."))


def _lock(quote: Quote) -> Quote:
    return (
        Quote.objects.select_for_update(of=("self",)).select_related("party", "price_list").get(pk=quote.pk)
    )


def _check(actor: Actor, action: str, quote: Quote) -> None:
    if actor.user is not None and not can(actor.user, action, quote):
        raise NotPermitted()


def _require_current(quote: Quote) -> None:
    if not quote.is_current:
        raise ValidationError(
            {"__all__": [_("This version was replaced by a newer one and can no longer change.")]}
        )


def _price_date(quote: Quote) -> dt.date:
    return timezone.localdate()


@transaction.atomic
def quote_create(*, actor: Actor, data: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> Quote:
    """Create a draft quote with its lines, numbered Q-<year>-<n>; any bad field or line writes nothing.

    Lines naming a product without a unit price are priced from the quote's price list, or else from the
    lists valid today in the quote's currency.
    """
    quote = Quote(
        status=QuoteStatus.DRAFT,
        created_by=actor.user,
        owner=actor.user,
        currency=settings.CLIENTELA_DEFAULT_CURRENCY,
        valid_until=timezone.localdate() + DEFAULT_VALIDITY,
    )
    errors = Errors()
    _assign(actor, quote, data, errors)
    if "team" not in data:
        quote.team_id = first_team_id(quote.owner_id)
    if actor.user is not None and not can_assign(
        actor.user, Action.ADD, "quote", owner_id=quote.owner_id, team_id=quote.team_id
    ):
        raise NotPermitted(_("You may not create quotes for this owner and team."))
    cleaned = clean_lines(
        lines, currency=quote.currency, on_date=_price_date(quote), price_list=quote.price_list, errors=errors
    )
    errors.raise_if_any()
    quote.number = next_number("Q")
    rows = build_lines(QuoteLine, "quote", quote, cleaned)
    apply_totals(quote, rows)
    quote.save()
    QuoteLine.objects.bulk_create(rows)
    record_snapshot(
        actor=actor,
        obj=quote,
        aggregate=quote,
        action=ChangeAction.CREATE,
        snapshot=snapshot(quote, LOGGED_FIELDS, rows),
    )
    publish("quote.created", lambda: quote_event(quote.pk))
    return quote


def _copy(actor: Actor, old: Quote) -> Quote:
    """The next revision of ``old`` as a draft with the same lines; ``old`` stops being current."""
    today = timezone.localdate()
    new = Quote(
        **{name: getattr(old, name) for name in (*HEADER_FIELDS, *TOTAL_FIELDS)},
        number=old.number,
        revision=old.revision + 1,
        supersedes=old,
        status=QuoteStatus.DRAFT,
        created_by=actor.user,
    )
    if new.valid_until < today:
        new.valid_until = today + DEFAULT_VALIDITY
    old.is_current = False
    old.version += 1
    old.save(update_fields=["is_current", "version", "updated_at"])
    new.save()
    old_lines = list(old.lines.all())
    copies = [
        QuoteLine(
            quote=new,
            **{
                f.name: getattr(line, f.name)
                for f in QuoteLine._meta.concrete_fields
                if f.name not in ("id", "quote")
            },
        )
        for line in old_lines
    ]
    QuoteLine.objects.bulk_create(copies)
    record_snapshot(
        actor=actor,
        obj=new,
        aggregate=new,
        action=ChangeAction.CREATE,
        snapshot={**snapshot(new, LOGGED_FIELDS, copies), "supersedes": old.pk},
    )
    publish("quote.created", lambda: quote_event(new.pk))
    return new


@transaction.atomic
def quote_new_version(*, actor: Actor, quote: Quote) -> Quote:
    """Start the next version of a sent, rejected or expired quote (a draft copy); the old one stays as it was."""
    quote = _lock(quote)
    _check(actor, Action.CHANGE, quote)
    _require_current(quote)
    if quote.status == QuoteStatus.DRAFT:
        raise ValidationError({"__all__": [_("A draft can be changed directly; it needs no new version.")]})
    if quote.status == QuoteStatus.ACCEPTED:
        raise ValidationError({"__all__": [_("An accepted quote cannot get a new version.")]})
    return _copy(actor, quote)


@transaction.atomic
def quote_update(
    *,
    actor: Actor,
    quote: Quote,
    data: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]] | None = None,
    expected_version: int | None = None,
) -> Quote:
    """Change a draft in place; changing a sent quote creates its next version (returned) and keeps the old.

    ``lines``, when given, replace every line. Accepted, rejected and expired quotes do not change.
    """
    quote = _lock(quote)
    _check(actor, Action.CHANGE, quote)
    if expected_version is not None and expected_version != quote.version:
        raise ConcurrencyConflict(expected=expected_version, current=quote.version)
    _require_current(quote)
    if quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        raise ValidationError({"__all__": [_("Only draft and sent quotes can be changed.")]})
    # validate against a copy first, so a sent quote with bad input does not get a new version
    errors = Errors()
    probe = Quote(**{name: getattr(quote, name) for name in HEADER_FIELDS})
    _assign(actor, probe, data, errors)
    if (
        ("owner" in data or "team" in data)
        and actor.user is not None
        and not can_assign(actor.user, Action.CHANGE, "quote", owner_id=probe.owner_id, team_id=probe.team_id)
    ):
        raise NotPermitted(_("You may not hand this quote to that owner and team."))
    cleaned = None
    if lines is not None:
        cleaned = clean_lines(
            lines,
            currency=probe.currency,
            on_date=_price_date(probe),
            price_list=probe.price_list,
            errors=errors,
        )
    elif "currency" in data and probe.currency != quote.currency:
        errors.add(
            "currency", _("Send the lines again when changing the currency, so they are priced in it.")
        )
    errors.raise_if_any()
    if quote.status == QuoteStatus.SENT:
        quote = _copy(actor, quote)
    old_lines = list(quote.lines.all())
    before = snapshot(quote, LOGGED_FIELDS, old_lines if cleaned is not None else None)
    _assign(actor, quote, data, Errors())
    rows = old_lines
    if cleaned is not None:
        quote.lines.all().delete()
        rows = build_lines(QuoteLine, "quote", quote, cleaned)
        apply_totals(quote, rows)
        QuoteLine.objects.bulk_create(rows)
    after = snapshot(quote, LOGGED_FIELDS, rows if cleaned is not None else None)
    if after != before:
        quote.version += 1
        quote.save(update_fields=[*HEADER_FIELDS, *TOTAL_FIELDS, "version", "updated_at"])
        record_update(actor=actor, obj=quote, aggregate=quote, before=before, after=after)
    return quote


def _recipients(quote: Quote, to: Sequence[str] | None, errors: Errors) -> list[str]:
    if to:
        out = [address.strip() for address in to if address.strip()]
    else:
        primary = (
            ContactPoint.objects.filter(
                party_id=quote.party_id, kind=ContactKind.EMAIL, deleted_at__isnull=True
            )
            .order_by("-is_primary", "id")
            .values_list("value", flat=True)
            .first()
        )
        out = [primary] if primary else []
    if not out:
        errors.add("to", _("The customer has no email address; enter one to send the quote."))
    for n, address in enumerate(out):
        try:
            validate_email(address)
        except ValidationError:
            errors.add(f"to.{n}" if to else "to", _("Enter a valid email address."))
    return out


@transaction.atomic
def quote_send(*, actor: Actor, quote: Quote, to: Sequence[str] | None = None, message: str = "") -> Quote:
    """Send a draft quote: email with the PDF attached (after commit), an outbound email on the customer's
    timeline, status "sent". ``to`` defaults to the customer's primary email address."""
    from clientela.orders.pdf import quote_pdf

    quote = _lock(quote)
    _check(actor, Action.CHANGE, quote)
    _require_current(quote)
    if quote.status != QuoteStatus.DRAFT:
        raise ValidationError({"__all__": [_("Only a draft quote can be sent.")]})
    if not quote.lines.exists():
        raise ValidationError({"lines": [_("Add at least one line.")]})
    errors = Errors()
    recipients = _recipients(quote, to, errors)
    if len(message) > 10000:
        errors.add("message", _("Enter at most %(limit)s characters.") % {"limit": 10000})
    errors.raise_if_any()
    before = snapshot(quote, ("status",), None)
    quote.status = QuoteStatus.SENT
    quote.sent_at = timezone.now()
    quote.version += 1
    quote.save(update_fields=["status", "sent_at", "version", "updated_at"])
    record_update(
        actor=actor, obj=quote, aggregate=quote, before=before, after=snapshot(quote, ("status",), None)
    )
    with translation.override(quote.language):
        subject = _("Quote %(number)s") % {"number": quote.label}
        body = message or _("Please find attached our quote %(number)s, valid until %(date)s.") % {
            "number": quote.label,
            "date": formats.date_format(quote.valid_until, "DATE_FORMAT"),
        }
    pdf = quote_pdf(quote)
    sender = getattr(actor.user, "email", "") or settings.DEFAULT_FROM_EMAIL
    interaction_log(
        actor=actor,
        party=quote.party,
        kind="email",
        occurred_at=quote.sent_at,
        payload={"from_address": sender, "to": recipients, "subject": subject, "body": body},
        direction=Direction.OUTBOUND,
        organisation=quote.organisation,
        source=manual_source(),
        external_id=f"quote:{quote.number}:v{quote.revision}",
    )
    filename = f"{quote.label.replace(' ', '-')}.pdf"

    def deliver() -> None:
        email = EmailMessage(subject=subject, body=body, from_email=sender, to=recipients)
        email.attach(filename, pdf, "application/pdf")
        email.send()

    transaction.on_commit(deliver)
    publish("quote.sent", lambda: quote_event(quote.pk))
    return quote


def _decide(actor: Actor, quote: Quote, status: str, event: str) -> Quote:
    quote = _lock(quote)
    _check(actor, Action.CHANGE, quote)
    _require_current(quote)
    if quote.status != QuoteStatus.SENT:
        raise ValidationError({"__all__": [_("Only a sent quote can be accepted or rejected.")]})
    if status == QuoteStatus.ACCEPTED and quote.valid_until < timezone.localdate():
        raise ValidationError({"__all__": [_("This quote is past its validity date; send a new version.")]})
    before = snapshot(quote, ("status",), None)
    quote.status = status
    quote.decided_at = timezone.now()
    quote.version += 1
    quote.save(update_fields=["status", "decided_at", "version", "updated_at"])
    record_update(
        actor=actor, obj=quote, aggregate=quote, before=before, after=snapshot(quote, ("status",), None)
    )
    publish(event, lambda: quote_event(quote.pk))
    return quote


@transaction.atomic
def quote_accept(*, actor: Actor, quote: Quote) -> Quote:
    """The customer accepted the sent quote (it can then become an order)."""
    return _decide(actor, quote, QuoteStatus.ACCEPTED, "quote.accepted")


@transaction.atomic
def quote_reject(*, actor: Actor, quote: Quote) -> Quote:
    """The customer turned the sent quote down (a new version may follow)."""
    return _decide(actor, quote, QuoteStatus.REJECTED, "quote.rejected")


@transaction.atomic
def quotes_expire(*, actor: Actor, today: dt.date | None = None) -> int:
    """Mark sent quotes past their validity date as expired; returns how many. Safe to run repeatedly."""
    today = today or timezone.localdate()
    due = list(
        Quote.objects.select_for_update()
        .filter(status=QuoteStatus.SENT, is_current=True, valid_until__lt=today)
        .order_by("pk")
    )
    for quote in due:
        before = snapshot(quote, ("status",), None)
        quote.status = QuoteStatus.EXPIRED
        quote.version += 1
        quote.save(update_fields=["status", "version", "updated_at"])
        record_update(
            actor=actor, obj=quote, aggregate=quote, before=before, after=snapshot(quote, ("status",), None)
        )
    return len(due)
