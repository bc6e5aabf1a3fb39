"""Parties (people and organisations), their contact points and person-organisation relationships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.core.models import TimeStampedModel
from clientela.core.permissions import RestrictedModel
from clientela.parties.choices import ContactKind, ContactLabel, LifecycleStatus, PartyKind, SocialNetwork
from clientela.parties.querysets import (
    AlivePartyManager,
    ContactPointQuerySet,
    PartyQuerySet,
    RelationshipQuerySet,
)


class Tag(models.Model):
    """A free label on parties; ``key`` is the folded name so "VIP" and "vip" are one tag."""

    name = models.CharField(_("name"), max_length=50)
    key = models.CharField(max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Party(RestrictedModel, TimeStampedModel):
    """A customer, prospect or any counterpart: a person or an organisation.

    People have given names and up to two family names (Spanish double surnames); organisations a legal
    and a trade name. ``display_name`` is derived from those unless set explicitly; ``name_folded`` is its
    case- and accent-folded form for sorting and search. ``version`` grows on every change of the party or
    its contact points and backs optimistic concurrency (ETag / If-Match, stale edit forms).
    Deletion is soft: ``deleted_at`` puts the party in the recycle bin.
    """

    permission_object = "party"
    owner_path = "owner"
    team_path = "team"

    kind = models.CharField(_("kind"), max_length=16, choices=PartyKind.choices)
    status = models.CharField(
        _("lifecycle status"), max_length=16, choices=LifecycleStatus.choices, default=LifecycleStatus.LEAD
    )
    given_names = models.CharField(_("given names"), max_length=150, blank=True)
    family_name_1 = models.CharField(_("first family name"), max_length=100, blank=True)
    family_name_2 = models.CharField(_("second family name"), max_length=100, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    trade_name = models.CharField(_("trade name"), max_length=255, blank=True)
    display_name = models.CharField(_("display name"), max_length=255)
    name_folded = models.CharField(max_length=255, editable=False)
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True, db_index=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    notes = models.TextField(_("notes"), max_length=20000, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="parties")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_parties",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AlivePartyManager()
    all_objects = PartyQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["name_folded", "id"], name="party_name_idx"),
            models.Index(fields=["owner", "name_folded", "id"], name="party_owner_name_idx"),
            models.Index(fields=["team", "name_folded", "id"], name="party_team_name_idx"),
            models.Index(fields=["-updated_at", "-id"], name="party_updated_idx"),
            # Only the recycle bin is indexed: an index over every live row's NULL led SQLite to scan
            # all live customers for "deleted_at IS NULL AND tax_id IN (...)" (164 ms at 500k).
            models.Index(
                fields=["deleted_at"], name="party_deleted_idx", condition=Q(deleted_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_person(self) -> bool:
        return self.kind == PartyKind.PERSON

    @property
    def family_names(self) -> str:
        return " ".join(p for p in (self.family_name_1, self.family_name_2) if p)

    def derived_display_name(self) -> str:
        if self.kind == PartyKind.PERSON:
            return " ".join(
                p for p in (self.given_names, self.family_name_1, self.family_name_2) if p
            ).strip()
        return (self.trade_name or self.legal_name).strip()

    @property
    def etag(self) -> str:
        return f'W/"{self.pk}-{self.version}"'


class ContactPoint(RestrictedModel, TimeStampedModel):
    """One way to reach a party: email, phone (landline, mobile, fax), website, social handle or address.

    ``value`` is what is shown; ``normalized`` is the matching key (E.164 phone, folded email with IDNA
    domain, "network:handle", folded address). At most one primary per party and kind. ``source`` names
    where the value came from (typed by hand, or a source system).
    """

    permission_object = "party"
    owner_path = "party__owner"
    team_path = "party__team"

    # No index of its own: contact_party_kind_idx (party, kind) serves every lookup by party, and each
    # index is one more write per contact point (an import writes millions).
    party = models.ForeignKey(
        Party,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="contact_points",
        db_index=False,
    )
    # nothing reads contact points by time: the timestamps are kept, their indexes are not
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    label = models.CharField(
        _("label"), max_length=16, choices=ContactLabel.choices, default=ContactLabel.WORK
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    value = models.CharField(_("value"), max_length=320, blank=True)
    normalized = models.CharField(_("normalised value"), max_length=320, blank=True, editable=False)
    social_network = models.CharField(
        _("social network"), max_length=16, choices=SocialNetwork.choices, blank=True
    )
    street = models.CharField(_("street"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=64, default="manual")
    version = models.PositiveIntegerField(_("version"), default=1)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    objects = ContactPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["kind", "-is_primary", "id"]
        indexes = [
            models.Index(fields=["kind", "normalized"], name="contact_normalized_idx"),
            models.Index(fields=["party", "kind"], name="contact_party_kind_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["party", "kind"],
                condition=Q(is_primary=True, deleted_at__isnull=True),
                name="contact_one_primary_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def etag(self) -> str:
        return f'W/"cp{self.pk}-{self.version}"'


class Relationship(RestrictedModel, TimeStampedModel):
    """A person's link to an organisation (employee, director, contact...), with role/title and dates.

    Visibility follows the person's record.
    """

    permission_object = "party"
    owner_path = "person__owner"
    team_path = "person__team"

    person = models.ForeignKey(
        Party, verbose_name=_("person"), on_delete=models.CASCADE, related_name="employments"
    )
    organisation = models.ForeignKey(  # relationship_org_idx (organisation, person) indexes it
        Party,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="members",
        db_index=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)  # not indexed: nothing reads by time
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    role = models.CharField(_("role or title"), max_length=150, blank=True)
    is_primary = models.BooleanField(_("main organisation"), default=False)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        ordering = ["-is_primary", "id"]
        indexes = [models.Index(fields=["organisation", "person"], name="relationship_org_idx")]

    def __str__(self) -> str:
        return f"{self.person} @ {self.organisation}"

    @property
    def etag(self) -> str:
        return f'W/"rel{self.pk}-{self.version}"'


class SourceLink(models.Model):
    """A customer's record in another system: ``(source, external_id)`` points at exactly one party.

    This is how the islands are joined: the finance system's customer "C-0042" and the shop's account
    "8812" both lead to the same party, so their records land on one customer page, and the id typed in
    the global search finds the customer. A link never overwrites another source's data; after a merge it
    moves to the surviving party.
    """

    source = models.ForeignKey(
        "core.SourceSystem", verbose_name=_("source"), on_delete=models.PROTECT, related_name="party_links"
    )
    external_id = models.CharField(_("external id"), max_length=200)
    party = models.ForeignKey(
        Party, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="source_links"
    )
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("record in another system")
        verbose_name_plural = _("records in other systems")
        ordering = ["source__name", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="parties_sourcelink_unique"),
        ]
        indexes = [models.Index(fields=["party"], name="parties_sourcelink_party")]

    def __str__(self) -> str:
        return f"{self.source.slug}:{self.external_id}"
