"""Services of quotes and orders (one module per aggregate), importable from ``clientela.orders.services``."""

from clientela.orders.services.opportunity_products import opportunity_products_set
from clientela.orders.services.orders import (
    order_change_status,
    order_create_from_quote,
    order_record_external,
)
from clientela.orders.services.quotes import (
    quote_accept,
    quote_create,
    quote_new_version,
    quote_reject,
    quote_send,
    quote_update,
    quotes_expire,
)

__all__ = [
    "opportunity_products_set",
    "order_change_status",
    "order_create_from_quote",
    "order_record_external",
    "quote_accept",
    "quote_create",
    "quote_new_version",
    "quote_reject",
    "quote_send",
    "quote_update",
    "quotes_expire",
]
