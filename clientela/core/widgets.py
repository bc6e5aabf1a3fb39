"""A form renderer that draws Django's plain widgets in Python.

Every ``{{ field }}`` of every form goes through the form renderer, and Django's renderer builds a
template context and runs two or three templates per widget (``text.html`` includes ``input.html``,
which includes ``attrs.html``): about 0.1-0.3 ms a field. The customer page draws a quick-log form on
every view; lists draw filter forms. The functions below produce the very same HTML for the widgets
whose templates are Django's own (inputs, text areas, selects): same attribute order, same escaping
(``stringformat:'s'`` then the autoescape of a safe or unsafe value), same newlines.

Whatever they are not sure of goes to Django's templates unchanged: a widget template a project app
overrides, an attribute or value the template engine would call or localise (callables, numbers as
labels...), option templates other than Django's, any other template. A test renders every form of the
project and a range of edge cases through both and compares the output.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeData

_DJANGO_TEMPLATES = Path(django.forms.__file__).resolve().parent / "templates"

INPUT = "django/forms/widgets/input.html"
SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
ATTRS = "django/forms/widgets/attrs.html"
# Django's input widgets whose template only includes input.html
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "tel",
        "search",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "color",
        "checkbox",
    )
)


class Unsure(Exception):
    """A value the template engine would treat in a way these functions do not copy."""


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` under autoescape."""
    if value.__class__ is str:
        return html.escape(value, quote=True)
    if isinstance(value, SafeData):
        return str(value)  # stringformat keeps a safe value safe (is_safe=True)
    # "%s" % value is str(value) for anything but a tuple
    if value is None or (isinstance(value, (str, int, float, Promise)) and not callable(value)):
        return html.escape(str(value), quote=True)
    raise Unsure


def _text(value: Any) -> str:
    """``{{ value }}`` under autoescape, for text only (numbers and dates would be localised)."""
    if value.__class__ is str:
        return html.escape(value, quote=True)
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, (str, Promise)):
        return html.escape(str(value), quote=True)
    raise Unsure


def attrs_html(attrs: Mapping[str, Any]) -> str:
    """Django's ``attrs.html``: ``True`` gives a bare attribute, ``False`` none."""
    if "items" in attrs:  # the template's ``attrs.items`` would read this key, not the method
        raise Unsure
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(" " + _text(name))
        else:
            parts.append(f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def input_html(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}'
        f"{attrs_html(widget['attrs'])}>"
    )


def textarea_html(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    inner = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{attrs_html(widget["attrs"])}>\n{inner}</textarea>'


def select_html(widget: Mapping[str, Any]) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                raise Unsure
            # an included template keeps its final newline
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{attrs_html(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


FAST: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **dict.fromkeys(INPUTS, input_html),
    TEXTAREA: textarea_html,
    SELECT: select_html,
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's template form renderer, with its plain widgets drawn in Python (same HTML)."""

    def __init__(self) -> None:
        super().__init__()
        self._django_own: dict[str, bool] = {}

    def _is_django_own(self, template_name: str) -> bool:
        """Whether the engine finds Django's own template under this name (no app overrides it)."""
        own = self._django_own.get(template_name)
        if own is None:
            names: tuple[str, ...] = (
                (template_name, ATTRS, OPTION) if template_name == SELECT else (template_name, ATTRS)
            )
            if template_name in INPUTS and template_name != INPUT:
                names += (INPUT,)
            own = all(
                Path(str(self.get_template(name).origin.name)).resolve().is_relative_to(_DJANGO_TEMPLATES)
                for name in names
            )
            self._django_own[template_name] = own
        return own

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = FAST.get(template_name)
        widget = context.get("widget")
        if fast is not None and isinstance(widget, Mapping) and self._is_django_own(template_name):
            try:
                return fast(widget)
            except (Unsure, KeyError):
                pass
        return super().render(template_name, context, request)
