"""Customer segments: rules over customer data, readable, versioned, with membership history."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "clientela.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from clientela.identity.references import register_derived, register_ignored

        register_derived(
            "segments.SegmentMembership", "clientela.segments.services.party_memberships_refresh"
        )
        register_ignored("segments.MembershipChange", "history names the customer as it was evaluated then")
