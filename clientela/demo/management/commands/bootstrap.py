"""`clientela bootstrap`: built-in roles, the admin user and a first demo load; safe to run on every start."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clientela.demo.bootstrap import (
    ADMIN_PASSWORD_ENV,
    ADMIN_USERNAME,
    admin_ensure,
    admin_password,
    demo_interactions,
    demo_load_once,
    demo_size,
)
from clientela.demo.generator import OptionError, summary_line

URL = "http://127.0.0.1:8000"


class Command(BaseCommand):
    # Plain text: argparse cannot format lazy translations (Django's own commands do the same).
    help = (
        "Prepare a database for first use: built-in roles, the admin user (password from "
        "CLIENTELA_ADMIN_PASSWORD or var/admin_password) and demo data once "
        "(CLIENTELA_DEMO_PEOPLE / CLIENTELA_DEMO_ORGS, 0 to skip; CLIENTELA_DEMO_INTERACTIONS, "
        "default 20 per customer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            people, orgs = demo_size()
            interactions = demo_interactions(people, orgs)
        except OptionError as exc:
            raise CommandError(str(exc)) from None
        password = admin_password()
        admin = admin_ensure(password)
        if admin.created:
            self.stdout.write(_("Created the administrator user %(user)s.") % {"user": ADMIN_USERNAME})
        verbose = int(options.get("verbosity", 1)) >= 1
        ctx, message = demo_load_once(
            people, orgs, interactions=interactions, write=self.stdout.write if verbose else None
        )
        if ctx is not None:
            self.stdout.write(summary_line(ctx))
        elif verbose:
            self.stdout.write(message)
        if not admin.password_works:
            ready = _(
                "Clientela is ready: open %(url)s and sign in as %(user)s (its password was changed "
                "since it was generated; set %(env)s to reset it)."
            ) % {"url": URL, "user": ADMIN_USERNAME, "env": ADMIN_PASSWORD_ENV}
        elif password.source == "env":
            ready = _(
                "Clientela is ready: open %(url)s and sign in as %(user)s with the password in %(env)s."
            ) % {"url": URL, "user": ADMIN_USERNAME, "env": ADMIN_PASSWORD_ENV}
        else:
            ready = _("Clientela is ready: open %(url)s and sign in as %(user)s / %(password)s") % {
                "url": URL,
                "user": ADMIN_USERNAME,
                "password": password.value,
            }
        self.stdout.write(self.style.SUCCESS(ready))
