"""``clientela token create|list|revoke``: personal API tokens from the command line.

``clientela token create USERNAME --name NAME [--expires-days N]`` prints the secret once; it cannot be
shown again. ``clientela token list [USERNAME]`` shows prefixes and state, never secrets.
``clientela token revoke TOKEN_ID`` revokes at once.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import ApiToken, User
from clientela.accounts.services import api_token_create, api_token_revoke

NAME_MAX = ApiToken._meta.get_field("name").max_length or 100


class Command(BaseCommand):
    """Create, list and revoke personal API tokens."""

    help = "Create, list and revoke personal API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = sub.add_parser("create", help="Issue a token for a user and print its secret once.")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="What the token is for, e.g. 'ERP sync'.")
        create.add_argument("--expires-days", type=int, default=None, help="Expire after this many days.")
        listing = sub.add_parser("list", help="List tokens (all users, or one).")
        listing.add_argument("username", nargs="?")
        revoke = sub.add_parser("revoke", help="Revoke a token by its id.")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["username"], options["name"], options["expires_days"])
        elif action == "list":
            self._list(options.get("username"))
        else:
            self._revoke(options["token_id"])

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Unknown user: %(username)s") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User %(username)s is inactive.") % {"username": username})
        return user

    def _create(self, username: str, name: str, expires_days: int | None) -> None:
        user = self._user(username)
        name = name.strip()
        if not name or len(name) > NAME_MAX:
            raise CommandError(_("The token name must have 1 to %(max)d characters.") % {"max": NAME_MAX})
        expires_at = None
        if expires_days is not None:
            if expires_days < 1:
                raise CommandError(_("--expires-days must be at least 1."))
            expires_at = timezone.now() + dt.timedelta(days=expires_days)
        token, secret = api_token_create(user=user, name=name, expires_at=expires_at)
        self.stdout.write(secret)
        self.stderr.write(
            _("Token #%(id)s '%(name)s' for %(username)s. Store the secret now: it cannot be shown again.")
            % {"id": token.pk, "name": token.name, "username": user.username}
        )

    def _list(self, username: str | None) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("user__username", "-created_at", "-id")
        if username:
            tokens = tokens.filter(user=self._user(username))
        for token in tokens:
            state = (
                _("revoked") if token.revoked_at else (_("expired") if not token.is_usable else _("active"))
            )
            used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-"
            self.stdout.write(
                f"{token.pk}\t{token.user.username}\t{token.prefix}…\t{state}\t{used}\t{token.name}"
            )

    def _revoke(self, token_id: int) -> None:
        token = ApiToken.objects.filter(pk=token_id).first() if 0 < token_id < 2**63 else None
        if token is None:
            raise CommandError(_("Unknown token: %(id)s") % {"id": token_id})
        api_token_revoke(token=token)
        self.stdout.write(_("Token #%(id)s revoked.") % {"id": token_id})
