"""``clientela webhooks-retry``: send every webhook delivery whose (next) attempt is due.

    clientela webhooks-retry            # run from cron every minute or so
    clientela webhooks-retry --limit 200

Task queues that cannot schedule work for later rely on this sweep for retries; it is harmless beside a
queue that can (a delivery is claimed before it is sent, so it never goes out twice at once).
Prints how many deliveries ended in each status; exits 0.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from clientela.core.actor import Actor, Source
from clientela.integrations.services import webhook_deliveries_send_due


class Command(BaseCommand):
    help = "Send the webhook deliveries that are due (first attempts and retries)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="send at most this many (default 1000)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            self.stderr.write(_("--limit must be at least 1."))
            raise SystemExit(2)
        actor = Actor.system("clientela webhooks-retry", source=Source.CLI)
        counts = webhook_deliveries_send_due(actor=actor, limit=options["limit"])
        self.stdout.write(
            _("Sent %(total)s: %(succeeded)s succeeded, %(failed)s will be retried, %(gave_up)s gave up.")
            % {"total": sum(counts.values()), **counts}
        )
