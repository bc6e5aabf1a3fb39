"""The field registry of segment rules: what a condition may test, which operators it takes, how its value
is checked, how it becomes SQL (a ``Q`` over ``Party``) and how it reads in words.

Other apps add fields from their ``AppConfig.ready()`` with ``register_field`` (marketing consent, for
instance) without this app importing them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Operator -> label shown in the rule builder (the readable definition uses per-field sentences instead).
OPERATORS: dict[str, Promise] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is any of"),
    "not_in": gettext_lazy("is none of"),
    "gte": gettext_lazy("at least"),
    "gt": gettext_lazy("more than"),
    "lte": gettext_lazy("at most"),
    "lt": gettext_lazy("less than"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("on or after"),
    "within_days": gettext_lazy("in the last N days"),
    "older_than_days": gettext_lazy("more than N days ago"),
    "is_empty": gettext_lazy("is empty"),
}
LIST_OPS = frozenset({"in", "not_in"})
NO_VALUE_OPS = frozenset({"is_empty"})
MAX_LIST = 50
MAX_DAYS = 36500


class RuleValueError(ValueError):
    """A condition's value (or parameter) is not acceptable; the message says how to fix it."""


@dataclass(frozen=True)
class Field:
    """One thing a condition can test.

    ``value_type`` drives value checking and the builder's input: choice, text, int, decimal, fraction
    (0..1), date, bool, user, team or days. ``compile(op, value, params)`` returns a ``Q`` over Party
    (Exists/Subquery on indexed per-party lookups); ``describe(op, value, params)`` a phrase that completes
    "Customers ..." in the active language. ``params`` names extra keys of the condition ("kind", "days").
    """

    key: str
    label: Promise | str
    group: Promise | str
    value_type: str
    ops: tuple[str, ...]
    compile: Callable[[str, Any, dict[str, Any]], Q]
    describe: Callable[[str, Any, dict[str, Any]], str]
    choices: Callable[[], Sequence[tuple[Any, Any]]] | None = None
    params: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    param_choices: dict[str, Callable[[], Sequence[tuple[Any, Any]]]] = field(default_factory=dict)


FIELDS: dict[str, Field] = {}


def register_field(spec: Field) -> None:
    """Make ``spec`` available to segment rules (a second field with the same key is a programming error)."""
    if spec.key in FIELDS:
        raise ValueError(f"segment rule field {spec.key!r} is already registered")
    FIELDS[spec.key] = spec


def _number(raw: Any, *, integer: bool) -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise RuleValueError(_("Enter a number."))
    if isinstance(raw, float) and not math.isfinite(raw):
        raise RuleValueError(_("Enter a number."))
    text = str(raw).strip().replace(",", ".") if isinstance(raw, str) else raw
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError) as exc:
        raise RuleValueError(_("Enter a number.")) from exc
    if not number.is_finite():
        raise RuleValueError(_("Enter a number."))
    if integer and number != number.to_integral_value():
        raise RuleValueError(_("Enter a whole number."))
    return number


def check_scalar(spec: Field, op: str, raw: Any) -> Any:
    """The cleaned JSON value of one scalar ``raw`` for ``spec`` (raises ``RuleValueError``)."""
    kind = spec.value_type
    if op in ("within_days", "older_than_days") or kind == "days":
        number = _number(raw, integer=True)
        if number < 0 or number > MAX_DAYS:
            raise RuleValueError(_("Enter a number of days between 0 and %(max)s.") % {"max": MAX_DAYS})
        return int(number)
    if kind == "choice":
        allowed = {str(k) for k, _label in (spec.choices() if spec.choices else ())}
        if not isinstance(raw, str) or raw not in allowed:
            raise RuleValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(sorted(allowed))})
        return raw
    if kind == "country":
        from clientela.core.countries import is_country

        if not isinstance(raw, str) or not is_country(raw.strip()):
            raise RuleValueError(_("Enter a country as its two-letter code, e.g. ES."))
        return raw.strip().upper()
    if kind == "text":
        if not isinstance(raw, str) or not raw.strip():
            raise RuleValueError(_("Enter some text."))
        if len(raw.strip()) > 100:
            raise RuleValueError(_("Enter at most %(limit)s characters.") % {"limit": 100})
        return raw.strip()
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false", "1", "0", "yes", "no"):
            return raw.lower() in ("true", "1", "yes")
        raise RuleValueError(_("Enter true or false."))
    if kind == "date":
        if not isinstance(raw, str):
            raise RuleValueError(_("Enter a valid date (YYYY-MM-DD)."))
        try:
            return dt.date.fromisoformat(raw.strip()).isoformat()
        except ValueError as exc:
            raise RuleValueError(_("Enter a valid date (YYYY-MM-DD).")) from exc
    if kind in ("user", "team"):
        number = _number(raw, integer=True)
        if number < 1 or number > 2**63 - 1:
            raise RuleValueError(_("Choose one of the listed values."))
        return int(number)
    if kind in ("int", "decimal", "fraction"):
        number = _number(raw, integer=kind == "int")
        if spec.minimum is not None and number < Decimal(str(spec.minimum)):
            raise RuleValueError(_("Enter a number of at least %(limit)s.") % {"limit": spec.minimum})
        if spec.maximum is not None and number > Decimal(str(spec.maximum)):
            raise RuleValueError(_("Enter a number of at most %(limit)s.") % {"limit": spec.maximum})
        if kind == "int":
            return int(number)
        if kind == "fraction":
            return float(number)
        return str(number.quantize(Decimal("0.01")))
    raise RuleValueError(_("Invalid value."))  # pragma: no cover - a registered type without a checker


def check_value(spec: Field, op: str, raw: Any) -> Any:
    """The cleaned value of a condition: None for operators without one, a list for ``in``/``not_in``."""
    if op in NO_VALUE_OPS:
        return None
    if op in LIST_OPS:
        if isinstance(raw, str):
            raw = [part for part in (p.strip() for p in raw.split(",")) if part]
        if not isinstance(raw, list) or not raw:
            raise RuleValueError(_("Enter a list of values."))
        if len(raw) > MAX_LIST:
            raise RuleValueError(_("Enter at most %(limit)s values.") % {"limit": MAX_LIST})
        return list(dict.fromkeys(check_scalar(spec, op, item) for item in raw))
    if raw is None or raw == "":
        raise RuleValueError(_("Enter a value."))
    return check_scalar(spec, op, raw)


def choice_label(spec: Field, value: Any) -> str:
    for key, label in spec.choices() if spec.choices else ():
        if str(key) == str(value):
            return str(label)
    return str(value)


def join_or(items: Sequence[str]) -> str:
    """ "a, b or c" in the active language."""
    if len(items) == 1:
        return items[0]
    return _("%(items)s or %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}


def join_and(items: Sequence[str]) -> str:
    """ "a, b and c" in the active language."""
    if len(items) == 1:
        return items[0]
    return _("%(items)s and %(last)s") % {"items": ", ".join(items[:-1]), "last": items[-1]}
