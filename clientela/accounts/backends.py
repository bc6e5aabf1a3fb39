"""Authentication backend: Django's ModelBackend, loading the user's role with the user.

Every permission decision reads the role's grants, so fetching it in the same query as the user saves
one query on every request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from clientela.accounts.models import User


class RoleModelBackend(ModelBackend):
    """ModelBackend whose ``get_user`` joins the role (one query per request instead of two)."""

    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related("role").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
