"""Activate the signed-in user's chosen language (the browser's language decides before login)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.codes = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        lang = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if lang in self.codes:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]
        response = self.get_response(request)
        if lang in self.codes:
            response.headers.setdefault("Content-Language", lang)
        return response
