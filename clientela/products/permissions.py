"""Who may read or configure the catalogue: a role-wide grant ("catalog"), never decided per row."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Scope, user_scope


def may_catalog(user: Any, action: str) -> bool:
    """Whether the user's role grants ``action`` on the catalogue at all (any scope counts as all)."""
    return user_scope(user, "catalog", action) != Scope.NONE


def require_catalog(actor: Actor, action: str) -> None:
    """For services: system actors may; users need the role grant."""
    if actor.user is not None and not may_catalog(actor.user, action):
        raise NotPermitted()


def require_catalog_view(user: Any, action: str) -> None:
    """For views: a refused role gets a 403 page (there is no record whose existence could leak)."""
    if not may_catalog(user, action):
        raise PermissionDenied
