from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "clientela.parties"
    label = "parties"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Events for webhooks (payload: services.party_event_data; documented in docs/integrations.md).
        from clientela.core.events import register_event_type

        register_event_type("party.created", "A customer (person or organisation) was created.")
        register_event_type("party.updated", "A customer's fields or contact points were changed.")
        register_event_type("party.deleted", "A customer was moved to the recycle bin.")
        register_event_type("party.merged", "A duplicate customer was merged into another one.")
