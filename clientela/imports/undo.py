"""Undo a whole import: what it created goes (customers to the recycle bin), what it updated gets its
previous values back, and every step is written to the change log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.changes import field_values, record_snapshot, record_update
from clientela.core.models import ChangeAction
from clientela.imports.models import Effect, FieldProvenance, ImportJob, SourceRecord, Status
from clientela.imports.party_rows import PROVENANCE_KEY
from clientela.parties.models import ContactPoint, Party, SourceLink


class UndoRefused(Exception):
    """The import cannot be undone (still running, already undone, a dry run)."""


def _date_or_value(name: str, value: Any) -> Any:
    if name == "birth_date" and isinstance(value, str) and value:
        return dt.date.fromisoformat(value)
    return value


@transaction.atomic
def import_undo(*, actor: Actor, job: ImportJob) -> dict[str, int]:
    """Reverse every effect of ``job``, newest first; returns counts of what was removed and restored."""
    from clientela.parties.search import party_index_refresh

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.dry_run:
        raise UndoRefused(_("A dry run wrote nothing, so there is nothing to undo."))
    if job.status == Status.UNDONE:
        raise UndoRefused(_("This import was already undone."))
    if job.status == Status.RUNNING:
        raise UndoRefused(_("This import is still running; undo it when it has finished."))
    removed = restored = 0
    touched: set[int] = set()
    stats: set[int] = set()
    now = timezone.now()
    for effect in Effect.objects.filter(job=job).order_by("-id").iterator(chunk_size=2000):
        if effect.model == "parties.party":
            party = Party.all_objects.filter(pk=effect.object_id).first()
            if party is None:
                continue
            touched.add(party.pk)
            if effect.action == Effect.Action.CREATE:
                if party.deleted_at is None:
                    party.deleted_at, party.deleted_by = now, actor.user
                    party.version += 1
                    party.save(update_fields=["deleted_at", "deleted_by", "version", "updated_at"])
                    record_snapshot(actor=actor, obj=party, aggregate=party, action=ChangeAction.DELETE,
                                    snapshot=field_values(party, ("kind", "display_name")))  # fmt: skip
                    removed += 1
            else:
                saved = dict(effect.before or {})
                owners = saved.pop(PROVENANCE_KEY, {})
                before = {k: _date_or_value(k, v) for k, v in saved.items()}
                after = {k: getattr(party, k) for k in before}
                for name, value in before.items():
                    setattr(party, name, value)
                party.display_name = party.derived_display_name()
                from clientela.core.text import fold

                party.name_folded = fold(party.display_name)
                party.version += 1
                party.save(update_fields=[*before, "display_name", "name_folded", "version", "updated_at"])
                record_update(actor=actor, obj=party, aggregate=party, before=after, after=before)
                FieldProvenance.objects.filter(party=party, field__in=list(before), job=job).delete()
                # the fields go back to the source (and import) that had set them, if one had
                FieldProvenance.objects.bulk_create(
                    [
                        FieldProvenance(party=party, field=name, source_id=src, job_id=job_id)
                        for name, (src, _at, job_id) in owners.items()
                        if job_id != job.pk
                    ],
                    ignore_conflicts=True,
                )
                restored += 1
        elif effect.model == "parties.contactpoint":
            cp = ContactPoint.objects.filter(pk=effect.object_id).select_related("party").first()
            if cp is not None and cp.deleted_at is None:
                cp.deleted_at, cp.is_primary = now, False
                cp.version += 1
                cp.save(update_fields=["deleted_at", "is_primary", "version", "updated_at"])
                record_snapshot(actor=actor, obj=cp, aggregate=cp.party, action=ChangeAction.DELETE,
                                snapshot=field_values(cp, ("kind", "value")))  # fmt: skip
                touched.add(cp.party_id)
                removed += 1
        elif effect.model == "parties.sourcelink":
            link = SourceLink.objects.filter(pk=effect.object_id).first()
            if link is not None:
                touched.add(link.party_id)
                link.delete()
                removed += 1
        elif effect.model == "interactions.interaction":
            from clientela.interactions.models import Interaction

            row = Interaction.objects.filter(pk=effect.object_id).first()
            if row is None:
                continue
            stats.update(p for p in (row.party_id, row.organisation_id) if p)
            previous_id = (effect.before or {}).get("supersedes")
            # the ledger is append-only for people; undoing an import takes back exactly what it added
            row.delete()
            if previous_id:
                Interaction.objects.filter(pk=previous_id).update(is_current=True)
            removed += 1
        elif effect.model == "imports.sourcerecord":
            record = SourceRecord.objects.filter(pk=effect.object_id).first()
            if record is None:
                continue
            if effect.action == Effect.Action.CREATE:
                record.delete()
            else:
                before = effect.before or {}
                record.raw, record.digest = before.get("raw", {}), before.get("digest", "")
                record.party_id, record.interaction_id = before.get("party_id"), before.get("interaction_id")
                record.save(update_fields=["raw", "digest", "party", "interaction", "updated_at"])
    FieldProvenance.objects.filter(job=job).delete()  # what the undone import alone had set
    party_index_refresh(touched)
    if stats:
        from clientela.interactions.stats import party_stats_refresh

        party_stats_refresh(stats)
    job.status, job.undone_at = Status.UNDONE, now
    job.save(update_fields=["status", "undone_at"])
    return {"removed": removed, "restored": restored}
