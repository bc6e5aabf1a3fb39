"""Analytical CRM: RFM, customer lifetime value (BG/NBD + Gamma-Gamma), churn risk, cohorts and dashboards."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "clientela.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from clientela.identity.references import register_derived

        register_derived("analytics.CustomerScore", "clientela.analytics.scores.party_scores_refresh")
