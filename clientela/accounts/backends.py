"""Authentication backend: Django's ModelBackend, loading the user's role with the user.

Every permission decision reads the role's grants, so fetching it in the same query as the user saves
one query on every request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from clientela.accounts.models import User
from clientela.core.prepared import prepared_rows


class RoleModelBackend(ModelBackend):
    """ModelBackend whose ``get_user`` joins the role (one query per request instead of two)."""

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        # read on every request: the query's SQL is compiled once (clientela.core.prepared)
        found = prepared_rows(("session_user",), _user_query, [pk])
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None


def _user_query(pk: int) -> QuerySet[User]:
    return User._default_manager.select_related("role").filter(pk=pk)[:1]
