from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "clientela.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        from clientela.core.events import register_event_type
        from clientela.parties.panels import Panel, customer_panels

        register_event_type(
            "import.completed",
            "An import of customers or interactions finished (one event per file, with its counts).",
        )

        # The section loads when opened: the customer page itself pays no query for it.
        customer_panels.register(
            Panel(
                "sources",
                "imports/_sources_panel.html",
                "activity",
                lambda request, party, state: {"party_id": party.pk},
                order=90,
            )
        )
