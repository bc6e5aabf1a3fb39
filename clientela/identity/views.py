"""The review queue of possible duplicates: list, compare a pair, merge / not the same / skip, bulk accept.

Views stay thin: read through selectors, change through services; every page needs ``may_merge``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action
from clientela.identity import selectors, services
from clientela.identity.forms import A, MergeForm, pair_rows
from clientela.identity.labels import labelled
from clientela.identity.models import CandidateStatus, MatchCandidate, Merge
from clientela.identity.permissions import MERGE_REFUSED, may_merge
from clientela.parties.models import Party

PAGE_SIZE = 50
BULK_DEFAULT, BULK_MIN, BULK_MAX = 99, 90, 100


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/403.html", {"message": message}, status=403)


def merge_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and a role that may merge customers (403 page otherwise)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_merge(request.user):
            return _forbidden(request, str(MERGE_REFUSED))
        return view(request, *args, **kwargs)

    return wrapper


def _encode_cursor(cursor: tuple[float, int] | None) -> str:
    return f"{cursor[0]!r}_{cursor[1]}" if cursor else ""


def _decode_cursor(raw: str) -> tuple[float, int] | None:
    if not raw:
        return None
    try:
        score, pk = raw.split("_")
        return float(score), int(pk)
    except ValueError:
        raise Http404(_("The page cursor is not valid; start again from the first page.")) from None


def _candidate(request: HttpRequest, pk: int) -> MatchCandidate:
    """The candidate, both parties loaded; 404 when unknown or when the user cannot see both customers."""
    candidate = get_object_or_404(
        MatchCandidate.objects.select_related(
            "party_a__owner", "party_a__team", "party_b__owner", "party_b__team"
        ),
        pk=pk,
    )
    ids = [candidate.party_a_id, candidate.party_b_id]
    if Party.all_objects.filter(pk__in=ids).restrict(request.user, Action.VIEW).count() != 2:
        raise Http404
    return candidate


def _is_open(candidate: MatchCandidate) -> bool:
    return (
        candidate.status == CandidateStatus.OPEN
        and candidate.party_a.deleted_at is None
        and candidate.party_b.deleted_at is None
    )


def _closed(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("This pair has already been decided."))
    return redirect("identity:queue")


def _next(request: HttpRequest) -> HttpResponse:
    """The next open candidate's page, or the queue when none is left."""
    nxt = selectors.review_queue(user=request.user, limit=1)
    return redirect("identity:pair", pk=nxt[0].pk) if nxt else redirect("identity:queue")


def _error_messages(request: HttpRequest, exc: ValidationError | NotPermitted) -> None:
    if isinstance(exc, ValidationError):
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.error(
            request, str(exc) if str(exc) not in ("", "None") else _("You cannot decide this pair.")
        )


def _run_panel() -> dict[str, Any]:
    from clientela.identity.views_runs import RunForm, run_context

    return {"run_form": RunForm.with_defaults(), **run_context(selectors.latest_run())}


@merge_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Open possible duplicates, most probable first, in keyset pages ("load more")."""
    cursor = _decode_cursor(request.GET.get("cursor", ""))
    items = selectors.review_queue(user=request.user, limit=PAGE_SIZE, cursor=cursor)
    more = len(items) == PAGE_SIZE
    for item in items:
        item.percent = item.score * 100  # type: ignore[attr-defined]
    return render(
        request,
        "identity/queue.html",
        {
            "items": items,
            "next_cursor": _encode_cursor(selectors.next_cursor(items)) if more else "",
            "first_page": cursor is None,
            "bulk_default": BULK_DEFAULT,
            "bulk_min": BULK_MIN,
            "bulk_max": BULK_MAX,
            "merges": selectors.recent_merges(user=request.user) if cursor is None else [],
            "nav": "duplicates",
            **(_run_panel() if cursor is None else {}),
        },
    )


@merge_required
@require_GET
def pair(request: HttpRequest, pk: int) -> HttpResponse:
    """Both customers side by side, the engine's explanation, and the decision form."""
    candidate = _candidate(request, pk)
    if not _is_open(candidate):
        return _closed(request)
    rows = pair_rows(candidate.party_a, candidate.party_b)
    explanation = candidate.explanation if isinstance(candidate.explanation, list) else []
    total = next((e for e in explanation if e.get("field") == "total"), None)
    return render(
        request,
        "identity/pair.html",
        {
            "candidate": candidate,
            "percent": candidate.score * 100,
            "a": candidate.party_a,
            "b": candidate.party_b,
            "rows": rows,
            "form": MergeForm(rows=rows),
            "explanation": labelled([e for e in explanation if e.get("field") != "total"]),
            "total": total,
            "nav": "duplicates",
        },
    )


@merge_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if not _is_open(candidate):
        return _closed(request)
    form = MergeForm(request.POST, rows=pair_rows(candidate.party_a, candidate.party_b))
    if not form.is_valid():
        messages.error(request, _("Choose which customer stays and which value to keep for each field."))
        return redirect("identity:pair", pk=pk)
    survivor, merged = (
        (candidate.party_a, candidate.party_b)
        if form.survivor_side() == A
        else (candidate.party_b, candidate.party_a)
    )
    try:
        services.candidate_merge(
            actor=Actor.from_request(request),
            candidate=candidate,
            survivor=survivor,
            field_choices=form.field_choices(),
        )
    except (ValidationError, NotPermitted) as exc:
        _error_messages(request, exc)
        return redirect("identity:pair", pk=pk)
    messages.success(
        request,
        _("“%(merged)s” merged into “%(survivor)s”.")
        % {"merged": merged.display_name, "survivor": survivor.display_name},
    )
    return _next(request)


@merge_required
@require_POST
def distinct(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if not _is_open(candidate):
        return _closed(request)
    try:
        services.candidate_mark_distinct(actor=Actor.from_request(request), candidate=candidate)
    except (ValidationError, NotPermitted) as exc:
        _error_messages(request, exc)
        return redirect("identity:pair", pk=pk)
    messages.success(request, _("Marked as different customers."))
    return _next(request)


@merge_required
@require_POST
def skip(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    if not _is_open(candidate):
        return _closed(request)
    try:
        services.candidate_skip(actor=Actor.from_request(request), candidate=candidate)
    except (ValidationError, NotPermitted) as exc:
        _error_messages(request, exc)
        return redirect("identity:pair", pk=pk)
    messages.success(request, _("Pair skipped."))
    return _next(request)


@merge_required
@require_POST
def bulk_merge(request: HttpRequest) -> HttpResponse:
    """Merge every open pair scoring at least the threshold, older customer surviving, one by one."""
    try:
        percent = float(request.POST.get("threshold", ""))
    except ValueError:
        percent = -1.0
    if not BULK_MIN <= percent <= BULK_MAX:
        messages.error(
            request,
            _("Enter a threshold between %(low)s%% and %(high)s%%.") % {"low": BULK_MIN, "high": BULK_MAX},
        )
        return redirect("identity:queue")
    threshold = percent / 100
    actor = Actor.from_request(request)
    done = failed = 0
    cursor: tuple[float, int] | None = None
    while True:
        page = selectors.review_queue(user=request.user, limit=PAGE_SIZE, cursor=cursor)
        for candidate in page:
            if candidate.score < threshold:
                break
            try:
                services.candidate_merge(
                    actor=actor, candidate=candidate, survivor=candidate.party_a, field_choices=None
                )
            except (ValidationError, NotPermitted, DatabaseError):
                failed += 1  # its own savepoint was rolled back; carry on with the next pair
            else:
                done += 1
        else:
            if len(page) == PAGE_SIZE:
                cursor = selectors.next_cursor(page)
                continue
        break
    merged_text = ngettext("%(n)d merged", "%(n)d merged", done) % {"n": done}
    failed_text = ngettext("%(n)d failed", "%(n)d failed", failed) % {"n": failed}
    level = messages.SUCCESS if not failed else messages.WARNING
    messages.add_message(request, level, f"{merged_text}, {failed_text}.")
    return redirect("identity:queue")


@merge_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    """Undo a merge: both customers as they were, keeping later edits (``party_unmerge``)."""
    try:
        merge = selectors.merge_get(user=request.user, pk=pk)
    except Merge.DoesNotExist as exc:
        raise Http404 from exc
    try:
        services.party_unmerge(actor=Actor.from_request(request), merge=merge)
    except (ValidationError, NotPermitted) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        messages.success(request, _("Merge undone: both customers are back as they were."))
    return redirect("identity:queue")
