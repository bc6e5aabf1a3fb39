"""Customer segments: rules over customer data, readable, versioned, with membership history."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _segment_filter():  # type: ignore[no-untyped-def]
    """``?segment=ID``: the current members of an active segment (the list's own scope still applies)."""
    import django_filters

    from clientela.segments.selectors import member_party_ids

    def members(queryset, name, value):  # type: ignore[no-untyped-def]
        if value is None:
            return queryset
        return queryset.filter(pk__in=member_party_ids(int(value)))

    return django_filters.NumberFilter(label=_("Segment"), method=members, min_value=1, max_value=2**63 - 1)


def _segment_choices(user):  # type: ignore[no-untyped-def]
    """The active segments the user may see, for the customer list's segment filter."""
    from clientela.segments.selectors import segments_for_user

    rows = segments_for_user(user).filter(is_active=True).order_by("name", "pk").values_list("pk", "name")
    return [(str(pk), name) for pk, name in rows]


def _after_refit(event_type, payload):  # type: ignore[no-untyped-def]
    """Segments may test RFM segments, CLV or P(alive): re-evaluate them once new scores are committed."""
    if event_type != "analytics.refitted":
        return
    from clientela.segments.tasks import segments_refresh_task

    segments_refresh_task.enqueue()


class SegmentsConfig(AppConfig):
    name = "clientela.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from clientela.identity.references import register_derived, register_ignored
        from clientela.parties.filters import register_party_filter

        register_derived(
            "segments.SegmentMembership", "clientela.segments.services.party_memberships_refresh"
        )
        register_ignored("segments.MembershipChange", "history names the customer as it was evaluated then")
        register_party_filter("segment", _segment_filter, choices=_segment_choices)
        from clientela.core.events import register_listener

        register_listener(_after_refit)
        from clientela.interactions.stats import register_stats_listener
        from clientela.segments.tasks import memberships_listener, party_changed_listener

        # memberships follow the data: ledger writes and customer edits re-evaluate the touched customers
        register_stats_listener(memberships_listener)
        register_listener(party_changed_listener)

        from clientela.parties.panels import Panel, customer_panels

        # lazy (htmx): the customer page keeps its query count whatever the number of segments
        customer_panels.register(
            Panel(
                "segments",
                "segments/_party_panel_lazy.html",
                "related",
                lambda request, party, state: {},
                order=60,
            )
        )
