"""Where a customer's data came from: the provenance of its fields, its records in other systems and
what each source imported, for the customer page's "Data sources" section."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from clientela.core.models import SourceSystem
from clientela.imports.models import FieldProvenance, SourceRecord
from clientela.parties.models import Party, SourceLink


@dataclass(frozen=True)
class FieldSource:
    field: str
    label: str
    source: str
    job_id: int | None
    at: dt.datetime


@dataclass(frozen=True)
class SourceSummary:
    source: str
    kind: str
    external_ids: list[str]
    records: dict[str, int]  # entity -> records imported
    last_import: dt.datetime | None


def customer_sources(*, party: Party) -> tuple[list[FieldSource], list[SourceSummary]]:
    """The party's imported field values with their source and import, and one summary per source."""
    fields = []
    for row in FieldProvenance.objects.filter(party=party).select_related("source").order_by("field"):
        try:
            label = str(Party._meta.get_field(row.field).verbose_name)
        except Exception:
            label = row.field
        fields.append(FieldSource(row.field, label.capitalize(), row.source.name, row.job_id, row.at))
    names = dict(SourceSystem.objects.values_list("id", "name"))
    kinds = dict(SourceSystem.objects.values_list("id", "kind"))
    ids: dict[int, list[str]] = {}
    for source_id, external_id in SourceLink.objects.filter(party=party).values_list(
        "source_id", "external_id"
    ):
        ids.setdefault(source_id, []).append(external_id)
    records: dict[int, dict[str, int]] = {}
    last: dict[int, Any] = {}
    counts = (
        SourceRecord.objects.filter(party=party)
        .values("source_id", "entity")
        .annotate(n=Count("id"), at=Max("updated_at"))
    )
    from clientela.interactions.models import Interaction

    interactions = (
        Interaction.objects.filter(party=party, is_current=True)
        .values("source_id")
        .annotate(n=Count("id"), at=Max("created_at"))
    )
    for row in counts:
        records.setdefault(row["source_id"], {})[row["entity"]] = row["n"]
        last[row["source_id"]] = max(filter(None, [last.get(row["source_id"]), row["at"]]))
    for row in interactions:
        records.setdefault(row["source_id"], {})["interactions"] = row["n"]
        last[row["source_id"]] = max(filter(None, [last.get(row["source_id"]), row["at"]]))
    summaries = [
        SourceSummary(
            names.get(sid, "?"),
            kinds.get(sid, ""),
            sorted(ids.get(sid, [])),
            records.get(sid, {}),
            last.get(sid),
        )
        for sid in sorted(set(ids) | set(records), key=lambda s: names.get(s, ""))
    ]
    return fields, summaries
