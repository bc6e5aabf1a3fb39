"""``clientela purge_idempotency_keys``: delete stored API answers whose Idempotency-Key has expired."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from clientela.api.idempotency import idempotency_purge


class Command(BaseCommand):
    help = "Delete the stored answers of API requests whose Idempotency-Key is older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        count = idempotency_purge()
        self.stdout.write(
            ngettext(
                "%(count)s expired idempotency key removed.",
                "%(count)s expired idempotency keys removed.",
                count,
            )
            % {"count": count}
        )
