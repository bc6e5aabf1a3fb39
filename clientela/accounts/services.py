"""Account services: users, roles, teams and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clientela.accounts.models import ApiToken, Role, Team, User
from clientela.accounts.roles import BUILTIN_ROLES

TOKEN_PREFIX = "clt_"  # noqa: S105 - a public marker, not a secret


def hash_token(secret: str) -> str:
    """SHA-256 is enough here: tokens carry 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(secret.encode()).hexdigest()


def roles_ensure_builtin() -> None:
    """Create missing built-in roles and add object types they lack (grants an admin edited are kept)."""
    for slug, spec in BUILTIN_ROLES.items():
        role, created = Role.objects.get_or_create(
            slug=slug, defaults={"name": str(spec["name"]), "grants": spec["grants"]}
        )
        missing = {k: v for k, v in spec["grants"].items() if k not in role.grants}
        if not created and missing:
            role.grants = {**role.grants, **missing}
            role.save(update_fields=["grants"])


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role_slug: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    teams: list[Team] | None = None,
    is_superuser: bool = False,
    language: str = "",
) -> User:
    """Create a user with a role and teams."""
    roles_ensure_builtin()
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=Role.objects.get(slug=role_slug),
        is_superuser=is_superuser,
        is_staff=is_superuser,
        language=language,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if teams:
        user.teams.set(teams)
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's interface language."""
    user.language = language
    user.save(update_fields=["language"])


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the secret, which is never stored and cannot be shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:12], key_hash=hash_token(secret), expires_at=expires_at
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke a token at once; requests with it are rejected from now on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The usable token matching ``secret``, with its user, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user", "user__role").filter(key_hash=hash_token(secret)).first()
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute: a write per request would serialise API traffic on SQLite.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
