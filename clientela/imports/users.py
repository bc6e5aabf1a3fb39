"""Users named by an import's rows (a customer's owner, the employee of an interaction)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _


class UserDirectory:
    """Finds users by username, else by email (case aside), asking the database once per name and
    import: a file names the same few employees on every row."""

    def __init__(self) -> None:
        self._found: dict[str, Any] = {}

    def find(self, name: str) -> Any:
        """The user called ``name``, or None."""
        key = name.casefold()
        if key not in self._found:
            users = get_user_model().objects
            self._found[key] = (
                users.filter(username__iexact=name).order_by("pk").first()
                or users.filter(email__iexact=name).order_by("pk").first()
            )
        return self._found[key]

    @staticmethod
    def unknown(name: str) -> str:
        return _("There is no user %(name)s.") % {"name": name}
