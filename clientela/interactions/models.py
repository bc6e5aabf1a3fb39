"""The interaction ledger: one append-only table for everything that happens with a customer."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.models import SourceSystem
from clientela.core.permissions import RestrictedModel, RestrictedQuerySet
from clientela.interactions.choices import Channel, Direction, Kind


class Interaction(RestrictedModel):
    """Something that happened with a customer: an email, call, meeting, complaint, purchase, payment...

    Append-only: a correction writes a new row that ``supersedes`` the old one (which stays, with
    ``is_current`` false), so nothing is silently overwritten. ``payload`` holds the kind's typed fields
    (validated by ``payloads.PAYLOADS``); ``summary``, ``amount``, ``currency`` and ``status`` are copied
    out of it for display, search and aggregation. ``(source, external_id)`` identifies a record of a
    source system: posting it twice never duplicates it. Visibility follows the customer's record.
    """

    permission_object = "party"
    owner_path = "party__owner"
    team_path = "party__team"

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("when"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    # No index of their own: ix_party_timeline and ix_org_timeline lead with them (lookups, cascades), and
    # beside a plain index PostgreSQL's generic plan of a prepared timeline page read the customer's
    # whole history through it and sorted it.
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,
    )
    organisation = models.ForeignKey(
        "parties.Party",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisation_interactions",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    source = models.ForeignKey(
        SourceSystem, verbose_name=_("source"), on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    payload = models.JSONField(_("details"), default=dict)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    status = models.CharField(_("status"), max_length=16, blank=True)
    related = models.ManyToManyField("self", verbose_name=_("related records"), blank=True, symmetrical=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="superseded_by"
    )
    is_current = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(
                fields=["party", "-occurred_at", "-id"],
                name="ix_party_timeline",
                condition=Q(is_current=True),
            ),
            models.Index(
                fields=["organisation", "-occurred_at", "-id"],
                name="ix_org_timeline",
                condition=Q(is_current=True),
            ),
            models.Index(fields=["kind", "-occurred_at"], name="ix_kind_time"),
            models.Index(fields=["-occurred_at", "-id"], name="ix_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(is_current=True) & ~Q(external_id=""),
                name="ix_unique_source_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d} {self.summary}".strip()


class PartyStats(models.Model):
    """Key figures of a customer, kept current by the interaction services (never computed per page view).

    Money figures are in ``currency`` (the first currency seen for the customer); amounts in other
    currencies are kept apart in ``other_currencies`` ({"USD": {"purchases": "12.00", ...}}) rather than
    being added up with a made-up rate.
    """

    party = models.OneToOneField(
        "parties.Party",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="stats",
        verbose_name=_("customer"),
    )
    interaction_count = models.PositiveIntegerField(_("interactions"), default=0)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    purchases_total = models.DecimalField(
        _("lifetime purchases"), max_digits=18, decimal_places=2, default=Decimal(0)
    )
    purchases_count = models.PositiveIntegerField(_("purchases"), default=0)
    returns_total = models.DecimalField(_("returns"), max_digits=18, decimal_places=2, default=Decimal(0))
    returns_count = models.PositiveIntegerField(_("returns"), default=0)
    open_complaints = models.PositiveIntegerField(_("open complaints"), default=0)
    # Invoices add, payments subtract; a balance statement from finance resets it as of its date.
    outstanding_balance = models.DecimalField(
        _("outstanding balance"), max_digits=18, decimal_places=2, default=Decimal(0)
    )
    balance_as_of = models.DateTimeField(null=True, blank=True)
    other_currencies = models.JSONField(default=dict, blank=True)
    first_purchase_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_purchase_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_contact_kind = models.CharField(max_length=16, blank=True)
    last_contact_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer figures")
        verbose_name_plural = _("customer figures")

    def __str__(self) -> str:
        return f"stats {self.party_id}"
