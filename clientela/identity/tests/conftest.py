"""Helpers for the merge tests: a snapshot of every row that references a party, and quick row builders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps

from clientela.core.changes import to_json
from clientela.core.models import SourceSystem
from clientela.identity.references import PARTY_LABEL, discover
from clientela.interactions.models import Interaction

# Columns a merge followed by its undo legitimately changes: a row's version grows on every change (it
# backs ETags, so it must never go back) and its update time moves with it; PartyStats are recomputed.
VOLATILE = {"updated_at", "version"}
# Derived rows deleted and re-inserted on every refresh (blocking keys of the duplicate check).
KEYED_BY_CONTENT = {"identity.MatchKey"}


def snapshot() -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of Party and of every model the registry discovers, by label and pk, volatile columns out."""
    labels = {PARTY_LABEL, *(r.label for r in discover())} - {"identity.Merge", "identity.NotDuplicate"}
    out: dict[str, dict[Any, dict[str, Any]]] = {}
    for label in sorted(labels):
        model = apps.get_model(label)
        fields = [f for f in model._meta.concrete_fields if f.name not in VOLATILE]
        if label in KEYED_BY_CONTENT:
            # rebuilt rows get new ids: compare what they say (key, party), not which row says it
            out[label] = {
                f"{obj.key}:{obj.party_id}": {} for obj in model._base_manager.order_by("key", "party_id")
            }
            continue
        out[label] = {
            obj.pk: {f.attname: to_json(getattr(obj, f.attname)) for f in fields}
            for obj in model._base_manager.order_by("pk")
        }
    return out


def diff(before: dict, after: dict) -> list[str]:
    """Readable differences between two snapshots (empty when identical)."""
    out = []
    for label in sorted(set(before) | set(after)):
        rows_a, rows_b = before.get(label, {}), after.get(label, {})
        for pk in sorted(set(rows_a) | set(rows_b), key=str):
            a, b = rows_a.get(pk), rows_b.get(pk)
            if a != b:
                if a is None or b is None:
                    out.append(f"{label} #{pk}: {a} -> {b}")
                else:
                    out += [f"{label} #{pk}.{k}: {a[k]!r} -> {b[k]!r}" for k in a if a[k] != b[k]]
    return out


@pytest.fixture
def erp(db) -> SourceSystem:
    return SourceSystem.objects.create(slug="erp", name="ERP")


@pytest.fixture
def shop(db) -> SourceSystem:
    return SourceSystem.objects.create(slug="shop", name="Shop")


def add_interactions(
    party: Any, source: SourceSystem, n: int, organisation: Any = None, **extra: Any
) -> None:
    """``n`` notes on ``party``'s timeline, written in one statement (as a bulk import would)."""
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    Interaction.objects.bulk_create(
        [
            Interaction(
                kind="note",
                channel="email",
                direction="in",
                occurred_at=start + dt.timedelta(hours=i),
                party=party,
                organisation=organisation,
                source=source,
                summary=f"note {i}",
                **extra,
            )
            for i in range(n)
        ]
    )
