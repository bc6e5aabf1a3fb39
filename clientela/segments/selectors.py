"""Reads of the segments app: segments a user may see, their members (always inside the user's own view of
customers), history, versions with their differences in words, and live previews of a rule tree."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from clientela.core.pagination import Page, keyset_page
from clientela.core.permissions import Action
from clientela.parties.models import Party
from clientela.segments.models import MembershipChange, Segment, SegmentMembership, SegmentVersion
from clientela.segments.rules import condition_text, definition_q, definition_text, leaves, names_preloaded

PREVIEW_SIZE = 20
COUNT_CAP = 10_000


def segments_for_user(user: Any, action: str = Action.VIEW) -> QuerySet[Segment]:
    """Active segments inside the user's "segment" scope for ``action``, newest first, with owner and rules."""
    return (
        Segment.objects.restrict(user, action)
        .filter(is_active=True)
        .select_related("owner", "current_version")
        .order_by("-id")
    )


def segment_texts(segments: list[Segment]) -> dict[int, str]:
    """Each segment's current rules read in the active language (user and team names in two queries)."""
    trees = {s.pk: s.current_version.definition for s in segments if s.current_version is not None}
    with names_preloaded(node for tree in trees.values() for _path, node in leaves(tree)):
        return {pk: definition_text(tree) for pk, tree in trees.items()}


def segment_get(*, user: Any, pk: int, action: str = Action.VIEW) -> Segment:
    """One active segment the user may act on, or 404 (outside the scope looks the same as missing)."""
    segment = segments_for_user(user, action).filter(pk=pk).first()
    if segment is None:
        raise Http404
    return segment


def member_party_ids(segment_id: int) -> QuerySet[SegmentMembership, int]:
    """Party ids of the current members of an active segment, for ``party_id__in=`` (no permission
    filter: callers intersect with the user's customers)."""
    return SegmentMembership.objects.filter(segment_id=segment_id, segment__is_active=True).values_list(
        "party_id", flat=True
    )


def visible_members(user: Any, segment: Segment, action: str = Action.VIEW) -> QuerySet[SegmentMembership]:
    """Memberships of ``segment`` whose customer the user may ``action`` (view or export)."""
    return SegmentMembership.objects.filter(
        segment=segment, party__in=Party.objects.restrict(user, action).values("pk")
    ).select_related("party", "version")


def segment_members(*, user: Any, segment: Segment, cursor: str | None, size: int = 50) -> Page:
    """A keyset page of members (newest entries first) among the customers the user may see."""
    return keyset_page(
        visible_members(user, segment), ordering=("-id",), kinds=("int",), cursor=cursor, size=size
    )


def segment_history(*, user: Any, segment: Segment, cursor: str | None, size: int = 50) -> Page:
    """A keyset page of entries and exits (newest first) of customers the user may see."""
    qs = MembershipChange.objects.filter(
        segment=segment, party__in=Party.all_objects.restrict(user, Action.VIEW).values("pk")
    ).select_related("party", "version")
    page = keyset_page(qs, ordering=("-at", "-id"), kinds=("datetime", "int"), cursor=cursor, size=size)
    _word_reasons(page.items)
    return page


def _word_reasons(changes: list[MembershipChange]) -> None:
    """Set ``reason_text`` on each row: its reason in the reader's language (names in two queries)."""
    from clientela.segments.evaluation import change_reason

    versions = {c.version_id: c.version for c in changes if c.version is not None}
    conditions = [node for v in versions.values() for _path, node in leaves(v.definition)]
    with names_preloaded(conditions):
        for change in changes:
            change.reason_text = change_reason(change)  # type: ignore[attr-defined]


def export_rows(*, user: Any, segment: Segment) -> Iterator[SegmentMembership]:
    """Members the user may export (the party "export" scope), in id order, streamed."""
    return visible_members(user, segment, Action.EXPORT).order_by("id").iterator(chunk_size=2000)


@dataclass
class VersionView:
    """A version of a segment's rules in the reader's language, with what changed from the one before."""

    version: SegmentVersion
    text: str
    added: list[str]
    removed: list[str]
    match_changed: str


def _match(tree: dict[str, Any]) -> str:
    return "all" if "all" in tree else "any"


def segment_versions(segment: Segment) -> list[VersionView]:
    """Every version, newest first, each with the conditions added and removed against the previous one."""
    versions = list(
        SegmentVersion.objects.filter(segment=segment).select_related("created_by").order_by("number")
    )
    out: list[VersionView] = []
    previous: dict[str, Any] | None = None
    for version in versions:
        tree = version.definition
        texts = [condition_text(node) for _path, node in leaves(tree)]
        before = [condition_text(node) for _path, node in leaves(previous)] if previous else []
        match_changed = ""
        if previous is not None and _match(previous) != _match(tree):
            match_changed = (
                _("Now every condition must hold (was: any).")
                if _match(tree) == "all"
                else _("Now any condition is enough (was: all).")
            )
        out.append(
            VersionView(
                version=version,
                text=definition_text(tree),
                added=[t for t in texts if t not in before] if previous is not None else [],
                removed=[t for t in before if t not in texts],
                match_changed=match_changed,
            )
        )
        previous = tree
    return list(reversed(out))


@dataclass
class Preview:
    """How many customers (of those the user may see) a definition matches, capped, and the first few."""

    count: int
    capped: bool
    parties: list[Party]
    text: str


def definition_preview(*, user: Any, tree: dict[str, Any], size: int = PREVIEW_SIZE) -> Preview:
    """Live count (up to 10,000, then "10,000+") and the first ``size`` matching customers by name."""
    qs = Party.objects.restrict(user, Action.VIEW).filter(definition_q(tree))
    count = qs.order_by()[: COUNT_CAP + 1].count()
    parties = list(qs.order_by("name_folded", "id")[:size])
    return Preview(
        count=min(count, COUNT_CAP), capped=count > COUNT_CAP, parties=parties, text=definition_text(tree)
    )


def party_segments(*, user: Any, party: Party) -> list[SegmentMembership]:
    """The active segments (visible to the user) the customer belongs to, for the customer page."""
    return list(
        SegmentMembership.objects.filter(party=party, segment__in=segments_for_user(user).values("pk"))
        .select_related("segment")
        .order_by("segment__name")
    )
