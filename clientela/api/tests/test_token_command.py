"""``clientela token create|list|revoke``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clientela.accounts.models import ApiToken
from clientela.accounts.services import api_token_authenticate

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_a_working_secret_once(admin_user):
    out, err = _run("create", admin_user.username, "--name", "ERP sync")
    secret = out.strip()
    token = api_token_authenticate(secret)
    assert token is not None and token.user == admin_user and token.name == "ERP sync"
    assert "cannot be shown again" in err
    listing, _err = _run("list")
    assert secret not in listing
    assert token.prefix in listing and "ERP sync" in listing and "active" in listing


def test_create_with_expiry(admin_user):
    out, _err = _run("create", admin_user.username, "--name", "temporal", "--expires-days", "7")
    assert api_token_authenticate(out.strip()).expires_at is not None


def test_revoke(admin_user):
    out, _err = _run("create", admin_user.username, "--name", "ERP")
    token = ApiToken.objects.get()
    _run("revoke", str(token.pk))
    assert api_token_authenticate(out.strip()) is None
    assert "revoked" in _run("list", admin_user.username)[0]


def test_errors_are_one_line(admin_user):
    with pytest.raises(CommandError, match="Unknown user: nadie"):
        _run("create", "nadie", "--name", "x")
    with pytest.raises(CommandError, match="Unknown token"):
        _run("revoke", "999999")
    with pytest.raises(CommandError):
        _run("create", admin_user.username, "--name", "x" * 101)
    assert ApiToken.objects.count() == 0


def test_unknown_user_exits_non_zero_from_the_console_script(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "CLIENTELA_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "clientela.cli", "migrate", "-v", "0"],
        env=env,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "clientela.cli", "token", "create", "nadie", "--name", "x"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert result.stderr.strip() == "CommandError: Unknown user: nadie"
