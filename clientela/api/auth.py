"""API authentication: personal tokens (``Authorization: Bearer <secret>``) or the web session with CSRF.

Both set ``request.user``; token requests also carry ``request.api_token_id`` so the change log records
which token made each change (``Actor.from_request``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from clientela.accounts.services import api_token_authenticate
from clientela.api.errors import CSRF_TYPE, ProblemError
from clientela.core.actor import Actor, Source

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _activate_language(user: Any) -> None:
    # The language middleware ran before the token was read, so apply the user's choice here.
    lang = getattr(user, "language", "")
    if lang in {code for code, _name in settings.LANGUAGES}:
        translation.activate(lang)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer clt_...``: a personal API token; revoked or expired tokens are refused."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(token.strip())
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token_id = api_token.pk  # type: ignore[attr-defined]
        _activate_language(api_token.user)
        return api_token.user


class SessionCsrfAuth(APIKeyCookie):
    """The signed-in web user (session cookie); unsafe methods must carry the CSRF token (X-CSRFToken).

    Unlike Ninja's ``SessionAuth``, an anonymous request is reported as unauthenticated (401) before any
    CSRF check, and a CSRF failure is a 403 problem.
    """

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ProblemError(
                403,
                _("CSRF verification failed: send the X-CSRFToken header with the csrftoken cookie value."),
                type_=CSRF_TYPE,
            )
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Unused: ``__call__`` reads the session user that Django's middleware already loaded."""
        return None


AUTH = [TokenAuth(), SessionCsrfAuth()]


def request_actor(request: HttpRequest) -> Actor:
    """The acting user of an API request, with its token id and request id, for the services."""
    return Actor.from_request(request, source=Source.API)
