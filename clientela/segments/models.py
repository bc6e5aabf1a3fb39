"""Saved customer segments: a rule tree over customer data, versioned, with who is in and why.

A ``Segment`` points at its current ``SegmentVersion``; editing the rules writes a new version (old ones
stay, so "why was this customer in the segment last March" has an answer). ``SegmentMembership`` is the
current member list (one row per member); ``MembershipChange`` is its history: every entry and exit, with
the version evaluated and the reason (which rule changed its outcome for that customer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import RestrictedModel, RestrictedQuerySet


class Segment(RestrictedModel):
    """A named, dynamic group of customers defined by rules (see ``SegmentVersion.definition``)."""

    permission_object = "segment"
    owner_path = "owner"
    team_path = "team"

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
    )
    current_version = models.ForeignKey(
        "SegmentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member_count = models.PositiveIntegerField(_("members"), default=0)
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    # The version number the member list was last computed with: when it differs from the current
    # version, the next evaluation's entries and exits are explained as "definition changed".
    evaluated_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # grows on every change of the segment (name, rules, owner...): ETag / If-Match in the API
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    @property
    def etag(self) -> str:
        return f'W/"{self.pk}-{self.version}"'


class SegmentVersion(models.Model):
    """One definition of a segment: the rule tree (JSON) and its readable text, as saved at the time."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("rules"))
    description = models.TextField(_("in words"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("segment version")
        verbose_name_plural = _("segment versions")
        constraints = [models.UniqueConstraint(fields=["segment", "number"], name="ix_segment_version")]

    def __str__(self) -> str:
        return f"{self.segment_id} v{self.number}"


class SegmentMembership(models.Model):
    """A customer currently in a segment, since when, and the version that let it in."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    party = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="segment_memberships")
    since = models.DateTimeField(_("member since"))
    version = models.ForeignKey(SegmentVersion, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [models.UniqueConstraint(fields=["segment", "party"], name="ix_segment_member")]
        indexes = [models.Index(fields=["party", "segment"], name="ix_member_party")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.party_id}"


class MembershipChange(models.Model):
    """A customer entered or left a segment: when, under which version, and why (the rules whose outcome
    changed, in words, and as data in ``details``)."""

    class Change(models.TextChoices):
        ENTERED = "entered", _("Entered")
        LEFT = "left", _("Left")

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="changes")
    party = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="segment_changes")
    change = models.CharField(_("change"), max_length=8, choices=Change.choices)
    at = models.DateTimeField(_("when"))
    version = models.ForeignKey(SegmentVersion, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("why"), blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("segment membership change")
        verbose_name_plural = _("segment membership changes")
        indexes = [
            models.Index(fields=["segment", "-at", "-id"], name="ix_segchange_segment"),
            models.Index(fields=["party", "-at", "-id"], name="ix_segchange_party"),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.party_id} {self.change}"
