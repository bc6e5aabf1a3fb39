"""Outbound webhooks: who wants which events (subscriptions), and every delivery with its attempts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# What the receiver answered is kept for diagnosis, not archived: the first KB is enough to see the error.
EXCERPT_BYTES = 1024


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery status", "Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    # the last attempt failed and another one is scheduled (``next_attempt_at``)
    FAILED = "failed", pgettext_lazy("webhook delivery status", "Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")


# Deliveries that the retry sweep sends when their ``next_attempt_at`` has come.
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class WebhookSubscription(models.Model):
    """An outside system that wants some domain events POSTed to ``target_url``, signed with ``secret``.

    ``event_types`` lists the event types it wants; an empty list means every type, including those
    declared later. The counters summarise recent health so a failing receiver shows on the list page.
    """

    name = models.CharField(_("name"), max_length=100)
    target_url = models.URLField(_("target URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    success_count = models.PositiveIntegerField(_("successful deliveries"), default=0)
    failure_count = models.PositiveIntegerField(_("failed attempts"), default=0)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def etag(self) -> str:
        return f'W/"wh{self.pk}-{self.version}"'

    @property
    def secret_hint(self) -> str:
        """The secret's last characters, enough to tell which one a receiver holds."""
        return f"…{self.secret[-4:]}" if self.secret else ""

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event for one subscription: the body sent (the same on every attempt) and where it stands.

    ``payload`` is the whole JSON body (``{"id", "type", "created_at", "data"}``); the ``last_*`` fields
    repeat the latest attempt for the log list, and ``attempts`` keeps each one.
    """

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_type = models.CharField(_("event type"), max_length=100)
    event_id = models.UUIDField(_("event id"))
    payload = models.JSONField(_("body"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_response_body = models.TextField(_("response excerpt"), blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="ix_webhook_due"),
            models.Index(fields=["-created_at", "-id"], name="ix_webhook_log"),
        ]
        constraints = [
            # the listener may be called twice for one event (a retried commit hook): one row per receiver
            models.UniqueConstraint(fields=["subscription", "event_id"], name="ix_webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what came back (code and the first KB) or why it failed, how long."""

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("sent"))
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response excerpt"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    manual = models.BooleanField(_("sent by hand"), default=False)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
