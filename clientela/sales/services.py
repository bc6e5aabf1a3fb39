"""Services of the sales app for opportunities: create, change, move between stages, close as won or lost.

Each is keyword-only, runs in one transaction, checks the actor's scope, validates everything before
writing, writes the change log, keeps the board totals (``StageTotal``) current, records every stage
change with its time, puts the event on the customer's timeline and announces it to webhooks after
commit. Pipelines, stages and lost reasons are configured through ``clientela.sales.config``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.selectors import first_team_id
from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.events import publish
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, Scope, can, can_assign, user_scope
from clientela.interactions.services import interaction_log, manual_source
from clientela.parties.choices import PartyKind
from clientela.parties.validation import Errors, unknown_fields
from clientela.sales.choices import ForecastCategory, OpportunityStatus
from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage, StageChange
from clientela.sales.totals import contribution, totals_apply
from clientela.sales.validation import clean_currency, coerce, model_checks, visible_party

# What callers may set; stage changes go through ``opportunity_move`` (also reached from an update).
OPPORTUNITY_FIELDS = (
    "name",
    "party",
    "organisation",
    "pipeline",
    "stage",
    "amount",
    "currency",
    "probability",
    "forecast_category",
    "expected_close_date",
    "next_step",
    "description",
    "lost_reason",
    "lost_note",
    "owner",
    "team",
)
LOGGED_FIELDS = (*OPPORTUNITY_FIELDS, "status", "probability_overridden", "closed_at")


def opportunity_snapshot(opp: Opportunity) -> dict[str, Any]:
    return field_values(opp, LOGGED_FIELDS)


def event_data(opp: Opportunity) -> dict[str, Any]:
    """The stable webhook payload of an opportunity (documented in docs/integrations.md)."""
    return {
        "id": opp.pk,
        "name": opp.name,
        "party_id": opp.party_id,
        "organisation_id": opp.organisation_id,
        "pipeline_id": opp.pipeline_id,
        "stage_id": opp.stage_id,
        "stage": opp.stage.name,
        "status": opp.status,
        "amount": str(opp.amount),
        "currency": opp.currency,
        "probability": opp.probability,
        "forecast_category": opp.forecast_category,
        "expected_close_date": opp.expected_close_date.isoformat() if opp.expected_close_date else None,
        "owner_id": opp.owner_id,
        "team_id": opp.team_id,
        "lost_reason": opp.lost_reason.name if opp.lost_reason is not None else None,
        "closed_at": opp.closed_at.isoformat() if opp.closed_at else None,
        "version": opp.version,
    }


def _announce(event_type: str, pk: int) -> None:
    def build() -> dict[str, Any]:
        opp = Opportunity.objects.select_related("stage", "lost_reason").get(pk=pk)
        return event_data(opp)

    publish(event_type, build)


def _money(amount: Decimal, currency: str) -> str:
    return f"{formats.number_format(amount, 2, use_l10n=True, force_grouping=True)} {currency}"


def _timeline(actor: Actor, opp: Opportunity, label: str, text: str, when: dt.datetime) -> None:
    """Put a sales event on the customer's timeline, worded in the site's language (the ledger stores
    text); logged by the system on behalf of the actor, who is named as the person involved, because
    moving a deal must not depend on the actor's right to write the customer's ledger."""
    with translation.override(settings.LANGUAGE_CODE):
        interaction_log(
            actor=Actor(user=None, source=actor.source, request_id=actor.request_id, label=actor.display),
            party=opp.party,
            kind="other",
            occurred_at=when,
            payload={"label": label[:100], "text": text},
            user=actor.user,
            organisation=opp.organisation,
            source=manual_source(),
            refresh_stats=True,
        )


def _check_references(actor: Actor, opp: Opportunity, errors: Errors) -> None:
    from clientela.accounts.models import Team, User

    user = actor.user
    if opp.party_id is None and "party" not in errors.by_path:
        errors.add("party", _("Choose a customer."))
    elif "party" not in errors.by_path:
        party = visible_party(user, opp.party_id, errors, "party")
        if party is not None:
            opp.party = party
    if opp.organisation_id is not None and "organisation" not in errors.by_path:
        org = visible_party(user, opp.organisation_id, errors, "organisation")
        if org is not None and org.kind != PartyKind.ORGANISATION:
            errors.add("organisation", _("Choose an organisation."))
    pipeline = (
        Pipeline.objects.filter(pk=opp.pipeline_id, is_active=True).first() if opp.pipeline_id else None
    )
    if pipeline is None and "pipeline" not in errors.by_path:
        errors.add("pipeline", _("Choose an active pipeline."))
    stage = Stage.objects.filter(pk=opp.stage_id).first() if opp.stage_id else None
    if pipeline is not None and (stage is None or stage.pipeline_id != pipeline.pk):
        errors.add("stage", _("Choose a stage of this pipeline."))
    elif stage is not None:
        opp.stage = stage
    if opp.lost_reason_id is not None and not LostReason.objects.filter(pk=opp.lost_reason_id).exists():
        errors.add("lost_reason", _("Choose a reason from the list."))
    if opp.owner_id is not None and not User.objects.filter(pk=opp.owner_id, is_active=True).exists():
        errors.add("owner", _("Choose an active user."))
    if opp.team_id is not None and not Team.objects.filter(pk=opp.team_id).exists():
        errors.add("team", _("Choose an existing team."))


def _check_assign(actor: Actor, action: str, opp: Opportunity, errors: Errors) -> None:
    if actor.user is None:
        return
    if not can_assign(actor.user, action, "opportunity", owner_id=opp.owner_id, team_id=opp.team_id):
        errors.add("owner", _("You cannot give this opportunity to a user or team outside your scope."))


def _clean(actor: Actor, opp: Opportunity, data: Mapping[str, Any], errors: Errors) -> None:
    """Cross-field rules after the values are coerced."""
    if "currency" in data:
        opp.currency = clean_currency(data["currency"], errors)
    if not (opp.name or "").strip():
        errors.add("name", _("Give the opportunity a name."))
    if opp.amount is not None and opp.amount < 0:
        errors.add("amount", _("The amount cannot be negative."))
    if "probability" in data and data["probability"] not in (None, ""):
        opp.probability_overridden = True
    _check_references(actor, opp, errors)
    model_checks(opp, errors, exclude=("party", "organisation", "pipeline", "stage", "stage_entered_at"))


def _enter_stage(opp: Opportunity, stage: Stage, *, keep_probability: bool) -> None:
    """Status, probability and closing time that follow from the stage."""
    opp.stage = stage
    opp.status = stage.status
    if not keep_probability or stage.is_won or stage.is_lost:
        opp.probability = stage.probability
        opp.probability_overridden = keep_probability and not (stage.is_won or stage.is_lost)
    if opp.status == OpportunityStatus.OPEN:
        opp.closed_at = None
        if opp.forecast_category == ForecastCategory.CLOSED:
            opp.forecast_category = ForecastCategory.PIPELINE
        opp.lost_reason = None
        opp.lost_note = ""
    else:
        opp.closed_at = opp.closed_at or timezone.now()
        opp.forecast_category = ForecastCategory.CLOSED


def _stage_row(
    actor: Actor, opp: Opportunity, from_stage: Stage | None, seconds: int | None, when: dt.datetime
):
    return StageChange.objects.create(
        opportunity=opp,
        pipeline_id=opp.pipeline_id,
        from_stage=from_stage,
        to_stage=opp.stage,
        status=opp.status,
        changed_at=when,
        changed_by=actor.user,
        seconds_in_from_stage=seconds,
        amount=opp.amount,
        currency=opp.currency,
        probability=opp.probability,
    )


@transaction.atomic
def opportunity_create(*, actor: Actor, data: Mapping[str, Any]) -> Opportunity:
    """Create an opportunity; stage defaults to the pipeline's first, probability to the stage's."""
    errors = Errors()
    unknown_fields(data, OPPORTUNITY_FIELDS, errors)
    if actor.user is not None and user_scope(actor.user, "opportunity", Action.ADD) == Scope.NONE:
        raise NotPermitted()
    opp = Opportunity(created_by=actor.user)
    coerce(opp, data, OPPORTUNITY_FIELDS, errors)
    if opp.pipeline_id is None and "pipeline" not in errors.by_path:
        opp.pipeline_id = (
            Pipeline.objects.filter(is_default=True, is_active=True).values_list("pk", flat=True).first()
        )
    if opp.stage_id is None and opp.pipeline_id is not None:
        opp.stage_id = (
            Stage.objects.filter(pipeline_id=opp.pipeline_id, is_active=True, is_won=False, is_lost=False)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
            .first()
        )
    if "currency" not in data and opp.pipeline_id is not None:
        opp.currency = (
            Pipeline.objects.filter(pk=opp.pipeline_id).values_list("currency", flat=True).first() or "EUR"
        )
    if "owner" not in data and actor.user is not None:
        opp.owner_id = actor.user.pk
    if "team" not in data:
        opp.team_id = first_team_id(opp.owner_id)
    _clean(actor, opp, data, errors)
    _check_assign(actor, Action.ADD, opp, errors)
    if not errors and opp.stage.is_lost and opp.lost_reason_id is None:
        errors.add("lost_reason", _("Say why the opportunity was lost."))
    errors.raise_if_any()
    now = timezone.now()
    _enter_stage(opp, opp.stage, keep_probability=opp.probability_overridden)
    opp.stage_entered_at = now
    opp.save()
    _stage_row(actor, opp, None, None, now)
    totals_apply(None, contribution(opp))
    record_snapshot(
        actor=actor,
        obj=opp,
        aggregate=opp.party,
        action=ChangeAction.CREATE,
        snapshot=opportunity_snapshot(opp),
    )
    _timeline(
        actor,
        opp,
        _("Opportunity opened: %(name)s") % {"name": opp.name},
        _("%(amount)s, stage %(stage)s (%(probability)s%%).")
        % {
            "amount": _money(opp.amount, opp.currency),
            "stage": opp.stage.name,
            "probability": opp.probability,
        },
        now,
    )
    _announce("opportunity.created", opp.pk)
    return opp


def _lock(opp: Opportunity) -> Opportunity:
    return Opportunity.objects.select_for_update().select_related("stage", "party").get(pk=opp.pk)


def _guard(actor: Actor, opp: Opportunity, expected_version: int | None) -> None:
    if actor.user is not None and not can(actor.user, Action.CHANGE, opp):
        raise NotPermitted()
    if expected_version is not None and expected_version != opp.version:
        raise ConcurrencyConflict(expected=expected_version, current=opp.version)


@transaction.atomic
def opportunity_update(
    *, actor: Actor, opportunity: Opportunity, data: Mapping[str, Any], expected_version: int | None = None
) -> Opportunity:
    """Change the given fields; a new stage is a move (recorded with its time), a new pipeline needs a
    stage of that pipeline. Clearing ``probability`` (None) makes it follow the stage again."""
    opp = _lock(opportunity)
    _guard(actor, opp, expected_version)
    errors = Errors()
    unknown_fields(data, OPPORTUNITY_FIELDS, errors)
    before = opportunity_snapshot(opp)
    before_totals = contribution(opp)
    old_stage = opp.stage
    coerce(opp, data, OPPORTUNITY_FIELDS, errors)
    if "probability" in data and data["probability"] in (None, ""):
        opp.probability_overridden = False
        opp.probability = old_stage.probability
    _clean(actor, opp, data, errors)
    if "owner" in data or "team" in data:
        _check_assign(actor, Action.CHANGE, opp, errors)
    moved = not errors and opp.stage.pk != old_stage.pk
    if not errors and opp.stage.is_lost and opp.lost_reason_id is None:
        errors.add("lost_reason", _("Say why the opportunity was lost."))
    errors.raise_if_any()
    now = timezone.now()
    if moved:
        _enter_stage(opp, opp.stage, keep_probability=opp.probability_overridden and "probability" in data)
        seconds = int((now - opp.stage_entered_at).total_seconds())
        opp.stage_entered_at = now
    elif opp.status != OpportunityStatus.OPEN:
        opp.forecast_category = ForecastCategory.CLOSED
    opp.version += 1
    opp.save()
    if moved:
        _stage_row(actor, opp, old_stage, seconds, now)
    totals_apply(before_totals, contribution(opp))
    record_update(actor=actor, obj=opp, aggregate=opp.party, before=before, after=opportunity_snapshot(opp))
    if moved:
        _moved_events(actor, opp, old_stage, now)
    _announce("opportunity.updated", opp.pk)
    return opp


def _moved_events(actor: Actor, opp: Opportunity, old_stage: Stage, when: dt.datetime) -> None:
    values = {"name": opp.name, "from": old_stage.name, "to": opp.stage.name}
    money = _money(opp.amount, opp.currency)
    if opp.status == OpportunityStatus.WON:
        _timeline(actor, opp, _("Opportunity won: %(name)s") % values, money, when)
        _announce("opportunity.won", opp.pk)
    elif opp.status == OpportunityStatus.LOST:
        reason = opp.lost_reason.name if opp.lost_reason is not None else ""
        text = f"{money}. {reason}. {opp.lost_note}".strip(". ")
        _timeline(actor, opp, _("Opportunity lost: %(name)s") % values, text, when)
        _announce("opportunity.lost", opp.pk)
    else:
        _timeline(
            actor,
            opp,
            _("Opportunity moved: %(name)s") % values,
            _("From %(from)s to %(to)s.") % values,
            when,
        )
    _announce("opportunity.stage_changed", opp.pk)


def opportunity_move(
    *,
    actor: Actor,
    opportunity: Opportunity,
    stage: Stage | int,
    expected_version: int | None = None,
    lost_reason: LostReason | int | None = None,
    lost_note: str = "",
) -> Opportunity:
    """Move to another stage of the same pipeline (the board's drag and drop); a lost stage needs a reason."""
    data: dict[str, Any] = {"stage": stage}
    if lost_reason is not None:
        data["lost_reason"] = lost_reason
    if lost_note:
        data["lost_note"] = lost_note
    return opportunity_update(
        actor=actor, opportunity=opportunity, data=data, expected_version=expected_version
    )


@transaction.atomic
def opportunity_delete(
    *, actor: Actor, opportunity: Opportunity, expected_version: int | None = None
) -> None:
    """Delete an opportunity (created by mistake); its stage history goes with it, the change log keeps it."""
    opp = _lock(opportunity)
    if actor.user is not None and not can(actor.user, Action.DELETE, opp):
        raise NotPermitted()
    if expected_version is not None and expected_version != opp.version:
        raise ConcurrencyConflict(expected=expected_version, current=opp.version)
    snapshot = opportunity_snapshot(opp)
    totals_apply(contribution(opp), None)
    record_snapshot(actor=actor, obj=opp, aggregate=opp.party, action=ChangeAction.DELETE, snapshot=snapshot)
    data = event_data(opp)
    opp.delete()
    publish("opportunity.deleted", lambda: data)
