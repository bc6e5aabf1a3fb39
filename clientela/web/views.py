"""Shell pages: home and the error pages (no stack traces ever reach users)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from clientela.parties.search import party_search


@login_required
@require_GET
def search_suggest(request: HttpRequest) -> HttpResponse:
    """Results as you type in the header search: the best 8 customers, with a second line to tell them apart."""
    query = request.GET.get("q", "")[:200]
    results = party_search(user=request.user, q=query, limit=8) if query.strip() else []
    return render(request, "web/_search_results.html", {"results": results, "q": query})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("parties:list")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "web/500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", {"message": str(exception or "")}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/400.html", status=400)
