"""Import jobs before they run: the source a file comes from, its saved mapping, and the job row
(an unfinished job of the same file, source, mode and mapping is resumed rather than started again)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clientela.core.actor import Actor
from clientela.core.models import SourceKind, SourceSystem
from clientela.imports.mapping import Mapping, MappingError, parse_mapping
from clientela.imports.models import ImportJob, Mode, Status
from clientela.imports.readers import detect_format


class ImportFailed(Exception):
    """The import could not run at all (unreadable file, bad mapping); the message says why."""


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def source_for(name: str, kind: str | None = None) -> SourceSystem:
    """The source called ``name`` (by code or name, case aside), registered on first use."""
    from django.utils.text import slugify

    name = " ".join(name.split())[:100]
    slug = slugify(name)[:64] or "source"
    found = (
        SourceSystem.objects.filter(slug__in=[name, slug]).order_by("id").first()
        or SourceSystem.objects.filter(name__iexact=name).order_by("id").first()
    )
    if found is not None:
        return found
    return SourceSystem.objects.create(slug=slug, name=name, kind=kind or SourceKind.OTHER)


def mapping_template(source: SourceSystem, entity: str) -> Mapping | None:
    """The mapping saved for this source's files of ``entity``, if any (still valid for today's fields)."""
    saved = (source.mapping_templates or {}).get(entity)
    if not saved:
        return None
    try:
        return parse_mapping(saved, entity=entity)
    except MappingError:
        return None  # a template from an older version: suggestions take over


def mapping_template_save(*, source: SourceSystem, entity: str, mapping: Mapping) -> None:
    """Keep ``mapping`` as the template for this source's files of ``entity`` (replacing the previous one)."""
    with transaction.atomic():
        locked = SourceSystem.objects.select_for_update().get(pk=source.pk)
        templates = dict(locked.mapping_templates or {})
        templates[entity] = mapping.to_json()
        locked.mapping_templates = templates
        locked.save(update_fields=["mapping_templates"])
        source.mapping_templates = templates


def job_create(
    *,
    actor: Actor,
    path: Path,
    source: SourceSystem,
    entity: str,
    mapping: Mapping | None = None,
    mode: str = Mode.SKIP,
    dry_run: bool = False,
) -> ImportJob:
    """Register an import of ``path``; an unfinished job of the same file and source is resumed instead."""
    if not path.is_file():
        raise ImportFailed(_("There is no file %(path)s.") % {"path": path})
    digest = file_digest(path)
    if not dry_run:
        wanted = mapping.to_json() if mapping else {}
        unfinished = [
            job
            for job in ImportJob.objects.filter(
                source=source, entity=entity, file_sha256=digest, dry_run=False, mode=mode,
                status__in=[Status.PENDING, Status.RUNNING],
            ).order_by("-id")
            if job.mapping == wanted  # the same file read with another mapping is another import
        ]  # fmt: skip
        if unfinished:
            return unfinished[0]
    fmt = detect_format(path, mapping.options.format if mapping else None)
    return ImportJob.objects.create(
        source=source, entity=entity, file_path=str(path.resolve()), original_name=path.name[:255],
        file_sha256=digest, format=fmt, mapping=mapping.to_json() if mapping else {}, mode=mode,
        dry_run=dry_run, language=translation.get_language() or "", created_by=actor.user,
    )  # fmt: skip


def import_event(pk: int) -> dict[str, Any]:
    """The "import.completed" payload: the job, its source, its counts and when it ran."""
    job = ImportJob.objects.select_related("source").get(pk=pk)
    return {
        "id": job.pk,
        "source": job.source.slug,
        "entity": job.entity,
        "status": job.status,
        "file": job.original_name,
        "rows": job.rows_total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "failed": job.failed,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
