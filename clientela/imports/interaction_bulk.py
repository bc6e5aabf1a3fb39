"""Set-based writing of a chunk of interaction rows.

The customers a chunk names (by the source's ids, tax ids, emails, phones) are found with one query
per kind of key, the people's employers (whose timeline also shows the record) with one more, and the
new ledger rows are validated by the ledger's own ``interaction_fields`` and inserted together. Rows
that may correct a record already in the ledger, or repeat an id seen earlier in the chunk, take the
row-by-row path of ``interaction_log``, which knows corrections.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Q
from django.utils import timezone

from clientela.core.bulk import TableWriter
from clientela.imports.interaction_rows import cell_text
from clientela.imports.models import Entity, ImportJob, SourceRecord
from clientela.imports.party_bulk import raw_json
from clientela.interactions.models import Interaction
from clientela.interactions.selectors import current_records
from clientela.parties.choices import PHONE_KINDS, ContactKind
from clientela.parties.models import ContactPoint, Party, Relationship, SourceLink
from clientela.parties.normalize import normalize_email, normalize_phone, normalize_tax_id

INTERACTION_COLUMNS = ("kind", "occurred_at", "channel", "direction", "party", "organisation", "user", "source",
                       "external_id", "summary", "payload", "amount", "currency", "status", "created_by")  # fmt: skip
RECORD_COLUMNS = ("source", "entity", "external_id", "raw", "digest", "interaction", "first_job", "last_job")


class PartyResolver:
    """The customers named by a chunk of rows, read with a few queries; ``find(values)`` answers per row
    exactly as the row-by-row lookup would: the source's id first, then tax id, email, phone."""

    def __init__(self, rows: Iterable[Mapping[str, object]], source_id: int, region: str) -> None:
        self.region = region
        rows = list(rows)
        external = {cell_text(v, "party_external_id") for v in rows} - {""}
        self.by_link: dict[str, int] = dict(
            SourceLink.objects.filter(source_id=source_id, external_id__in=external, party__deleted_at__isnull=True)
            .values_list("external_id", "party_id")
        ) if external else {}  # fmt: skip
        taxes = {self._tax(cell_text(v, "party_tax_id")) for v in rows} - {""}
        self.by_tax: dict[str, int] = {}
        for tax, pk in Party.objects.filter(tax_id__in=taxes).order_by("-pk").values_list("tax_id", "pk"):
            self.by_tax[tax] = pk
        wanted = {self._email(cell_text(v, "party_email")) for v in rows} | {
            self._phone(cell_text(v, "party_phone")) for v in rows
        }
        wanted -= {""}
        self.by_contact: dict[tuple[str, str], int] = {}
        if wanted:
            points = (
                ContactPoint.objects.filter(kind__in=[ContactKind.EMAIL, *PHONE_KINDS], normalized__in=wanted,
                                            deleted_at__isnull=True, party__deleted_at__isnull=True)
                .order_by("-party_id")
                .values_list("kind", "normalized", "party_id")
            )  # fmt: skip
            for kind, normalized, party_id in points:
                if kind == ContactKind.EMAIL:
                    self.by_contact[("email", normalized)] = party_id
                elif kind in PHONE_KINDS:
                    self.by_contact[("phone", normalized)] = party_id
        ids = set(self.by_link.values()) | set(self.by_tax.values()) | set(self.by_contact.values())
        self.parties = {p.pk: p for p in Party.objects.filter(pk__in=ids)}

    def _tax(self, raw: str) -> str:
        if not raw:
            return ""
        try:
            return normalize_tax_id(raw, self.region)
        except ValueError:
            return raw.upper()

    @staticmethod
    def _email(raw: str) -> str:
        with contextlib.suppress(ValueError):
            return normalize_email(raw)[1] if raw else ""
        return ""

    def _phone(self, raw: str) -> str:
        with contextlib.suppress(ValueError):
            return normalize_phone(raw, self.region).e164 if raw else ""
        return ""

    def find(self, values: Mapping[str, object]) -> Party | None:
        pk = self.by_link.get(cell_text(values, "party_external_id"))
        if pk is None:
            pk = self.by_tax.get(self._tax(cell_text(values, "party_tax_id")))
        if pk is None:
            pk = self.by_contact.get(("email", self._email(cell_text(values, "party_email"))))
        if pk is None:
            pk = self.by_contact.get(("phone", self._phone(cell_text(values, "party_phone"))))
        return self.parties.get(pk) if pk is not None else None


def employers(people: Iterable[int]) -> dict[int, Party]:
    """Each person's main current organisation (as ``filed_under`` picks it), for many people at once."""
    people = list(people)
    if not people:
        return {}
    today = timezone.localdate()
    rows = (
        Relationship.objects.filter(person_id__in=people, organisation__deleted_at__isnull=True)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
        .select_related("organisation")
        .order_by("person_id", "-is_primary", "id")
    )
    found: dict[int, Party] = {}
    for rel in rows:
        found.setdefault(rel.person_id, rel.organisation)
    return found


def already_logged(job: ImportJob, external_ids: Sequence[str]) -> set[str]:
    """Which of these ids the source already has a current ledger row for (they may be corrections)."""
    if not external_ids:
        return set()
    return set(
        current_records(source=job.source, external_ids=external_ids).values_list("external_id", flat=True)
    )


def insert_new(items: Sequence[Any], fields: Sequence[dict[str, Any]], *, job: ImportJob, actor: Any,
               effects: list[Any]) -> set[int]:  # fmt: skip
    """Insert the validated rows (``fields`` as ``interaction_fields`` returns them) with their source
    records; returns the customers whose figures need refreshing."""
    user_id = actor.user.pk if actor.user is not None else None
    rows = []
    touched: set[int] = set()
    for f in fields:
        org = f["organisation"]
        rows.append((f["kind"], f["occurred_at"], f["channel"], f["direction"], f["party"].pk, org.pk if org else None,
                     f["user"].pk if f["user"] else None, f["source"].pk, f["external_id"], f["summary"],
                     f["payload"], f["amount"], f["currency"], f["status"], user_id))  # fmt: skip
        touched.add(f["party"].pk)
        if org is not None:
            touched.add(org.pk)
    ids = TableWriter(Interaction, INTERACTION_COLUMNS).insert(rows, returning=True)
    record_ids = TableWriter(SourceRecord, RECORD_COLUMNS, prepared=("raw",)).insert(
        [(job.source_id, Entity.INTERACTIONS, i.external_id, raw_json(i), i.digest, pk, job.pk, job.pk)
         for i, pk in zip(items, ids, strict=True)],
        returning=True,
    )  # fmt: skip
    effects.extend((job.pk, "interactions.interaction", pk, "create", None) for pk in ids)
    effects.extend((job.pk, "imports.sourcerecord", pk, "create", None) for pk in record_ids)
    return touched
