"""Duplicate detection over the whole customer base: read, fit, score, queue for review, merge.

``resolve_run`` reads every live party as a ``PartyRecord``, fits the matcher on them (every run: EM takes
seconds, and a fit on today's data is never stale), and turns its output into ``MatchCandidate`` rows (the
review queue) and, when automatic merging is on, into merges of each cluster into its oldest member.

Thresholds are match probabilities. Settings read (with their defaults):

* ``CLIENTELA_IDENTITY_MERGE_THRESHOLD`` (0.99): pairs at or above it form clusters, merged automatically
  when auto-merge is on. Conservative on purpose: a wrong merge costs a person's undo, a missed one a click.
* ``CLIENTELA_IDENTITY_REVIEW_THRESHOLD`` (0.5): pairs at or above it (and below the merge threshold) go to
  the review queue.
* ``CLIENTELA_IDENTITY_AUTO_MERGE`` (False): the default of ``--auto-merge`` / the admin button.
* ``CLIENTELA_IDENTITY_WORKERS`` (None: the CPUs this process may use, at most 4): processes a large run
  (50,000 customers or more) spreads its matching over; 1 keeps it in the worker's own process.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.actor import Actor
from clientela.identity.keys import match_keys_complete, match_keys_rebuild
from clientela.identity.matching import Matcher, PartyRecord
from clientela.identity.models import (
    CandidateStatus,
    MatchCandidate,
    NotDuplicate,
    ResolutionRun,
    RunStatus,
)
from clientela.identity.services import pair_is_marked_distinct, party_merge
from clientela.parties.choices import ContactKind, PartyKind
from clientela.parties.models import ContactPoint, Party, SourceLink

logger = logging.getLogger("clientela.identity")

CHUNK = 5000
DEFAULT_MERGE_THRESHOLD = 0.99
DEFAULT_REVIEW_THRESHOLD = 0.5
_PHONES = frozenset({ContactKind.MOBILE, ContactKind.LANDLINE})
_WRITE_BATCH = 1000

Pair = tuple[int, int]


# --- Reading parties -----------------------------------------------------------------------------------------


def _record(
    row: tuple[Any, ...], contacts: list[tuple[str, str, str, str, str]], links: list[tuple[str, str]]
) -> PartyRecord:
    pk, kind, given, family_1, family_2, legal, trade, tax_id, birth_date = row
    emails: list[str] = []
    phones: list[str] = []
    mobiles: list[str] = []
    handles: list[str] = []
    address: tuple[str, str, str] | None = None
    for ckind, normalized, street, postal_code, city in contacts:  # primary first, then oldest
        if ckind == ContactKind.EMAIL and normalized:
            emails.append(normalized)
        elif ckind in _PHONES and normalized.startswith("+"):
            phones.append(normalized)
            if ckind == ContactKind.MOBILE:
                mobiles.append(normalized)
        elif ckind == ContactKind.SOCIAL and normalized:
            handles.append(normalized)
        elif ckind == ContactKind.ADDRESS and address is None and (street or postal_code or city):
            address = (street, postal_code, city)
    street, postal_code, city = address or ("", "", "")
    return PartyRecord(
        id=str(pk),
        kind="organisation" if kind == PartyKind.ORGANISATION else "person",
        given_name=given,
        family_name=" ".join(p for p in (family_1, family_2) if p),
        # one slot for the matcher: the legal name identifies an organisation better than a brand
        organisation_name=legal or trade,
        emails=tuple(emails),
        phones=tuple(phones),
        mobiles=tuple(mobiles),
        tax_id=tax_id,
        birth_date=birth_date,
        street=street,
        postal_code=postal_code,
        city=city,
        handles=tuple(handles),
        external_ids=tuple(links),
    )


def party_records(ids: Iterable[int] | None = None, *, chunk: int = CHUNK) -> Iterator[PartyRecord]:
    """The live parties ``ids`` (all when None) as matcher records, streamed in id order.

    Three queries per chunk whatever its content (parties, their live contact points, their links to
    source systems), all ``values_list``: no model instances, no query per party.
    """
    fields = (
        "pk",
        "kind",
        "given_names",
        "family_name_1",
        "family_name_2",
        "legal_name",
        "trade_name",
        "tax_id",
        "birth_date",
    )
    wanted = sorted(set(ids)) if ids is not None else None
    last = 0
    while True:
        qs = Party.objects.order_by("pk")
        if wanted is not None:
            batch_ids = [i for i in wanted if i > last][:chunk]
            if not batch_ids:
                return
            qs = qs.filter(pk__in=batch_ids)
        else:
            qs = qs.filter(pk__gt=last)
        rows = list(qs.values_list(*fields)[:chunk])
        if not rows:
            return
        pks = [r[0] for r in rows]
        contacts: dict[int, list[tuple[str, str, str, str, str]]] = defaultdict(list)
        contact_rows = (
            ContactPoint.objects.filter(party_id__in=pks, deleted_at__isnull=True)
            .order_by("-is_primary", "id")
            .values_list("party_id", "kind", "normalized", "street", "postal_code", "city")
        )
        for party_id, ckind, normalized, street, postal_code, city in contact_rows:
            contacts[party_id].append((ckind, normalized, street, postal_code, city))
        # the source's id (not its slug) names it for the matcher: no join, and slugs can be renamed
        links: dict[int, list[tuple[str, str]]] = defaultdict(list)
        link_rows = SourceLink.objects.filter(party_id__in=pks).values_list(
            "party_id", "source_id", "external_id"
        )
        for party_id, source_id, external_id in link_rows:
            links[party_id].append((str(source_id), external_id))
        for row in rows:
            yield _record(row, contacts.get(row[0], []), links.get(row[0], []))
        last = rows[-1][0]


# --- Settings and progress -----------------------------------------------------------------------------------


def resolution_thresholds(
    merge_threshold: float | None = None, review_threshold: float | None = None
) -> tuple[float, float]:
    """The thresholds to use (settings fill the ones not given); ValidationError when they make no sense."""
    merge = (
        merge_threshold
        if merge_threshold is not None
        else float(getattr(settings, "CLIENTELA_IDENTITY_MERGE_THRESHOLD", DEFAULT_MERGE_THRESHOLD))
    )
    review = (
        review_threshold
        if review_threshold is not None
        else float(getattr(settings, "CLIENTELA_IDENTITY_REVIEW_THRESHOLD", DEFAULT_REVIEW_THRESHOLD))
    )
    errors: dict[str, list[str]] = {}
    for name, value in (("merge_threshold", merge), ("review_threshold", review)):
        if not 0.0 <= value <= 1.0:
            errors[name] = [_("A threshold is a probability between 0 and 1.")]
    if not errors and review > merge:
        errors["review_threshold"] = [_("The review threshold cannot be higher than the merge threshold.")]
    if errors:
        raise ValidationError(errors)
    return merge, review


def auto_merge_default() -> bool:
    """Whether runs merge the duplicates they are sure of unless told otherwise."""
    return bool(getattr(settings, "CLIENTELA_IDENTITY_AUTO_MERGE", False))


@dataclass(frozen=True)
class Progress:
    """Where a run is: ``stage`` is "read", "keys", "match", "queue" or "merge"; ``total`` is None when unknown."""

    stage: str
    done: int
    total: int | None


ProgressCallback = Callable[[Progress], None]


class _Reporter:
    """Progress to the caller on every step and to the run row now and then (a progress bar polls it)."""

    def __init__(self, run: ResolutionRun, callback: ProgressCallback | None) -> None:
        self.run = run
        self.callback = callback
        self.saved_at = timezone.now()

    def __call__(self, stage: str, done: int, total: int | None, *, force: bool = False) -> None:
        if self.callback is not None:
            self.callback(Progress(stage, done, total))
        now = timezone.now()
        if force or stage != self.run.stage or (now - self.saved_at).total_seconds() >= 2:
            self.run.stage, self.run.progress_done, self.run.progress_total = stage, done, total
            ResolutionRun.objects.filter(pk=self.run.pk).update(
                stage=stage, progress_done=done, progress_total=total
            )
            self.saved_at = now


# --- The run -------------------------------------------------------------------------------------------------


@dataclass
class _Proposal:
    """A scored pair (ids in order) and what the run does with it."""

    a: int
    b: int
    score: float
    weight: float
    explanation: list[dict[str, Any]]


def _ordered(a: int, b: int) -> Pair:
    return (a, b) if a < b else (b, a)


def _marked_distinct(pairs: Iterable[Pair]) -> set[Pair]:
    """The pairs someone marked as "not the same" whose data did not change since.

    Decisions are few (people make them), so they are read at once; the fingerprint is recomputed only for
    the pairs the matcher proposes again.
    """
    decided = set(NotDuplicate.objects.values_list("party_low_id", "party_high_id"))
    return {
        (a, b)
        for a, b in set(pairs) & decided
        if pair_is_marked_distinct(Party(pk=a), Party(pk=b))  # only the ids are read
    }


def _explain(matcher: Matcher, records: dict[int, PartyRecord], a: int, b: int) -> _Proposal:
    entries = matcher.explain(records[a], records[b])
    total = entries[-1]
    return _Proposal(
        a=a,
        b=b,
        score=float(total.get("match_probability", 0.0)),
        weight=float(total.get("weight", 0.0)),
        explanation=entries,
    )


def _queue(
    run: ResolutionRun,
    proposals: list[_Proposal],
    distinct: set[Pair],
    to_merge: set[Pair],
    report: Callable[..., None],
) -> int:
    """Write the open candidates of this run: new pairs inserted, pairs already open updated, open pairs
    no longer proposed closed (``skipped``: their data changed, or a party is gone; ``not_duplicate`` when
    someone has marked them), except the pairs about to be merged (the merge decides them). Returns how
    many pairs were queued."""
    now = timezone.now()
    proposed = {(p.a, p.b): p for p in proposals}
    existing = {
        (a, b): pk
        for pk, a, b in MatchCandidate.objects.filter(status=CandidateStatus.OPEN).values_list(
            "pk", "party_a_id", "party_b_id"
        )
    }
    updates: list[MatchCandidate] = []
    creates: list[MatchCandidate] = []
    for pair, p in proposed.items():
        fields = {"score": p.score, "weight": p.weight, "explanation": p.explanation, "run_id": run.pk}
        if pair in existing:
            updates.append(MatchCandidate(pk=existing[pair], updated_at=now, **fields))
        else:
            creates.append(MatchCandidate(party_a_id=pair[0], party_b_id=pair[1], **fields))
    stale = [
        pk
        for pair, pk in existing.items()
        if pair not in proposed and pair not in distinct and pair not in to_merge
    ]
    rejected = [pk for pair, pk in existing.items() if pair in distinct]
    with transaction.atomic():
        for i in range(0, len(updates), _WRITE_BATCH):
            MatchCandidate.objects.bulk_update(
                updates[i : i + _WRITE_BATCH], ["score", "weight", "explanation", "run_id", "updated_at"]
            )
            report("queue", min(i + _WRITE_BATCH, len(updates)), len(proposed))
        MatchCandidate.objects.bulk_create(creates, batch_size=_WRITE_BATCH)
        MatchCandidate.objects.filter(pk__in=stale).update(status=CandidateStatus.SKIPPED, decided_at=now)
        MatchCandidate.objects.filter(pk__in=rejected).update(
            status=CandidateStatus.NOT_DUPLICATE, decided_at=now
        )
    report("queue", len(proposed), len(proposed), force=True)
    return len(proposed)


def _merge_one(actor: Actor, run: ResolutionRun, p: _Proposal) -> bool:
    """Merge ``p.b`` into ``p.a`` (the older party) and record the decided candidate, in one transaction of
    its own; False (logged, nothing written) when the merge is refused or breaks."""
    try:
        with transaction.atomic():
            parties = Party.all_objects.in_bulk([p.a, p.b])
            party_merge(
                actor=actor,
                survivor=parties[p.a],
                merged=parties[p.b],
                score=p.score,
                explanation={"run": run.pk, "weight": p.weight, "fields": p.explanation},
            )
            decided = {
                "score": p.score,
                "weight": p.weight,
                "explanation": p.explanation,
                "status": CandidateStatus.MERGED,
                "run": run,
                "decided_by": actor.user,
                "decided_at": timezone.now(),
            }
            # the pair's open candidate (queued by an earlier run without auto-merge) is decided now
            if not MatchCandidate.objects.filter(
                party_a_id=p.a, party_b_id=p.b, status=CandidateStatus.OPEN
            ).update(**decided):
                MatchCandidate.objects.create(party_a_id=p.a, party_b_id=p.b, **decided)
    except Exception:  # one refused or broken merge must not stop the others
        logger.warning("resolution run %s: merging %s into %s failed", run.pk, p.b, p.a, exc_info=True)
        return False
    return True


# A run still "running" after this long died with its worker (a crash, a restart): it no longer blocks others.
STALE_AFTER = datetime.timedelta(hours=12)


def run_in_progress(exclude: int | None = None) -> ResolutionRun | None:
    """The waiting or running run, if any (two runs at once would queue and merge the same pairs twice)."""
    qs = ResolutionRun.objects.filter(
        status__in=[RunStatus.PENDING, RunStatus.RUNNING], created_at__gte=timezone.now() - STALE_AFTER
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("-created_at").first()


def refuse_if_running(exclude: int | None = None) -> None:
    """ValidationError when another run is waiting or running."""
    other = run_in_progress(exclude)
    if other is not None:
        raise ValidationError(
            _("Run %(id)s is already looking for duplicates; wait until it finishes.") % {"id": other.pk}
        )


def _claim(
    run: ResolutionRun | None, actor: Actor, auto_merge: bool, merge: float, review: float
) -> ResolutionRun:
    now = timezone.now()
    if run is None:
        refuse_if_running()
        return ResolutionRun.objects.create(
            status=RunStatus.RUNNING,
            created_by=actor.user,
            actor_label=actor.display[:150],
            started_at=now,
            auto_merge=auto_merge,
            merge_threshold=merge,
            review_threshold=review,
        )
    run.status, run.started_at = RunStatus.RUNNING, now
    run.auto_merge, run.merge_threshold, run.review_threshold = auto_merge, merge, review
    run.save(update_fields=["status", "started_at", "auto_merge", "merge_threshold", "review_threshold"])
    return run


def resolve_run(
    *,
    actor: Actor,
    auto_merge: bool,
    merge_threshold: float | None,
    review_threshold: float | None,
    progress: ProgressCallback | None = None,
    run: ResolutionRun | None = None,
) -> ResolutionRun:
    """Find duplicate customers; queue pairs for review and, with ``auto_merge``, merge the sure ones.

    Thresholds of None come from the settings. ``run`` is an existing waiting row (the background task);
    without it a new one is created. Pairs marked "not the same" are skipped while neither party's data
    changed. Each automatic merge is its own transaction into the cluster's oldest party (lowest id); a
    merge that fails is counted and logged, the run goes on. Raises ValidationError for bad thresholds
    (nothing written); any other error marks the run failed and propagates.
    """
    merge, review = resolution_thresholds(merge_threshold, review_threshold)
    run = _claim(run, actor, auto_merge, merge, review)
    report = _Reporter(run, progress)
    try:
        _execute(run, actor, report)
    except Exception as exc:
        logger.exception("resolution run %s failed", run.pk)
        run.status, run.finished_at = RunStatus.FAILED, timezone.now()
        run.message = _("Duplicate detection stopped because of an unexpected error: %(error)s") % {
            "error": exc.__class__.__name__
        }
        run.save()
        raise
    return run


def _execute(run: ResolutionRun, actor: Actor, report: _Reporter) -> None:
    total = Party.objects.count()
    records: dict[int, PartyRecord] = {}
    report("read", 0, total, force=True)
    for record in party_records():
        records[int(record.id)] = record
        if len(records) % CHUNK == 0:
            report("read", len(records), total)
    run.parties = len(records)
    report("read", len(records), total, force=True)
    # The real-time check's keys, from the records in hand, when some customers have none (rows written
    # past the services, a worker that never ran the refresh task). Listeners keep them current otherwise,
    # and rebuilding costs minutes at a million customers.
    if not match_keys_complete(len(records)):
        report("keys", 0, None, force=True)
        match_keys_rebuild(records.values())

    clusters: list[list[int]] = []
    review_pairs: list[Pair] = []
    matcher = Matcher(workers=getattr(settings, "CLIENTELA_IDENTITY_WORKERS", None))
    if len(records) >= 2:  # the matcher cannot fit on fewer
        report("match", 0, None, force=True)
        found, to_review = matcher.resolve(list(records.values()), run.merge_threshold, run.review_threshold)
        clusters = [sorted(int(i) for i in c) for c in found if len(c) > 1]
        review_pairs = [_ordered(int(r.left_id), int(r.right_id)) for r in to_review]
        run.parameters = json.loads(matcher.to_json())
        run.candidate_pairs = matcher.fitted.n_candidate_pairs
    run.clusters = len(clusters)
    run.save(update_fields=["parties", "parameters", "candidate_pairs", "clusters"])

    # Every pair inside a cluster is checked against "not the same" decisions: merging A and C into B
    # would join A and C too, so one such decision inside a cluster sends the whole cluster to review.
    inside = [(c[i], c[j]) for c in clusters for i in range(len(c)) for j in range(i + 1, len(c))]
    distinct = _marked_distinct([*inside, *review_pairs])
    to_merge: list[Pair] = []
    to_queue: list[Pair] = [pair for pair in review_pairs if pair not in distinct]
    for cluster in clusters:
        oldest, rest = cluster[0], cluster[1:]
        pairs = [(oldest, member) for member in rest if (oldest, member) not in distinct]
        blocked = any((a, b) in distinct for i, a in enumerate(cluster) for b in cluster[i + 1 :])
        (to_merge if run.auto_merge and not blocked else to_queue).extend(pairs)

    queued = list(dict.fromkeys(to_queue))
    report("queue", 0, len(queued), force=True)
    proposals = [_explain(matcher, records, a, b) for a, b in queued]
    run.review_pairs = _queue(run, proposals, distinct, set(to_merge), report)
    run.save(update_fields=["review_pairs"])

    report("merge", 0, len(to_merge), force=True)
    merged: list[int] = []
    failed: list[_Proposal] = []
    for n, (a, b) in enumerate(to_merge, 1):
        proposal = _explain(matcher, records, a, b)
        if _merge_one(actor, run, proposal):
            merged.append(b)
        else:
            failed.append(proposal)
        report("merge", n, len(to_merge))
    run.merged, run.failed_merges = len(merged), len(failed)
    for i in range(0, len(merged), CHUNK):
        # open pairs naming a party that is now merged away are moot; the next run proposes the survivor
        gone = merged[i : i + CHUNK]
        MatchCandidate.objects.filter(status=CandidateStatus.OPEN).filter(
            Q(party_a_id__in=gone) | Q(party_b_id__in=gone)
        ).update(status=CandidateStatus.SKIPPED, decided_at=timezone.now())
    # a pair the run could not merge is left to a person
    for p in failed:
        MatchCandidate.objects.update_or_create(
            party_a_id=p.a,
            party_b_id=p.b,
            status=CandidateStatus.OPEN,
            defaults={"score": p.score, "weight": p.weight, "explanation": p.explanation, "run": run},
        )
    # what is open for review now: a queued pair naming a party merged just above does not count
    run.review_pairs = MatchCandidate.objects.filter(status=CandidateStatus.OPEN, run=run).count()
    report("merge", len(to_merge), len(to_merge), force=True)

    run.status, run.finished_at = RunStatus.DONE, timezone.now()
    if failed:
        run.message = ngettext(
            "%(n)s merge failed; the pair is queued for review. See the log for the reason.",
            "%(n)s merges failed; the pairs are queued for review. See the log for the reasons.",
            len(failed),
        ) % {"n": len(failed)}
    run.save()
