"""Leads, pipelines and opportunities, and the sales forecast."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "clientela.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from clientela.core.events import register_event_type
        from clientela.parties.panels import Panel, customer_panels

        # lazy (htmx): the customer page keeps its query count whatever the sales history
        customer_panels.register(
            Panel(
                "opportunities",
                "sales/_party_panel.html",
                "activity",
                lambda request, party, state: {},
                order=6,
            )
        )

        for name, description in (
            ("opportunity.created", "An opportunity was opened."),
            ("opportunity.updated", "An opportunity changed: its fields, its stage or its product lines."),
            ("opportunity.stage_changed", "An opportunity moved to another stage."),
            ("opportunity.won", "An opportunity reached a won stage."),
            ("opportunity.lost", "An opportunity reached a lost stage."),
            ("opportunity.deleted", "An opportunity was deleted."),
            ("lead.created", "A lead was captured (web form, import, API or by hand)."),
            ("lead.converted", "A lead was converted into a customer and an opportunity."),
        ):
            register_event_type(name, description)
