"""The lead import page, for every role: only a lead "add" scope of "all" may open or post it; everyone
else gets 403 and nothing is created; anonymous users are sent to sign in."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clientela.core.permissions import Action, Scope, user_scope
from clientela.sales.models import Lead
from clientela.sales.tests import routes_leads
from clientela.testing.fixtures import ROLE_SLUGS

pytestmark = pytest.mark.django_db

CSV = b"Nombre,Email\nIntrusa,intrusa@ejemplo.es\n"


def test_the_import_route_is_listed():
    assert "sales:lead_import" in routes_leads.WEB_ROUTE_NAMES


@pytest.mark.parametrize("role", ROLE_SLUGS)
def test_only_roles_adding_leads_for_everyone_may_import(role, users, client_for):
    user = users[role]
    client = client_for(user)
    allowed = user_scope(user, "lead", Action.ADD) == Scope.ALL
    page = client.get("/sales/leads/import/")
    response = client.post("/sales/leads/import/", {"file": SimpleUploadedFile("l.csv", CSV)})
    link = "/sales/leads/import/" in client.get("/sales/leads/").content.decode()
    if allowed:
        assert page.status_code == 200 and response.status_code == 200
        assert Lead.objects.filter(email="intrusa@ejemplo.es").count() == 1
        assert link
    else:
        assert page.status_code == 403 and response.status_code == 403, role
        assert not Lead.objects.exists()
        assert not link


def test_anonymous_is_sent_to_sign_in():
    client = Client()
    assert client.get("/sales/leads/import/").status_code == 302
    assert client.post("/sales/leads/import/", {"file": SimpleUploadedFile("l.csv", CSV)}).status_code == 302
    assert not Lead.objects.exists()
