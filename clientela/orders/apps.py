"""Quotes with versions and printable copies, and the orders they become."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "clientela.orders"
    label = "orders"
    verbose_name = _("Quotes and orders")
