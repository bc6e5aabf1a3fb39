"""Who may import and export: decided by the role as a whole, not record by record.

An import creates and changes many customers at once, whoever owns them, so only users whose role
lets them add and change *every* customer may run one (administrators; support agents by their grants).
Exporting only needs some export scope: the exported rows are still limited to that scope.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import Action, Scope, user_scope

IMPORT_REFUSED = _("Only users who may add and change every customer can import files.")
EXPORT_REFUSED = _("Your role does not allow exporting customers.")


def may_import(user: Any) -> bool:
    """Whether ``user`` may upload files, run, read and undo imports (all import jobs are visible to them)."""
    return (
        user_scope(user, "party", Action.ADD) == Scope.ALL
        and user_scope(user, "party", Action.CHANGE) == Scope.ALL
    )


def may_export(user: Any) -> bool:
    """Whether ``user`` may export customers at all (the rows are those they may view and export)."""
    return user_scope(user, "party", Action.EXPORT) != Scope.NONE
