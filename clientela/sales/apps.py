"""Leads, pipelines and opportunities, and the sales forecast."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "clientela.sales"
    label = "sales"
    verbose_name = _("Sales")
