"""Schemas shared by several routers: references to users, teams and parties, and problem documents."""

from __future__ import annotations

from typing import Any

from ninja import Path, Schema
from pydantic import ConfigDict

# Largest id the databases store (64-bit); larger numbers in a path are a 422, not a database overflow.
MAX_ID = 2**63 - 1


def id_path() -> Any:
    """A record id in the URL path."""
    return Path(..., le=MAX_ID)


class InputSchema(Schema):
    """Base of request bodies: unknown fields are an error ("Unknown field."), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class UserRef(Schema):
    """A user as other records mention them."""

    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class TeamRef(Schema):
    """A team as other records mention it."""

    id: int
    name: str


class PartyRef(Schema):
    """A party as other records mention it."""

    id: int
    kind: str
    display_name: str


class FieldError(Schema):
    """One message about one field; ``field`` is a dotted path ("contact_points.1.value") or null."""

    field: str | None
    message: str


class Problem(Schema):
    """An RFC 9457 problem document (served as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None


class ValidationProblem(Problem):
    """A 422 problem listing every invalid field."""

    errors: list[FieldError]


# Error responses every authenticated operation may give, for the OpenAPI document.
READ_ERRORS: dict[int, type[Schema]] = {401: Problem, 404: Problem, 422: ValidationProblem}
WRITE_ERRORS: dict[int, type[Schema]] = {**READ_ERRORS, 403: Problem}
VERSIONED_WRITE_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 412: Problem}
