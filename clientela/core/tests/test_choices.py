"""choice_label answers what get_<field>_display() answers, for every choice field, value and language."""

from __future__ import annotations

from django.apps import apps
from django.template import Context, Template
from django.utils import translation

from clientela.core.choices import choice_label


def _choice_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("clientela."):
            continue
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def test_every_choice_field_every_value_both_languages():
    fields = list(_choice_fields())
    assert len(fields) > 20  # the project's choice fields are all here
    checked = 0
    for language in ("es", "en"):
        with translation.override(language):
            for model, field in fields:
                values = [value for value, _label in field.flatchoices] + ["not-a-choice"]
                for value in values:
                    obj = model(**{field.attname: value})
                    assert choice_label(obj, field.name) == getattr(obj, f"get_{field.name}_display")()
                    checked += 1
    assert checked > 200


def test_the_label_follows_the_active_language():
    from clientela.parties.models import ContactPoint

    cp = ContactPoint(kind="mobile")
    with translation.override("en"):
        english = choice_label(cp, "kind")
    with translation.override("es"):
        spanish = choice_label(cp, "kind")
        assert spanish == cp.get_kind_display()
    assert english == "Mobile" and spanish == "Móvil"


def test_template_filter():
    from clientela.parties.models import Party

    with translation.override("es"):
        html = Template('{% load clientela %}{{ p|label:"status" }}').render(
            Context({"p": Party(status="lead")})
        )
        assert html == Party(status="lead").get_status_display()
