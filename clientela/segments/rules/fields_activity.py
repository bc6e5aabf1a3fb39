"""Built-in rule fields over what customers do and are worth: interaction counts per kind (optionally in a
recent window), recency of contact and purchase, purchase totals, and the analytics scores (RFM, CLV,
P(alive), churn risk).

Counts over the ledger use the partial index ``ix_party_timeline`` (party, -occurred_at) WHERE is_current;
"at least one"/"none" become EXISTS, other counts a per-party COUNT subquery. Lifetime purchase and
return counts and totals come from ``PartyStats`` (one row per party, by primary key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clientela.analytics.models import ChurnRisk, CustomerScore, RfmSegment
from clientela.interactions.choices import Kind
from clientela.interactions.models import Interaction, PartyStats
from clientela.segments.rules.registry import Field, choice_label, join_or, register_field

ACTIVITY = gettext_lazy("Activity")
PURCHASES = gettext_lazy("Purchases")
SCORES = gettext_lazy("Value and risk")

LOOKUPS: dict[str, Any] = {
    "eq": Exact,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
}
NUMBER_OPS = ("gte", "gt", "lte", "lt", "eq")


def compare(expression: Any, op: str, value: Any) -> Q:
    """``expression <op> value`` as a filter."""
    return Q(LOOKUPS[op](expression, Value(value)))


def _days_ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def period_text(days: int) -> str:
    """ "12 months" for whole years (how people say it), otherwise "90 days"."""
    if days and days % 365 == 0:
        months = days // 365 * 12
        return ngettext("%(count)s month", "%(count)s months", months) % {"count": months}
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


# --- interaction counts per kind ----------------------------------------------------------------------

KIND_CHOICES = [(k, label) for k, label in Kind.choices if k != Kind.BALANCE]


def count_text(kind: str, n: int) -> str:
    """ "3 purchases", "1 complaint": a count with its kind's noun (one msgid pair per kind)."""
    forms: dict[str, Callable[[], str]] = {
        Kind.EMAIL: lambda: ngettext("%(count)s email", "%(count)s emails", n),
        Kind.CALL: lambda: ngettext("%(count)s call", "%(count)s calls", n),
        Kind.MEETING: lambda: ngettext("%(count)s meeting", "%(count)s meetings", n),
        Kind.NOTE: lambda: ngettext("%(count)s note", "%(count)s notes", n),
        Kind.COMPLAINT: lambda: ngettext("%(count)s complaint", "%(count)s complaints", n),
        Kind.RETURN: lambda: ngettext("%(count)s return", "%(count)s returns", n),
        Kind.SUGGESTION: lambda: ngettext("%(count)s suggestion", "%(count)s suggestions", n),
        Kind.PURCHASE: lambda: ngettext("%(count)s purchase", "%(count)s purchases", n),
        Kind.INVOICE: lambda: ngettext("%(count)s invoice", "%(count)s invoices", n),
        Kind.PAYMENT: lambda: ngettext("%(count)s payment", "%(count)s payments", n),
        Kind.CREDIT_NOTE: lambda: ngettext("%(count)s credit note", "%(count)s credit notes", n),
        Kind.SOCIAL: lambda: ngettext("%(count)s social message", "%(count)s social messages", n),
        Kind.OTHER: lambda: ngettext("%(count)s other interaction", "%(count)s other interactions", n),
    }
    return forms[kind]() % {"count": n}


NOUNS = {
    Kind.EMAIL: gettext_lazy("emails"),
    Kind.CALL: gettext_lazy("calls"),
    Kind.MEETING: gettext_lazy("meetings"),
    Kind.NOTE: gettext_lazy("notes"),
    Kind.COMPLAINT: gettext_lazy("complaints"),
    Kind.RETURN: gettext_lazy("returns"),
    Kind.SUGGESTION: gettext_lazy("suggestions"),
    Kind.PURCHASE: gettext_lazy("purchases"),
    Kind.INVOICE: gettext_lazy("invoices"),
    Kind.PAYMENT: gettext_lazy("payments"),
    Kind.CREDIT_NOTE: gettext_lazy("credit notes"),
    Kind.SOCIAL: gettext_lazy("social messages"),
    Kind.OTHER: gettext_lazy("other interactions"),
}
STATS_COUNTS = {Kind.PURCHASE: "purchases_count", Kind.RETURN: "returns_count"}


def _stat(name: str, default: Any) -> Any:
    return Coalesce(Subquery(PartyStats.objects.filter(party=OuterRef("pk")).values(name)[:1]), default)


def _interactions_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    kind, days = params["kind"], params.get("days")
    if days is None and kind in STATS_COUNTS:
        return compare(_stat(STATS_COUNTS[kind], 0), op, value)
    rows = Interaction.objects.filter(party=OuterRef("pk"), is_current=True, kind=kind)
    if days is not None:
        rows = rows.filter(occurred_at__gte=_days_ago(days))
    if (op, value) in (("gte", 1), ("gt", 0)):
        return Q(Exists(rows))
    if (op, value) in (("eq", 0), ("lt", 1), ("lte", 0)):
        return ~Q(Exists(rows))
    counted = rows.order_by().values("party").annotate(n=Count("pk")).values("n")
    return compare(Coalesce(Subquery(counted, output_field=IntegerField()), 0), op, value)


def _interactions_text(op: str, value: Any, params: dict[str, Any]) -> str:
    kind, days = params["kind"], params.get("days")
    if (op, value) in (("eq", 0), ("lt", 1), ("lte", 0)):
        if days is None:
            return _("with no %(things)s") % {"things": NOUNS[kind]}
        return _("with no %(things)s in the last %(period)s") % {
            "things": NOUNS[kind],
            "period": period_text(days),
        }
    things = count_text(kind, value)
    if days is None:
        templates = {
            "gte": _("with at least %(things)s"),
            "gt": _("with more than %(things)s"),
            "lte": _("with at most %(things)s"),
            "lt": _("with fewer than %(things)s"),
            "eq": _("with exactly %(things)s"),
        }
        return templates[op] % {"things": things}
    templates = {
        "gte": _("with at least %(things)s in the last %(period)s"),
        "gt": _("with more than %(things)s in the last %(period)s"),
        "lte": _("with at most %(things)s in the last %(period)s"),
        "lt": _("with fewer than %(things)s in the last %(period)s"),
        "eq": _("with exactly %(things)s in the last %(period)s"),
    }
    return templates[op] % {"things": things, "period": period_text(days)}


# --- recency ------------------------------------------------------------------------------------------


def _recency_q(attr: str) -> Any:
    def compile_recency(op: str, value: Any, params: dict[str, Any]) -> Q:
        stats = PartyStats.objects.filter(party=OuterRef("pk"))
        if op == "is_empty":
            return ~Q(Exists(stats.filter(**{f"{attr}__isnull": False})))
        if op == "within_days":
            return Q(Exists(stats.filter(**{f"{attr}__gte": _days_ago(value)})))
        return Q(Exists(stats.filter(**{f"{attr}__lt": _days_ago(value)})))

    return compile_recency


def _last_contact_text(op: str, value: Any, params: dict[str, Any]) -> str:
    if op == "is_empty":
        return _("never contacted")
    if op == "within_days":
        return _("contacted in the last %(period)s") % {"period": period_text(value)}
    return _("last contacted more than %(period)s ago") % {"period": period_text(value)}


def _last_purchase_text(op: str, value: Any, params: dict[str, Any]) -> str:
    if op == "is_empty":
        return _("who never bought")
    if op == "within_days":
        return _("who bought in the last %(period)s") % {"period": period_text(value)}
    return _("whose last purchase was more than %(period)s ago") % {"period": period_text(value)}


# --- amounts and scores -------------------------------------------------------------------------------


def _measure_text(measure: str, op: str, shown: str) -> str:
    templates = {
        "gte": _("with %(measure)s of at least %(value)s"),
        "gt": _("with %(measure)s over %(value)s"),
        "lte": _("with %(measure)s of at most %(value)s"),
        "lt": _("with %(measure)s under %(value)s"),
        "eq": _("with %(measure)s of exactly %(value)s"),
    }
    return templates[op] % {"measure": measure, "value": shown}


def _amount(value: Any) -> str:
    return str(formats.number_format(Decimal(str(value)), 2, use_l10n=True, force_grouping=True))


def _purchases_total_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    return compare(_stat("purchases_total", Decimal(0)), op, Decimal(value))


def _net_value_q(op: str, value: Any, params: dict[str, Any]) -> Q:
    net = PartyStats.objects.filter(party=OuterRef("pk")).annotate(
        net=F("purchases_total") - F("returns_total")
    )
    return compare(Coalesce(Subquery(net.values("net")[:1]), Decimal(0)), op, Decimal(value))


def _score_q(attr: str) -> Any:
    def compile_score(op: str, value: Any, params: dict[str, Any]) -> Q:
        scores = CustomerScore.objects.filter(party=OuterRef("pk"))
        if op in ("in", "not_in"):
            positive = Q(Exists(scores.filter(**{f"{attr}__in": value})))
            return positive if op == "in" else ~positive
        if op == "ne":
            return ~Q(Exists(scores.filter(**{attr: value})))
        lookup = "" if op == "eq" else f"__{op}"
        return Q(Exists(scores.filter(**{f"{attr}{lookup}": value})))

    return compile_score


def _choice_text(spec_key: str, positive: Any, negative: Any) -> Any:
    def describe(op: str, value: Any, params: dict[str, Any]) -> str:
        from clientela.segments.rules.registry import FIELDS

        spec = FIELDS[spec_key]
        names = join_or([choice_label(spec, v) for v in (value if isinstance(value, list) else [value])])
        return str(positive if op in ("eq", "in") else negative) % {"value": names}

    return describe


def _measure(measure: Any, shown: Any) -> Any:
    def describe(op: str, value: Any, params: dict[str, Any]) -> str:
        return _measure_text(str(measure), op, shown(value))

    return describe


for spec in (
    Field("interactions", gettext_lazy("Number of interactions"), ACTIVITY, "int", NUMBER_OPS,
          _interactions_q, _interactions_text, params=("kind", "days"), minimum=0, maximum=1_000_000,
          param_choices={"kind": lambda: KIND_CHOICES}),
    Field("last_contact", gettext_lazy("Last contact"), ACTIVITY, "days",
          ("older_than_days", "within_days", "is_empty"), _recency_q("last_contact_at"), _last_contact_text),
    Field("last_purchase", gettext_lazy("Last purchase"), PURCHASES, "days",
          ("older_than_days", "within_days", "is_empty"), _recency_q("last_purchase_at"),
          _last_purchase_text),
    Field("purchases_total", gettext_lazy("Lifetime purchases (amount)"), PURCHASES, "decimal", NUMBER_OPS,
          _purchases_total_q, _measure(gettext_lazy("lifetime purchases"), _amount), minimum=0),
    Field("net_value", gettext_lazy("Net value (purchases minus returns)"), PURCHASES, "decimal",
          NUMBER_OPS, _net_value_q, _measure(gettext_lazy("a net value"), _amount)),
    Field("rfm_segment", gettext_lazy("RFM segment"), SCORES, "choice", ("eq", "ne", "in", "not_in"),
          _score_q("rfm_segment"),
          _choice_text("rfm_segment", gettext_lazy("in the RFM segment %(value)s"),
                       gettext_lazy("not in the RFM segment %(value)s")),
          choices=lambda: RfmSegment.choices),
    Field("r_score", gettext_lazy("Recency score (R)"), SCORES, "int", NUMBER_OPS, _score_q("r_score"),
          _measure(gettext_lazy("a recency score (R)"), str), minimum=1, maximum=5),
    Field("f_score", gettext_lazy("Frequency score (F)"), SCORES, "int", NUMBER_OPS, _score_q("f_score"),
          _measure(gettext_lazy("a frequency score (F)"), str), minimum=1, maximum=5),
    Field("m_score", gettext_lazy("Monetary score (M)"), SCORES, "int", NUMBER_OPS, _score_q("m_score"),
          _measure(gettext_lazy("a monetary score (M)"), str), minimum=1, maximum=5),
    Field("clv", gettext_lazy("Customer lifetime value"), SCORES, "decimal", NUMBER_OPS, _score_q("clv"),
          _measure(gettext_lazy("an expected lifetime value"), _amount)),
    Field("p_alive", gettext_lazy("Probability still active (0 to 1)"), SCORES, "fraction", NUMBER_OPS,
          _score_q("p_alive"),
          _measure(gettext_lazy("a probability of still being active"),
                   lambda v: f"{formats.number_format(float(v) * 100, 0)} %"),
          minimum=0, maximum=1),
    Field("churn_risk", gettext_lazy("Churn risk"), SCORES, "choice", ("eq", "ne", "in", "not_in"),
          _score_q("churn_risk"),
          _choice_text("churn_risk", gettext_lazy("with a %(value)s churn risk"),
                       gettext_lazy("without a %(value)s churn risk")),
          choices=lambda: ChurnRisk.choices),
):  # fmt: skip
    register_field(spec)
