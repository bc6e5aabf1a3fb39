"""Reads about users shared by the apps above accounts."""

from __future__ import annotations

from clientela.accounts.models import Team


def first_team_id(user_id: int | None) -> int | None:
    """The user's first team by name: the team a record they own is filed under when none is given (a
    record with no team is visible to its owner and to "all" scopes only)."""
    if user_id is None:
        return None
    return (
        Team.objects.filter(members__pk=user_id).order_by("name", "pk").values_list("pk", flat=True).first()
    )
