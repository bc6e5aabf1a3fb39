"""Base models and the generic change log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.actor import Source


class TimeStampedModel(models.Model):
    """Adds creation and last-update times (UTC, timezone-aware)."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    RESTORE = "restore", _("Restored")
    PURGE = "purge", _("Purged")


class ObjectChange(models.Model):
    """One recorded change to customer data: who, when, through which channel, what field, old and new value.

    Updates write one row per changed field. Creates, deletes, restores and purges write one row whose
    ``field`` is empty and whose new (or old) value holds a snapshot of the object. ``aggregate_*`` names
    the root record the change belongs to (a contact point's party), so a party's history is one indexed read.
    """

    time = models.DateTimeField(_("time"), auto_now_add=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_token_id = models.BigIntegerField(_("API token"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    request_id = models.CharField(_("request or job id"), max_length=64, blank=True)
    # indexed by core_change_object (object_type, object_id), which it leads
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    object_id = models.BigIntegerField()
    object_repr = models.CharField(_("object"), max_length=200)
    aggregate_type = models.CharField(max_length=64)
    aggregate_id = models.BigIntegerField()
    action = models.CharField(_("action"), max_length=16, choices=ChangeAction.choices)
    field = models.CharField(_("field"), max_length=64, blank=True)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(
                fields=["aggregate_type", "aggregate_id", "-time", "-id"], name="core_change_aggregate"
            ),
            models.Index(fields=["object_type", "object_id"], name="core_change_object"),
            models.Index(fields=["-time"], name="core_change_time"),
            # Most changes (imports, jobs) carry no request id; indexing only the others keeps the
            # lookup by request and saves a write per change. Queries must say request_id != "" to use it.
            models.Index(fields=["request_id"], name="core_change_request", condition=~Q(request_id="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr} {self.field}".strip()


class SourceKind(models.TextChoices):
    FINANCE = "finance", _("Finance")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")
    ERP = "erp", _("ERP")
    MARKETING = "marketing", _("Marketing")
    SOCIAL = "social", _("Social")
    MANUAL = "manual", _("Entered in Clientela")
    OTHER = "other", _("Other")


class SourceSystem(models.Model):
    """A system customer data comes from (a department's ERP, the support desk, Clientela itself).

    Records imported or posted from a source keep ``(source, external_id)`` so the same record posted twice
    is recognised. ``default_country`` reads its phone numbers, ``default_currency`` its amounts.
    """

    MANUAL_SLUG = "clientela"

    slug = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=SourceKind.choices, default=SourceKind.OTHER)
    default_country = models.CharField(_("default country"), max_length=2, blank=True)
    default_currency = models.CharField(_("default currency"), max_length=3, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    # The import mapping saved for this source's files, by kind of record ("parties", "interactions"):
    # the same JSON shape as a mapping file, used when an import names no mapping.
    mapping_templates = models.JSONField(_("import templates"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("source system")
        verbose_name_plural = _("source systems")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
