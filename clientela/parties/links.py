"""Services for a customer's ids in other systems (``SourceLink``): link, unlink, look up.

A ``(source, external_id)`` pair names one party. Linking an id that already points at another party is
refused (that is a merge decision, not a silent move); linking the same pair twice is a no-op, so an
import can re-send its customer master as often as it likes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import record_snapshot
from clientela.core.exceptions import NotPermitted
from clientela.core.models import ChangeAction, SourceSystem
from clientela.core.permissions import Action, can
from clientela.parties.models import Party, SourceLink
from clientela.parties.search import party_index_refresh

MAX_EXTERNAL_ID = 200


@dataclass(frozen=True)
class LinkResult:
    """The link and whether this call created it (False: it was already there)."""

    link: SourceLink
    created: bool


def _clean_external_id(external_id: object) -> str:
    if not isinstance(external_id, str) or not external_id.strip():
        raise ValidationError({"external_id": [_("Enter the id this customer has in that system.")]})
    value = external_id.strip()
    if len(value) > MAX_EXTERNAL_ID:
        raise ValidationError(
            {"external_id": [_("An external id can have at most %(n)s characters.") % {"n": MAX_EXTERNAL_ID}]}
        )
    return value


def _check(actor: Actor, party: Party) -> None:
    if actor.user is not None and not can(actor.user, Action.CHANGE, party):
        raise NotPermitted(_("You cannot change this customer."))


@transaction.atomic
def source_link_add(*, actor: Actor, party: Party, source: SourceSystem, external_id: str) -> LinkResult:
    """Record that ``party`` is ``external_id`` in ``source``; logged in the party's history."""
    value = _clean_external_id(external_id)
    _check(actor, party)
    existing = SourceLink.objects.select_for_update().filter(source=source, external_id=value).first()
    if existing is not None:
        if existing.party_id == party.pk:
            return LinkResult(existing, created=False)
        raise ValidationError(
            {
                "external_id": [
                    _("%(source)s id %(id)s already belongs to another customer (#%(party)s).")
                    % {"source": source.name, "id": value, "party": existing.party_id}
                ]
            }
        )
    link = SourceLink.objects.create(source=source, external_id=value, party=party, created_by=actor.user)
    record_snapshot(
        actor=actor,
        obj=link,
        aggregate=party,
        action=ChangeAction.CREATE,
        snapshot={"source": source.slug, "external_id": value},
    )
    party_index_refresh([party.pk])
    return LinkResult(link, created=True)


@transaction.atomic
def source_link_remove(*, actor: Actor, link: SourceLink) -> None:
    """Forget one external id of a customer (kept in the history)."""
    party = link.party
    _check(actor, party)
    record_snapshot(
        actor=actor,
        obj=link,
        aggregate=party,
        action=ChangeAction.DELETE,
        snapshot={"source": link.source.slug, "external_id": link.external_id},
    )
    link.delete()
    party_index_refresh([party.pk])


def party_for_external_id(*, source: SourceSystem, external_id: str) -> Party | None:
    """The live party a source's id points at, if any (imports resolve customer references with it)."""
    link = (
        SourceLink.objects.select_related("party")
        .filter(source=source, external_id=external_id.strip(), party__deleted_at__isnull=True)
        .first()
    )
    return link.party if link else None
