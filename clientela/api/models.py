"""Models of the API layer: stored answers of requests sent with an ``Idempotency-Key`` header."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The answer given to one user's request carrying an ``Idempotency-Key`` header.

    A retry with the same key and the same request (``request_hash``: method, path and canonical JSON body)
    gets this answer again without anything being written; the same key with another request is refused.
    Only successful answers (2xx) are stored, in the same transaction as the writes they report. Records
    older than ``clientela.api.idempotency.TTL`` are ignored and removed by ``idempotency_purge``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="idempotency_records",
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.TextField()
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="ix_unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path} -> {self.response_status})"
