"""The sidebar: each role sees the entries its permissions open, the current page is marked, and a
change of role shows at once although the HTML is kept per language, page and entries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from clientela.accounts.models import Role
from clientela.web.nav import NAV, visible_entries

pytestmark = pytest.mark.django_db


def sidebar(html: str) -> list[str]:
    nav = re.search(r'<nav id="sidebar".*?</nav>', html, re.S)
    assert nav, "no sidebar"
    return re.findall(r'href="([^"]+)"', nav.group(0))


def hrefs(keys) -> list[str]:
    by_key = {item.key: item for item in NAV}
    return [by_key[k].path or reverse(by_key[k].route) for k in keys]


def test_each_role_sees_the_entries_its_permissions_open(users, client_for):
    seen = {}
    for slug, user in users.items():
        html = client_for(user).get("/customers/").content.decode()
        seen[slug] = sidebar(html)
        assert seen[slug] == hrefs(visible_entries(user)), slug
    assert reverse("integrations:webhooks") in seen["administrator"]
    assert reverse("integrations:webhooks") not in seen["sales_rep"]
    assert reverse("imports:list") not in seen["read_only"]
    assert len({tuple(v) for v in seen.values()}) > 2  # roles differ


def test_the_current_page_is_marked(admin_user, client_for):
    client = client_for(admin_user)
    html = client.get("/customers/").content.decode()
    assert re.search(r'class="nav-link active" aria-current="page" href="/customers/"', html)
    html = client.get(reverse("parties:bin")).content.decode()
    current = re.findall(r'class="nav-link active" aria-current="page" href="([^"]+)"', html)
    assert current == [reverse("parties:bin")]


def test_a_change_of_role_shows_on_the_next_page(users, client_for):
    user = users["read_only"]
    client = client_for(user)
    assert reverse("imports:list") not in sidebar(client.get("/customers/").content.decode())
    user.role = Role.objects.get(slug="administrator")
    user.save(update_fields=["role"])
    assert reverse("imports:list") in sidebar(client.get("/customers/").content.decode())


def test_labels_follow_the_language(admin_user, client_for):
    client = client_for(admin_user)
    admin_user.language = "es"
    admin_user.save(update_fields=["language"])
    with translation.override("es"):
        assert "Papelera" in client.get("/customers/").content.decode()
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    assert "Recycle bin" in client.get("/customers/").content.decode()
