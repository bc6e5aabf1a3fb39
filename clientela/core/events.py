"""Domain events for the outside world: "party.created", "opportunity.stage_changed", "order.created"...

Services call ``publish`` inside their transaction; listeners (the webhooks of ``clientela.integrations``,
registered in its ``ready()``) are called only after the transaction commits, so an event is never sent
for a change that was rolled back. Lower apps publish without importing the apps that listen.

Event payloads are plain JSON-safe dicts with a stable shape per event type (documented in
``docs/integrations.md``); ``build`` is called once, after commit, so it reads the committed state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

# listener(event_type, payload)
Listener = Callable[[str, Mapping[str, Any]], None]
_LISTENERS: list[Listener] = []

# Every event type a service may publish (subscriptions choose among these).
EVENT_TYPES: dict[str, str] = {}


def register_event_type(name: str, description: str) -> None:
    """Declare an event type (e.g. "opportunity.won") with a one-line description for the UI and docs."""
    EVENT_TYPES[name] = description


def register_listener(listener: Listener) -> None:
    """Add a listener, called after commit for every published event."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def unregister_listener(listener: Listener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def publish(event_type: str, build: Callable[[], Mapping[str, Any]]) -> None:
    """Announce ``event_type`` once the current transaction commits (at once outside a transaction)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: declare it with register_event_type")
    if not _LISTENERS:
        return

    def deliver() -> None:
        payload = build()
        for listener in list(_LISTENERS):
            listener(event_type, payload)

    transaction.on_commit(deliver)
