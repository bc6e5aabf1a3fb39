"""Built-in roles and what each grants: per object type and action, a scope (none/own/team/all).

Object types: ``party`` covers parties and everything hanging off them (contact points, relationships,
history, and seeing their interactions); ``interaction`` decides on which customers a user may log
interactions ("add") and correct them ("change"); ``user`` covers user administration.

Sales: ``lead`` (captured prospects), ``opportunity`` (deals on a pipeline), ``quote`` (quotes and the
orders they become), ``task`` (activities and reminders; "own" means assigned to the user), ``catalog``
(products, price lists, pipelines and their stages, lost reasons: configured by managers) and
``integration`` (webhook subscriptions and their delivery log).

Analytics: ``analytics`` ("view": dashboards and customer scores, always over the customers the user may
see; "change": refit the models and recompute the scores) and ``segment`` (saved customer segments; "own"
means created by the user). Later apps add their object types here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ALL, TEAM, OWN, NONE = "all", "team", "own", "none"
ACTIONS = ("view", "add", "change", "delete", "export")
OBJECT_TYPES = (
    "party",
    "interaction",
    "user",
    "lead",
    "opportunity",
    "quote",
    "task",
    "catalog",
    "integration",
    "analytics",
    "segment",
)


def _grant(view: str, add: str, change: str, delete: str, export: str) -> dict[str, str]:
    return {"view": view, "add": add, "change": change, "delete": delete, "export": export}


BUILTIN_ROLES: dict[str, dict] = {
    "administrator": {
        "name": _("Administrator"),
        "grants": {
            "party": _grant(ALL, ALL, ALL, ALL, ALL),
            "interaction": _grant(ALL, ALL, ALL, ALL, ALL),
            "user": _grant(ALL, ALL, ALL, ALL, ALL),
            "lead": _grant(ALL, ALL, ALL, ALL, ALL),
            "opportunity": _grant(ALL, ALL, ALL, ALL, ALL),
            "quote": _grant(ALL, ALL, ALL, ALL, ALL),
            "task": _grant(ALL, ALL, ALL, ALL, ALL),
            "catalog": _grant(ALL, ALL, ALL, ALL, ALL),
            "integration": _grant(ALL, ALL, ALL, ALL, ALL),
            "analytics": _grant(ALL, ALL, ALL, ALL, ALL),
            "segment": _grant(ALL, ALL, ALL, ALL, ALL),
        },
    },
    "manager": {
        "name": _("Manager"),
        "grants": {
            "party": _grant(ALL, TEAM, TEAM, TEAM, TEAM),
            "interaction": _grant(ALL, ALL, TEAM, TEAM, TEAM),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
            "lead": _grant(ALL, ALL, TEAM, TEAM, TEAM),
            "opportunity": _grant(ALL, TEAM, TEAM, TEAM, TEAM),
            "quote": _grant(ALL, TEAM, TEAM, TEAM, TEAM),
            "task": _grant(TEAM, TEAM, TEAM, TEAM, TEAM),
            "catalog": _grant(ALL, ALL, ALL, ALL, ALL),
            "integration": _grant(NONE, NONE, NONE, NONE, NONE),
            "analytics": _grant(ALL, NONE, ALL, NONE, ALL),
            "segment": _grant(ALL, ALL, TEAM, TEAM, ALL),
        },
    },
    "sales_rep": {
        "name": _("Sales representative"),
        "grants": {
            "party": _grant(TEAM, OWN, OWN, OWN, OWN),
            "interaction": _grant(TEAM, TEAM, OWN, NONE, OWN),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
            "lead": _grant(TEAM, OWN, OWN, NONE, OWN),
            "opportunity": _grant(TEAM, OWN, OWN, OWN, OWN),
            "quote": _grant(TEAM, OWN, OWN, OWN, OWN),
            "task": _grant(OWN, OWN, OWN, OWN, OWN),
            "catalog": _grant(ALL, NONE, NONE, NONE, NONE),
            "integration": _grant(NONE, NONE, NONE, NONE, NONE),
            "analytics": _grant(ALL, NONE, NONE, NONE, NONE),
            "segment": _grant(ALL, OWN, OWN, OWN, OWN),
        },
    },
    "support_agent": {
        "name": _("Support agent"),
        "grants": {
            "party": _grant(ALL, ALL, ALL, NONE, NONE),
            "interaction": _grant(ALL, ALL, ALL, NONE, NONE),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
            "lead": _grant(NONE, NONE, NONE, NONE, NONE),
            "opportunity": _grant(ALL, NONE, NONE, NONE, NONE),
            "quote": _grant(ALL, NONE, NONE, NONE, NONE),
            "task": _grant(OWN, OWN, OWN, OWN, NONE),
            "catalog": _grant(ALL, NONE, NONE, NONE, NONE),
            "integration": _grant(NONE, NONE, NONE, NONE, NONE),
            "analytics": _grant(ALL, NONE, NONE, NONE, NONE),
            "segment": _grant(ALL, NONE, NONE, NONE, NONE),
        },
    },
    "marketing": {
        "name": _("Marketing"),
        "grants": {
            "party": _grant(ALL, OWN, OWN, NONE, ALL),
            "interaction": _grant(ALL, ALL, NONE, NONE, ALL),
            "user": _grant(ALL, NONE, NONE, NONE, NONE),
            "lead": _grant(ALL, ALL, ALL, NONE, ALL),
            "opportunity": _grant(ALL, NONE, NONE, NONE, ALL),
            "quote": _grant(NONE, NONE, NONE, NONE, NONE),
            "task": _grant(OWN, OWN, OWN, OWN, NONE),
            "catalog": _grant(ALL, NONE, NONE, NONE, NONE),
            "integration": _grant(NONE, NONE, NONE, NONE, NONE),
            "analytics": _grant(ALL, NONE, NONE, NONE, ALL),
            "segment": _grant(ALL, ALL, ALL, ALL, ALL),
        },
    },
    "read_only": {
        "name": _("Read-only"),
        "grants": {
            "party": _grant(ALL, NONE, NONE, NONE, NONE),
            "interaction": _grant(ALL, NONE, NONE, NONE, NONE),
            "user": _grant(NONE, NONE, NONE, NONE, NONE),
            "lead": _grant(ALL, NONE, NONE, NONE, NONE),
            "opportunity": _grant(ALL, NONE, NONE, NONE, NONE),
            "quote": _grant(ALL, NONE, NONE, NONE, NONE),
            "task": _grant(NONE, NONE, NONE, NONE, NONE),
            "catalog": _grant(ALL, NONE, NONE, NONE, NONE),
            "integration": _grant(NONE, NONE, NONE, NONE, NONE),
            "analytics": _grant(ALL, NONE, NONE, NONE, NONE),
            "segment": _grant(ALL, NONE, NONE, NONE, NONE),
        },
    },
}
