"""The customer page's timeline (keyset pages, server-side filters) and quick-log forms."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.interactions.choices import Kind
from clientela.interactions.forms import QUICK_FORMS
from clientela.interactions.selectors import TimelineFilter, customer_timeline
from clientela.interactions.services import interaction_log, may_log
from clientela.parties import selectors as party_selectors
from clientela.parties.views import render_detail

PAGE = 50


def timeline_filter(params: Any) -> TimelineFilter:
    """Filters from the query string: kind (repeatable), from/to dates (inclusive), source slug."""
    tz = timezone.get_current_timezone()
    since = parse_date(params.get("from") or "") if params.get("from") else None
    until = parse_date(params.get("to") or "") if params.get("to") else None
    return TimelineFilter(
        kinds=[k for k in params.getlist("kind") if k in Kind.values],
        since=dt.datetime.combine(since, dt.time.min, tz) if since else None,
        until=dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tz) if until else None,
        source=(params.get("source") or "")[:64],
    )


def timeline_context(request: HttpRequest, party: Any, cursor: str | None = None) -> dict[str, Any]:
    filters = timeline_filter(request.GET)
    page = customer_timeline(party=party, filters=filters, cursor=cursor, size=PAGE)
    query = request.GET.copy()
    query.pop("cursor", None)
    return {"party": party, "timeline": page, "timeline_query": query.urlencode(), "filters": filters}


@login_required
@require_GET
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    """The next page of a customer's timeline (htmx infinite scroll), or the filtered first page."""
    party = party_selectors.party_get(user=request.user, pk=pk)
    try:
        context = timeline_context(request, party, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        return HttpResponseBadRequest(_("The page cursor is not valid; start again from the first page."))
    return render(request, "interactions/_timeline_page.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def quick_log(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Log a call, meeting, note, complaint, suggestion or return from the customer page.

    GET answers the empty form (loaded into its tab when first opened).
    """
    party = party_selectors.party_get(user=request.user, pk=pk)
    form_class = QUICK_FORMS.get(kind)
    if form_class is None:
        return HttpResponseBadRequest(_("Unknown kind of interaction."))
    if not may_log(request.user, party):
        return render(request, "web/403.html", {"message": str(NotPermitted())}, status=403)
    if request.method == "GET":
        return render(
            request, "interactions/_quick_form.html", {"party": party, "kind": kind, "form": form_class()}
        )
    form = form_class(request.POST)
    if form.is_valid():
        try:
            interaction_log(
                actor=Actor.from_request(request),
                party=party,
                kind=kind,
                occurred_at=form.when(),
                payload=form.payload(),
                **form.extra(),
            )
        except ValidationError as exc:
            form.attach(exc.message_dict)
        except NotPermitted as exc:
            return render(request, "web/403.html", {"message": str(exc)}, status=403)
        else:
            messages.success(request, _("%(kind)s logged.") % {"kind": Kind(kind).label})
            return redirect(f"{party_url(party)}#timeline")
    # show the page again with the draft kept and the messages next to its fields
    return render_detail(request, party.pk, state={"forms": {kind: form}, "active": kind}, status=422)


def party_url(party: Any) -> str:
    from django.urls import reverse

    return reverse("parties:detail", args=[party.pk])
