"""Built-in rule fields about the customer record itself: kind, status, owner, team, tags, addresses,
contact points and creation date. Each compiles to an indexed per-party lookup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.countries import country_choices, country_name
from clientela.core.text import fold
from clientela.parties.choices import ContactKind, LifecycleStatus, PartyKind
from clientela.parties.models import ContactPoint, Tag
from clientela.segments.rules.registry import Field, choice_label, join_or, register_field

PARTY = gettext_lazy("Customer")
CONTACT = gettext_lazy("Contact details")


def _yes_no(positive: Q, op: str) -> Q:
    return positive if op in ("eq", "in") else ~positive


def _day_start(iso: str) -> dt.datetime:
    day = dt.date.fromisoformat(iso)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _date_text(iso: str) -> str:
    return str(formats.date_format(dt.date.fromisoformat(iso), "SHORT_DATE_FORMAT"))


# --- kind and status ----------------------------------------------------------------------------------


def _kind_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    return _yes_no(Q(kind=value), op)


def _kind_text(op: str, value: Any, params: dict[str, Any]) -> str:
    if value == PartyKind.PERSON:
        return _("that are people") if op == "eq" else _("that are not people")
    return _("that are organisations") if op == "eq" else _("that are not organisations")


def _status_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    values = value if isinstance(value, list) else [value]
    return _yes_no(Q(status__in=values), op)


def _status_text(op: str, value: Any, params: dict[str, Any]) -> str:
    spec = FIELD_STATUS
    names = join_or([choice_label(spec, v) for v in (value if isinstance(value, list) else [value])])
    if op in ("eq", "in"):
        return _("whose lifecycle status is %(value)s") % {"value": names}
    return _("whose lifecycle status is not %(value)s") % {"value": names}


# --- owner and team -----------------------------------------------------------------------------------


def _user_choices() -> list[tuple[int, str]]:
    from clientela.accounts.models import User

    return [
        (u.pk, u.get_full_name() or u.username)
        for u in User.objects.filter(is_active=True).order_by("username")[:500]
    ]


def _team_choices() -> list[tuple[int, str]]:
    from clientela.accounts.models import Team

    return list(Team.objects.order_by("name").values_list("pk", "name")[:500])


# Names of users and teams loaded up front for a page of definitions (two queries, not one per condition).
_NAMES: ContextVar[dict[tuple[str, int], str] | None] = ContextVar("segment_rule_names", default=None)


@contextmanager
def names_preloaded(conditions: Iterable[dict[str, Any]]) -> Iterator[None]:
    """Describe the given conditions (and others) with owner and team names read in two queries."""
    from clientela.accounts.models import Team, User

    wanted: dict[str, set[int]] = {"owner": set(), "team": set()}
    for node in conditions:
        if node.get("field") in wanted and isinstance(node.get("value"), int):
            wanted[node["field"]].add(node["value"])
    names: dict[tuple[str, int], str] = {}
    if wanted["owner"]:
        for user in User.objects.filter(pk__in=wanted["owner"]):
            names[("owner", user.pk)] = user.get_full_name() or user.username
    if wanted["team"]:
        for pk, name in Team.objects.filter(pk__in=wanted["team"]).values_list("pk", "name"):
            names[("team", pk)] = name
    token = _NAMES.set(names)
    try:
        yield
    finally:
        _NAMES.reset(token)


def _cached(key: str, pk: Any) -> str | None:
    names = _NAMES.get()
    if names is None:
        return None
    return names.get(
        (key, pk), _("user #%(id)s") % {"id": pk} if key == "owner" else _("team #%(id)s") % {"id": pk}
    )


def _user_name(pk: Any) -> str:
    from clientela.accounts.models import User

    cached = _cached("owner", pk)
    if cached is not None:
        return cached
    user = User.objects.filter(pk=pk).first()
    return (user.get_full_name() or user.username) if user else _("user #%(id)s") % {"id": pk}


def _team_name(pk: Any) -> str:
    from clientela.accounts.models import Team

    cached = _cached("team", pk)
    if cached is not None:
        return cached
    name = Team.objects.filter(pk=pk).values_list("name", flat=True).first()
    return name or _("team #%(id)s") % {"id": pk}


def _owner_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    if op == "is_empty":
        return Q(owner__isnull=True)
    return _yes_no(Q(owner_id=value), op)


def _owner_text(op: str, value: Any, params: dict[str, Any]) -> str:
    if op == "is_empty":
        return _("without an owner")
    if op == "eq":
        return _("owned by %(name)s") % {"name": _user_name(value)}
    return _("not owned by %(name)s") % {"name": _user_name(value)}


def _team_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    if op == "is_empty":
        return Q(team__isnull=True)
    return _yes_no(Q(team_id=value), op)


def _team_text(op: str, value: Any, params: dict[str, Any]) -> str:
    if op == "is_empty":
        return _("without a team")
    if op == "eq":
        return _("of the team %(name)s") % {"name": _team_name(value)}
    return _("not of the team %(name)s") % {"name": _team_name(value)}


# --- tags ---------------------------------------------------------------------------------------------


def _tag_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    keys = [fold(v) for v in (value if isinstance(value, list) else [value])]
    through = Tag.parties.through.objects.filter(party_id=OuterRef("pk"), tag__key__in=keys)
    return _yes_no(Q(Exists(through)), op)


def _tag_text(op: str, value: Any, params: dict[str, Any]) -> str:
    names = join_or([f"«{v}»" for v in (value if isinstance(value, list) else [value])])
    if op in ("eq", "in"):
        return _("tagged %(tags)s") % {"tags": names}
    return _("not tagged %(tags)s") % {"tags": names}


# --- addresses ----------------------------------------------------------------------------------------


def _addresses() -> Any:
    return ContactPoint.objects.filter(
        party=OuterRef("pk"), kind=ContactKind.ADDRESS, deleted_at__isnull=True
    )


def _place_q(attr: str) -> Any:
    def compile_place(op: str, value: Any, params: dict[str, Any]) -> Q:
        values = value if isinstance(value, list) else [value]
        match = Q()
        for v in values:
            match |= Q(**{f"{attr}__iexact": v})
        return _yes_no(Q(Exists(_addresses().filter(match))), op)

    return compile_place


def _city_text(op: str, value: Any, params: dict[str, Any]) -> str:
    names = join_or(value if isinstance(value, list) else [value])
    return (_("in %(place)s") if op in ("eq", "in") else _("not in %(place)s")) % {"place": names}


def _region_text(op: str, value: Any, params: dict[str, Any]) -> str:
    names = join_or(value if isinstance(value, list) else [value])
    if op in ("eq", "in"):
        return _("in the region %(place)s") % {"place": names}
    return _("not in the region %(place)s") % {"place": names}


def _country_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    values = [v.upper() for v in (value if isinstance(value, list) else [value])]
    # the party's own country (e.g. of its tax id) or the country of any of its addresses
    positive = Q(country__in=values) | Q(Exists(_addresses().filter(country__in=values)))
    return _yes_no(positive, op)


def _country_text(op: str, value: Any, params: dict[str, Any]) -> str:
    names = join_or([country_name(v) or v for v in (value if isinstance(value, list) else [value])])
    if op in ("eq", "in"):
        return _("in the country %(place)s") % {"place": names}
    return _("not in the country %(place)s") % {"place": names}


# --- contact points -----------------------------------------------------------------------------------


def _has_q(kinds: frozenset[str]) -> Any:
    def compile_has(op: str, value: Any, params: dict[str, Any]) -> Q:
        sub = ContactPoint.objects.filter(party=OuterRef("pk"), kind__in=kinds, deleted_at__isnull=True)
        positive = Q(Exists(sub))
        return positive if (value is True) == (op == "eq") else ~positive

    return compile_has


def _has_email_text(op: str, value: Any, params: dict[str, Any]) -> str:
    return _("with an email address") if (value is True) == (op == "eq") else _("without an email address")


def _has_phone_text(op: str, value: Any, params: dict[str, Any]) -> str:
    return _("with a phone number") if (value is True) == (op == "eq") else _("without a phone number")


# --- creation date ------------------------------------------------------------------------------------


def _created_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    if op == "before":
        return Q(created_at__lt=_day_start(value))
    if op == "after":
        return Q(created_at__gte=_day_start(value))
    if op == "within_days":
        return Q(created_at__gte=_days_ago(value))
    return Q(created_at__lt=_days_ago(value))


def _created_text(op: str, value: Any, params: dict[str, Any]) -> str:
    if op == "before":
        return _("created before %(date)s") % {"date": _date_text(value)}
    if op == "after":
        return _("created on or after %(date)s") % {"date": _date_text(value)}
    if op == "within_days":
        return _("created in the last %(days)s days") % {"days": value}
    return _("created more than %(days)s days ago") % {"days": value}


FIELD_STATUS = Field(
    "status", gettext_lazy("Lifecycle status"), PARTY, "choice", ("eq", "ne", "in", "not_in"),
    _status_q, _status_text, choices=lambda: LifecycleStatus.choices,
)  # fmt: skip

for spec in (
    Field("kind", gettext_lazy("Kind"), PARTY, "choice", ("eq", "ne"), _kind_q, _kind_text,
          choices=lambda: PartyKind.choices),
    FIELD_STATUS,
    Field("owner", gettext_lazy("Owner"), PARTY, "user", ("eq", "ne", "is_empty"), _owner_q, _owner_text,
          choices=_user_choices),
    Field("team", gettext_lazy("Team"), PARTY, "team", ("eq", "ne", "is_empty"), _team_q, _team_text,
          choices=_team_choices),
    Field("tag", gettext_lazy("Tag"), PARTY, "text", ("eq", "ne", "in", "not_in"), _tag_q, _tag_text),
    Field("created_at", gettext_lazy("Created"), PARTY, "date",
          ("before", "after", "within_days", "older_than_days"), _created_q, _created_text),
    Field("city", gettext_lazy("City"), CONTACT, "text", ("eq", "ne", "in", "not_in"), _place_q("city"),
          _city_text),
    Field("region", gettext_lazy("Region"), CONTACT, "text", ("eq", "ne", "in", "not_in"),
          _place_q("region"), _region_text),
    Field("country", gettext_lazy("Country"), CONTACT, "country", ("eq", "ne", "in", "not_in"), _country_q,
          _country_text, choices=country_choices),
    Field("has_email", gettext_lazy("Has an email address"), CONTACT, "bool", ("eq",),
          _has_q(frozenset({ContactKind.EMAIL})), _has_email_text),
    Field("has_phone", gettext_lazy("Has a phone number"), CONTACT, "bool", ("eq",),
          _has_q(frozenset({ContactKind.MOBILE, ContactKind.LANDLINE})), _has_phone_text),
):  # fmt: skip
    register_field(spec)
