"""Merging duplicate customers and undoing merges; "these two are not the same" decisions.

``party_merge`` folds one party (the *merged* one) into another (the *survivor*): per-field survivorship,
provenance that follows the surviving values, every reference re-pointed (``references``), the merged
party soft-deleted with a pointer to the survivor. ``party_unmerge`` undoes that exactly, keeping edits
made to the survivor since. Both run in one transaction and write the change log in it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_update, snapshot_row, to_json
from clientela.core.events import publish
from clientela.core.exceptions import NotPermitted
from clientela.core.models import ChangeAction, ObjectChange
from clientela.core.permissions import Action, can_assign
from clientela.core.text import fold
from clientela.identity.models import CandidateStatus, MatchCandidate, Merge, MergeChange, NotDuplicate
from clientela.identity.permissions import MERGE_REFUSED, may_merge
from clientela.identity.references import (
    MergeContext,
    derived_refreshers,
    references,
    repoint,
    repoint_back,
    restore_changes,
)
from clientela.parties.models import ContactPoint, Party
from clientela.parties.search import party_index_refresh
from clientela.parties.services import party_event_data
from clientela.parties.validation import PARTY_FIELDS

# Every field a person or organisation can have, except the kind (both parties share it).
SURVIVORSHIP_FIELDS = tuple(f for f in PARTY_FIELDS if f != "kind")
SURVIVOR, MERGED = "survivor", "merged"


def _empty(value: Any) -> bool:
    return value is None or value == ""


_PARTY_COLUMNS = {f.name: f for f in Party._meta.concrete_fields}


def _attname(name: str) -> str:
    return _PARTY_COLUMNS[name].attname


def _clean_choices(field_choices: Mapping[str, str] | None) -> dict[str, str]:
    choices = dict(field_choices or {})
    errors: dict[str, list[str]] = {}
    for name, side in choices.items():
        if name not in SURVIVORSHIP_FIELDS:
            errors[f"field_choices.{name}"] = [_("This field cannot be chosen in a merge.")]
        elif side not in (SURVIVOR, MERGED):
            errors[f"field_choices.{name}"] = [_('Choose "survivor" or "merged".')]
    if errors:
        raise ValidationError(errors)
    return choices


def _lock_pair(a: int, b: int) -> dict[int, Party]:
    """Both parties under a row lock, taken lower id first so two merges of one pair cannot deadlock."""
    rows = Party.all_objects.select_for_update().filter(pk__in=[a, b]).order_by("pk")
    return {p.pk: p for p in rows}


def _check_scope(actor: Actor, survivor: Party, merged: Party) -> None:
    """The actor must be able to change both parties and to delete the one that goes away."""
    if actor.user is None:
        return
    ids = [survivor.pk, merged.pk]
    changeable = set(
        Party.all_objects.filter(pk__in=ids).restrict(actor.user, Action.CHANGE).values_list("pk", flat=True)
    )
    deletable = Party.all_objects.filter(pk=merged.pk).restrict(actor.user, Action.DELETE).exists()
    if changeable != set(ids) or not deletable:
        raise NotPermitted()


def _tags(party_id: int) -> list[str]:
    return sorted(Party.tags.through.objects.filter(party_id=party_id).values_list("tag__name", flat=True))


def _survivorship(
    survivor: Party, merged: Party, choices: Mapping[str, str]
) -> tuple[dict[str, dict[str, Any]], frozenset[str]]:
    """Decide every field: the chosen side, else the survivor's value unless empty. Returns the record
    kept on the merge and the fields whose value came from the merged party."""
    record: dict[str, dict[str, Any]] = {}
    from_merged: set[str] = set()
    derived = "display_name" not in choices and survivor.display_name == survivor.derived_display_name()
    for name in SURVIVORSHIP_FIELDS:
        attname = _attname(name)
        mine, theirs = getattr(survivor, attname), getattr(merged, attname)
        side = choices.get(name) or (MERGED if _empty(mine) and not _empty(theirs) else SURVIVOR)
        if name == "display_name" and derived:
            continue  # decided below, once the names are known
        record[name] = {"chosen": side, SURVIVOR: to_json(mine), MERGED: to_json(theirs)}
        if side == MERGED:
            from_merged.add(name)
            setattr(survivor, attname, theirs)
    if "display_name" not in record:
        # a display name nobody set by hand keeps following the (possibly merged-in) names
        old = survivor.display_name
        survivor.display_name = survivor.derived_display_name() or old
        record["display_name"] = {"chosen": SURVIVOR, SURVIVOR: old, MERGED: merged.display_name}
    for name, entry in record.items():
        entry["value"] = to_json(getattr(survivor, _attname(name)))
    return record, frozenset(from_merged)


@transaction.atomic
def party_merge(
    *,
    actor: Actor,
    survivor: Party,
    merged: Party,
    field_choices: Mapping[str, str] | None = None,
    score: float | None = None,
    explanation: Mapping[str, Any] | None = None,
) -> Merge:
    """Fold ``merged`` into ``survivor`` and return the ``Merge`` that ``party_unmerge`` can undo.

    ``field_choices`` ({field: "survivor"|"merged"}) overrides the default rule (the survivor's value
    unless empty). Raises NotPermitted (role or record scope) or ValidationError; nothing changes then.
    """
    if actor.user is not None and not may_merge(actor.user):
        raise NotPermitted(str(MERGE_REFUSED))
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": [_("A customer cannot be merged with itself.")]})
    choices = _clean_choices(field_choices)
    references()  # an unsafe registry must fail before anything is written
    locked = _lock_pair(survivor.pk, merged.pk)
    if len(locked) < 2:
        raise ValidationError({"merged": [_("This customer does not exist.")]})
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if survivor.deleted_at is not None or merged.deleted_at is not None:
        raise ValidationError(
            {"merged": [_("A customer in the recycle bin cannot be merged; restore it first.")]}
        )
    if survivor.kind != merged.kind:
        raise ValidationError({"merged": [_("A person and an organisation cannot be merged.")]})
    _check_scope(actor, survivor, merged)

    before = {**field_values(survivor, SURVIVORSHIP_FIELDS), "tags": _tags(survivor.pk)}
    record, from_merged = _survivorship(survivor, merged, choices)
    reassigned = (survivor.owner_id, survivor.team_id) != (before["owner"], before["team"])
    if (
        reassigned
        and actor.user is not None
        and not can_assign(
            actor.user, Action.CHANGE, "party", owner_id=survivor.owner_id, team_id=survivor.team_id
        )
    ):
        raise ValidationError({"owner": [_("You can only assign customers to yourself or to your teams.")]})
    now = timezone.now()
    merge = Merge.objects.create(
        survivor=survivor,
        merged=merged,
        survivor_pk=survivor.pk,
        merged_pk=merged.pk,
        merged_by=actor.user,
        actor_label=actor.display[:150],
        score=score,
        explanation=dict(explanation or {}),
        field_choices=record,
    )
    ctx = MergeContext(
        merge=merge,
        survivor=survivor,
        merged=merged,
        from_merged=from_merged,
        survivorship_fields=SURVIVORSHIP_FIELDS,
    )
    merge.moved_counts = repoint(ctx)
    MergeChange.objects.bulk_create(ctx.changes)
    merge.save(update_fields=["moved_counts"])

    survivor.name_folded = fold(survivor.display_name)
    survivor.version += 1
    survivor.save(update_fields=[*SURVIVORSHIP_FIELDS, "name_folded", "version", "updated_at"])
    merged.deleted_at = now
    merged.deleted_by = actor.user
    merged.version += 1
    merged.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])

    after = {**field_values(survivor, SURVIVORSHIP_FIELDS), "tags": _tags(survivor.pk)}
    record_update(actor=actor, obj=survivor, aggregate=survivor, before=before, after=after)
    summary = _summary(merge, ctx.changes)
    ObjectChange.objects.bulk_create(
        [
            snapshot_row(
                actor=actor, obj=merge, aggregate=survivor, action=ChangeAction.CREATE, snapshot=summary
            ),
            snapshot_row(
                actor=actor, obj=merge, aggregate=merged, action=ChangeAction.CREATE, snapshot=summary
            ),
            snapshot_row(
                actor=actor,
                obj=merged,
                aggregate=merged,
                action=ChangeAction.DELETE,
                snapshot={**field_values(merged, PARTY_FIELDS), "merged_into": survivor.pk},
            ),
        ]
    )
    _refresh([survivor.pk, merged.pk])
    survivor_pk, merged_pk, merge_pk = survivor.pk, merged.pk, merge.pk
    publish(
        "party.merged",
        lambda: {**party_event_data(survivor_pk), "merged": {"id": merged_pk}, "merge": {"id": merge_pk}},
    )
    return merge


def _summary(merge: Merge, changes: list[MergeChange]) -> dict[str, Any]:
    return {
        "survivor": merge.survivor_pk,
        "merged": merge.merged_pk,
        "moved": merge.moved_counts,
        "deleted": sum(1 for c in changes if c.action == MergeChange.Action.DELETE),
        "changed": sum(1 for c in changes if c.action == MergeChange.Action.UPDATE),
        "from_merged": sorted(k for k, v in merge.field_choices.items() if v["chosen"] == MERGED),
    }


def _refresh(ids: list[int]) -> None:
    """Per-party figures and the search index, after the writes and inside the same transaction."""
    for refresh in derived_refreshers():
        refresh(ids)
    party_index_refresh(ids)


@transaction.atomic
def party_unmerge(*, actor: Actor, merge: Merge) -> None:
    """Undo ``merge`` exactly: the merged party returns with its rows; the survivor's fields return to
    their values before the merge, except those edited since (the newer edit stays).

    Refused (nothing changed) when the merge is already undone, when a later merge involves either party
    (undo that one first), when a party has been purged, or when the actor may not.
    """
    if actor.user is not None and not may_merge(actor.user):
        raise NotPermitted(str(MERGE_REFUSED))
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": [_("This merge has already been undone.")]})
    if merge.survivor_id is None or merge.merged_id is None:
        raise ValidationError(
            {"merge": [_("A customer of this merge was deleted for good; it cannot be undone.")]}
        )
    pair = [merge.survivor_pk, merge.merged_pk]
    later = Merge.objects.filter(undone_at=None, pk__gt=merge.pk).filter(
        Q(survivor_pk__in=pair) | Q(merged_pk__in=pair)
    )
    if later.exists():
        raise ValidationError(
            {"merge": [_("A later merge involves these customers; undo that merge first.")]}
        )
    locked = _lock_pair(*pair)
    survivor, merged = locked[merge.survivor_pk], locked[merge.merged_pk]
    if survivor.deleted_at is not None:
        raise ValidationError(
            {"merge": [_("The surviving customer is in the recycle bin; restore it first.")]}
        )
    _check_scope(actor, survivor, merged)

    before = {**field_values(survivor, SURVIVORSHIP_FIELDS), "tags": _tags(survivor.pk)}
    try:
        with transaction.atomic():
            repoint_back(merge)
            restore_changes(merge)
    except IntegrityError as exc:
        raise ValidationError(
            {"merge": [_("The data changed since this merge in a way that prevents undoing it.")]}
        ) from exc
    restored = []
    for name, entry in merge.field_choices.items():
        attname = _attname(name)
        if entry["value"] == entry[SURVIVOR] or to_json(getattr(survivor, attname)) != entry["value"]:
            continue  # the merge did not change it, or someone edited it since: keep the current value
        setattr(survivor, attname, _PARTY_COLUMNS[name].to_python(entry[SURVIVOR]))
        restored.append(name)
    survivor.name_folded = fold(survivor.display_name)
    survivor.version += 1
    survivor.save(update_fields=[*restored, "name_folded", "version", "updated_at"])
    merged.deleted_at = None
    merged.deleted_by = None
    merged.version += 1
    merged.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    merge.undone_at = timezone.now()
    merge.undone_by = actor.user
    merge.save(update_fields=["undone_at", "undone_by"])

    after = {**field_values(survivor, SURVIVORSHIP_FIELDS), "tags": _tags(survivor.pk)}
    record_update(actor=actor, obj=survivor, aggregate=survivor, before=before, after=after)
    undone = {"undone_at": to_json(merge.undone_at)}
    for party in (survivor, merged):
        record_update(actor=actor, obj=merge, aggregate=party, before={"undone_at": None}, after=undone)
    ObjectChange.objects.bulk_create(
        [
            snapshot_row(
                actor=actor,
                obj=merged,
                aggregate=merged,
                action=ChangeAction.RESTORE,
                snapshot=field_values(merged, PARTY_FIELDS),
            )
        ]
    )
    _refresh(pair)


def merged_into(party_id: int) -> int | None:
    """The live party a merged party now lives on (following later merges), or None if it was not merged."""
    seen: set[int] = set()
    current = party_id
    while current not in seen:
        seen.add(current)
        nxt = (
            Merge.objects.filter(merged_pk=current, undone_at=None)
            .order_by("-pk")
            .values_list("survivor_pk", flat=True)
            .first()
        )
        if nxt is None:
            return None if current == party_id else current
        current = nxt
    return None


# --- "Not the same" decisions ------------------------------------------------------------------------------


def _pair_fingerprint(low_id: int, high_id: int) -> str:
    """A digest of what matching looks at, read fresh from the database: both parties' fields and their
    live contact values (a caller's copy of a party may be stale)."""
    columns = [_attname(f) for f in SURVIVORSHIP_FIELDS]
    parties = {
        row["id"]: row for row in Party.all_objects.filter(pk__in=[low_id, high_id]).values("id", *columns)
    }
    contacts: dict[int, list[tuple[str, str]]] = {low_id: [], high_id: []}
    rows = ContactPoint.objects.filter(party_id__in=[low_id, high_id], deleted_at__isnull=True)
    for party_id, kind, normalized in rows.values_list("party_id", "kind", "normalized"):
        contacts[party_id].append((kind, normalized))
    data = [{**parties.get(pk, {}), "contacts": sorted(contacts[pk])} for pk in (low_id, high_id)]
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def pair_mark_distinct(*, actor: Actor, a: Party, b: Party) -> NotDuplicate:
    """Record that ``a`` and ``b`` are different customers; they are proposed again only if their data change."""
    if actor.user is not None and not may_merge(actor.user):
        raise NotPermitted(str(MERGE_REFUSED))
    if a.pk == b.pk:
        raise ValidationError({"b": [_("A customer cannot be marked as distinct from itself.")]})
    if (
        actor.user is not None
        and Party.objects.filter(pk__in=[a.pk, b.pk]).restrict(actor.user, Action.VIEW).count() != 2
    ):
        raise NotPermitted()
    low, high = sorted((a, b), key=lambda p: p.pk)
    decision, _created = NotDuplicate.objects.update_or_create(
        party_low=low,
        party_high=high,
        defaults={"fingerprint": _pair_fingerprint(low.pk, high.pk), "decided_by": actor.user},
    )
    snapshot = {"party_low": low.pk, "party_high": high.pk, "fingerprint": decision.fingerprint}
    ObjectChange.objects.bulk_create(
        [
            snapshot_row(
                actor=actor, obj=decision, aggregate=p, action=ChangeAction.CREATE, snapshot=snapshot
            )
            for p in (low, high)
        ]
    )
    return decision


def pair_is_marked_distinct(a: Party, b: Party) -> bool:
    """Whether someone marked ``a`` and ``b`` as different and neither party's data changed since."""
    low, high = sorted((a, b), key=lambda p: p.pk)
    fingerprint = (
        NotDuplicate.objects.filter(party_low=low, party_high=high)
        .values_list("fingerprint", flat=True)
        .first()
    )
    return fingerprint is not None and fingerprint == _pair_fingerprint(low.pk, high.pk)


# --- Review queue decisions ---------------------------------------------------------------------------------


def _lock_open_candidate(actor: Actor, candidate: MatchCandidate) -> MatchCandidate:
    """The candidate re-read under a row lock; refused unless the actor may decide and it is still open."""
    if actor.user is not None and not may_merge(actor.user):
        raise NotPermitted(str(MERGE_REFUSED))
    locked = MatchCandidate.objects.select_for_update().filter(pk=candidate.pk).first()
    if locked is None or locked.status != CandidateStatus.OPEN:
        raise ValidationError({"candidate": [_("This pair has already been decided.")]})
    return locked


def _decide(actor: Actor, candidate: MatchCandidate, status: str) -> None:
    candidate.status = status
    candidate.decided_by = actor.user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])


@transaction.atomic
def candidate_merge(
    *, actor: Actor, candidate: MatchCandidate, survivor: Party, field_choices: Mapping[str, str] | None
) -> Merge:
    """Merge an open possible duplicate: the other party of the pair is folded into ``survivor``.

    ``field_choices`` is passed to ``party_merge`` with the candidate's score and explanation; the
    candidate is then marked merged by the actor. Raises ValidationError when the candidate is no longer
    open or ``survivor`` is not one of its parties, NotPermitted when the actor may not merge them.
    """
    candidate = _lock_open_candidate(actor, candidate)
    if survivor.pk not in (candidate.party_a_id, candidate.party_b_id):
        raise ValidationError({"survivor": [_("The surviving customer must be one of the pair.")]})
    merged_pk = candidate.party_b_id if survivor.pk == candidate.party_a_id else candidate.party_a_id
    parties = Party.all_objects.in_bulk([survivor.pk, merged_pk])
    if len(parties) < 2:
        raise ValidationError({"merged": [_("This customer does not exist.")]})
    merge = party_merge(
        actor=actor,
        survivor=parties[survivor.pk],
        merged=parties[merged_pk],
        field_choices=field_choices,
        score=candidate.score,
        explanation={"run": candidate.run_id, "weight": candidate.weight, "fields": candidate.explanation},
    )
    _decide(actor, candidate, CandidateStatus.MERGED)
    return merge


@transaction.atomic
def candidate_mark_distinct(*, actor: Actor, candidate: MatchCandidate) -> NotDuplicate:
    """Decide an open possible duplicate as two different customers (``pair_mark_distinct``) and close it.

    Raises ValidationError when the candidate is no longer open, NotPermitted when the actor may not decide.
    """
    candidate = _lock_open_candidate(actor, candidate)
    parties = Party.all_objects.in_bulk([candidate.party_a_id, candidate.party_b_id])
    decision = pair_mark_distinct(
        actor=actor, a=parties[candidate.party_a_id], b=parties[candidate.party_b_id]
    )
    _decide(actor, candidate, CandidateStatus.NOT_DUPLICATE)
    return decision


@transaction.atomic
def candidate_skip(*, actor: Actor, candidate: MatchCandidate) -> None:
    """Take an open possible duplicate out of the queue without deciding it (a later run may queue it again).

    Raises ValidationError when the candidate is no longer open, NotPermitted when the actor may not decide.
    """
    candidate = _lock_open_candidate(actor, candidate)
    _decide(actor, candidate, CandidateStatus.SKIPPED)
