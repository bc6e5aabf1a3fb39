"""API tokens, built-in roles and the per-user language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.accounts.models import ApiToken, Role
from clientela.accounts.roles import BUILTIN_ROLES
from clientela.accounts.services import api_token_authenticate, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def test_builtin_roles_exist_with_every_action():
    roles = {r.slug: r for r in Role.objects.all()}
    assert set(BUILTIN_ROLES) <= set(roles)
    for role in roles.values():
        for action in ("view", "add", "change", "delete", "export"):
            assert role.scope("party", action) in {"none", "own", "team", "all"}


def test_token_is_random_hashed_and_revocable(admin_user):
    token, secret = api_token_create(user=admin_user, name="ERP")
    other_token, other_secret = api_token_create(user=admin_user, name="ERP 2")
    assert secret != other_secret
    assert len(secret) - len("clt_") >= 32  # 32 url-safe chars >= 192 bits
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.key_hash, stored.prefix)
    assert api_token_authenticate(secret).user == admin_user
    assert api_token_authenticate(secret + "x") is None
    api_token_revoke(token=stored)
    assert api_token_authenticate(secret) is None
    other_token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    other_token.save(update_fields=["expires_at"])
    assert api_token_authenticate(other_secret) is None


def test_user_language_is_used_after_login(client, admin_user):
    admin_user.language = "es"
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    response = client.get("/accounts/login/", follow=True)
    assert response.headers.get("Content-Language") == "es"


def test_language_switch_is_saved_on_the_user(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/accounts/language/", {"language": "es", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    admin_user.refresh_from_db()
    assert admin_user.language == "es"
    response = client.post("/accounts/language/", {"language": "es", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_embedded_sqlite_settings_give_wal_and_busy_timeout(tmp_path):
    """The configured SQLite options really produce WAL, a busy timeout and IMMEDIATE transactions."""
    from django.conf import settings
    from django.db.backends.sqlite3.base import DatabaseWrapper

    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the embedded database settings are only used without DATABASE_URL")
    config = {**settings.DATABASES["default"], "NAME": str(tmp_path / "probe.sqlite3"), "TIME_ZONE": None}
    wrapper = DatabaseWrapper(config)
    try:
        with wrapper.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            assert cur.fetchone()[0] == "wal"
            cur.execute("PRAGMA busy_timeout")
            assert cur.fetchone()[0] >= 5000
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()
