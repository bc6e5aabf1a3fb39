"""Fragments rendered once per language with holes: the same HTML as a plain render, per request values
escaped and never shared between users, and a template that does more than print a hole is refused."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.template.loader import render_to_string
from django.utils import translation

from clientela.web import frozen
from clientela.web.frozen import frozen_html

pytestmark = pytest.mark.django_db

HOLES = {
    "q": '"><script>alert(1)</script> & ñ',
    "username": "ana<b>",
    "next_path": "/customers/?q=a&b=<c>",
    "csrf_token": "tok'en",
}


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("authenticated", [True, False])
def test_the_top_bar_is_what_a_plain_render_gives(language, authenticated):
    holes = {**HOLES, "username": HOLES["username"] if authenticated else ""}
    with translation.override(language):
        plain = render_to_string("web/_topbar.html", {"authenticated": authenticated, **holes})
        assert frozen_html("web/_topbar.html", fixed={"authenticated": authenticated}, holes=holes) == plain
        # and again from what was kept
        assert frozen_html("web/_topbar.html", fixed={"authenticated": authenticated}, holes=holes) == plain
    assert "<script>" not in plain
    assert ("&quot;&gt;&lt;script&gt;" in plain) is authenticated  # the search box is for signed-in users


def _from_strings(monkeypatch, sources):
    engine = engines["django"]
    monkeypatch.setattr(
        frozen, "render_to_string", lambda name, context: engine.from_string(sources[name]).render(context)
    )
    frozen._remembered.cache_clear()


@pytest.mark.parametrize(
    "source",
    [
        "<p>{% if q %}found{% endif %}{{ q }}</p>",
        "<p>{{ q|upper }}</p>",
        "<p>{{ q|length }}</p>",
    ],
)
def test_a_hole_that_is_tested_or_filtered_is_refused(monkeypatch, source):
    _from_strings(monkeypatch, {"t.html": source})
    try:
        with pytest.raises(ImproperlyConfigured):
            frozen_html("t.html", fixed={}, holes={"q": "x"})
    finally:
        frozen._remembered.cache_clear()


def test_fixed_values_are_part_of_the_key(monkeypatch):
    _from_strings(monkeypatch, {"t.html": "<p>{% if flag %}on{% else %}off{% endif %} {{ q }} {{ q }}</p>"})
    try:
        assert (
            frozen_html("t.html", fixed={"flag": True}, holes={"q": "<1>"}) == "<p>on &lt;1&gt; &lt;1&gt;</p>"
        )
        assert frozen_html("t.html", fixed={"flag": False}, holes={"q": "2"}) == "<p>off 2 2</p>"
    finally:
        frozen._remembered.cache_clear()


def test_each_user_sees_their_own_name_search_and_address(users, client_for):
    names = []
    for user in list(users.values())[:3]:
        html = client_for(user).get("/customers/?q=o%27Brien+%3Cb%3E").content.decode()
        bar = re.search(r'<header class="topbar">.*?</header>', html, re.S).group(0)
        assert f"> {user.get_username()}</span>" in bar
        assert 'value="o&#x27;Brien &lt;b&gt;"' in bar
        assert 'name="next" value="/customers/?q=o%27Brien+%3Cb%3E"' in bar
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bar).group(1)
        assert token and '"X-CSRFToken": "' in html
        names.append(user.get_username())
    assert len(set(names)) == 3


def test_the_sign_in_page_has_the_language_form_without_the_account_menu(client):
    html = client.get("/accounts/login/").content.decode()
    bar = re.search(r'<header class="topbar">.*?</header>', html, re.S).group(0)
    assert 'class="language-form"' in bar and "global-search" not in bar
