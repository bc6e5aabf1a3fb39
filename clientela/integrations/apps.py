"""The ERP loop: documents in over the API, webhooks out."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "clientela.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from clientela.core.events import register_event_type, register_listener
        from clientela.integrations.services import TEST_EVENT, on_event

        register_event_type(TEST_EVENT, "A test event sent by hand to check a receiver.")
        register_listener(on_event)
