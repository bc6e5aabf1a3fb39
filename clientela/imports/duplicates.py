"""Likely duplicates among the customers an import creates, found with the identity matcher.

An import attaches a row to an existing customer only through that source's id or an exact tax id,
email or phone. Everything else becomes a new customer, and a new customer may still be someone who
already exists under another spelling, a nickname or a missing surname. After each chunk, the new
customers are checked against the customers that existed before the import started (one batched check
per chunk, ``identity.check.matches_batch``):

* the job counts them and keeps the first ``SAMPLE`` for its report (dry runs included: the report says
  which rows would create a likely duplicate, before anything is saved);
* a real import queues each pair for the duplicates review (``MatchCandidate``), where a person merges
  them or marks them as different. Nothing is merged automatically here.

``CLIENTELA_IMPORT_DUPLICATE_CHECK`` (default on) turns the check off, e.g. for a first load into an
empty database, where there is nothing to compare with.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Max

from clientela.identity.check import matches_batch
from clientela.identity.models import MatchCandidate
from clientela.identity.resolution import party_records
from clientela.imports.models import ImportJob
from clientela.parties.models import Party

SAMPLE = 100
SHOWN_MATCHES = 3
BATCH = 2000  # new customers checked together (a dry run checks the whole file at its end)
DUPLICATE_FIELDS = ("possible_duplicates", "duplicate_samples")
# Existing customers scored per new one, those sharing the most blocking keys first. Reading and
# normalising a candidate costs about 0.1 ms: the form's 300 cost an import 4 ms a row at a million
# customers, 10 cost 1.5 ms, and re-typed customers still found their original (bench/identity_check.py).
MAX_CANDIDATES = 10


def enabled() -> bool:
    return bool(getattr(settings, "CLIENTELA_IMPORT_DUPLICATE_CHECK", True))


class DuplicateCheck:
    """Checks an import's new customers, chunk by chunk, against the customers that existed before it."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        # customers created from here on (by this import, or meanwhile) are not "existing" ones
        self.below = (Party.all_objects.aggregate(top=Max("pk"))["top"] or 0) + 1

    def check(self, created: Sequence[tuple[int, int]]) -> None:
        """``created`` holds (file line, new customer id) of one chunk; run inside the chunk's transaction."""
        if self.below <= 1:
            return  # nobody existed before this import: nothing to compare with
        for i in range(0, len(created), BATCH):
            self._check(created[i : i + BATCH])

    def _check(self, created: Sequence[tuple[int, int]]) -> None:
        job = self.job
        line_of = {party_id: line for line, party_id in created}
        records = list(party_records(line_of))
        found = matches_batch(records, user=None, below=self.below, max_candidates=MAX_CANDIDATES)
        names = dict(Party.objects.filter(pk__in=line_of).values_list("pk", "display_name"))
        queued: list[MatchCandidate] = []
        for record, matches in zip(records, found, strict=True):
            if not matches:
                continue
            pk = int(record.id)
            job.possible_duplicates += 1
            if len(job.duplicate_samples) < SAMPLE:
                job.duplicate_samples.append(
                    {
                        "line": line_of[pk],
                        "party_id": None if job.dry_run else pk,
                        "display_name": names.get(pk, ""),
                        "matches": [
                            {
                                "party_id": m.party_id,
                                "display_name": m.display_name,
                                "probability": m.probability,
                            }
                            for m in matches[:SHOWN_MATCHES]
                        ],
                    }
                )
            if not job.dry_run:
                queued.extend(
                    MatchCandidate(
                        party_a_id=min(pk, m.party_id),
                        party_b_id=max(pk, m.party_id),
                        score=m.probability,
                        weight=m.weight,
                        explanation=m.explanation,
                    )
                    for m in matches
                )
        # a pair already open for review stays as it is (one open candidate per pair)
        MatchCandidate.objects.bulk_create(queued, ignore_conflicts=True)
