"""Analytical CRM: RFM, customer lifetime value (BG/NBD + Gamma-Gamma), churn risk, cohorts and dashboards."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from clientela.analytics.filters import register_filters, register_sorts
        from clientela.analytics.panels import value_context
        from clientela.analytics.tasks import scores_listener
        from clientela.identity.references import register_derived
        from clientela.interactions.stats import register_stats_listener
        from clientela.parties.panels import Panel, customer_panels

        register_derived("analytics.CustomerScore", "clientela.analytics.scores.party_scores_refresh")
        # scores follow the ledger: rescored once per committed transaction (see tasks.scores_listener)
        register_stats_listener(scores_listener)
        # the score and its fit are joined into the page's one party query: no extra query on the page
        customer_panels.register(
            Panel("value", "analytics/_party_value.html", "figures", value_context, order=20),
            select_related=("score", "score__fit"),
        )
        from clientela.core.events import register_event_type

        register_event_type(
            "analytics.refitted", "The customer value models were refitted and every score recomputed."
        )
        register_filters()
        register_sorts()
