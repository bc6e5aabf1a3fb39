"""The current user (``/v1/me``) and their personal API tokens (``/v1/tokens``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from clientela.accounts.models import ApiToken
from clientela.accounts.services import api_token_create, api_token_revoke
from clientela.api.errors import invalid
from clientela.api.schemas.accounts import MeOut, TokenCreatedOut, TokenIn, TokenOut
from clientela.api.schemas.common import READ_ERRORS, WRITE_ERRORS, Problem, id_path

me_router = Router(tags=["me"])
tokens_router = Router(tags=["tokens"])


@me_router.get("", response={200: MeOut, 401: Problem}, operation_id="me_get", summary="Current user")
def me_get(request: HttpRequest) -> Any:
    """Who the request is authenticated as: role, teams and interface language."""
    return request.user


def _own_tokens(request: HttpRequest) -> Any:
    user: Any = request.user
    return ApiToken.objects.filter(user=user)


@tokens_router.get("", response={200: list[TokenOut], 401: Problem}, operation_id="tokens_list")
def tokens_list(request: HttpRequest) -> Any:
    """The current user's API tokens (revoked ones included, newest first); secrets are never listed."""
    return list(_own_tokens(request).order_by("-created_at", "-id"))


@tokens_router.post("", response={201: TokenCreatedOut, **WRITE_ERRORS}, operation_id="tokens_create")
def tokens_create(request: HttpRequest, payload: TokenIn) -> Any:
    """Issue a token for the current user; the ``secret`` is returned only in this response."""
    expires_at = payload.expires_at
    if expires_at is not None and timezone.is_naive(expires_at):
        raise invalid(
            [{"field": "expires_at", "message": _("Include a time zone, e.g. 2030-01-01T00:00:00Z.")}]
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise invalid([{"field": "expires_at", "message": _("The expiry must be in the future.")}])
    token, secret = api_token_create(user=request.user, name=payload.name.strip(), expires_at=expires_at)  # type: ignore[arg-type]
    token.secret = secret  # type: ignore[attr-defined]
    return Status(201, token)


@tokens_router.delete("/{token_id}", response={204: None, **READ_ERRORS}, operation_id="tokens_revoke")
def tokens_revoke(request: HttpRequest, token_id: int = id_path()) -> Any:
    """Revoke one of the current user's tokens at once; other users' tokens are not found."""
    token = _own_tokens(request).filter(pk=token_id).first()
    if token is None:
        raise Http404
    api_token_revoke(token=token)
    return Status(204, None)
