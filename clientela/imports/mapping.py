"""Mapping files: which column of an export feeds which canonical field, plus how to read the file.

A mapping is JSON of this shape (``options`` and each option optional)::

    {"columns": {"Teléfono": "phone", "Observaciones": "notes", "Fax": ""},
     "options": {"delimiter": ";", "encoding": "cp1252", "decimal": ",", "date_format": "%d/%m/%Y",
                 "default_country": "ES", "format": "csv", "kind": "invoice", "sheet": "Clientes",
                 "default_currency": "EUR", "timezone": "Europe/Madrid"}}

A column mapped to "" or null is ignored; so are the file's columns the mapping leaves out. Without a
mapping, columns are guessed from their headers (see suggest.py).
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import list_currencies
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.countries import is_country
from clientela.imports.fields import IDENTIFYING_FIELDS, fields_for
from clientela.imports.suggest import suggest_mapping
from clientela.interactions.choices import Kind


class MappingError(Exception):
    """An invalid mapping; ``messages`` lists every problem found, each naming its key or path."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class ImportOptions:
    """How to read the file; None means "detect it" or "use the default"."""

    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    date_format: str | None = None
    default_country: str | None = None
    format: str | None = None
    kind: str | None = None
    sheet: str | None = None
    default_currency: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Mapping:
    """Column header -> canonical field ("" = ignore the column), and the reading options."""

    columns: dict[str, str]
    options: ImportOptions

    def to_json(self) -> dict[str, Any]:
        """The mapping as a JSON-ready dict in the documented shape, leaving out unset options."""
        options = {key: value for key, value in asdict(self.options).items() if value is not None}
        return {"columns": dict(self.columns), "options": options}


OPTION_NAMES: tuple[str, ...] = tuple(field.name for field in fields(ImportOptions))
_DELIMITERS = {",": ",", ";": ";", "\t": "\t", "|": "|", "\\t": "\t", "tab": "\t", "comma": ",",
               "semicolon": ";", "pipe": "|"}  # fmt: skip
_FORMATS = ("csv", "xlsx", "jsonl")
# A date with day > 12 and a time, so a format that swaps day and month or drops a part shows up.
_SAMPLE = dt.datetime(2025, 12, 31, 14, 30, 45)  # noqa: DTZ001 - only formatted and parsed back


# Problems with an option's value; lazy so each is translated when reported.
_OPTION_PROBLEMS = {
    "delimiter": gettext_lazy('%(path)s: "%(value)s" is not a delimiter; use ",", ";", "tab" or "|".'),
    "encoding": gettext_lazy('%(path)s: "%(value)s" is not a known encoding (such as utf-8 or cp1252).'),
    "decimal": gettext_lazy('%(path)s: the decimal separator must be "," or ".", not "%(value)s".'),
    "date_format": gettext_lazy(
        '%(path)s: "%(value)s" is not a usable date format; it needs the day, month and year, like %(example)s.'
    ),
    "default_country": gettext_lazy(
        '%(path)s: "%(value)s" is not a two-letter ISO country code, like ES or MX.'
    ),
    "format": gettext_lazy('%(path)s: "%(value)s" is not a file format; formats are: %(choices)s.'),
    "kind": gettext_lazy('%(path)s: "%(value)s" is not a kind of interaction; kinds are: %(choices)s.'),
    "sheet": gettext_lazy("%(path)s: give the name of the sheet."),
    "default_currency": gettext_lazy(
        '%(path)s: "%(value)s" is not an ISO 4217 currency code, like EUR or USD.'
    ),
    "timezone": gettext_lazy('%(path)s: "%(value)s" is not a time zone name, like Europe/Madrid.'),
}


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f'"{value}"' for value in values)


def _load(data: str | bytes, problems: list[str]) -> object:
    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                duplicates.append(key)
            result[key] = value
        return result

    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        loaded = json.loads(text, object_pairs_hook=pairs_hook)
    except UnicodeDecodeError:
        problems.append(_("The mapping is not UTF-8 text."))
        return None
    except json.JSONDecodeError as exc:
        problems.append(
            _("The mapping is not valid JSON: %(error)s at line %(line)s, column %(column)s.")
            % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
        )
        return None
    problems.extend(_('The key "%(key)s" appears twice.') % {"key": key} for key in duplicates)
    return loaded


def _check_columns(raw: object, entity: str, problems: list[str]) -> dict[str, str]:
    allowed = fields_for(entity)
    if not isinstance(raw, dict):
        problems.append(_('columns: must be an object of "column header": "field" pairs.'))
        return {}
    columns: dict[str, str] = {}
    sources: dict[str, list[str]] = {}
    for header, field in raw.items():
        path = f"columns[{json.dumps(header, ensure_ascii=False)}]"
        if not isinstance(header, str):
            problems.append(_("%(path)s: column headers must be text.") % {"path": path})
            continue
        if field is None or field == "":
            columns[header] = ""
            continue
        if not isinstance(field, str):
            problems.append(
                _("%(path)s: the field must be text, or null to ignore the column.") % {"path": path}
            )
            continue
        canonical = field.strip().lower()
        if canonical not in allowed:
            guess = suggest_mapping([field], entity)[field]
            params = {"path": path, "value": field, "suggestion": guess, "fields": ", ".join(allowed)}
            problems.append(
                _(
                    '%(path)s: "%(value)s" is not a field (did you mean "%(suggestion)s"?); fields are: %(fields)s'
                )
                % params
                if guess
                else _('%(path)s: "%(value)s" is not a field; fields are: %(fields)s') % params
            )
            continue
        columns[header] = canonical
        sources.setdefault(canonical, []).append(header)
    for field, headers in sources.items():
        if len(headers) > 1:
            problems.append(
                _('columns: the field "%(field)s" is mapped from more than one column: %(columns)s.')
                % {"field": field, "columns": _quoted(headers)}
            )
    return columns


def _check_date_format(value: str) -> bool:
    if "%" not in value:
        return False
    try:
        parsed = dt.datetime.strptime(_SAMPLE.strftime(value), value)  # noqa: DTZ007 - format check only
    except ValueError:
        return False
    return parsed.date() == _SAMPLE.date()


def _codec_exists(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # ValueError: not a relative path ("../x")
        return False
    return True


def _normalise_option(name: str, value: str, entity: str) -> str | None:
    """The option's value in its stored form, or None when it is not valid."""
    stripped = value.strip()
    lower = stripped.lower()
    if name == "delimiter":
        return _DELIMITERS.get(value) or _DELIMITERS.get(lower)
    checks: dict[str, tuple[Callable[[], bool], str]] = {
        "encoding": (lambda: _codec_exists(stripped), stripped),
        "decimal": (lambda: stripped in (",", "."), stripped),
        "date_format": (lambda: _check_date_format(value), value),
        "default_country": (lambda: is_country(stripped), stripped.upper()),
        "format": (lambda: lower in _FORMATS, lower),
        "kind": (lambda: entity == "interactions" and lower in Kind.values, lower),
        "sheet": (lambda: bool(stripped), value),
        "default_currency": (lambda: stripped.upper() in _currencies(), stripped.upper()),
        "timezone": (lambda: _zone_exists(stripped), stripped),
    }
    is_valid, normalised = checks[name]
    return normalised if is_valid() else None


def _option_problem(name: str, value: str, entity: str) -> str:
    params = {"path": f"options.{name}", "value": value, "example": "%d/%m/%Y"}
    if name == "kind" and entity != "interactions":
        return _("%(path)s: a fixed kind is only possible for interactions files.") % params
    if name == "format":
        params["choices"] = _quoted(_FORMATS)
    elif name == "kind":
        params["choices"] = ", ".join(Kind.values)
    return str(_OPTION_PROBLEMS[name]) % params


def _check_options(raw: object, entity: str, problems: list[str]) -> ImportOptions:
    if raw is None:
        return ImportOptions()
    if not isinstance(raw, dict):
        problems.append(_("options: must be an object."))
        return ImportOptions()
    values: dict[str, str] = {}
    for name, value in raw.items():
        if name not in OPTION_NAMES:
            problems.append(
                _('options: "%(key)s" is not an option; options are: %(choices)s.')
                % {"key": name, "choices": ", ".join(OPTION_NAMES)}
            )
        elif value is None:
            continue
        elif not isinstance(value, str):
            problems.append(_("options.%(key)s: must be text.") % {"key": name})
        else:
            normalised = _normalise_option(name, value, entity)
            if normalised is None:
                problems.append(_option_problem(name, value, entity))
            else:
                values[name] = normalised
    return ImportOptions(**values)


def parse_mapping(data: str | bytes | dict[str, Any], *, entity: str) -> Mapping:
    """Check a mapping (JSON text or an already decoded dict) for ``entity`` and normalise it.

    Raises MappingError listing every problem at once, so the user can fix the file in one go.
    """
    fields_for(entity)  # rejects unknown entities before anything else
    problems: list[str] = []
    loaded = data if isinstance(data, dict) else _load(data, problems)
    if loaded is None and problems:
        raise MappingError(problems)
    if not isinstance(loaded, dict):
        raise MappingError(
            [_('The mapping must be a JSON object with "columns" and, optionally, "options".')]
        )
    for key in loaded:
        if key not in ("columns", "options"):
            problems.append(_('"%(key)s" is not a mapping key; use "columns" and "options".') % {"key": key})
    if "columns" not in loaded:
        problems.append(_("columns: missing; list the file's columns and the field each one feeds."))
    columns = _check_columns(loaded.get("columns", {}), entity, problems)
    options = _check_options(loaded.get("options"), entity, problems)
    if problems:
        raise MappingError(problems)
    return Mapping(columns=columns, options=options)


def resolve_columns(
    headers: Sequence[str], mapping: Mapping | None, entity: str
) -> tuple[dict[str, str], list[str]]:
    """(header -> canonical field for every header that feeds a field, warnings for the user).

    With a mapping only its columns are used, matched to the headers exactly or else ignoring case
    and surrounding spaces; without one the headers are guessed by suggest_mapping.
    """
    warnings: list[str] = []
    chosen: dict[str, str] = {}
    if mapping is None:
        chosen = {header: field for header, field in suggest_mapping(headers, entity).items() if field}
    else:
        found = {column: column for column in mapping.columns if column in headers}
        loose: dict[str, str] = {}  # headers not claimed exactly, by their loose key
        for header in headers:
            if header not in found:
                loose.setdefault(header.strip().casefold(), header)
        for column in mapping.columns:
            key = column.strip().casefold()
            if column not in found and key in loose:
                found[column] = loose.pop(key)
        for column, field in mapping.columns.items():
            if column not in found:
                warnings.append(
                    _('Column "%(column)s" of the mapping is not in the file.') % {"column": column}
                )
            elif field:
                chosen[found[column]] = field
        chosen = {header: chosen[header] for header in headers if header in chosen}  # file order
    identifying = IDENTIFYING_FIELDS[entity]
    if not set(identifying) & set(chosen.values()):
        if entity == "parties":
            message = _("No column gives the customer's name (%(fields)s); rows cannot be imported.")
        elif entity == "leads":
            message = _("No column names the lead (%(fields)s); rows cannot be imported.")
        else:
            message = _("No column identifies the customer (%(fields)s); rows cannot be linked to customers.")
        warnings.append(message % {"fields": ", ".join(identifying)})
    return chosen, warnings
