"""Domain errors raised by services; the UI, API and CLI each turn them into a clear message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ConcurrencyConflict(Exception):
    """The record changed since the caller read it (stale version / If-Match)."""

    def __init__(self, *, expected: int, current: int) -> None:
        super().__init__(_("This record was changed by someone else since you opened it."))
        self.expected = expected
        self.current = current


class NotPermitted(Exception):
    """The acting user may not perform this action on this record."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("You do not have permission to do this."))
