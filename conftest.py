"""Project-wide pytest fixtures: users of every role, API clients, factories."""

from __future__ import annotations

import pytest

pytest_plugins = ["clientela.testing.fixtures", "clientela.testing.browser"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow, so tests use a fast one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request or command that activated Spanish must not
    change the messages the next test reads (it did, for some orders of the test files)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
