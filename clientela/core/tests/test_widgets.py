"""The Python widget renderer draws exactly what Django's templates draw, or hands over to them."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

import clientela
from clientela.core import widgets as fast
from clientela.core.widgets import FastWidgetRenderer

DJANGO = DjangoTemplates()


def both(widget: forms.Widget, name: str, value: object, attrs: dict | None = None) -> tuple[str, str]:
    renderer = FastWidgetRenderer()
    return (
        widget.render(name, value, attrs, renderer=renderer),
        widget.render(name, value, attrs, renderer=DJANGO),
    )


class Colour(forms.Form):
    name = forms.CharField(
        max_length=20, help_text="x", widget=forms.TextInput(attrs={"placeholder": 'a "b" <c>'})
    )


CASES = [
    (forms.TextInput(), "q", None),
    (forms.TextInput(), "q", ""),
    (forms.TextInput(), "q", 'O\'Brien & "Sons" <b>'),
    (
        forms.TextInput(attrs={"placeholder": gettext_lazy("Search"), "required": True, "disabled": False}),
        "q",
        "x",
    ),
    (
        forms.TextInput(attrs={"data-x": mark_safe("<safe>"), "maxlength": 20, "step": 0.5}),
        "q",
        mark_safe("<b>"),
    ),
    (forms.NumberInput(), "n", 3),
    (forms.NumberInput(attrs={"min": Decimal("0.01")}), "n", Decimal("1.50")),
    (forms.EmailInput(), "e", "a@b.es"),
    (forms.URLInput(), "u", "https://x.es/?a=1&b=2"),
    (forms.HiddenInput(), "h", 5),
    (forms.PasswordInput(render_value=True), "p", "secret"),
    (forms.PasswordInput(), "p", "secret"),
    (forms.DateInput(attrs={"type": "date"}), "d", "2025-12-31"),
    (forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), "w", None),
    (forms.TimeInput(), "t", "10:30"),
    (forms.CheckboxInput(), "c", True),
    (forms.CheckboxInput(), "c", False),
    (forms.CheckboxInput(), "c", "on"),
    (forms.Textarea(), "t", None),
    (forms.Textarea(), "t", ""),
    (forms.Textarea(attrs={"rows": 2}), "t", "line 1\nline <2> & 'three'"),
    (forms.Textarea(), "t", mark_safe("<i>safe</i>")),
    (forms.Select(choices=[("", "---------"), ("a", "A & B"), ("b", gettext_lazy("Spanish"))]), "s", "b"),
    (forms.Select(choices=[(1, "one"), (2, "two")]), "s", 2),
    (
        forms.Select(choices=[("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C")], attrs={"id": "id_s"}),
        "s",
        "c",
    ),
    (forms.Select(choices=[]), "s", None),
    (forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]), "m", ["a", "c"]),
    (forms.NullBooleanSelect(), "nb", None),
    (forms.Select(choices=[(1, 1000), (2, 2.5)]), "s", 1),  # numbers as labels: localised by Django
    (forms.RadioSelect(choices=[("a", "A"), ("b", "B")]), "r", "a"),  # not drawn in Python
    (forms.CheckboxSelectMultiple(choices=[("a", "A")]), "cm", ["a"]),
    (forms.ClearableFileInput(), "f", None),
    (forms.SplitDateTimeWidget(), "sdt", None),
    (forms.TextInput(attrs={"data-f": lambda: "called"}), "q", "v"),
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(("widget", "name", "value"), CASES, ids=range(len(CASES)))
def test_each_widget_draws_what_django_draws(widget, name, value, language):
    with override(language):
        ours, theirs = both(widget, name, value, {"id": f"id_{name}"})
    assert ours == theirs


def test_the_plain_widgets_are_drawn_without_the_template_engine(monkeypatch):
    renderer = FastWidgetRenderer()
    for widget, value in [
        (forms.TextInput(attrs={"placeholder": gettext_lazy("Search")}), "x"),
        (forms.Textarea(), "y"),
        (forms.Select(choices=[("a", "A")]), "a"),
        (forms.CheckboxInput(), True),
    ]:
        renderer.render(widget.template_name, widget.get_context("n", value, None))  # warm the origin check
    calls = []
    monkeypatch.setattr(DjangoTemplates, "render", lambda *a, **k: calls.append(a) or "")
    forms.TextInput().render("n", "x", renderer=renderer)
    forms.Textarea().render("n", "y", renderer=renderer)
    forms.Select(choices=[("a", "A")]).render("n", "a", renderer=renderer)
    assert calls == []
    forms.RadioSelect(choices=[("a", "A")]).render("n", "a", renderer=renderer)
    assert len(calls) == 1


def test_a_widget_template_an_app_overrides_is_left_to_django(monkeypatch):
    renderer = FastWidgetRenderer()
    monkeypatch.setattr(renderer, "_is_django_own", lambda name: False)
    calls = []
    monkeypatch.setattr(DjangoTemplates, "render", lambda *a, **k: calls.append(a) or "<django>")
    assert forms.TextInput().render("n", "x", renderer=renderer) == "<django>"
    assert calls


def test_values_the_engine_would_treat_differently_are_not_drawn_in_python():
    with pytest.raises(fast.Unsure):
        fast.attrs_html({"items": "x"})  # the template reads attrs["items"] for attrs.items
    with pytest.raises(fast.Unsure):
        fast.attrs_html({"data-f": lambda: "called"})  # the template calls it
    with pytest.raises(fast.Unsure):
        fast._text(1000)  # the template localises numbers


def test_the_overridden_check_reads_where_the_engine_finds_the_template():
    renderer = FastWidgetRenderer()
    assert renderer._is_django_own("django/forms/widgets/text.html")
    assert renderer._is_django_own(fast.SELECT)


def _project_forms() -> list[type[forms.Form]]:
    found = []
    for module in pkgutil.walk_packages(clientela.__path__, "clientela."):
        if module.name.rsplit(".", 1)[-1].startswith("forms"):
            mod = importlib.import_module(module.name)
            for _name, cls in inspect.getmembers(mod, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == mod.__name__:
                    found.append(cls)
    return found


def _compare(label: str, form: forms.BaseForm) -> int:
    """Each field's widget through both renderers; how many were compared."""
    renderer = FastWidgetRenderer()
    for name in form.fields:
        form.renderer = renderer
        ours = form[name].as_widget()
        form.renderer = DJANGO
        assert ours == form[name].as_widget(), (label, name)
    return len(form.fields)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_form_of_the_project_draws_the_same(language):
    checked = 0
    with override(language):
        for cls in _project_forms():
            try:
                unbound = cls()
                bound = cls(data=dict.fromkeys(unbound.fields, "x <y> & 'z'"))
            except TypeError:
                continue  # a form that needs arguments; its widgets are covered by the cases above
            checked += _compare(cls.__name__, unbound) + _compare(cls.__name__, bound)
    assert checked > 100


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_list_filters_draw_the_same(language):
    from clientela.parties.filters import PartyFilter
    from clientela.sales.selectors_leads import LeadFilter

    checked = 0
    with override(language):
        for filterset_class in (PartyFilter, LeadFilter):
            unbound = filterset_class(data=None).form
            bound = filterset_class(data=dict.fromkeys(unbound.fields, "x <y>")).form
            checked += _compare(filterset_class.__name__, unbound) + _compare(filterset_class.__name__, bound)
    assert checked > 10
