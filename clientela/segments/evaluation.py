"""Computing a segment's members and explaining every entry and exit.

The member set is diffed against ``SegmentMembership`` in SQL (anti-joins), so only the customers that
entered or left come back to Python. For those, each condition of the definition is evaluated set-wise
(one query per condition per chunk of ids, never one per customer) and compared with the outcomes
stored in the customer's previous ``MembershipChange`` of this segment: the conditions whose outcome
changed are the reason. When the definition itself changed since the last evaluation the reason says so
("Definition changed to version 3") and names the conditions that now hold or fail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.parties.models import Party
from clientela.segments.models import MembershipChange, Segment, SegmentMembership
from clientela.segments.rules import condition_q, condition_text, definition_q, forced_true, leaves

CHUNK = 2000
BATCH = 2000


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation changed."""

    segment_id: int
    version: int | None
    entered: int
    left: int
    members: int


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _diff(segment: Segment, tree: dict[str, Any], party_ids: list[int] | None) -> tuple[list[int], list[int]]:
    members = SegmentMembership.objects.filter(segment=segment)
    matching = Party.objects.filter(definition_q(tree))
    if party_ids is None:
        entered = matching.filter(~Exists(members.filter(party_id=OuterRef("pk"))))
        left = members.filter(~Exists(matching.filter(pk=OuterRef("party_id"))))
        return (
            list(entered.order_by("pk").values_list("pk", flat=True)),
            list(left.order_by("party_id").values_list("party_id", flat=True)),
        )
    entered_ids: list[int] = []
    left_ids: list[int] = []
    for chunk in chunks(party_ids):
        match = set(matching.filter(pk__in=chunk).values_list("pk", flat=True))
        current = set(members.filter(party_id__in=chunk).values_list("party_id", flat=True))
        entered_ids += sorted(match - current)
        left_ids += sorted(current - match)
    return entered_ids, left_ids


def leaf_outcomes(
    tree: dict[str, Any], ids: Sequence[int], *, skip: set[str] | None = None
) -> dict[int, dict[str, bool]]:
    """For each party of ``ids``, whether each condition holds: one query per condition and chunk."""
    out: dict[int, dict[str, bool]] = {pid: {} for pid in ids}
    for path, node in leaves(tree):
        if skip and path in skip:
            continue
        q = condition_q(node)
        for chunk in chunks(ids):
            hits = set(Party.all_objects.filter(pk__in=chunk).filter(q).values_list("pk", flat=True))
            for pid in chunk:
                out[pid][path] = pid in hits
    return out


def _previous_details(segment: Segment, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The details of each party's latest change in this segment (the outcomes as of then)."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in chunks(ids):
        rows = (
            MembershipChange.objects.filter(segment=segment, party_id__in=chunk)
            .order_by("party_id", "-at", "-id")
            .values_list("party_id", "details")
        )
        for pid, details in rows:
            out.setdefault(pid, details or {})
    return out


def _reason(
    *,
    entered: bool,
    now_outcomes: dict[str, bool],
    previous: dict[str, Any] | None,
    version: int,
    definition_changed: bool,
    texts: dict[str, str],
) -> tuple[str, list[str]]:
    """The reason in words and the paths of the conditions named in it."""
    changed: list[str] = []
    if not definition_changed and previous and previous.get("version") == version:
        before = previous.get("outcomes") or {}
        changed = [p for p in texts if p in before and p in now_outcomes and before[p] != now_outcomes[p]]
    if not changed:
        # no comparable earlier evaluation: name what holds (entries) or fails (exits) now
        changed = [p for p in texts if now_outcomes.get(p) == entered]
    return reason_words(changed, now_outcomes, texts, version, definition_changed), changed


def reason_words(
    changed: list[str],
    outcomes: dict[str, bool],
    texts: dict[str, str],
    version: int,
    definition_changed: bool,
) -> str:
    """ "Definition changed to version 2. Now matches: ... No longer matches: ..." in the active language."""
    holds = [texts[p] for p in changed if p in texts and outcomes.get(p)]
    fails = [texts[p] for p in changed if p in texts and not outcomes.get(p)]
    sentences = []
    if definition_changed:
        sentences.append(_("Definition changed to version %(number)s.") % {"number": version})
    if holds:
        sentences.append(_("Now matches: %(rules)s.") % {"rules": "; ".join(holds)})
    if fails:
        sentences.append(_("No longer matches: %(rules)s.") % {"rules": "; ".join(fails)})
    return " ".join(sentences)


def change_reason(change: MembershipChange) -> str:
    """The reason of a history row re-read in the active language from its details and version (the stored
    text is in the site's language); falls back to the stored text."""
    details = change.details or {}
    if details.get("deleted"):
        return _("The customer was deleted or merged into another customer.")
    version = change.version
    if version is None or "changed" not in details or details.get("version") != version.number:
        return change.reason
    texts = {path: condition_text(node) for path, node in leaves(version.definition)}
    words = reason_words(
        details["changed"],
        details.get("outcomes") or {},
        texts,
        version.number,
        bool(details.get("definition_changed")),
    )
    return words or change.reason


def _explain(
    segment: Segment,
    tree: dict[str, Any],
    number: int,
    entered: list[int],
    left: list[int],
    definition_changed: bool,
    at: dt.datetime,
) -> list[MembershipChange]:
    version = segment.current_version
    deleted = set()
    for chunk in chunks(left):
        deleted |= set(
            Party.all_objects.filter(pk__in=chunk, deleted_at__isnull=False).values_list("pk", flat=True)
        )
    alive_left = [pid for pid in left if pid not in deleted]
    forced = forced_true(tree)
    outcomes = leaf_outcomes(tree, entered, skip=forced)
    for pid in entered:
        outcomes[pid].update(dict.fromkeys(forced, True))
    outcomes.update(leaf_outcomes(tree, alive_left))
    previous = _previous_details(segment, [*entered, *alive_left]) if not definition_changed else {}
    # History is stored in the site's language, as other ledger text is.
    with translation.override(settings.LANGUAGE_CODE):
        texts = {path: condition_text(node) for path, node in leaves(tree)}
        rows = []
        # many customers share the same outcomes: word each combination once
        memo: dict[tuple[Any, ...], tuple[str, list[str]]] = {}
        for change, ids in ((MembershipChange.Change.ENTERED, entered), (MembershipChange.Change.LEFT, left)):
            for pid in ids:
                paths: list[str] = []
                if pid in deleted:
                    reason = _("The customer was deleted or merged into another customer.")
                else:
                    prior = previous.get(pid)
                    key = (
                        change,
                        tuple(sorted(outcomes[pid].items())),
                        prior.get("version") if prior else None,
                        tuple(sorted((prior.get("outcomes") or {}).items())) if prior else None,
                    )
                    if key not in memo:
                        memo[key] = _reason(
                            entered=change == MembershipChange.Change.ENTERED,
                            now_outcomes=outcomes[pid],
                            previous=prior,
                            version=number,
                            definition_changed=definition_changed,
                            texts=texts,
                        )
                    reason, paths = memo[key]
                rows.append(
                    MembershipChange(
                        segment=segment,
                        party_id=pid,
                        change=change,
                        at=at,
                        version=version,
                        reason=reason,
                        details={
                            "version": number,
                            "outcomes": outcomes.get(pid, {}),
                            "changed": paths,
                            "definition_changed": definition_changed,
                            "deleted": pid in deleted,
                        },
                    )
                )
    return rows


def segment_evaluate(*, segment: Segment, party_ids: Iterable[int] | None = None) -> Evaluation:
    """Recompute the members of ``segment`` (all customers, or only ``party_ids``), write the entries and
    exits with their reasons, and keep ``member_count`` and ``evaluated_at`` current. Idempotent."""
    ids = None if party_ids is None else sorted({int(pid) for pid in party_ids})
    with transaction.atomic():
        # one evaluation of a segment at a time: a second one waits and then finds nothing to do
        seg = Segment.objects.select_for_update().filter(pk=segment.pk).first()
        if seg is None or not seg.is_active or seg.current_version_id is None:
            return Evaluation(segment.pk, None, 0, 0, 0)
        seg = Segment.objects.select_related("current_version").get(pk=seg.pk)
        version = seg.current_version
        assert version is not None
        tree = version.definition
        entered, left = _diff(seg, tree, ids)
        now = timezone.now()
        definition_changed = seg.evaluated_version is not None and seg.evaluated_version != version.number
        if entered or left:
            changes = _explain(seg, tree, version.number, entered, left, definition_changed, now)
            for chunk in chunks(left):
                SegmentMembership.objects.filter(segment=seg, party_id__in=chunk).delete()
            SegmentMembership.objects.bulk_create(
                [SegmentMembership(segment=seg, party_id=pid, since=now, version=version) for pid in entered],
                batch_size=BATCH,
            )
            MembershipChange.objects.bulk_create(changes, batch_size=BATCH)
        if ids is None:
            seg.member_count = SegmentMembership.objects.filter(segment=seg).count()
            seg.evaluated_at = now
            seg.evaluated_version = version.number
            seg.save(update_fields=["member_count", "evaluated_at", "evaluated_version"])
        elif entered or left:
            seg.member_count = max(0, seg.member_count + len(entered) - len(left))
            seg.save(update_fields=["member_count"])
        return Evaluation(seg.pk, version.number, len(entered), len(left), seg.member_count)


def segments_refresh() -> list[Evaluation]:
    """Re-evaluate every active segment (each in its own transaction): the periodic job and the CLI."""
    ids = list(
        Segment.objects.filter(is_active=True, current_version__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [segment_evaluate(segment=Segment(pk=pk)) for pk in ids]


def party_memberships_refresh(party_ids: Iterable[int]) -> None:
    """Re-evaluate every active segment for ``party_ids`` only (after a merge, undo, or a data change)."""
    ids = sorted({int(pid) for pid in party_ids})
    if not ids:
        return
    for segment in Segment.objects.filter(is_active=True, current_version__isnull=False).order_by("pk"):
        segment_evaluate(segment=segment, party_ids=ids)
