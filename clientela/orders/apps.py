"""Quotes with versions and printable copies, and the orders they become."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "clientela.orders"
    label = "orders"
    verbose_name = _("Quotes and orders")

    def ready(self) -> None:
        from clientela.orders import events
        from clientela.orders.panels import opportunity_products_context, opportunity_quotes_context
        from clientela.sales.panels import Panel, opportunity_panels

        events.register()
        opportunity_panels.register(
            Panel(
                "quotes", "orders/_opportunity_quotes.html", "related", opportunity_quotes_context, order=10
            )
        )
        opportunity_panels.register(
            Panel(
                "products",
                "orders/_opportunity_products.html",
                "related",
                opportunity_products_context,
                order=5,
            )
        )
