"""What a dashboard figure is computed over: the user's scope, the filters (period, team, segment, currency)
and the cache key of a heavy tile.

Every figure of the dashboards goes through ``party_q`` so that it only counts the customers the user may
see: the narrower of the user's ``analytics`` scope and ``party`` scope for the action (view for pages,
export for CSV files). With the "all" scope no join to the party table is made.

Cost (measured on a demo database of 220,000 parties, 4M interactions, 80,000 scores, 12-month period,
uncached, on this shared 2-core machine): ledger tiles 0.4-2.5 s on SQLite and 0.3-1.5 s on PostgreSQL
(they read every purchase/complaint/return row of the period: ~200,000 rows), score tiles 0.1-0.8 s,
rates by product (JSON lines expanded in the database) 1.4-2.7 s. So every tile but the funnel is cached
(``cached``) for ``CACHE_SECONDS``, keyed by the filters, the user's scope and the data version; a cached
tile answers in 5-25 ms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, Q
from django.http import QueryDict
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.accounts.models import Team
from clientela.core.permissions import SCOPE_RANK, Scope, scope_q, user_scope, user_team_ids

T = TypeVar("T")

PRESETS = {
    "30d": gettext_lazy("Last 30 days"),
    "90d": gettext_lazy("Last 90 days"),
    "12m": gettext_lazy("Last 12 months"),
    "ytd": gettext_lazy("This year"),
    "last_year": gettext_lazy("Last year"),
    "24m": gettext_lazy("Last 24 months"),
}
DEFAULT_PRESET = "12m"
MAX_DAYS = 366 * 10
CACHE_SECONDS = 600


def dashboard_scope(user: Any, action: str) -> str:
    """The narrower of the user's analytics scope and customer scope for ``action``."""
    scopes = [user_scope(user, "analytics", action), user_scope(user, "party", action)]
    return min(scopes, key=lambda s: SCOPE_RANK[Scope(s)])


@dataclass(frozen=True)
class Filters:
    """The dashboard filters: an inclusive date range, optional team and segment, and the currency."""

    date_from: dt.date
    date_to: dt.date
    preset: str = DEFAULT_PRESET
    team_id: int | None = None
    segment_id: int | None = None
    currency: str = "EUR"
    team_name: str = ""
    segment_name: str = ""

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.date_from, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """Exclusive end: the start of the day after ``date_to``."""
        return timezone.make_aware(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min))

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one (for "change vs previous period")."""
        to = self.date_from - dt.timedelta(days=1)
        return replace(self, date_from=to - dt.timedelta(days=self.days - 1), date_to=to, preset="custom")

    def params(self) -> dict[str, str]:
        """Query parameters that reproduce these filters (for tile and CSV links)."""
        out = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(), "currency": self.currency}
        if self.preset != "custom":
            out = {"preset": self.preset, "currency": self.currency}
        if self.team_id:
            out["team"] = str(self.team_id)
        if self.segment_id:
            out["segment"] = str(self.segment_id)
        return out

    def key(self) -> str:
        return json.dumps(
            [str(self.date_from), str(self.date_to), self.team_id, self.segment_id, self.currency]
        )

    def describe(self) -> str:
        """The period and filters in words, shown under every chart title."""
        period = _("%(start)s to %(end)s") % {
            "start": formats.date_format(self.date_from, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(self.date_to, "SHORT_DATE_FORMAT"),
        }
        parts = [str(PRESETS[self.preset]) + f" ({period})" if self.preset in PRESETS else period]
        if self.team_name:
            parts.append(_("team %(name)s") % {"name": self.team_name})
        if self.segment_name:
            parts.append(_("segment %(name)s") % {"name": self.segment_name})
        parts.append(_("amounts in %(currency)s") % {"currency": self.currency})
        return " · ".join(parts)


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if preset == "30d":
        return today - dt.timedelta(days=29), today
    if preset == "90d":
        return today - dt.timedelta(days=89), today
    if preset == "ytd":
        return today.replace(month=1, day=1), today
    if preset == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    months = 24 if preset == "24m" else 12
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), today


def team_choices(user: Any) -> list[Team]:
    """Teams the user may filter by: every team for the "all" scope, else the user's own teams."""
    teams = Team.objects.order_by("name").only("pk", "name")
    if dashboard_scope(user, "view") != Scope.ALL and not user.is_superuser:
        teams = teams.filter(pk__in=user_team_ids(user))
    return list(teams)


def segment_choices(user: Any) -> list[Any]:
    """Segments the user may see (the segments app decides which)."""
    from clientela.segments.selectors import segments_for_user

    return list(segments_for_user(user).select_related(None).only("pk", "name").order_by("name"))


def parse_filters(
    data: QueryDict | dict[str, str], user: Any, today: dt.date | None = None
) -> tuple[Filters, dict[str, str]]:
    """Filters from a query string; invalid values are reported (by field) and ignored, never raised."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    preset = data.get("preset") or ""
    raw_from, raw_to = (data.get("from") or "").strip(), (data.get("to") or "").strip()
    date_from, date_to = preset_range(preset if preset in PRESETS else DEFAULT_PRESET, today)
    if preset and preset not in PRESETS and preset != "custom":
        errors["preset"] = _("Unknown period.")
    if (raw_from or raw_to) and preset not in PRESETS:
        try:
            custom_from = dt.date.fromisoformat(raw_from) if raw_from else date_from
            custom_to = dt.date.fromisoformat(raw_to) if raw_to else today
        except ValueError:
            errors["period"] = _("Enter dates as YYYY-MM-DD.")
        else:
            if custom_from > custom_to:
                errors["period"] = _("The start date is after the end date.")
            elif (custom_to - custom_from).days > MAX_DAYS:
                errors["period"] = _("The period can be at most ten years long.")
            else:
                date_from, date_to, preset = custom_from, custom_to, "custom"
    if preset not in PRESETS and preset != "custom":
        preset = DEFAULT_PRESET
    filters = Filters(date_from=date_from, date_to=date_to, preset=preset)
    currency = (data.get("currency") or "").strip().upper()
    if currency and not (len(currency) == 3 and currency.isalpha()):
        errors["currency"] = _("Enter a three-letter currency code.")
        currency = ""
    filters = replace(filters, currency=currency or default_currency())
    team = (data.get("team") or "").strip()
    if team:
        found = next((t for t in team_choices(user) if str(t.pk) == team), None)
        if found is None:
            errors["team"] = _("Unknown team.")
        else:
            filters = replace(filters, team_id=found.pk, team_name=found.name)
    segment = (data.get("segment") or "").strip()
    if segment:
        seg = next((s for s in segment_choices(user) if str(s.pk) == segment), None)
        if seg is None:
            errors["segment"] = _("Unknown segment.")
        else:
            filters = replace(filters, segment_id=seg.pk, segment_name=seg.name)
    return filters, errors


def default_currency() -> str:
    """The currency of the latest value-model fit with the most customers, else the configured default."""
    from clientela.analytics.models import ModelFit

    fit = ModelFit.objects.filter(is_current=True).order_by("-customers").values_list("currency", flat=True)
    return next(iter(fit), None) or settings.CLIENTELA_DEFAULT_CURRENCY


def _paths(path: str) -> tuple[str, str, str]:
    """(owner path, team path, party id lookup) for rows reaching the party through ``path``."""
    if not path:
        return "owner", "team", "pk"
    return f"{path}__owner", f"{path}__team", f"{path}_id"


def party_q(user: Any, filters: Filters, action: str, path: str = "party") -> Q | None:
    """The condition on rows reaching the customer through ``path`` ("" for Party itself): inside the
    user's scope, not in the recycle bin, and in the team and segment filtered on. None means no rows."""
    from clientela.parties.models import Party
    from clientela.segments.selectors import member_party_ids

    owner, team, party_id = _paths(path)
    q = scope_q(user, dashboard_scope(user, action), owner_path=owner, team_path=team)
    if q is None:
        return None
    if path:
        # few parties sit in the recycle bin (partial index): a NOT IN on them avoids joining every row
        q &= ~Q(**{f"{party_id}__in": Party.all_objects.filter(deleted_at__isnull=False).values("pk")})
    else:
        q &= Q(deleted_at__isnull=True)
    if filters.team_id:
        q &= Q(**{f"{team}_id": filters.team_id})
    if filters.segment_id:
        q &= Q(**{f"{party_id}__in": member_party_ids(filters.segment_id)})
    return q


@dataclass
class ScopeKey:
    """What makes two users see the same figures (the cache key part of the user)."""

    scope: str
    parts: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, user: Any, action: str) -> ScopeKey:
        scope = dashboard_scope(user, action)
        if scope == Scope.ALL:
            return cls(scope)
        if scope == Scope.TEAM:
            return cls(scope, [user.pk, sorted(user_team_ids(user))])
        return cls(scope, [user.pk])


def data_version() -> list[Any]:
    """Changes whenever the ledger, the scores or segment memberships change (max ids: index lookups)."""
    from clientela.analytics.models import ModelFit
    from clientela.interactions.models import Interaction
    from clientela.segments.models import MembershipChange

    return [
        Interaction.objects.aggregate(m=Max("pk"))["m"],
        ModelFit.objects.aggregate(m=Max("pk"))["m"],
        MembershipChange.objects.aggregate(m=Max("pk"))["m"],
    ]


def cached(name: str, user: Any, action: str, filters: Filters, compute: Callable[[], T]) -> T:
    """``compute()`` cached per (tile, user scope, filters, data version) for a few minutes.

    Used by the tiles that read many ledger rows (cohorts, rates by product): the data version makes a new
    purchase show at once; the time limit covers changes without a new ledger row (a customer moved to
    another team)."""
    from django.utils.translation import get_language

    raw = json.dumps(
        [name, ScopeKey.of(user, action).__dict__, filters.key(), data_version(), get_language()],
        default=str,
    )
    key = "analytics-dash:" + hashlib.sha256(raw.encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, CACHE_SECONDS)
    return value
