"""The "this may be the same customer as ..." panel of the customer form, refreshed as the user types."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clientela.identity.check import LikelyMatch, matches_for_data
from clientela.identity.labels import labelled
from clientela.parties import selectors as party_selectors
from clientela.parties.forms import ContactPointFormSet, PartyForm, contact_items

REASONS = 3


def reasons(match: LikelyMatch) -> list[dict[str, Any]]:
    """The strongest agreements behind a match, in words (prior and total entries left out)."""
    entries = [e for e in match.explanation if e.get("field") not in ("prior", "total") and e["weight"] > 0]
    entries.sort(key=lambda e: -e["weight"])
    return labelled(entries[:REASONS])


@login_required
@require_POST
def check(request: HttpRequest) -> HttpResponse:
    """Likely existing matches of the customer being typed in the form (``?party=`` when editing one)."""
    exclude = None
    raw = request.GET.get("party", "")
    if raw.isdigit():
        exclude = party_selectors.party_get(user=request.user, pk=int(raw)).pk  # 404 unless visible
    form = PartyForm(request.POST)
    form.is_valid()  # service_data reads owner/team from cleaned_data when present
    formset = ContactPointFormSet(request.POST, prefix="cp")
    items = contact_items(formset)[0] if formset.is_valid() else []
    found = matches_for_data(user=request.user, data=form.service_data(), contacts=items, exclude=exclude)
    rows = [{"match": m, "reasons": reasons(m)} for m in found]
    return render(request, "identity/_check_results.html", {"rows": rows})


def form_panel_context(request: HttpRequest, party: Any, state: Any) -> dict[str, Any]:
    url = reverse("identity:check")
    return {"check_url": f"{url}?party={party.pk}" if party is not None else url}
