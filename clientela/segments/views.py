"""Segment pages: list, editor (rule builder with htmx rows and a live count and preview), detail with
versions, members and history, member pages, CSV export, delete and evaluate-now."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action, Scope, can_loaded, user_scope
from clientela.parties.models import Party
from clientela.segments import selectors, services
from clientela.segments.forms import (
    Builder,
    SegmentForm,
    builder_from_post,
    field_groups,
    new_key,
    row_from,
    rows_from_tree,
)
from clientela.segments.models import Segment

PAGE = 50


def _require(user: Any, action: str) -> None:
    if user_scope(user, "segment", action) == Scope.NONE:
        raise PermissionDenied


@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    """Segments the user may see: name, rules in words, members, last evaluation, owner."""
    _require(request.user, Action.VIEW)
    segments = list(selectors.segments_for_user(request.user)[:500])
    texts = selectors.segment_texts(segments)
    rows = [{"segment": s, "text": texts.get(s.pk, "")} for s in segments]
    return render(
        request,
        "segments/segment_list.html",
        {
            "rows": rows,
            "can_add": user_scope(request.user, "segment", Action.ADD) != Scope.NONE,
            "nav": "segments",
        },
    )


def _editor(request: HttpRequest, segment: Segment | None) -> HttpResponse:
    builder: Builder
    if request.method == "POST":
        form = SegmentForm(request.POST)
        builder = builder_from_post(request.POST)
        if form.is_valid() and builder.tree is not None:
            data = {
                "name": form.cleaned_data["name"],
                "description": form.cleaned_data["description"],
                "definition": builder.tree,
            }
            actor = Actor.from_request(request)
            try:
                if segment is None:
                    segment = services.segment_create(actor=actor, data=data)
                else:
                    services.segment_update(actor=actor, segment=segment, data=data)
            except NotPermitted as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                for path, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(path if path in form.fields else None, error)
            else:
                messages.success(request, _("Segment saved. Its members are being updated."))
                return redirect("segments:detail", pk=segment.pk)
    elif segment is not None and segment.current_version is not None:
        tree = segment.current_version.definition
        match = "all" if "all" in tree else "any"
        form = SegmentForm(initial={"name": segment.name, "description": segment.description, "match": match})
        rows = rows_from_tree(tree)
        builder = Builder(
            match=match, rows=rows, json_text="" if rows is not None else json.dumps(tree, indent=2)
        )
    else:
        form = SegmentForm()
        key = new_key()
        builder = Builder(match="all", rows=[row_from({f"c{key}-field": "city"}, key)], json_text="")
    invalid = bool(form.errors) or bool(builder.errors) or any(r.errors for r in builder.rows or [])
    return render(
        request,
        "segments/segment_form.html",
        {
            "form": form,
            "builder": builder,
            "segment": segment,
            "groups": field_groups(),
            "errors": invalid,
            "nav": "segments",
        },
        status=422 if invalid and request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, Action.ADD)
    return _editor(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _editor(request, selectors.segment_get(user=request.user, pk=pk, action=Action.CHANGE))


@login_required
@require_GET
def builder_row(request: HttpRequest) -> HttpResponse:
    """One builder row: a new one (no ``key``), the same one re-rendered for a new field, or nothing
    (``remove``); the response tells the form to refresh its preview."""
    _require(request.user, Action.VIEW)
    key = request.GET.get("key", "")
    if request.GET.get("remove"):
        response = HttpResponse("")
    else:
        if not key.isalnum() or len(key) > 16:
            key = new_key()
        row = row_from(request.GET, key)
        if row.spec is None:
            row = row_from({f"c{key}-field": "city"}, key)
        response = render(request, "segments/_rule_row.html", {"row": row, "groups": field_groups()})
    response["HX-Trigger"] = "rules-changed"
    return response


@login_required
@require_POST
def builder_preview(request: HttpRequest) -> HttpResponse:
    """Live count and the first 20 matching customers of the rules being edited (debounced by the page)."""
    _require(request.user, Action.VIEW)
    builder = builder_from_post(request.POST)
    preview = None
    if builder.tree is not None:
        preview = selectors.definition_preview(user=request.user, tree=builder.tree)
    return render(request, "segments/_preview.html", {"preview": preview, "builder": builder})


def _detail_context(request: HttpRequest, segment: Segment) -> dict[str, Any]:
    user = request.user
    return {
        "segment": segment,
        "text": selectors.segment_texts([segment]).get(segment.pk, ""),
        "versions": selectors.segment_versions(segment),
        "can_change": can_loaded(user, Action.CHANGE, segment),
        "can_delete": can_loaded(user, Action.DELETE, segment),
        "can_export": can_loaded(user, Action.EXPORT, segment)
        and user_scope(user, "party", Action.EXPORT) != Scope.NONE,
        "nav": "segments",
    }


@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Rules in words, versions with their differences, the newest members and the latest changes."""
    segment = selectors.segment_get(user=request.user, pk=pk)
    context = _detail_context(request, segment)
    context["members"] = selectors.segment_members(user=request.user, segment=segment, cursor=None, size=20)
    context["history"] = selectors.segment_history(user=request.user, segment=segment, cursor=None, size=20)
    return render(request, "segments/segment_detail.html", context)


@login_required
@require_GET
def segment_members(request: HttpRequest, pk: int) -> HttpResponse:
    segment = selectors.segment_get(user=request.user, pk=pk)
    try:
        page = selectors.segment_members(
            user=request.user, segment=segment, cursor=request.GET.get("cursor"), size=PAGE
        )
    except InvalidCursor:
        return redirect("segments:members", pk=pk)
    return render(request, "segments/members.html", {"segment": segment, "page": page, "nav": "segments"})


@login_required
@require_GET
def segment_history(request: HttpRequest, pk: int) -> HttpResponse:
    segment = selectors.segment_get(user=request.user, pk=pk)
    try:
        page = selectors.segment_history(
            user=request.user, segment=segment, cursor=request.GET.get("cursor"), size=PAGE
        )
    except InvalidCursor:
        return redirect("segments:history", pk=pk)
    return render(request, "segments/history.html", {"segment": segment, "page": page, "nav": "segments"})


@login_required
@require_GET
def segment_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Members as CSV (the customer export's columns): only customers the user may view and export, and
    only for segments inside the user's "segment" export scope."""
    from clientela.imports.exports import iter_csv, party_export_rows

    segment = selectors.segment_get(user=request.user, pk=pk, action=Action.EXPORT)
    if user_scope(request.user, "party", Action.EXPORT) == Scope.NONE:
        raise PermissionDenied
    parties = (
        Party.objects.restrict(request.user, Action.VIEW)
        .restrict(request.user, Action.EXPORT)
        .filter(pk__in=selectors.member_party_ids(segment.pk))
    )
    headers, rows = party_export_rows(parties)
    response = StreamingHttpResponse(iter_csv(headers, rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="segment-{segment.pk}-{stamp}.csv"'
    return response


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = selectors.segment_get(user=request.user, pk=pk, action=Action.DELETE)
    services.segment_delete(actor=Actor.from_request(request), segment=segment)
    messages.success(request, _("Segment deleted."))
    return redirect("segments:list")


@login_required
@require_POST
def segment_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """Recompute the members now (the periodic job does it too)."""
    segment = selectors.segment_get(user=request.user, pk=pk, action=Action.CHANGE)
    result = services.segment_evaluate(segment=segment)
    messages.success(
        request,
        _("Members updated: %(entered)s entered, %(left)s left.")
        % {"entered": result.entered, "left": result.left},
    )
    return redirect("segments:detail", pk=pk)


@login_required
@require_GET
def party_segments(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer page's lazy panel: the segments this customer is in."""
    party = Party.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
    if party is None:
        return render(request, "web/404.html", status=404)
    memberships = selectors.party_segments(user=request.user, party=party)
    return render(request, "segments/_party_panel.html", {"party": party, "memberships": memberships})
