"""The interaction ledger's panels on the customer page: key figures, and the composer with the timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from clientela.interactions.choices import Kind
from clientela.interactions.forms import QUICK_FORMS
from clientela.interactions.selectors import customer_figures, customer_upcoming
from clientela.interactions.services import may_log
from clientela.parties.panels import Panel, customer_panels

FILTER_CHIPS = (
    ("", None),
    ("email", Kind.EMAIL),
    ("call", Kind.CALL),
    ("meeting", Kind.MEETING),
    ("note", Kind.NOTE),
    ("complaint", Kind.COMPLAINT),
    ("return", Kind.RETURN),
    ("suggestion", Kind.SUGGESTION),
    ("purchase", Kind.PURCHASE),
    ("invoice", Kind.INVOICE),
    ("payment", Kind.PAYMENT),
)


def _upcoming(request: HttpRequest, party: Any) -> list[Any]:
    """The party's scheduled activities, read once per request for both panels that show them."""
    cache: dict[int, list[Any]] = request.__dict__.setdefault("_clientela_upcoming", {})
    if party.pk not in cache:
        cache[party.pk] = customer_upcoming(party=party)
    return cache[party.pk]


def figures_context(request: HttpRequest, party: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    upcoming = _upcoming(request, party)
    return {"figures": customer_figures(party=party), "next_activity": upcoming[0] if upcoming else None}


def activity_context(request: HttpRequest, party: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    from clientela.interactions.views import timeline_context

    bound = state.get("forms", {})
    active = state.get("active") or request.GET.get("log", "")
    active = active if active in QUICK_FORMS else "note"
    # Only the open form is rendered; the others load when their tab is first clicked (or with ?log=kind).
    forms = [
        (kind, Kind(kind).label, bound.get(kind) or (form_class() if kind == active else None))
        for kind, form_class in QUICK_FORMS.items()
    ]
    return {
        **timeline_context(request, party),
        "quick_forms": forms,
        "active_form": active,
        "can_log": may_log(request.user, party),
        "upcoming": _upcoming(request, party),
        "chips": [(value, kind.label if kind else None) for value, kind in FILTER_CHIPS],
        "selected_kinds": request.GET.getlist("kind"),
        # the filter fields as typed (read here: a missing key costs the template engine four exceptions)
        "typed": {name: request.GET.get(name, "") for name in ("from", "to", "source")},
    }


def register() -> None:
    customer_panels.register(
        Panel("figures", "interactions/_figures.html", "figures", figures_context, order=10),
        select_related=("stats", "stats__last_contact_by"),
    )
    customer_panels.register(
        Panel("activity", "interactions/_activity.html", "activity", activity_context, order=10)
    )
