"""Keyset (cursor) pagination shared by the UI and the API: no OFFSET, no COUNT(*) over millions."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _


class InvalidCursor(ValueError):
    def __init__(self) -> None:
        super().__init__(_("The page cursor is not valid; start again from the first page."))


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode(values: Sequence[Any]) -> str:
    # datetimes and dates as ISO text (a date compares with its ISO text in a filter on a DateField)
    # decimals as text (exact; a JSON float would round them)
    payload = [
        v.isoformat() if isinstance(v, dt.datetime | dt.date) else str(v) if isinstance(v, Decimal) else v
        for v in values
    ]
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str, n: int, kinds: Sequence[str]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != n:
        raise InvalidCursor()
    out: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        if kind == "datetime":
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                raise InvalidCursor()
            out.append(parsed)
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidCursor()
            out.append(value)
        elif kind == "decimal":
            try:
                number = Decimal(value) if isinstance(value, str) else None
            except ArithmeticError:
                number = None
            if number is None or not number.is_finite():
                raise InvalidCursor()
            out.append(number)
        elif kind == "float":
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise InvalidCursor()
            out.append(float(value))
        else:
            if not isinstance(value, str):
                raise InvalidCursor()
            out.append(value)
    return out


def _attribute(row: Any, path: str) -> Any:
    for name in path.split("__"):
        row = getattr(row, name)
    return row


def keyset_page(
    qs: QuerySet, *, ordering: Sequence[str], kinds: Sequence[str], cursor: str | None, size: int
) -> Page:
    """One page of ``qs`` ordered by ``ordering`` (the last field must be unique, e.g. "id" or "-id").

    ``kinds`` gives each ordering field's type ("str", "int", "decimal", "float", "datetime") to validate
    cursors. A field may follow a relation ("score__clv": select_related it, and keep out rows where it is
    null: a keyset cannot page over NULL).
    All fields must share one direction so a single row-value comparison is expressible portably.
    """
    names = [f.lstrip("-") for f in ordering]
    values = decode_cursor(cursor, kinds) if cursor else []
    rows = list(keyset_after(qs, ordering=ordering, values=values)[: size + 1])
    # rows are model instances, or dicts when the queryset was narrowed with values()
    return page_of(
        rows,
        size=size,
        cursor_values=lambda last: (
            [last[n] for n in names] if isinstance(last, dict) else [_attribute(last, n) for n in names]
        ),
    )


def decode_cursor(cursor: str, kinds: Sequence[str]) -> list[Any]:
    """The ordering values a cursor carries, checked against ``kinds`` (``InvalidCursor`` otherwise)."""
    return _decode(cursor, len(kinds), kinds)


def keyset_after(qs: QuerySet, *, ordering: Sequence[str], values: Sequence[Any]) -> QuerySet:
    """``qs`` in ``ordering``, from the row after the one whose ordering values are ``values`` (all
    rows when there are none); slice one row more than a page to learn whether another follows."""
    names = [f.lstrip("-") for f in ordering]
    qs = qs.order_by(*ordering)
    if values:
        op = "lt" if ordering[0].startswith("-") else "gt"
        # (a, b, id) > (x, y, z)  ==  a > x OR (a = x AND (b > y OR (b = y AND id > z)))
        condition = Q(**{f"{names[-1]}__{op}": values[-1]})
        for name, value in zip(reversed(names[:-1]), reversed(values[:-1]), strict=True):
            condition = Q(**{f"{name}__{op}": value}) | (Q(**{name: value}) & condition)
        if len(names) > 1:
            # implied by the condition, and what lets an index on the ordering start at the cursor
            # instead of reading every earlier row of the list and filtering it out (deep pages)
            condition = Q(**{f"{names[0]}__{op}e": values[0]}) & condition
        qs = qs.filter(condition)
    return qs


def page_of(rows: list[Any], *, size: int, cursor_values: Callable[[Any], Sequence[Any]]) -> Page:
    """The page of up to ``size + 1`` rows read in order: the first ``size``, and the cursor after the
    last of them (from its ordering values) when more rows followed."""
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = _encode(cursor_values(rows[-1])) if has_more and rows else None
    return Page(items=rows, next_cursor=next_cursor)


def encode_cursor(values: Sequence[Any]) -> str:
    """The cursor that continues after a row with these ordering values (for pages built by hand)."""
    return _encode(values)
