"""``clientela remind [--digest] [--loop SECONDS]``: send due task reminders (and digest emails).

Run it from cron every minute (``clientela remind``) and once in the morning with ``--digest``, or leave
one process running with ``--loop 60``. Safe to run from several places at once (see docs/tasks.md).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.activities.reminders import digests_send, reminders_send_due

logger = logging.getLogger("clientela.activities")


class Command(BaseCommand):
    help = "Send due task reminders as notifications; with --digest also email each user their digest."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--digest", action="store_true", help="Also send the digest emails.")
        parser.add_argument(
            "--loop",
            type=int,
            metavar="SECONDS",
            default=0,
            help="Keep running, checking every SECONDS (stop with Ctrl+C).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["loop"]
        if interval < 0 or interval > 86_400:
            raise CommandError(_("--loop takes a number of seconds between 1 and 86400."))
        try:
            while True:
                if not interval:
                    self._once(digest=options["digest"])
                    return
                # A long-running loop must outlive a database restart or a refused email: report the
                # failure and try again on the next pass (nothing was marked sent, see reminders.py).
                close_old_connections()
                try:
                    self._once(digest=options["digest"])
                except Exception as exc:
                    logger.exception("remind pass failed")
                    self.stderr.write(_("This pass failed (%(error)s); trying again later.") % {"error": exc})
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stdout.write(_("Stopped."))

    def _once(self, *, digest: bool) -> None:
        sent = reminders_send_due()
        for n in sent:
            self.stdout.write(
                _("reminder: task %(task)s to user %(user)s: %(title)s")
                % {"task": n.task_id, "user": n.recipient_id, "title": n.title}
            )
        count = len(sent)
        self.stdout.write(ngettext("%(n)s reminder sent.", "%(n)s reminders sent.", count) % {"n": count})
        if digest:
            mails = digests_send()
            for d in mails:
                self.stdout.write(
                    _("digest: %(email)s: %(notifications)s notifications, %(tasks)s tasks")
                    % {"email": d.user.email, "notifications": len(d.notifications), "tasks": len(d.tasks)}
                )
            count = len(mails)
            self.stdout.write(
                ngettext("%(n)s digest email sent.", "%(n)s digest emails sent.", count) % {"n": count}
            )
