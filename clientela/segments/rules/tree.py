"""The rule tree: ``{"all": [...]}`` / ``{"any": [...]}`` groups nesting conditions
``{"field": "...", "op": "...", "value": ..., ("kind": ..., "days": ...)}``.

``definition_clean`` checks a tree and returns its normal form (or raises one ``ValidationError`` with a
message per rule, keyed by its path such as ``definition.all.1.value``); ``definition_q`` turns a clean
tree into a ``Q`` over Party; ``definition_text`` reads it in the active language; ``leaves`` lists its
conditions with their paths ("0", "1.2"), which membership history uses to say which rule changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from clientela.segments.rules.registry import (
    FIELDS,
    MAX_DAYS,
    NO_VALUE_OPS,
    OPERATORS,
    RuleValueError,
    check_value,
    join_and,
    join_or,
)

MAX_DEPTH = 4
MAX_CONDITIONS = 40
CONDITION_KEYS = {"field", "op", "value", "kind", "days"}


def _clean_node(node: Any, path: str, depth: int, errors: dict[str, list[str]], counter: list[int]) -> Any:
    if not isinstance(node, dict):
        errors.setdefault(path, []).append(_("Each rule must be a condition or a group (all / any)."))
        return None
    groups = [k for k in ("all", "any") if k in node]
    if groups:
        if len(node) != 1:
            errors.setdefault(path, []).append(_("A group has exactly one key: all or any."))
            return None
        key = groups[0]
        children = node[key]
        if not isinstance(children, list):
            errors.setdefault(f"{path}.{key}", []).append(_("A group holds a list of rules."))
            return None
        if depth >= MAX_DEPTH:
            errors.setdefault(path, []).append(
                _("Groups nest at most %(depth)s levels deep.") % {"depth": MAX_DEPTH}
            )
            return None
        if not children:
            errors.setdefault(f"{path}.{key}", []).append(_("Add at least one condition."))
            return None
        cleaned = [
            _clean_node(c, f"{path}.{key}.{i}", depth + 1, errors, counter) for i, c in enumerate(children)
        ]
        return {key: cleaned}
    counter[0] += 1
    return _clean_condition(node, path, errors)


def _clean_condition(node: dict[str, Any], path: str, errors: dict[str, list[str]]) -> Any:
    unknown = sorted(set(node) - CONDITION_KEYS)
    if unknown:
        errors.setdefault(path, []).append(_("Unknown key: %(keys)s.") % {"keys": ", ".join(unknown)})
    name = node.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        errors.setdefault(f"{path}.field", []).append(
            _("Unknown field %(field)s; choose one of: %(fields)s.")
            % {"field": repr(name) if name is not None else "—", "fields": ", ".join(FIELDS)}
        )
        return None
    op = node.get("op")
    if op not in spec.ops:
        labels = ", ".join(f"{o} ({OPERATORS[o]})" for o in spec.ops)
        errors.setdefault(f"{path}.op", []).append(
            _("The field %(field)s takes one of these operators: %(ops)s.")
            % {"field": spec.key, "ops": labels}
        )
        return None
    out: dict[str, Any] = {"field": spec.key, "op": op}
    try:
        value = check_value(spec, op, node.get("value"))
    except RuleValueError as exc:
        errors.setdefault(f"{path}.value", []).append(str(exc))
        value = None
    if op not in NO_VALUE_OPS:
        out["value"] = value
    for param in ("kind", "days"):
        if param in node and param not in spec.params:
            errors.setdefault(f"{path}.{param}", []).append(
                _("The field %(field)s does not take %(param)s.") % {"field": spec.key, "param": param}
            )
    if "kind" in spec.params:
        choices = {str(k) for k, _label in spec.param_choices["kind"]()}
        if node.get("kind") not in choices:
            errors.setdefault(f"{path}.kind", []).append(
                _("Choose a kind of interaction: %(choices)s.") % {"choices": ", ".join(sorted(choices))}
            )
        else:
            out["kind"] = node["kind"]
    if "days" in spec.params and node.get("days") not in (None, ""):
        days = node["days"]
        if isinstance(days, str) and days.strip().isdigit():
            days = int(days.strip())
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            errors.setdefault(f"{path}.days", []).append(
                _("Enter a number of days between 1 and %(max)s.") % {"max": MAX_DAYS}
            )
        else:
            out["days"] = days
    return out


def definition_clean(definition: Any, *, prefix: str = "definition") -> dict[str, Any]:
    """The normal form of a rule tree; raises ``ValidationError({path: [messages]})`` naming each bad rule."""
    errors: dict[str, list[str]] = {}
    counter = [0]
    if not isinstance(definition, dict) or not ({"all", "any"} & set(definition)):
        raise ValidationError({prefix: [_('The rules must be a group: {"all": [...]} or {"any": [...]}.')]})
    cleaned = _clean_node(definition, prefix, 0, errors, counter)
    if counter[0] > MAX_CONDITIONS:
        errors.setdefault(prefix, []).append(
            _("A segment has at most %(limit)s conditions.") % {"limit": MAX_CONDITIONS}
        )
    if errors:
        raise ValidationError(errors)
    return cleaned  # type: ignore[no-any-return]


def _params(node: dict[str, Any]) -> dict[str, Any]:
    return {k: node[k] for k in ("kind", "days") if k in node}


def condition_q(node: dict[str, Any]) -> Q:
    """The filter of one clean condition."""
    return FIELDS[node["field"]].compile(node["op"], node.get("value"), _params(node))


def definition_q(tree: dict[str, Any]) -> Q:
    """The filter over Party of a clean tree."""
    if "all" in tree or "any" in tree:
        key = "all" if "all" in tree else "any"
        out = Q()
        for child in tree[key]:
            part = definition_q(child)
            out = (out & part) if key == "all" else (out | part) if out else part
        return out
    return condition_q(tree)


def condition_text(node: dict[str, Any]) -> str:
    """One condition in words ("with at least 3 purchases in the last 12 months")."""
    spec = FIELDS.get(node.get("field", ""))
    if spec is None:
        return _("an unknown rule (%(field)s)") % {"field": node.get("field")}
    return spec.describe(node["op"], node.get("value"), _params(node))


def _group_text(tree: dict[str, Any], nested: bool) -> str:
    key = "all" if "all" in tree else "any"
    parts = [_group_text(c, True) if ("all" in c or "any" in c) else condition_text(c) for c in tree[key]]
    text = join_and(parts) if key == "all" else join_or(parts)
    return _("(%(rules)s)") % {"rules": text} if nested and len(parts) > 1 else text


def definition_text(tree: dict[str, Any]) -> str:
    """The whole definition as a sentence: "Customers in Madrid with at least 3 purchases ..."."""
    return _("Customers %(conditions)s") % {"conditions": _group_text(tree, False)}


def leaves(tree: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every condition with its path of child indexes ("0", "1.2")."""
    if "all" in tree or "any" in tree:
        for i, child in enumerate(tree["all" if "all" in tree else "any"]):
            yield from leaves(child, f"{path}.{i}" if path else str(i))
    else:
        yield path, tree


def forced_true(tree: dict[str, Any]) -> set[str]:
    """Paths of conditions that every member satisfies (direct children of a top-level "all")."""
    if "all" not in tree:
        return set()
    return {str(i) for i, child in enumerate(tree["all"]) if "all" not in child and "any" not in child}
