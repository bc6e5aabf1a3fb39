"""Shared fixtures: one user per built-in role in two teams, and clients signed in as them."""

from __future__ import annotations

import pytest
from django.test import Client

from clientela.accounts.models import Role
from clientela.accounts.roles import BUILTIN_ROLES
from clientela.testing.factories import TeamFactory, UserFactory

ROLE_SLUGS = tuple(BUILTIN_ROLES)


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Norte")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Sur")


@pytest.fixture
def admin_user(db, team_a):
    return UserFactory(username="admin", role=Role.objects.get(slug="administrator"), teams=[team_a])


@pytest.fixture
def users(db, team_a, team_b):
    """A user of every role in team A, plus a sales rep in team B (for out-of-scope records)."""
    out = {
        slug: UserFactory(username=slug, role=Role.objects.get(slug=slug), teams=[team_a])
        for slug in ROLE_SLUGS
    }
    out["sales_rep_b"] = UserFactory(
        username="sales_rep_b", role=Role.objects.get(slug="sales_rep"), teams=[team_b]
    )
    return out


@pytest.fixture
def client_for():
    """Return a Django test client signed in as the given user."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
