"""Template helpers that format values for people: language names, wrappable email addresses, phones."""

from __future__ import annotations

from django.utils import translation

from clientela.web.templatetags.clientela import email_wrap, language_name, phone


def test_language_name_follows_the_active_language():
    with translation.override("en"):
        assert language_name("es") == "Spanish"
    with translation.override("es"):
        assert language_name("es") == "Español"
        assert language_name("en") == "Inglés"
    assert language_name("") == ""
    assert language_name("not a language") == "not a language"


def test_email_wraps_only_before_the_at_sign_and_stays_escaped():
    assert str(email_wrap("ana.garcia@example.es")) == "ana.garcia<wbr>@example.es"
    assert str(email_wrap("<b>@x.es")) == "&lt;b&gt;<wbr>@x.es"
    assert str(email_wrap("no-at-sign")) == "no-at-sign"


def test_phone_is_national_for_the_default_region_and_international_otherwise(settings):
    settings.CLIENTELA_DEFAULT_REGION = "ES"
    assert phone("+34612345678") == "612 34 56 78"
    assert phone("+14155550123").startswith("+1 ")
    assert phone("") == ""
