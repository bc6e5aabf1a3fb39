"""One chart's data as a table: the same rows feed the chart's JSON, the table view and the CSV download,
so the three can never disagree. Numbers are checked here: no NaN or infinity reaches a page or a file."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import formats
from django.utils.text import slugify

from clientela.core import html


def ratio(numerator: float | Decimal | int | None, denominator: float | Decimal | int | None) -> float | None:
    """numerator / denominator, or None (shown as —) when it is undefined: never NaN or infinity."""
    if numerator is None or not denominator:
        return None
    value = float(numerator) / float(denominator)
    return value if math.isfinite(value) else None


def per_100(numerator: int | None, denominator: int | None) -> float | None:
    value = ratio(numerator, denominator)
    return None if value is None else round(value * 100, 2)


def change_pct(current: float | Decimal | int | None, previous: float | Decimal | int | None) -> float | None:
    """Change vs the previous period in percent; None when there was nothing before."""
    value = ratio(float(current or 0) - float(previous or 0), previous)
    return None if value is None else round(value * 100, 1)


def num(value: Any) -> float | None:
    """A JSON-safe number for the chart (Decimal to float; NaN and infinity to None)."""
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


def month_label(day: dt.date) -> str:
    return formats.date_format(day, "M Y")


@dataclass
class Table:
    """One chart: its question, summary, columns ((label, kind): text|int|money|pct|num|date), rows of raw
    values, and the chart spec for ``web/charts.js`` (empty: no chart, the table only)."""

    name: str
    title: str
    summary: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]
    spec: dict[str, Any] = field(default_factory=dict)
    currency: str = ""
    note: str = ""
    shade: bool = False  # shade the numeric cells by value (the cohort heatmap)

    def display(self) -> list[list[dict[str, Any]]]:
        """Rows as cells (text, numeric, shade 0-1) in the active language."""
        top = 0.0
        if self.shade:
            top = max(
                (float(v) for row in self.rows for v in row[2:] if isinstance(v, (int, float, Decimal))),
                default=0.0,
            )
        out = []
        for row in self.rows:
            cells = []
            for i, ((_label, kind), value) in enumerate(zip(self.columns, row, strict=True)):
                shade = None
                if self.shade and i >= 2 and value is not None and top > 0:
                    shade = round(float(value) / top, 2)
                text = cell(value, kind, self.currency)
                cells.append({"text": text, "numeric": kind not in ("text", "date"), "shade": shade})
            out.append(cells)
        links = self.spec.get("links") or []
        for cells, link in zip(out, links, strict=False):
            # the table view carries the chart's click-through links, for keyboard and screen readers
            if link and cells:
                cells[0]["link"] = link
        return out

    def csv_response(self, filename: str, header_extra: list[str] | None = None) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slugify(filename)}.csv"'
        response.write("\ufeff")  # spreadsheet programs read UTF-8 only with the byte-order mark
        writer = csv.writer(response)
        writer.writerow([label for label, _kind in self.columns])
        for row in self.rows:
            writer.writerow([csv_value(v) for v in row])
        return response


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else round(value, 4)
    if isinstance(value, Decimal):
        # SQLite sums come back with long tails (1114170.23000000): money is written in cents
        return value.quantize(Decimal("0.01")) if value.is_finite() else ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def cell(value: Any, kind: str, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    if kind == "money":
        return html.money(value, currency)
    if kind == "pct":
        return f"{formats.number_format(value, 1, use_l10n=True)} %"
    if kind == "num":
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    if kind == "int":
        return formats.number_format(value, 0, use_l10n=True, force_grouping=True)
    if kind == "date":
        return value.isoformat()
    return str(value)
