"""The segment editor: name and description (a Django form) and the rule builder's rows, read from the
posted ``c<id>-field``, ``c<id>-op``, ``c<id>-value``, ``c<id>-kind``, ``c<id>-days`` inputs in page order.

The builder edits one group (all / any) of conditions; a definition with nested groups (made through the
API) is edited as JSON instead.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.segments.rules import FIELDS, OPERATORS, Field, definition_clean
from clientela.segments.rules.registry import LIST_OPS, NO_VALUE_OPS


class SegmentForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    description = forms.CharField(
        label=gettext_lazy("Description (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    match = forms.ChoiceField(
        label=gettext_lazy("Customers must match"),
        choices=[("all", gettext_lazy("all the conditions")), ("any", gettext_lazy("any of the conditions"))],
        initial="all",
        widget=forms.Select(attrs={"class": "form-select"}),
    )


@dataclass
class Row:
    """One condition row of the builder, as posted (or as stored), with its messages."""

    key: str
    field: str = ""
    op: str = ""
    value: list[str] = dataclasses.field(default_factory=list)
    kind: str = ""
    days: str = ""
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def spec(self) -> Field | None:
        return FIELDS.get(self.field)

    @property
    def ops(self) -> list[tuple[str, str]]:
        spec = self.spec
        return [(op, str(OPERATORS[op])) for op in spec.ops] if spec else []

    @property
    def choices(self) -> list[tuple[str, str]]:
        spec = self.spec
        if spec is None:
            return []
        if spec.value_type == "bool":
            return [("true", _("yes")), ("false", _("no"))]
        return [(str(k), str(v)) for k, v in spec.choices()] if spec.choices else []

    @property
    def kinds(self) -> list[tuple[str, str]]:
        spec = self.spec
        chooser = spec.param_choices.get("kind") if spec else None
        return [(str(k), str(v)) for k, v in chooser()] if chooser else []

    @property
    def multiple(self) -> bool:
        return self.op in LIST_OPS

    @property
    def needs_value(self) -> bool:
        return self.op not in NO_VALUE_OPS

    @property
    def input_type(self) -> str:
        spec = self.spec
        if spec is None:
            return "text"
        if spec.value_type == "date" and self.op in ("before", "after"):
            return "date"
        if spec.value_type in ("int", "decimal", "fraction", "days") or self.op.endswith("_days"):
            return "number"
        return "text"

    @property
    def text_value(self) -> str:
        return ", ".join(self.value)

    def as_condition(self) -> dict[str, Any]:
        node: dict[str, Any] = {"field": self.field, "op": self.op}
        if self.needs_value:
            node["value"] = list(self.value) if self.multiple else (self.value[0] if self.value else "")
            spec = self.spec
            if (
                self.multiple
                and spec is not None
                and spec.value_type in ("text", "country")
                and len(self.value) == 1
            ):
                node["value"] = self.value[0]  # "Madrid, Sevilla" typed in one box: split by the rule checker
        if self.kind:
            node["kind"] = self.kind
        if self.days:
            node["days"] = self.days
        return node


def new_key() -> str:
    return secrets.token_hex(4)


def row_from(data: QueryDict | dict[str, Any], key: str) -> Row:
    """The row ``key`` from posted (or GET) data; a new field resets the operator to the field's first."""
    get = data.get
    values = data.getlist(f"c{key}-value") if isinstance(data, QueryDict) else [get(f"c{key}-value", "")]
    row = Row(
        key=key,
        field=str(get(f"c{key}-field", "") or ""),
        op=str(get(f"c{key}-op", "") or ""),
        value=[str(v).strip() for v in values if str(v).strip()],
        kind=str(get(f"c{key}-kind", "") or ""),
        days=str(get(f"c{key}-days", "") or "").strip(),
    )
    spec = row.spec
    if spec is not None and row.op not in spec.ops:
        row.op = spec.ops[0]
        row.value = []
    if spec is not None and "kind" in spec.params and not row.kind:
        row.kind = "purchase"
    return row


def rows_from_post(data: QueryDict) -> list[Row]:
    keys = [k[1:-6] for k in data if k.startswith("c") and k.endswith("-field")]
    return [row_from(data, key) for key in keys]


def rows_from_tree(tree: dict[str, Any]) -> list[Row] | None:
    """Builder rows of a flat definition; None when it nests groups (edited as JSON)."""
    key = "all" if "all" in tree else "any"
    rows = []
    for node in tree[key]:
        if "all" in node or "any" in node:
            return None
        value = node.get("value")
        values = value if isinstance(value, list) else ([] if value is None else [value])
        rows.append(
            Row(
                key=new_key(),
                field=node["field"],
                op=node["op"],
                value=["true" if v is True else "false" if v is False else str(v) for v in values],
                kind=str(node.get("kind", "")),
                days=str(node.get("days", "") or ""),
            )
        )
    return rows


def field_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The field picker's option groups, in registry order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for spec in FIELDS.values():
        groups.setdefault(str(spec.group), []).append((spec.key, str(spec.label)))
    return list(groups.items())


@dataclass
class Builder:
    """The posted definition: builder rows (or JSON), the tree to validate, and the messages."""

    match: str
    rows: list[Row] | None
    json_text: str
    errors: list[str] = dataclasses.field(default_factory=list)
    tree: dict[str, Any] | None = None


def builder_from_post(data: QueryDict) -> Builder:
    """Read and validate the posted rules; ``tree`` is set when they are valid."""
    match = "any" if data.get("match") == "any" else "all"
    if "definition_json" in data:
        builder = Builder(match=match, rows=None, json_text=data.get("definition_json", ""))
        try:
            raw = json.loads(builder.json_text)
        except ValueError:
            builder.errors.append(_("The rules are not valid JSON."))
            return builder
    else:
        rows = rows_from_post(data)
        builder = Builder(match=match, rows=rows, json_text="")
        raw = {match: [row.as_condition() for row in rows]}
    try:
        builder.tree = definition_clean(raw)
    except ValidationError as exc:
        _attach(builder, exc)
    return builder


def _attach(builder: Builder, exc: ValidationError) -> None:
    """Put each rule's message on its row ("definition.all.2.value" -> third row)."""
    for path, messages in exc.message_dict.items():
        parts = path.split(".")
        row = None
        if builder.rows is not None and len(parts) >= 3 and parts[2].isdigit():
            index = int(parts[2])
            row = builder.rows[index] if index < len(builder.rows) else None
        for message in messages:
            if row is not None:
                row.errors.append(message)
            else:
                builder.errors.append(f"{path}: {message}" if builder.rows is None else message)
