"""The customer page's "Open tasks" panel: an empty card that loads its rows with htmx (no query on the
customer page itself, so its query budget does not grow)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from clientela.parties.panels import Panel, customer_panels


def open_tasks_context(request: HttpRequest, party: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    return {"party_id": party.pk}


def register() -> None:
    customer_panels.register(
        Panel("open_tasks", "activities/_customer_panel.html", "activity", open_tasks_context, order=5)
    )
