"""The customer page's "Data sources" section, loaded when opened."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clientela.imports.permissions import may_import
from clientela.imports.provenance import customer_sources as sources_of
from clientela.parties.selectors import party_get


@login_required
@require_GET
def customer_sources(request: HttpRequest, pk: int) -> HttpResponse:
    party = party_get(user=request.user, pk=pk)  # 404 for a customer the user may not see
    fields, summaries = sources_of(party=party)
    return render(
        request,
        "imports/_sources.html",
        {"party": party, "fields": fields, "summaries": summaries, "may_import": may_import(request.user)},
    )
