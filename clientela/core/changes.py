"""Writing the change log. Called by services inside their transaction, never by views or signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from clientela.core.actor import Actor
from clientela.core.models import ChangeAction, ObjectChange

_PLAIN = frozenset([str, int, float, bool])


def to_json(value: Any) -> Any:
    """A JSON-safe form of a field value, stable across databases."""
    if value is None or type(value) in _PLAIN:
        return value  # most values: one set lookup instead of a walk down the isinstance checks
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return str(value)


def field_values(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Current values of ``fields`` (foreign keys by id) as JSON-safe data."""
    out: dict[str, Any] = {}
    for name in fields:
        f = obj._meta.get_field(name)
        attname = getattr(f, "attname", name)
        out[name] = to_json(getattr(obj, attname))
    return out


def _base(actor: Actor, obj: models.Model, aggregate: models.Model, action: str) -> dict[str, Any]:
    return {
        "actor_user": actor.user,
        "actor_token_id": actor.token_id,
        "actor_label": actor.display[:150],
        "source": actor.source,
        "request_id": actor.request_id[:64],
        "object_type": ContentType.objects.get_for_model(type(obj)),
        "object_id": obj.pk,
        "object_repr": str(obj)[:200],
        "aggregate_type": aggregate._meta.label_lower,
        "aggregate_id": aggregate.pk,
        "action": action,
    }


def record_snapshot(
    *, actor: Actor, obj: models.Model, aggregate: models.Model, action: str, snapshot: Mapping[str, Any]
) -> ObjectChange:
    """One row for a create, delete, restore or purge; the snapshot is the new (or, for removals, old) state."""
    row = snapshot_row(actor=actor, obj=obj, aggregate=aggregate, action=action, snapshot=snapshot)
    row.save()
    return row


def snapshot_row(
    *, actor: Actor, obj: models.Model, aggregate: models.Model, action: str, snapshot: Mapping[str, Any]
) -> ObjectChange:
    """The unsaved change row ``record_snapshot`` writes, for callers that bulk-insert many at once."""
    removal = action in (ChangeAction.DELETE, ChangeAction.PURGE)
    data = to_json(dict(snapshot))
    return ObjectChange(
        **_base(actor, obj, aggregate, action),
        field="",
        old_value=data if removal else None,
        new_value=None if removal else data,
    )


def record_update(
    *,
    actor: Actor,
    obj: models.Model,
    aggregate: models.Model,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> list[ObjectChange]:
    """One row per field whose JSON value differs between ``before`` and ``after``."""
    base = _base(actor, obj, aggregate, ChangeAction.UPDATE)
    rows = [
        ObjectChange(**base, field=name, old_value=before.get(name), new_value=after[name])
        for name in after
        if before.get(name) != after[name]
    ]
    return ObjectChange.objects.bulk_create(rows) if rows else []
