"""``clientela resolve``: find duplicate customers, queue them for review, optionally merge the sure ones.

    clientela resolve
    clientela resolve --auto-merge --merge-threshold 0.995 --review-threshold 0.6

Prints progress and a summary; exits 0 when the run finished (merges that failed are counted, logged and
queued for review), 1 with a message when the options are not valid or the run failed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientela.core.actor import Actor, Source
from clientela.identity.labels import STAGES
from clientela.identity.resolution import Progress, auto_merge_default, resolve_run


class Command(BaseCommand):
    help = "Find duplicate customers: queue likely pairs for review and, with --auto-merge, merge sure ones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--auto-merge", action="store_true", default=None,
            help="merge each group of sure duplicates into its oldest customer (default: the setting "
            "CLIENTELA_IDENTITY_AUTO_MERGE)",
        )  # fmt: skip
        parser.add_argument(
            "--merge-threshold", type=float, metavar="P",
            help="match probability (0..1) from which a pair is sure (default: CLIENTELA_IDENTITY_MERGE_THRESHOLD)",
        )  # fmt: skip
        parser.add_argument(
            "--review-threshold", type=float, metavar="P",
            help="match probability (0..1) from which a pair is queued for review "
            "(default: CLIENTELA_IDENTITY_REVIEW_THRESHOLD)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        auto_merge = auto_merge_default() if options["auto_merge"] is None else options["auto_merge"]
        actor = Actor(user=None, source=Source.CLI, label="clientela resolve")
        try:
            run = resolve_run(
                actor=actor,
                auto_merge=auto_merge,
                merge_threshold=options["merge_threshold"],
                review_threshold=options["review_threshold"],
                progress=self._progress,
            )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        except Exception as exc:  # the run is marked failed and the traceback logged
            raise CommandError(
                _("Duplicate detection failed: %(error)s") % {"error": str(exc) or exc.__class__.__name__}
            ) from exc
        finally:
            self.stderr.write("")  # end the progress line
        self.stdout.write(
            _("Run %(id)s: %(parties)s customers read, %(pairs)s candidate pairs compared, %(clusters)s groups "
              "of duplicates, %(review)s pairs queued for review, %(merged)s merged, %(failed)s failed merges.")
            % {
                "id": run.pk, "parties": f"{run.parties:,}", "pairs": f"{run.candidate_pairs:,}",
                "clusters": f"{run.clusters:,}", "review": f"{run.review_pairs:,}", "merged": f"{run.merged:,}",
                "failed": f"{run.failed_merges:,}",
            }
        )  # fmt: skip
        if run.message:
            self.stderr.write(run.message)

    def _progress(self, p: Progress) -> None:
        stage = str(STAGES.get(p.stage, p.stage))
        total = f"/{p.total:,}" if p.total else ""
        self.stderr.write(f"\r{stage}: {p.done:,}{total}\033[K", ending="")
