"""Import jobs and what they leave behind: row errors, source records, field provenance and undo effects.

An import job reads one file of one source system, row by row in committed chunks. Its ``cursor`` is
written in the same transaction as each chunk's rows, so a job killed at any moment resumes exactly
where the last commit stopped: no row is written twice and none half.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    PARTIES = "parties", _("Customers")
    INTERACTIONS = "interactions", _("Interactions")


class Mode(models.TextChoices):
    SKIP = "skip", _("Skip bad rows")
    ATOMIC = "atomic", _("All or nothing")


class Status(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportJob(models.Model):
    """One import of one file from one source: its settings, progress cursor and counts."""

    source = models.ForeignKey(
        "core.SourceSystem", verbose_name=_("source"), on_delete=models.PROTECT, related_name="imports"
    )
    entity = models.CharField(_("records"), max_length=16, choices=Entity.choices)
    file_path = models.CharField(_("file"), max_length=500)
    original_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    format = models.CharField(_("format"), max_length=8)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.SKIP)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(_("language"), max_length=8, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    cursor = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    matched = models.PositiveIntegerField(_("matched to existing"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    failed = models.PositiveIntegerField(_("rows with errors"), default=0)
    # new customers that look like customers who existed before the import (imports/duplicates.py)
    possible_duplicates = models.PositiveIntegerField(_("possible duplicates"), default=0)
    duplicate_samples = models.JSONField(_("possible duplicates (first ones)"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} · {self.original_name}"

    @property
    def is_draft(self) -> bool:
        """An uploaded file whose columns were never confirmed: nothing is queued or running for it."""
        return self.status == Status.PENDING and not self.dry_run and not self.mapping


class RowError(models.Model):
    """A problem with one row (and column) of an import, in the language of the person who ran it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_index = models.PositiveIntegerField()
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=255, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=500)

    class Meta:
        verbose_name = _("row error")
        verbose_name_plural = _("row errors")
        ordering = ["job", "line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="imports_rowerror_job_line")]

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class SourceRecord(models.Model):
    """A source's record as last imported: its raw row, a digest to spot changes, and where it landed.

    ``(source, entity, external_id)`` is unique, so re-importing a file (or a newer export of it)
    updates what the first import wrote instead of duplicating it.
    """

    source = models.ForeignKey("core.SourceSystem", on_delete=models.PROTECT, related_name="+")
    entity = models.CharField(max_length=16, choices=Entity.choices)
    external_id = models.CharField(max_length=200)
    raw = models.JSONField(default=dict)
    digest = models.CharField(max_length=64)
    party = models.ForeignKey(
        "parties.Party", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    interaction = models.ForeignKey(
        "interactions.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_job = models.ForeignKey(ImportJob, null=True, on_delete=models.SET_NULL, related_name="+")
    last_job = models.ForeignKey(ImportJob, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "entity", "external_id"], name="imports_sourcerecord_unique"
            )
        ]
        indexes = [models.Index(fields=["party"], name="imports_sourcerecord_party")]

    def __str__(self) -> str:
        return f"{self.entity}:{self.external_id}"


class FieldProvenance(models.Model):
    """Which source (and import) last set a customer's field: shown on the customer page."""

    party = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="provenance")
    field = models.CharField(max_length=40)
    source = models.ForeignKey("core.SourceSystem", on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["party", "field"], name="imports_provenance_unique")]

    def __str__(self) -> str:
        return f"{self.field} <- {self.source_id}"


class Effect(models.Model):
    """One write of an import, with the values it replaced: what undo needs to put things back."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="effects")
    model = models.CharField(max_length=40)  # app_label.model
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["job", "id"], name="imports_effect_job")]

    def __str__(self) -> str:
        return f"{self.action} {self.model} {self.object_id}"
