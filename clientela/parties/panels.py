"""Extension point of the customer page: apps above parties (interactions, sales, tickets...) register panels.

parties cannot import the apps built on it, so they plug in here from their AppConfig.ready(): a panel
names its template, where it goes ("figures" under the header, "activity" in the centre column,
"related" in the side column) and a function that builds its context with that app's selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    position: str
    context: Callable[[HttpRequest, Any, Mapping[str, Any]], dict[str, Any]]
    order: int = 100


@dataclass
class _Registry:
    panels: list[Panel] = field(default_factory=list)
    # Relations of Party that panels read (e.g. "stats"), joined into the page's one party query.
    select_related: list[str] = field(default_factory=list)

    def register(self, panel: Panel, *, select_related: tuple[str, ...] = ()) -> None:
        self.panels = [p for p in self.panels if p.name != panel.name] + [panel]
        self.panels.sort(key=lambda p: (p.order, p.name))
        for name in select_related:
            if name not in self.select_related:
                self.select_related.append(name)

    def render_context(
        self, request: HttpRequest, party: Any, state: Mapping[str, Any]
    ) -> dict[str, list[dict[str, Any]]]:
        """Panels by position, each with its template and context."""
        out: dict[str, list[dict[str, Any]]] = {}
        for panel in self.panels:
            out.setdefault(panel.position, []).append(
                {"name": panel.name, "template": panel.template, **panel.context(request, party, state)}
            )
        return out


customer_panels = _Registry()


# The customer form (new and edit): panels in position "form" show above the Save button, e.g. identity's
# "this may be the same customer as ..." check. ``party`` is None on the new-customer form.
form_panels = _Registry()
