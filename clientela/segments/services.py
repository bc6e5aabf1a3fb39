"""Services of the segments app: create, change and delete segments (every change of the rules is a new
``SegmentVersion``; renaming alone is not), and evaluate their members (``clientela.segments.evaluation``).

Each write runs in one transaction, checks the actor's "segment" scope, validates the rule tree (one
message per bad rule), writes the change log, and enqueues the evaluation after commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clientela.accounts.selectors import first_team_id
from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, can, can_assign
from clientela.parties.validation import Errors
from clientela.segments.evaluation import (
    Evaluation,
    party_memberships_refresh,
    segment_evaluate,
    segments_refresh,
)
from clientela.segments.models import Segment, SegmentMembership, SegmentVersion
from clientela.segments.rules import definition_clean, definition_text

__all__ = [
    "Evaluation",
    "party_memberships_refresh",
    "segment_create",
    "segment_delete",
    "segment_evaluate",
    "segment_update",
    "segments_refresh",
]

SEGMENT_FIELDS = ("name", "description", "definition", "owner", "team")
LOGGED_FIELDS = ("name", "description", "owner", "team", "is_active")


def segment_snapshot(segment: Segment) -> dict[str, Any]:
    """What the change log keeps of a segment: its fields and its current rules with their version."""
    out = field_values(segment, LOGGED_FIELDS)
    version = segment.current_version
    out["version"] = version.number if version else None
    out["definition"] = version.definition if version else None
    return out


def _clean(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors = Errors()
    unknown = sorted(set(data) - set(SEGMENT_FIELDS))
    for name in unknown:
        errors.add(name, _("Unknown field."))
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = str(data.get("name") or "").strip()
        if not name:
            errors.add("name", _("Enter a name."))
        elif len(name) > 200:
            errors.add("name", _("Enter at most %(limit)s characters.") % {"limit": 200})
        out["name"] = name
    if "description" in data:
        out["description"] = str(data.get("description") or "").strip()[:5000]
    if "definition" in data or not partial:
        try:
            out["definition"] = definition_clean(data.get("definition"))
        except ValidationError as exc:
            errors.merge(exc)
    for key in ("owner", "team"):
        if key in data:
            out[key] = _reference(key, data[key], errors)
    errors.raise_if_any()
    return out


def _reference(key: str, value: Any, errors: Errors) -> Any:
    from clientela.accounts.models import Team, User

    if value in (None, ""):
        return None
    model = User if key == "owner" else Team
    if isinstance(value, model):
        return value
    pk = value.pk if hasattr(value, "pk") else value
    found = model.objects.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) else None
    if found is None:
        errors.add(key, _("Choose one of the listed values."))
    return found


def _version_add(actor: Actor, segment: Segment, tree: dict[str, Any], number: int) -> SegmentVersion:
    # the readable text is stored in the site's language (the UI re-reads the rules in the user's own)
    with translation.override(settings.LANGUAGE_CODE):
        text = definition_text(tree)
    version = SegmentVersion.objects.create(
        segment=segment, number=number, definition=tree, description=text, created_by=actor.user
    )
    segment.current_version = version
    segment.save(update_fields=["current_version", "updated_at"])
    return version


def _enqueue(segment_id: int) -> None:
    from clientela.segments.tasks import segment_evaluate_task

    transaction.on_commit(lambda: segment_evaluate_task.enqueue(segment_id))


def segment_create(*, actor: Actor, data: Mapping[str, Any]) -> Segment:
    """A new segment with version 1 of its rules, owned by the actor unless ``owner`` says otherwise."""
    clean = _clean(data, partial=False)
    user = actor.user
    owner = clean.get("owner", user)
    owner_id = owner.pk if owner is not None else None
    team = clean.get("team")
    team_id = team.pk if team is not None else first_team_id(owner_id)
    if user is not None and not can_assign(user, Action.ADD, "segment", owner_id=owner_id, team_id=team_id):
        raise NotPermitted()
    with transaction.atomic():
        segment = Segment.objects.create(
            name=clean["name"],
            description=clean.get("description", ""),
            owner_id=owner_id,
            team_id=team_id,
        )
        _version_add(actor, segment, clean["definition"], 1)
        record_snapshot(
            actor=actor,
            obj=segment,
            aggregate=segment,
            action=ChangeAction.CREATE,
            snapshot=segment_snapshot(segment),
        )
        _enqueue(segment.pk)
    return segment


def segment_update(
    *, actor: Actor, segment: Segment, data: Mapping[str, Any], expected_version: int | None = None
) -> Segment:
    """Change the fields in ``data``; new rules (different from the current ones) make a new version.
    With ``expected_version``, a segment changed meanwhile raises ``ConcurrencyConflict``."""
    clean = _clean(data, partial=True)
    user = actor.user
    if user is not None and not can(user, Action.CHANGE, segment):
        raise NotPermitted()
    with transaction.atomic():
        segment = (
            Segment.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=segment.pk)
        )
        if expected_version is not None and expected_version != segment.version:
            raise ConcurrencyConflict(expected=expected_version, current=segment.version)
        before = segment_snapshot(segment)
        fields = []
        for key in ("name", "description"):
            if key in clean and getattr(segment, key) != clean[key]:
                setattr(segment, key, clean[key])
                fields.append(key)
        for key in ("owner", "team"):
            if key in clean and getattr(segment, f"{key}_id") != (clean[key].pk if clean[key] else None):
                setattr(segment, key, clean[key])
                fields.append(key)
        if (
            user is not None
            and {"owner", "team"} & set(fields)
            and not can_assign(
                user, Action.CHANGE, "segment", owner_id=segment.owner_id, team_id=segment.team_id
            )
        ):
            raise NotPermitted()
        current = segment.current_version
        if "definition" in clean and (current is None or current.definition != clean["definition"]):
            _version_add(actor, segment, clean["definition"], (current.number if current else 0) + 1)
            _enqueue(segment.pk)
            fields.append("current_version")
        if fields:
            segment.version += 1
            segment.save(update_fields=[*fields, "version", "updated_at"])
        record_update(
            actor=actor, obj=segment, aggregate=segment, before=before, after=segment_snapshot(segment)
        )
    return segment


def segment_delete(*, actor: Actor, segment: Segment, expected_version: int | None = None) -> Segment:
    """Deactivate ``segment``: it leaves every list and filter and has no members; its versions and history
    stay (they explain past campaigns and exports)."""
    user = actor.user
    if user is not None and not can(user, Action.DELETE, segment):
        raise NotPermitted()
    with transaction.atomic():
        segment = (
            Segment.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=segment.pk)
        )
        if not segment.is_active:
            return segment
        if expected_version is not None and expected_version != segment.version:
            raise ConcurrencyConflict(expected=expected_version, current=segment.version)
        snapshot = segment_snapshot(segment)
        SegmentMembership.objects.filter(segment=segment).delete()
        segment.is_active = False
        segment.member_count = 0
        segment.version += 1
        segment.save(update_fields=["is_active", "member_count", "version", "updated_at"])
        record_snapshot(
            actor=actor, obj=segment, aggregate=segment, action=ChangeAction.DELETE, snapshot=snapshot
        )
    return segment
