"""Record-level permissions: the ONE place that decides which rows a user may see or touch.

Every model that holds customer data uses ``RestrictedQuerySet``; every list, detail, search, API
endpoint, export and count goes through ``.restrict(user, action)``. A role grants, per object type
and action, a scope: ``all``, ``team`` (records of the user's teams, and their own), ``own`` or ``none``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from clientela.accounts.models import User


class Action(models.TextChoices):
    VIEW = "view", _("View")
    ADD = "add", _("Add")
    CHANGE = "change", _("Change")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")


class Scope(models.TextChoices):
    NONE = "none", _("None")
    OWN = "own", _("Own records")
    TEAM = "team", _("Team records")
    ALL = "all", _("All records")


SCOPE_RANK = {Scope.NONE: 0, Scope.OWN: 1, Scope.TEAM: 2, Scope.ALL: 3}


def user_scope(user: User | Any, object_type: str, action: str) -> str:
    """The scope the user's role grants for ``action`` on ``object_type``."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    return str(user.grant(object_type, action))


def user_team_ids(user: User | Any) -> list[int]:
    """Team ids of the user, cached on the user object for the rest of the request."""
    cached = getattr(user, "_team_ids_cache", None)
    if cached is None:
        cached = list(user.teams.values_list("id", flat=True))
        user._team_ids_cache = cached  # type: ignore[union-attr]
    return cached


def scope_q(user: User | Any, scope: str, *, owner_path: str, team_path: str) -> Q | None:
    """A filter for ``scope``; None means "no rows"; an empty Q means "every row"."""
    if scope == Scope.ALL:
        return Q()
    if scope == Scope.TEAM:
        return Q(**{owner_path: user.pk}) | Q(**{f"{team_path}__in": user_team_ids(user)})
    if scope == Scope.OWN:
        return Q(**{owner_path: user.pk})
    return None


def restrict_key(user: User | Any, object_type: str, action: str) -> tuple[Any, ...]:
    """Everything ``restrict`` takes from the user for ``action`` on ``object_type``: two users with the
    same key get the same SQL (a compiled query may be reused between them, ``clientela.core.prepared``)."""
    scope = user_scope(user, object_type, action)
    if scope == Scope.TEAM:
        return (object_type, action, scope, user.pk, tuple(user_team_ids(user)))
    if scope == Scope.OWN:
        return (object_type, action, scope, user.pk)
    return (object_type, action, scope)


class RestrictedQuerySet(models.QuerySet):
    """QuerySet whose ``restrict`` applies the user's role scope for an action.

    Models declare ``permission_object`` (the grant key, e.g. "party") and the lookup paths to the
    owning user and team (``owner_path``, ``team_path``); a contact point uses its party's.
    """

    def restrict(self, user: User | Any, action: str = Action.VIEW) -> Self:
        model: Any = self.model
        scope = user_scope(user, model.permission_object, action)
        q = scope_q(user, scope, owner_path=model.owner_path, team_path=model.team_path)
        if q is None:
            return self.none()
        return self.filter(q) if q else self


class RestrictedModel(models.Model):
    """Mixin declaring how a model's rows map onto owners and teams for ``restrict``."""

    permission_object: ClassVar[str] = ""
    owner_path: ClassVar[str] = "owner"
    team_path: ClassVar[str] = "team"

    class Meta:
        abstract = True


def can(user: User | Any, action: str, obj: Any) -> bool:
    """Whether ``user`` may perform ``action`` on ``obj`` (one indexed existence query)."""
    model = type(obj)
    manager = model._default_manager
    return bool(manager.filter(pk=obj.pk).restrict(user, action).exists())


def can_loaded(user: User | Any, action: str, obj: Any) -> bool:
    """``can`` decided from a row already loaded through ``restrict`` (no query when the user sees all).

    Only for models whose owner and team are their own columns; others fall back to ``can``. The caller
    must have read ``obj`` through the model's default manager (so a soft-deleted row is not here).
    """
    model = type(obj)
    if "__" in model.owner_path or "__" in model.team_path:
        return can(user, action, obj)
    scope = user_scope(user, model.permission_object, action)
    return in_scope(
        user,
        scope,
        owner_id=getattr(obj, f"{model.owner_path}_id"),
        team_id=getattr(obj, f"{model.team_path}_id"),
    )


def in_scope(user: User | Any, scope: str, *, owner_id: int | None, team_id: int | None) -> bool:
    """Whether a record owned by ``owner_id`` in ``team_id`` lies inside ``scope`` for ``user``."""
    if scope == Scope.ALL:
        return True
    if scope == Scope.TEAM:
        return owner_id == user.pk or (team_id is not None and team_id in user_team_ids(user))
    if scope == Scope.OWN:
        return owner_id == user.pk
    return False


def can_assign(
    user: User | Any, action: str, object_type: str, *, owner_id: int | None, team_id: int | None
) -> bool:
    """Whether a record owned by ``owner_id`` in ``team_id`` would fall inside the user's scope.

    Used for "add" (the new record must be inside the scope) and for changing owner or team (the record
    must stay inside it), so nobody can hand a record to a scope they could not have created it in.
    """
    return in_scope(user, user_scope(user, object_type, action), owner_id=owner_id, team_id=team_id)
