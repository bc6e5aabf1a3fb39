"""Who may merge customers and undo merges: decided by the role as a whole, then record by record.

A merge changes the surviving customer and removes the other, so a role needs some scope to change *and*
to delete customers (administrators everywhere, managers in their teams, sales reps on their own
customers); the service then checks both records fall inside those scopes with ``restrict``. Support
agents and marketing, who may not delete customers, cannot merge them either.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import Action, Scope, user_scope

MERGE_REFUSED = _("Your role does not allow merging customers.")


def may_merge(user: Any) -> bool:
    """Whether ``user``'s role lets them merge customers (and undo merges, and mark pairs as distinct)."""
    return (
        user_scope(user, "party", Action.CHANGE) != Scope.NONE
        and user_scope(user, "party", Action.DELETE) != Scope.NONE
    )
