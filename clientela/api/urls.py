"""Mounted at ``api/`` by config/urls.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _

from clientela.api.api import api
from clientela.api.errors import problem_response


def unknown_endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/ is a 404 problem, not the web site's HTML error page."""
    return problem_response(request, 404, _("There is no API endpoint at this address."))


urlpatterns = [
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", unknown_endpoint, name="api_unknown"),
]
