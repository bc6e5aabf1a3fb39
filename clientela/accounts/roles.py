"""Built-in roles and what each grants: per object type and action, a scope (none/own/team/all).

Object types: ``party`` covers parties and everything hanging off them (contact points, relationships,
history, and seeing their interactions); ``interaction`` decides on which customers a user may log
interactions ("add") and correct them ("change"); ``user`` covers user administration. Later apps add
their object types here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ALL, TEAM, OWN, NONE = "all", "team", "own", "none"
ACTIONS = ("view", "add", "change", "delete", "export")
OBJECT_TYPES = ("party", "interaction", "user")


def _grant(view: str, add: str, change: str, delete: str, export: str) -> dict[str, str]:
    return {"view": view, "add": add, "change": change, "delete": delete, "export": export}


BUILTIN_ROLES: dict[str, dict] = {
    "administrator": {
        "name": _("Administrator"),
        "grants": {
            "party": _grant(ALL, ALL, ALL, ALL, ALL),
            "interaction": _grant(ALL, ALL, ALL, ALL, ALL),
            "user": _grant(ALL, ALL, ALL, ALL, ALL),
        },
    },
    "manager": {
        "name": _("Manager"),
        "grants": {
            "party": _grant(ALL, TEAM, TEAM, TEAM, TEAM),
            "interaction": _grant(ALL, ALL, TEAM, TEAM, TEAM),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
        },
    },
    "sales_rep": {
        "name": _("Sales representative"),
        "grants": {
            "party": _grant(TEAM, OWN, OWN, OWN, OWN),
            "interaction": _grant(TEAM, TEAM, OWN, NONE, OWN),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
        },
    },
    "support_agent": {
        "name": _("Support agent"),
        "grants": {
            "party": _grant(ALL, ALL, ALL, NONE, NONE),
            "interaction": _grant(ALL, ALL, ALL, NONE, NONE),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
        },
    },
    "marketing": {
        "name": _("Marketing"),
        "grants": {
            "party": _grant(ALL, OWN, OWN, NONE, ALL),
            "interaction": _grant(ALL, ALL, NONE, NONE, ALL),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
        },
    },
    "read_only": {
        "name": _("Read-only"),
        "grants": {
            "party": _grant(ALL, NONE, NONE, NONE, NONE),
            "interaction": _grant(ALL, NONE, NONE, NONE, NONE),
            "user": _grant(NONE, NONE, NONE, NONE, NONE),
        },
    },
}
