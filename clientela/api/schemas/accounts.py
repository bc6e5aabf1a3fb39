"""Schemas of the current user and their API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from clientela.api.schemas.common import InputSchema, TeamRef


class RoleOut(Schema):
    """A role and what it grants: {object type: {action: scope}}."""

    slug: str
    name: str
    grants: dict[str, dict[str, str]]

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class MeOut(Schema):
    """The user the request is authenticated as."""

    id: int
    username: str
    name: str
    email: str
    role: RoleOut | None
    teams: list[TeamRef]
    language: str
    is_superuser: bool
    token_id: int | None = Field(None, description="The API token of this request, if one was used")

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)

    @staticmethod
    def resolve_teams(obj: Any) -> list[Any]:
        return list(obj.teams.all())

    @staticmethod
    def resolve_token_id(obj: Any, context: dict[str, Any]) -> int | None:
        return getattr(context["request"], "api_token_id", None)


class TokenIn(InputSchema):
    """A new personal API token."""

    name: str = Field(..., min_length=1, max_length=100)
    expires_at: dt.datetime | None = Field(None, description="Optional expiry (ISO 8601 with a time zone)")


class TokenOut(Schema):
    """A token as listed: the secret is never shown again after creation."""

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    """A new token with its secret: store it now, it cannot be retrieved later."""

    secret: str
