"""Services of the interaction ledger: log, correct, link. The only way ledger rows are written.

``interaction_log`` validates the kind's payload, is idempotent by (source, external_id), records a
correction as a new version when a known external record comes back changed, and refreshes the
customer's key figures in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.models import SourceKind, SourceSystem
from clientela.core.permissions import in_scope, scope_q, user_scope
from clientela.interactions.choices import DEFAULT_CHANNEL, DEFAULT_DIRECTION, Channel, Direction, Kind
from clientela.interactions.models import Interaction
from clientela.interactions.payloads import dump_payload, parse_payload
from clientela.interactions.selectors import current_records
from clientela.interactions.stats import party_stats_refresh
from clientela.parties.choices import PartyKind
from clientela.parties.models import Party, Relationship

# Kinds that may be dated in the future (a meeting being scheduled); everything else already happened.
FUTURE_ALLOWED = frozenset({Kind.MEETING})
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Logged:
    """Result of ``interaction_log``: the current row and what happened ("created", "unchanged", "corrected")."""

    interaction: Interaction
    outcome: str

    @property
    def created(self) -> bool:
        return self.outcome == "created"


# Choices.values builds a new list on every access; validation asks three times per interaction
KIND_VALUES = frozenset(Kind.values)
CHANNEL_VALUES = frozenset(Channel.values)
DIRECTION_VALUES = frozenset(Direction.values)


def source_get_or_create(slug: str, *, name: str = "", kind: str = SourceKind.OTHER) -> SourceSystem:
    """The source system registered as ``slug``; registered on first use."""
    source, _created = SourceSystem.objects.get_or_create(
        slug=slug, defaults={"name": name or slug, "kind": kind}
    )
    return source


def manual_source() -> SourceSystem:
    return source_get_or_create(SourceSystem.MANUAL_SLUG, name="Clientela", kind=SourceKind.MANUAL)


def may_log(user: Any, party: Party) -> bool:
    """Whether ``user`` may add ledger entries to ``party`` (the role's "interaction/add" scope)."""
    if user is None:
        return True
    if party.deleted_at is not None:
        return False
    scope = user_scope(user, "interaction", "add")
    return in_scope(user, scope, owner_id=party.owner_id, team_id=party.team_id)


def _when(value: Any, errors: dict[str, list[str]]) -> dt.datetime | None:
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            errors.setdefault("occurred_at", []).append(
                _("Enter a date and time like 2025-12-31T10:30:00+01:00.")
            )
            return None
        value = parsed
    if not isinstance(value, dt.datetime):
        errors.setdefault("occurred_at", []).append(_("Enter a date and time."))
        return None
    if timezone.is_naive(value):
        errors.setdefault("occurred_at", []).append(_("Give the time zone (for example +01:00 or Z)."))
        return None
    return value


def _validate(
    *,
    kind: str,
    occurred_at: Any,
    payload: Mapping[str, Any] | Any,
    channel: str | None,
    direction: str | None,
    external_id: str,
    organisation: Party | None,
    party: Party,
) -> tuple[dt.datetime, Any, str, str]:
    errors: dict[str, list[str]] = {}
    if kind not in KIND_VALUES:
        errors["kind"] = [_("Unknown kind of interaction.")]
        raise ValidationError(errors)
    when = _when(occurred_at, errors)
    if when is not None and kind not in FUTURE_ALLOWED and when > timezone.now() + CLOCK_SKEW:
        errors.setdefault("occurred_at", []).append(
            _("This kind of interaction cannot be dated in the future.")
        )
    parsed, payload_errors = parse_payload(kind, payload)
    errors.update(payload_errors)
    channel = channel or DEFAULT_CHANNEL.get(kind, Channel.OTHER)
    if channel not in CHANNEL_VALUES:
        errors.setdefault("channel", []).append(_("Unknown channel."))
    direction = direction or DEFAULT_DIRECTION.get(kind, Direction.INBOUND)
    if direction not in DIRECTION_VALUES:
        errors.setdefault("direction", []).append(_("Unknown direction."))
    if len(external_id) > 200:
        errors.setdefault("external_id", []).append(_("At most 200 characters."))
    if organisation is not None and organisation.kind != PartyKind.ORGANISATION:
        errors.setdefault("organisation", []).append(_("Choose an organisation."))
    elif party.kind == PartyKind.ORGANISATION and organisation is not None and organisation.pk != party.pk:
        errors.setdefault("organisation", []).append(
            _("An organisation's own interactions are filed under the organisation itself.")
        )
    if errors:
        raise ValidationError(errors)
    assert when is not None
    return when, parsed, channel, direction


def filed_under(party: Party, organisation: Party | None) -> Party | None:
    """The organisation whose timeline shows an interaction with ``party``.

    An organisation's own interactions are filed under itself; a person's under the organisation given,
    else their main current employer (so the organisation's page shows its people's activity as it
    happened, and one indexed read serves that page).
    """
    if party.kind == PartyKind.ORGANISATION:
        return party
    if organisation is not None:
        return organisation
    today = timezone.localdate()
    job = (
        Relationship.objects.filter(person_id=party.pk, organisation__deleted_at__isnull=True)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
        .select_related("organisation")
        .order_by("-is_primary", "id")
        .first()
    )
    return job.organisation if job else None


_NO_EMPLOYER_LOOKUP = object()


def interaction_fields(
    *,
    actor: Actor,
    party: Party,
    kind: str,
    occurred_at: dt.datetime | str,
    payload: Mapping[str, Any],
    channel: str | None = None,
    direction: str | None = None,
    user: User | None = None,
    organisation: Party | None = None,
    source: SourceSystem,
    external_id: str = "",
    filed: Party | object | None = _NO_EMPLOYER_LOOKUP,
) -> dict[str, Any]:
    """Validate one interaction and return the field values of its ledger row (nothing is written).

    ``interaction_log`` writes one such row; bulk loaders (imports) validate many with this and insert
    them together. ``filed`` is the organisation the row is filed under when the caller already knows
    it (from one query for many rows); otherwise it is looked up (``filed_under``).
    """
    when, parsed, channel, direction = _validate(
        kind=kind,
        occurred_at=occurred_at,
        payload=payload,
        channel=channel,
        direction=direction,
        external_id=external_id,
        organisation=organisation,
        party=party,
    )
    if filed is _NO_EMPLOYER_LOOKUP or organisation is not None or party.kind == PartyKind.ORGANISATION:
        filed = filed_under(party, organisation)
    amount, currency = parsed.money()
    return {
        "kind": kind,
        "occurred_at": when,
        "channel": channel,
        "direction": direction,
        "party": party,
        "organisation": filed,
        "user": user
        or (actor.user if kind not in (Kind.PURCHASE, Kind.INVOICE, Kind.PAYMENT, Kind.BALANCE) else None),
        "source": source,
        "external_id": external_id,
        "summary": parsed.summary()[:300],
        "payload": dump_payload(parsed),
        "amount": amount.quantize(Decimal("0.01")) if amount is not None else None,
        "currency": currency,
        "status": str(getattr(parsed, "status", "") or ""),
    }


@transaction.atomic
def interaction_log(
    *,
    actor: Actor,
    party: Party,
    kind: str,
    occurred_at: dt.datetime | str,
    payload: Mapping[str, Any],
    channel: str | None = None,
    direction: str | None = None,
    user: User | None = None,
    organisation: Party | None = None,
    source: SourceSystem | None = None,
    external_id: str = "",
    related: Sequence[Interaction] = (),
    refresh_stats: bool = True,
) -> Logged:
    """Record one interaction on ``party``'s timeline.

    Posting a record whose (source, external_id) is already in the ledger returns it unchanged when the
    content is the same, and records a correction (a new version superseding it) when it differs.
    """
    if actor.user is not None and not may_log(actor.user, party):
        raise NotPermitted()
    external_id = (external_id or "").strip()
    fields = interaction_fields(
        actor=actor,
        party=party,
        kind=kind,
        occurred_at=occurred_at,
        payload=payload,
        channel=channel,
        direction=direction,
        user=user,
        organisation=organisation,
        source=source or manual_source(),
        external_id=external_id,
    )
    organisation = fields["organisation"]
    source = fields["source"]
    previous = None
    if external_id:
        previous = current_records(source=source, external_ids=[external_id]).select_for_update().first()
    if previous is not None:
        if actor.user is not None and not may_log(actor.user, previous.party):
            # a source id already on a customer outside the actor's scope must not be pulled over
            raise ValidationError(
                {"external_id": [_("This source's record with this id belongs to another customer.")]}
            )
        if _same(previous, fields):
            return Logged(previous, "unchanged")
        previous.is_current = False
        previous.save(update_fields=["is_current"])
        fields["supersedes"] = previous
    row = Interaction.objects.create(**fields, created_by=actor.user)
    if related:
        row.related.set(related)
    if refresh_stats:
        touched = {party.pk, *(p for p in (organisation and organisation.pk,) if p)}
        if previous is not None:
            touched |= {previous.party_id, *(p for p in (previous.organisation_id,) if p)}
        party_stats_refresh(touched)
    return Logged(row, "corrected" if previous is not None else "created")


def _same(row: Interaction, fields: Mapping[str, Any]) -> bool:
    """Whether a re-posted record carries the same content as the stored version."""
    for name in ("kind", "occurred_at", "channel", "direction", "summary", "payload", "currency", "status"):
        if getattr(row, name) != fields[name]:
            return False
    if (row.amount is None) != (fields["amount"] is None) or (
        row.amount is not None and row.amount != fields["amount"]
    ):
        return False
    party = fields["party"]
    org = fields["organisation"]
    return row.party_id == party.pk and row.organisation_id == (org.pk if org else None)


@transaction.atomic
def interaction_correct(
    *, actor: Actor, interaction: Interaction, payload: Mapping[str, Any] | None = None, **changes: Any
) -> Interaction:
    """Correct an interaction: a new version supersedes it (the old one stays in the ledger)."""
    old = (
        Interaction.objects.select_for_update(of=("self",))
        .select_related("party", "organisation", "source")
        .get(pk=interaction.pk)
    )
    if not old.is_current:
        raise ValidationError(
            {"__all__": [_("Only the current version of an interaction can be corrected.")]}
        )
    if actor.user is not None:
        scope = user_scope(actor.user, "interaction", "change")
        q = scope_q(actor.user, scope, owner_path="owner", team_path="team")
        if q is None or not Party.objects.filter(q, pk=old.party_id).exists():
            raise NotPermitted()
    allowed = {"occurred_at", "channel", "direction", "user", "organisation"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    when, parsed, channel, direction = _validate(
        kind=old.kind,
        occurred_at=changes.get("occurred_at", old.occurred_at),
        payload=payload if payload is not None else old.payload,
        channel=changes.get("channel", old.channel),
        direction=changes.get("direction", old.direction),
        external_id=old.external_id,
        organisation=changes.get("organisation", old.organisation),
        party=old.party,
    )
    amount, currency = parsed.money()
    organisation = filed_under(old.party, changes.get("organisation", old.organisation))
    old.is_current = False
    old.save(update_fields=["is_current"])
    new = Interaction.objects.create(
        kind=old.kind,
        occurred_at=when,
        channel=channel,
        direction=direction,
        party=old.party,
        organisation=organisation,
        user=changes.get("user", old.user),
        source=old.source,
        external_id=old.external_id,
        summary=parsed.summary()[:300],
        payload=dump_payload(parsed),
        amount=amount.quantize(Decimal("0.01")) if amount is not None else None,
        currency=currency,
        status=str(getattr(parsed, "status", "") or ""),
        supersedes=old,
        created_by=actor.user,
    )
    new.related.set(old.related.all())
    party_stats_refresh({old.party_id, *(p for p in (old.organisation_id, new.organisation_id) if p)})
    return new


def _kind_logger(kind: str, doc: str) -> Any:
    def log(*, actor: Actor, party: Party, occurred_at: dt.datetime | str, **fields: Any) -> Logged:
        common = {k: fields.pop(k) for k in list(fields) if k in _COMMON}
        return interaction_log(
            actor=actor, party=party, kind=kind, occurred_at=occurred_at, payload=fields, **common
        )

    log.__name__ = f"interaction_log_{kind}"
    log.__doc__ = doc
    return log


_COMMON = {
    "channel",
    "direction",
    "user",
    "organisation",
    "source",
    "external_id",
    "related",
    "refresh_stats",
}

interaction_log_email = _kind_logger(
    Kind.EMAIL, "Log an email (from, to, cc, subject, body, message id, thread)."
)
interaction_log_call = _kind_logger(Kind.CALL, "Log a call (phone number, duration, outcome, summary).")
interaction_log_meeting = _kind_logger(
    Kind.MEETING, "Log a meeting (place/link, attendees, objective, conclusion)."
)
interaction_log_note = _kind_logger(Kind.NOTE, "Log an internal note.")
interaction_log_complaint = _kind_logger(
    Kind.COMPLAINT, "Log a complaint (subject, severity, product, status)."
)
interaction_log_return = _kind_logger(
    Kind.RETURN, "Log a return (reference, lines, reason, refund and currency)."
)
interaction_log_suggestion = _kind_logger(Kind.SUGGESTION, "Log a suggestion (topic, text, area).")
interaction_log_purchase = _kind_logger(
    Kind.PURCHASE, "Log a purchase/order (document, lines, total, currency)."
)
interaction_log_invoice = _kind_logger(Kind.INVOICE, "Log an invoice (document, total, currency, due date).")
interaction_log_payment = _kind_logger(Kind.PAYMENT, "Log a payment (amount, currency, method, invoice).")
interaction_log_balance = _kind_logger(Kind.BALANCE, "Log an outstanding balance statement.")
interaction_log_social = _kind_logger(Kind.SOCIAL, "Log a social message (network, handle, text, link).")
