"""Services for leads: capture (by hand, API, import or the public web form), qualify, and convert into a
customer plus an opportunity in one step.

Conversion first looks for the customer the lead already is: the identity engine's likely matches when
its check is available, else an exact match on the normalised email or phone. The caller may name the
customer to attach to (``party``), ask for a new one, or get the candidates back (``LeadMatchesFound``)
to choose. The lead stays, pointing at what it became, with its history in the change log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.selectors import first_team_id
from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.events import publish
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, Scope, can, can_assign, user_scope
from clientela.identity.check import matches_for_data
from clientela.parties.models import ContactPoint, Party
from clientela.parties.normalize import normalize_email, normalize_phone
from clientela.parties.validation import Errors, unknown_fields
from clientela.sales.choices import LeadOrigin, LeadStatus
from clientela.sales.models import Lead, Opportunity
from clientela.sales.validation import coerce, model_checks

LEAD_FIELDS = (
    "given_names",
    "family_names",
    "email",
    "phone",
    "company",
    "job_title",
    "country",
    "interest",
    "notes",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "owner",
    "team",
)
QUALIFY_FIELDS = ("status", "score", "qualification_reason")
LOGGED = (*LEAD_FIELDS, *QUALIFY_FIELDS, "origin", "converted_party", "converted_opportunity")


class LeadMatchesFound(Exception):
    """Converting would create a customer that probably exists already; ``matches`` are the candidates
    (party id, name, probability) for the caller to choose from."""

    def __init__(self, matches: list[dict[str, Any]]) -> None:
        super().__init__(_("This lead may already be a customer."))
        self.matches = matches


def _clean(lead: Lead, errors: Errors) -> None:
    if lead.email:
        try:
            lead.email, _key = normalize_email(lead.email)
        except ValueError as exc:
            errors.add("email", str(exc))
    if lead.phone:
        try:
            lead.phone = normalize_phone(lead.phone, lead.country or settings.CLIENTELA_DEFAULT_REGION).e164
        except ValueError as exc:
            errors.add("phone", str(exc))
    if lead.country:
        lead.country = lead.country.upper()
    if not any((lead.given_names, lead.family_names, lead.company, lead.email, lead.phone)):
        errors.add("__all__", _("Give at least a name, a company, an email or a phone."))
    model_checks(lead, errors, exclude=("converted_party", "converted_opportunity"))


@transaction.atomic
def lead_create(
    *,
    actor: Actor,
    data: Mapping[str, Any],
    origin: str = LeadOrigin.MANUAL,
    raw: Mapping[str, Any] | None = None,
) -> Lead:
    """Capture a lead. Web-form leads (no user) are unassigned until someone takes them."""
    if actor.user is not None and user_scope(actor.user, "lead", Action.ADD) == Scope.NONE:
        raise NotPermitted()
    errors = Errors()
    unknown_fields(data, LEAD_FIELDS, errors)
    lead = Lead(origin=origin, created_by=actor.user, raw=dict(raw or {}))
    coerce(lead, data, LEAD_FIELDS, errors)
    if "owner" not in data and actor.user is not None:
        lead.owner_id = actor.user.pk
    if "team" not in data and lead.owner_id is not None and "owner" not in errors.by_path:
        # as opportunities do: the owner's team, so that teammates (team scope) see the lead too
        lead.team_id = first_team_id(lead.owner_id)
    _clean(lead, errors)
    if actor.user is not None and not can_assign(
        actor.user, Action.ADD, "lead", owner_id=lead.owner_id, team_id=lead.team_id
    ):
        errors.add("owner", _("You cannot give this lead to a user or team outside your scope."))
    errors.raise_if_any()
    lead.save()
    record_snapshot(
        actor=actor, obj=lead, aggregate=lead, action=ChangeAction.CREATE, snapshot=field_values(lead, LOGGED)
    )
    publish("lead.created", lambda: lead_event_data(lead))
    return lead


def lead_event_data(lead: Lead) -> dict[str, Any]:
    """The stable webhook payload of a lead."""
    return {
        "id": lead.pk,
        "status": lead.status,
        "origin": lead.origin,
        "given_names": lead.given_names,
        "family_names": lead.family_names,
        "email": lead.email,
        "phone": lead.phone,
        "company": lead.company,
        "interest": lead.interest,
        "utm": {k: getattr(lead, f"utm_{k}") for k in ("source", "medium", "campaign", "term", "content")},
        "score": lead.score,
        "converted_party_id": lead.converted_party_id,
        "converted_opportunity_id": lead.converted_opportunity_id,
    }


def _lock(lead: Lead, actor: Actor) -> Lead:
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if actor.user is not None and not can(actor.user, Action.CHANGE, lead):
        raise NotPermitted()
    return lead


@transaction.atomic
def lead_update(
    *, actor: Actor, lead: Lead, data: Mapping[str, Any], expected_version: int | None = None
) -> Lead:
    """Change a lead's details or qualify it (status, score 0-100, reason). A converted lead is final.
    With ``expected_version`` (the version the caller read), a lead changed meanwhile is a conflict."""
    lead = _lock(lead, actor)
    if expected_version is not None and expected_version != lead.version:
        raise ConcurrencyConflict(expected=expected_version, current=lead.version)
    errors = Errors()
    unknown_fields(data, (*LEAD_FIELDS, *QUALIFY_FIELDS), errors)
    if lead.status == LeadStatus.CONVERTED:
        raise NotPermitted(_("This lead was converted; change the customer or the opportunity instead."))
    before = field_values(lead, LOGGED)
    coerce(lead, data, (*LEAD_FIELDS, *QUALIFY_FIELDS), errors)
    if lead.status == LeadStatus.CONVERTED:
        errors.add("status", _("Use “Convert” to turn a lead into a customer."))
    if lead.status == LeadStatus.DISQUALIFIED and not lead.qualification_reason:
        errors.add("qualification_reason", _("Say why the lead is disqualified."))
    _clean(lead, errors)
    reassigned = ("owner" in data or "team" in data) and actor.user is not None
    if reassigned and not can_assign(
        actor.user, Action.CHANGE, "lead", owner_id=lead.owner_id, team_id=lead.team_id
    ):
        errors.add("owner", _("You cannot give this lead to a user or team outside your scope."))
    errors.raise_if_any()
    lead.version += 1
    lead.save(update_fields=[*_columns(data), "version", "updated_at"])
    record_update(actor=actor, obj=lead, aggregate=lead, before=before, after=field_values(lead, LOGGED))
    return lead


def _columns(data: Mapping[str, Any]) -> list[str]:
    """The columns an update may have changed: those sent, plus the ones ``_clean`` rewrites."""
    names = {name for name in (*LEAD_FIELDS, *QUALIFY_FIELDS) if name in data}
    names |= {"email", "phone", "country"}
    return [getattr(Lead._meta.get_field(name), "attname", name) for name in sorted(names)]


def _prefixed(exc: ValidationError, prefix: str) -> ValidationError:
    """A service's field errors under ``prefix`` ("opportunity.amount"), so the caller knows which part
    of a conversion they belong to."""
    errors = Errors()
    errors.merge(exc, prefix=f"{prefix}.")
    return ValidationError({k: list(v) for k, v in errors.by_path.items()})


def lead_party_data(lead: Lead) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The customer a lead would become: a person when it names one, else its company."""
    contacts: list[dict[str, Any]] = []
    if lead.email:
        contacts.append({"kind": "email", "value": lead.email})
    if lead.phone:
        mobile = normalize_phone(lead.phone, lead.country or settings.CLIENTELA_DEFAULT_REGION).is_mobile
        contacts.append({"kind": "landline" if mobile is False else "mobile", "value": lead.phone})
    if lead.given_names or lead.family_names:
        family = lead.family_names.split(maxsplit=1)
        data: dict[str, Any] = {
            "kind": "person",
            "given_names": lead.given_names or lead.family_names,
            "family_name_1": family[0] if family and lead.given_names else "",
            "family_name_2": family[1] if len(family) > 1 and lead.given_names else "",
        }
    else:
        data = {"kind": "organisation", "legal_name": lead.company or lead.email or lead.phone}
    data["status"] = "prospect"
    if lead.country:
        data["country"] = lead.country
    return data, contacts


def lead_matches(*, user: Any, lead: Lead, limit: int = 5) -> list[dict[str, Any]]:
    """Existing customers the lead may be: the identity check's likely matches, else exact email/phone."""
    data, contacts = lead_party_data(lead)
    found = matches_for_data(user=user, data=data, contacts=contacts, limit=limit)
    if found:
        return [
            {
                "party_id": m.party_id,
                "display_name": m.display_name,
                "probability": round(m.probability, 4),
            }
            for m in found
        ]
    keys = [_key for _value, _key in (normalize_email(lead.email),)] if lead.email else []
    if lead.phone:
        keys.append(lead.phone)
    if not keys:
        return []
    party_ids = ContactPoint.objects.filter(normalized__in=keys, deleted_at__isnull=True).values_list(
        "party_id", flat=True
    )
    parties = Party.objects.restrict(user, Action.VIEW).filter(pk__in=party_ids)[:limit]
    return [{"party_id": p.pk, "display_name": p.display_name, "probability": 1.0} for p in parties]


@transaction.atomic
def lead_convert(
    *,
    actor: Actor,
    lead: Lead,
    party: Party | None = None,
    create_party: bool = False,
    opportunity: Mapping[str, Any] | None = None,
) -> tuple[Party, Opportunity | None]:
    """Turn a lead into a customer (an existing ``party``, or a new one) and, unless ``opportunity`` is
    None, an opportunity with the given fields (name defaults to the lead's interest). Without ``party``
    and without ``create_party``, likely existing customers raise ``LeadMatchesFound``. All or nothing."""
    from clientela.parties.services import party_create
    from clientela.sales.services import opportunity_create

    lead = _lock(lead, actor)
    if lead.status == LeadStatus.CONVERTED:
        raise NotPermitted(_("This lead was already converted."))
    if party is not None:
        if (
            actor.user is not None
            and not Party.objects.filter(pk=party.pk).restrict(actor.user, Action.VIEW).exists()
        ):
            raise NotPermitted()
    elif not create_party:
        matches = lead_matches(user=actor.user, lead=lead)
        if matches:
            raise LeadMatchesFound(matches)
    before = field_values(lead, LOGGED)
    if party is None:
        data, contacts = lead_party_data(lead)
        if lead.owner_id is not None:
            data["owner"] = lead.owner_id
        if lead.team_id is not None:
            data["team"] = lead.team_id
        try:
            party = party_create(actor=actor, data=data, contact_points=contacts)
        except ValidationError as exc:
            raise _prefixed(exc, "customer") from exc
    opp = None
    if opportunity is not None:
        opp_data = {"name": lead.interest or str(lead), **opportunity, "party": party.pk}
        try:
            opp = opportunity_create(actor=actor, data=opp_data)
        except ValidationError as exc:
            raise _prefixed(exc, "opportunity") from exc
    lead.status = LeadStatus.CONVERTED
    lead.converted_party = party
    lead.converted_opportunity = opp
    lead.converted_at = timezone.now()
    lead.version += 1
    lead.save(
        update_fields=[
            "status",
            "converted_party",
            "converted_opportunity",
            "converted_at",
            "version",
            "updated_at",
        ]
    )
    record_update(actor=actor, obj=lead, aggregate=lead, before=before, after=field_values(lead, LOGGED))
    publish("lead.converted", lambda: lead_event_data(lead))
    return party, opp
