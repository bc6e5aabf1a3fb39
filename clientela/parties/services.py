"""Services of the parties app: the only way parties, contact points and relationships change.

Each service is keyword-only, runs in one transaction, checks the actor's scope, validates everything
before writing anything, and writes the change log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update, to_json
from clientela.core.events import publish
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.models import ChangeAction
from clientela.core.permissions import Action, Scope, can, can_assign, user_scope
from clientela.core.text import fold
from clientela.parties.choices import PartyKind
from clientela.parties.models import ContactPoint, Party, Relationship, Tag
from clientela.parties.search import PARTY_INDEX, party_index_refresh
from clientela.parties.validation import (
    CONTACT_FIELDS,
    PARTY_FIELDS,
    Errors,
    assign,
    clean_contact_point,
    clean_party,
    unknown_fields,
)

PARTY_LOGGED = PARTY_FIELDS
CONTACT_LOGGED = (*CONTACT_FIELDS, "normalized")
RELATIONSHIP_FIELDS = ("role", "is_primary", "start_date", "end_date")


def _check(actor: Actor, action: str, obj: Any) -> None:
    if actor.user is not None and not can(actor.user, action, obj):
        raise NotPermitted()


def _check_references(party: Party, errors: Errors) -> None:
    """Owner and team must exist (an id that does not would only fail at commit time on SQLite)."""
    from clientela.accounts.models import Team, User

    checks = (
        ("owner", party.owner_id, User.objects.filter(is_active=True), _("Choose an active user.")),
        ("team", party.team_id, Team.objects.all(), _("Choose an existing team.")),
    )
    for name, value, queryset, message in checks:
        if value is not None and name not in errors.by_path and not queryset.filter(pk=value).exists():
            errors.add(name, message)


def _check_assign(
    actor: Actor, action: str, owner_id: int | None, team_id: int | None, errors: Errors
) -> None:
    if actor.user is not None and not can_assign(
        actor.user, action, "party", owner_id=owner_id, team_id=team_id
    ):
        errors.add("owner", _("You can only assign customers to yourself or to your teams."))


def _party_snapshot(party: Party) -> dict[str, Any]:
    data = field_values(party, PARTY_LOGGED)
    data["tags"] = sorted(t.name for t in party.tags.all()) if party.pk else []
    return data


def _set_tags(party: Party, names: Iterable[str]) -> list[str]:
    wanted: dict[str, str] = {}
    for name in names:
        clean = " ".join(str(name).split())[:50]
        if clean:
            wanted.setdefault(fold(clean), clean)
    existing = {t.key: t for t in Tag.objects.filter(key__in=wanted)}
    missing = [Tag(key=k, name=n) for k, n in wanted.items() if k not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.key: t for t in Tag.objects.filter(key__in=wanted)}
    party.tags.set(existing.values())
    return sorted(t.name for t in existing.values())


def _validate_tags(data: Mapping[str, Any], errors: Errors) -> list[str] | None:
    if "tags" not in data:
        return None
    tags = data["tags"]
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) for t in tags):
        errors.add("tags", _("Enter a list of tags."))
        return None
    for tag in tags:
        if len(tag.strip()) > 50:
            errors.add("tags", _("A tag can have at most 50 characters."))
            return None
    return [t.strip() for t in tags if t.strip()]


def _build_contact_points(
    party: Party, items: Sequence[Mapping[str, Any]], errors: Errors, existing: Sequence[ContactPoint] = ()
) -> tuple[list[ContactPoint], list[tuple[ContactPoint, dict[str, Any]]], list[ContactPoint]]:
    """Validate contact point changes: (new rows, (updated row, values before), rows to remove).

    Items with an ``id`` change that contact point (``{"id": 5, "delete": true}`` removes it); items
    without one are new. Points not mentioned stay as they are.
    """
    by_id = {cp.pk: cp for cp in existing}
    new: list[ContactPoint] = []
    updated: list[tuple[ContactPoint, dict[str, Any]]] = []
    removed: list[ContactPoint] = []
    for i, item in enumerate(items):
        prefix = f"contact_points.{i}."
        if not isinstance(item, Mapping):
            errors.add(f"contact_points.{i}", _("Enter a contact point object."))
            continue
        unknown_fields(item, (*CONTACT_FIELDS, "id", "delete"), errors, prefix)
        cp_id: Any = item.get("id")
        if cp_id not in (None, ""):
            try:
                cp = by_id[int(cp_id)]
            except (KeyError, TypeError, ValueError):
                errors.add(f"{prefix}id", _("This contact point does not belong to this customer."))
                continue
            if item.get("delete"):
                removed.append(cp)
                continue
            before = field_values(cp, CONTACT_LOGGED)
            assign(cp, item, CONTACT_FIELDS, errors, prefix)
            clean_contact_point(cp, party, errors, prefix)
            updated.append((cp, before))
        else:
            if item.get("delete"):
                continue
            cp = ContactPoint(party=party)
            if "kind" not in item:
                errors.add(f"{prefix}kind", _("Choose the kind of contact point."))
                continue
            assign(cp, item, CONTACT_FIELDS, errors, prefix)
            clean_contact_point(cp, party, errors, prefix)
            new.append(cp)
    _check_primaries(party, items, new, [cp for cp, _ in updated], removed, existing, errors)
    return new, updated, removed


def _check_primaries(
    party: Party,
    items: Sequence[Mapping[str, Any]],
    new: list[ContactPoint],
    updated: list[ContactPoint],
    removed: list[ContactPoint],
    existing: Sequence[ContactPoint],
    errors: Errors,
) -> None:
    """Two primaries of one kind in the same submission is an error; otherwise a new primary demotes the old."""
    submitted = [*new, *updated]
    seen: dict[str, int] = {}
    for cp in submitted:
        if cp.is_primary:
            seen[cp.kind] = seen.get(cp.kind, 0) + 1
    for kind, count in seen.items():
        if count > 1:
            for i, item in enumerate(items):
                if isinstance(item, Mapping) and item.get("kind") == kind and item.get("is_primary"):
                    errors.add(
                        f"contact_points.{i}.is_primary",
                        _("Only one contact point of each kind can be primary."),
                    )


def _apply_contact_points(
    actor: Actor,
    party: Party,
    new: list[ContactPoint],
    updated: list[tuple[ContactPoint, dict[str, Any]]],
    removed: list[ContactPoint],
) -> None:
    now = timezone.now()
    for cp in removed:
        cp.deleted_at = now
        cp.is_primary = False
        cp.version += 1
        cp.save(update_fields=["deleted_at", "is_primary", "version", "updated_at"])
        record_snapshot(
            actor=actor,
            obj=cp,
            aggregate=party,
            action=ChangeAction.DELETE,
            snapshot=field_values(cp, CONTACT_LOGGED),
        )
    live = list(ContactPoint.objects.filter(party=party, deleted_at__isnull=True))
    touched_ids = {cp.pk for cp, _ in updated}
    # Demote an existing primary when this change makes another point of the same kind primary.
    primary_kinds = {cp.kind for cp in new if cp.is_primary} | {cp.kind for cp, _ in updated if cp.is_primary}
    for old in live:
        if old.is_primary and old.kind in primary_kinds and old.pk not in touched_ids:
            ContactPoint.objects.filter(pk=old.pk).update(
                is_primary=False, version=F("version") + 1, updated_at=now
            )
            record_update(
                actor=actor,
                obj=old,
                aggregate=party,
                before={"is_primary": True},
                after={"is_primary": False},
            )
    for cp, before in updated:
        cp.version += 1
        cp.save(update_fields=[*CONTACT_FIELDS, "normalized", "version", "updated_at"])
        record_update(
            actor=actor, obj=cp, aggregate=party, before=before, after=field_values(cp, CONTACT_LOGGED)
        )
    # The first live point of a kind becomes primary so every kind always has one to show and use.
    has_primary = {cp.kind for cp in live if cp.is_primary and cp.pk not in touched_ids} | primary_kinds
    has_primary |= {cp.kind for cp, _ in updated if cp.is_primary}
    for cp in new:
        if cp.kind not in has_primary:
            cp.is_primary = True
            has_primary.add(cp.kind)
        cp.save()
        record_snapshot(
            actor=actor,
            obj=cp,
            aggregate=party,
            action=ChangeAction.CREATE,
            snapshot=field_values(cp, CONTACT_LOGGED),
        )


def party_event_data(party_id: int) -> dict[str, Any]:
    """The stable payload of the ``party.*`` webhook events (docs/integrations.md), read after commit."""
    party = Party.all_objects.filter(pk=party_id).first()
    if party is None:
        return {"party": {"id": party_id, "purged": True}}
    points = ContactPoint.objects.filter(party_id=party_id, deleted_at__isnull=True).order_by("kind", "id")
    links = party.source_links.select_related("source").order_by("source__slug", "external_id")
    data = {
        **field_values(party, ("kind", "status", "display_name", "legal_name", "trade_name", "given_names",
                               "family_name_1", "family_name_2", "tax_id", "country", "language", "owner",
                               "team", "version", "created_at", "updated_at", "deleted_at")),
        "id": party.pk,
        "contact_points": [
            {"id": cp.pk, "kind": cp.kind, "value": cp.value, "is_primary": cp.is_primary} for cp in points
        ],
        "source_records": [{"source": link.source.slug, "external_id": link.external_id} for link in links],
    }  # fmt: skip
    return {"party": to_json(data)}


def _announce(event_type: str, party_id: int) -> None:
    publish(event_type, lambda: party_event_data(party_id))


def _bump(party: Party) -> None:
    """A new version of the party after a change to its contact points or relationships."""
    Party.all_objects.filter(pk=party.pk).update(version=F("version") + 1, updated_at=timezone.now())
    party.refresh_from_db(fields=["version", "updated_at"])
    _announce("party.updated", party.pk)


@transaction.atomic
def party_create(
    *, actor: Actor, data: Mapping[str, Any], contact_points: Sequence[Mapping[str, Any]] = ()
) -> Party:
    """Create a person or organisation with its contact points; ValidationError lists every problem by path."""
    errors = Errors()
    unknown_fields(data, (*PARTY_FIELDS, "tags"), errors)
    if actor.user is not None and user_scope(actor.user, "party", Action.ADD) == Scope.NONE:
        raise NotPermitted()
    party = Party(created_by=actor.user)
    if data.get("kind") not in PartyKind.values:
        errors.add("kind", _("Choose person or organisation."))
    assign(party, data, PARTY_FIELDS, errors)
    if "owner" not in data and actor.user is not None:
        party.owner = actor.user
    clean_party(party, errors)
    _check_references(party, errors)
    tags = _validate_tags(data, errors)
    _check_assign(actor, Action.ADD, party.owner_id, party.team_id, errors)
    new, _updated, _removed = _build_contact_points(party, contact_points, errors)
    errors.raise_if_any()
    party.name_folded = fold(party.display_name)
    party.save()
    if tags is not None:
        _set_tags(party, tags)
    record_snapshot(
        actor=actor, obj=party, aggregate=party, action=ChangeAction.CREATE, snapshot=_party_snapshot(party)
    )
    _apply_contact_points(actor, party, new, [], [])
    party_index_refresh([party.pk])
    _announce("party.created", party.pk)
    return party


def _lock(party: Party) -> Party:
    """Re-read the party under a row lock (a no-op on SQLite, whose IMMEDIATE transactions already serialise)."""
    return Party.all_objects.select_for_update().get(pk=party.pk)


@transaction.atomic
def party_update(
    *,
    actor: Actor,
    party: Party,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    contact_points: Sequence[Mapping[str, Any]] | None = None,
) -> Party:
    """Change the given fields (and contact points); a stale ``expected_version`` changes nothing."""
    party = _lock(party)
    if party.deleted_at is not None:
        raise NotPermitted(_("This customer is in the recycle bin; restore it first."))
    _check(actor, Action.CHANGE, party)
    if expected_version is not None and expected_version != party.version:
        raise ConcurrencyConflict(expected=expected_version, current=party.version)
    errors = Errors()
    unknown_fields(data, (*PARTY_FIELDS, "tags"), errors)
    if "kind" in data and data["kind"] not in PartyKind.values:
        errors.add("kind", _("Choose person or organisation."))
    before = _party_snapshot(party)
    old_derived = party.derived_display_name()
    assign(party, data, PARTY_FIELDS, errors)
    if "display_name" not in data and party.display_name == old_derived:
        party.display_name = ""  # keep following the names when it was never set by hand
    clean_party(party, errors)
    _check_references(party, errors)
    tags = _validate_tags(data, errors)
    if "owner" in data or "team" in data:
        _check_assign(actor, Action.CHANGE, party.owner_id, party.team_id, errors)
    existing = list(ContactPoint.objects.filter(party=party, deleted_at__isnull=True))
    new, updated, removed = _build_contact_points(party, contact_points or (), errors, existing)
    errors.raise_if_any()
    party.name_folded = fold(party.display_name)
    party.version += 1
    party.save(update_fields=[*PARTY_FIELDS, "name_folded", "version", "updated_at"])
    if tags is not None:
        _set_tags(party, tags)
    after = _party_snapshot(party)
    if tags is None:
        after.pop("tags")
    record_update(actor=actor, obj=party, aggregate=party, before=before, after=after)
    _apply_contact_points(actor, party, new, updated, removed)
    party_index_refresh([party.pk])
    _announce("party.updated", party.pk)
    return party


@transaction.atomic
def party_delete(*, actor: Actor, party: Party, expected_version: int | None = None) -> Party:
    """Move a party to the recycle bin (restorable with its contact points for the retention period)."""
    party = _lock(party)
    if party.deleted_at is not None:
        return party
    _check(actor, Action.DELETE, party)
    if expected_version is not None and expected_version != party.version:
        raise ConcurrencyConflict(expected=expected_version, current=party.version)
    party.deleted_at = timezone.now()
    party.deleted_by = actor.user
    party.version += 1
    party.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    record_snapshot(
        actor=actor, obj=party, aggregate=party, action=ChangeAction.DELETE, snapshot=_party_snapshot(party)
    )
    party_index_refresh([party.pk])
    _announce("party.deleted", party.pk)
    return party


@transaction.atomic
def party_restore(*, actor: Actor, party: Party) -> Party:
    """Bring a party back from the recycle bin, with its contact points and relationships."""
    party = _lock(party)
    if party.deleted_at is None:
        return party
    if (
        actor.user is not None
        and not Party.all_objects.filter(pk=party.pk).restrict(actor.user, Action.DELETE).exists()
    ):
        raise NotPermitted()
    party.deleted_at = None
    party.deleted_by = None
    party.version += 1
    party.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
    record_snapshot(
        actor=actor, obj=party, aggregate=party, action=ChangeAction.RESTORE, snapshot=_party_snapshot(party)
    )
    party_index_refresh([party.pk])
    return party


def party_purge(*, actor: Actor, older_than_days: int, batch_size: int = 500) -> int:
    """Hard-delete parties that have been in the recycle bin longer than ``older_than_days``.

    Each batch is its own transaction so a purge of many rows never holds the write lock for long.
    The change log keeps a "purged" row with the last snapshot.
    """
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    total = 0
    while True:
        with transaction.atomic():
            batch = list(Party.all_objects.filter(deleted_at__lt=cutoff).order_by("id")[:batch_size])
            if not batch:
                return total
            for party in batch:
                record_snapshot(
                    actor=actor,
                    obj=party,
                    aggregate=party,
                    action=ChangeAction.PURGE,
                    snapshot=_party_snapshot(party),
                )
            Party.all_objects.filter(pk__in=[p.pk for p in batch]).delete()
            PARTY_INDEX.delete([p.pk for p in batch])
            total += len(batch)


# --- Contact points --------------------------------------------------------------------------------------


@transaction.atomic
def contact_point_add(*, actor: Actor, party: Party, data: Mapping[str, Any]) -> ContactPoint:
    """Add one contact point to a party."""
    party = _lock(party)
    _check(actor, Action.CHANGE, party)
    errors = Errors()
    new, _u, _r = _build_contact_points(party, [data], errors)
    if errors:
        raise_flat(errors, "contact_points.0.")
    _apply_contact_points(actor, party, new, [], [])
    _bump(party)
    party_index_refresh([party.pk])
    return new[0]


@transaction.atomic
def contact_point_update(
    *, actor: Actor, contact_point: ContactPoint, data: Mapping[str, Any], expected_version: int | None = None
) -> ContactPoint:
    """Change one contact point; a stale ``expected_version`` changes nothing."""
    party = _lock(contact_point.party)
    cp = ContactPoint.objects.select_for_update().get(pk=contact_point.pk)
    _check(actor, Action.CHANGE, party)
    if expected_version is not None and expected_version != cp.version:
        raise ConcurrencyConflict(expected=expected_version, current=cp.version)
    errors = Errors()
    _n, updated, _r = _build_contact_points(party, [{**data, "id": cp.pk}], errors, [cp])
    if errors:
        raise_flat(errors, "contact_points.0.")
    _apply_contact_points(actor, party, [], updated, [])
    _bump(party)
    party_index_refresh([party.pk])
    return updated[0][0]


@transaction.atomic
def contact_point_remove(
    *, actor: Actor, contact_point: ContactPoint, expected_version: int | None = None
) -> None:
    """Remove one contact point (kept in the history); a stale ``expected_version`` removes nothing."""
    party = _lock(contact_point.party)
    _check(actor, Action.CHANGE, party)
    contact_point = ContactPoint.objects.select_for_update().get(pk=contact_point.pk)
    if expected_version is not None and expected_version != contact_point.version:
        raise ConcurrencyConflict(expected=expected_version, current=contact_point.version)
    _apply_contact_points(actor, party, [], [], [contact_point])
    _bump(party)
    party_index_refresh([party.pk])


def raise_flat(errors: Errors, prefix: str) -> None:
    """Re-raise errors of a single nested item with the item prefix removed ("contact_points.0.value" -> "value")."""
    flat = Errors()
    for path, messages in errors.by_path.items():
        for message in messages:
            flat.add(path.removeprefix(prefix) or "__all__", message)
    flat.raise_if_any()


# --- Relationships ---------------------------------------------------------------------------------------


def _clean_relationship(rel: Relationship, data: Mapping[str, Any], errors: Errors) -> None:
    unknown_fields(data, ("person", "organisation", *RELATIONSHIP_FIELDS), errors)
    for name in ("role",):
        if name in data and not isinstance(data[name], str | type(None)):
            errors.add(name, _("Enter text."))
    assign(rel, {k: v for k, v in data.items() if k in RELATIONSHIP_FIELDS}, RELATIONSHIP_FIELDS, errors)
    if rel.start_date and rel.end_date and rel.end_date < rel.start_date:
        errors.add("end_date", _("The end date is before the start date."))
    try:
        rel.full_clean(exclude=["person", "organisation"], validate_unique=False)
    except Exception as exc:  # ValidationError
        errors.merge(exc)  # type: ignore[arg-type]


@transaction.atomic
def relationship_add(
    *, actor: Actor, person: Party, organisation: Party, data: Mapping[str, Any] | None = None
) -> Relationship:
    """Link a person to an organisation with a role/title and dates."""
    data = dict(data or {})
    errors = Errors()
    if person.kind != PartyKind.PERSON:
        errors.add("person", _("Choose a person."))
    if organisation.kind != PartyKind.ORGANISATION:
        errors.add("organisation", _("Choose an organisation."))
    _check(actor, Action.CHANGE, person)
    _check(actor, Action.VIEW, organisation)
    rel = Relationship(person=person, organisation=organisation)
    _clean_relationship(rel, data, errors)
    errors.raise_if_any()
    rel.save()
    record_snapshot(
        actor=actor,
        obj=rel,
        aggregate=person,
        action=ChangeAction.CREATE,
        snapshot={
            "person": person.pk,
            "organisation": organisation.pk,
            **field_values(rel, RELATIONSHIP_FIELDS),
        },
    )
    _bump(person)
    return rel


@transaction.atomic
def relationship_update(
    *, actor: Actor, relationship: Relationship, data: Mapping[str, Any], expected_version: int | None = None
) -> Relationship:
    """Change a relationship's role, dates or main flag."""
    rel = (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("person", "organisation")
        .get(pk=relationship.pk)
    )
    _check(actor, Action.CHANGE, rel.person)
    if expected_version is not None and expected_version != rel.version:
        raise ConcurrencyConflict(expected=expected_version, current=rel.version)
    errors = Errors()
    if "person" in data or "organisation" in data:
        errors.add("person", _("A relationship cannot be moved; remove it and add a new one."))
    before = field_values(rel, RELATIONSHIP_FIELDS)
    _clean_relationship(rel, data, errors)
    errors.raise_if_any()
    rel.version += 1
    rel.save(update_fields=[*RELATIONSHIP_FIELDS, "version", "updated_at"])
    record_update(
        actor=actor,
        obj=rel,
        aggregate=rel.person,
        before=before,
        after=field_values(rel, RELATIONSHIP_FIELDS),
    )
    _bump(rel.person)
    return rel


@transaction.atomic
def relationship_remove(
    *, actor: Actor, relationship: Relationship, expected_version: int | None = None
) -> None:
    """Remove a relationship (the history keeps what it was); a stale ``expected_version`` removes nothing."""
    rel = (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("person", "organisation")
        .get(pk=relationship.pk)
    )
    _check(actor, Action.CHANGE, rel.person)
    if expected_version is not None and expected_version != rel.version:
        raise ConcurrencyConflict(expected=expected_version, current=rel.version)
    record_snapshot(
        actor=actor,
        obj=rel,
        aggregate=rel.person,
        action=ChangeAction.DELETE,
        snapshot={
            "person": rel.person_id,
            "organisation": rel.organisation_id,
            **field_values(rel, RELATIONSHIP_FIELDS),
        },
    )
    rel.delete()
    _bump(rel.person)
