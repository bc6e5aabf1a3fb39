"""Statuses and categories of the sales app (translated)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OpportunityStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ForecastCategory(models.TextChoices):
    """How sure the owner is, independent of the stage's probability (the usual CRM forecast buckets)."""

    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    OMITTED = "omitted", _("Omitted")
    CLOSED = "closed", _("Closed")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    WORKING = "working", _("Working")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONVERTED = "converted", _("Converted")


class LeadOrigin(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    MANUAL = "manual", _("By hand")


# Strings of the seeded default pipeline (migration 0002), listed so that the catalogs translate them.
SEEDED_NAMES = (
    _("New business"),
    _("Qualification"),
    _("Needs analysis"),
    _("Proposal"),
    _("Negotiation"),
    _("Won"),
    _("Lost"),
    _("Price"),
    _("Chose a competitor"),
    _("No budget"),
    _("No decision"),
    _("Timing"),
    _("Product fit"),
)
