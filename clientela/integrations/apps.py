"""The ERP loop: documents in over the API, webhooks out."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "clientela.integrations"
    label = "integrations"
    verbose_name = _("Integrations")
