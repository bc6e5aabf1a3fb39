"""Sales pages: the pipeline board (drag and drop, keyboard, "Move to" menu), opportunity list, detail and
forms. Reads through the selectors (restricted to the user's scope), changes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.accounts.models import Team, User
from clientela.core.actor import Actor
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action, Scope, can_loaded, user_scope
from clientela.parties.models import Party
from clientela.parties.search import party_search
from clientela.sales import selectors, services
from clientela.sales.choices import OpportunityStatus
from clientela.sales.forms import MoveForm, OpportunityForm, attach
from clientela.sales.models import LostReason, Opportunity, Pipeline, Stage

LIST_PAGE = 50


def _forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    return render(
        request,
        "web/403.html",
        {"message": message or _("You do not have permission to do this.")},
        status=403,
    )


def _may_view(user: Any) -> bool:
    return user_scope(user, "opportunity", Action.VIEW) != Scope.NONE


def _filter_choices() -> dict[str, Any]:
    return {
        "owners": list(User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")),
        "teams": list(Team.objects.order_by("name")),
        "periods": [
            ("this_month", _("This month")),
            ("next_month", _("Next month")),
            ("this_quarter", _("This quarter")),
            ("next_quarter", _("Next quarter")),
            ("this_year", _("This year")),
        ],
    }


@login_required
@require_GET
def board_home(request: HttpRequest) -> HttpResponse:
    """The default pipeline's board."""
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position", "pk").first()
    if pipeline is None:
        return redirect("sales:pipelines")
    return redirect("sales:board", pk=pipeline.pk)


@login_required
@require_GET
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """One pipeline as columns of cards, with count and totals per column."""
    if not _may_view(request.user):
        return _forbidden(request)
    pipeline = get_object_or_404(Pipeline, pk=pk, is_active=True)
    filters = selectors.BoardFilters.from_params(request.GET)
    columns = selectors.pipeline_board(user=request.user, pipeline=pipeline, filters=filters)
    context = {
        "nav": "sales",
        "pipeline": pipeline,
        "pipelines": list(Pipeline.objects.filter(is_active=True).order_by("position", "pk")),
        "columns": columns,
        "filters": filters,
        "lost_reasons": list(LostReason.objects.filter(is_active=True)),
        "can_add": user_scope(request.user, "opportunity", Action.ADD) != Scope.NONE,
        **_filter_choices(),
    }
    return render(request, "sales/board.html", context)


@login_required
@require_GET
def board_column(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    """The next cards of one column (htmx, "Show more")."""
    if not _may_view(request.user):
        return _forbidden(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    stage = get_object_or_404(Stage, pk=stage_pk, pipeline=pipeline)
    filters = selectors.BoardFilters.from_params(request.GET)
    try:
        page = selectors.board_cards(
            user=request.user,
            pipeline=pipeline,
            stage=stage,
            filters=filters,
            cursor=request.GET.get("cursor") or None,
            size=selectors.CARDS_PER_COLUMN,
        )
    except InvalidCursor:
        return HttpResponse(status=400)
    context = {"pipeline": pipeline, "stage": stage, "cards": page.items, "next_cursor": page.next_cursor}
    return render(request, "sales/_column_cards.html", context)


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a card to another stage. htmx gets the card back with the column totals (out of band);
    a plain form post (no JavaScript) goes back to the board."""
    opp = selectors.opportunity_detail(user=request.user, pk=pk)
    if opp is None:
        raise Http404
    form = MoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("Choose a stage."), status=422)
    data = form.cleaned_data
    stage = Stage.objects.filter(pk=data["stage"], pipeline_id=opp.pipeline_id).first()
    if stage is None:
        return HttpResponse(_("Choose a stage of this pipeline."), status=422)
    try:
        opp = services.opportunity_move(
            actor=Actor.from_request(request),
            opportunity=opp,
            stage=stage,
            expected_version=data.get("version"),
            lost_reason=data.get("lost_reason"),
            lost_note=data.get("lost_note") or "",
        )
    except NotPermitted as exc:
        if request.htmx:
            return HttpResponse(str(exc), status=403)
        return _forbidden(request, str(exc))
    except ConcurrencyConflict as exc:
        return HttpResponse(str(exc), status=409)
    except ValidationError as exc:
        text = " ".join(m for ms in exc.message_dict.values() for m in ms)
        if request.htmx:
            return HttpResponse(text, status=422)
        messages.error(request, text)
        return redirect("sales:board", pk=opp.pipeline_id)
    if not request.htmx:
        messages.success(
            request, _("“%(name)s” moved to %(stage)s.") % {"name": opp.name, "stage": opp.stage.name}
        )
        return redirect(request.POST.get("next") or reverse("sales:board", args=[opp.pipeline_id]))
    filters = selectors.BoardFilters.from_params(request.GET)
    totals = selectors.column_totals(user=request.user, pipeline=opp.pipeline, filters=filters)
    stages = list(
        Stage.objects.filter(pipeline_id=opp.pipeline_id, is_active=True).order_by("position", "pk")
    )
    card = selectors.board_cards(
        user=request.user,
        pipeline=opp.pipeline,
        stage=opp.stage,
        filters=selectors.BoardFilters(),
        cursor=None,
        size=1,
    ).items
    context = {
        "card": card[0] if card else None,
        "cards": card,
        "pipeline": opp.pipeline,
        "columns": [selectors.Column(stage=s, totals=totals.get(s.pk, {})) for s in stages],
        "oob": True,
    }
    return render(request, "sales/_moved.html", context)


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    """All opportunities the user may see, filtered, newest first, in keyset pages."""
    if not _may_view(request.user):
        return _forbidden(request)
    filters = selectors.BoardFilters.from_params(request.GET)

    def number(name: str) -> int | None:
        raw = request.GET.get(name, "")
        return int(raw) if raw.isdigit() else None

    status = request.GET.get("status") or None
    if status not in (None, *OpportunityStatus.values):
        status = None
    try:
        page = selectors.opportunity_list(
            user=request.user,
            filters=filters,
            pipeline=number("pipeline"),
            stage=number("stage"),
            status=status,
            party=number("party"),
            cursor=request.GET.get("cursor") or None,
            size=LIST_PAGE,
            sort=request.GET.get("sort", "-created"),
        )
    except InvalidCursor:
        return redirect("sales:opportunities")
    context = {
        "nav": "opportunities",
        "page": page,
        "filters": filters,
        "statuses": OpportunityStatus.choices,
        "pipelines": list(Pipeline.objects.order_by("position", "pk")),
        "can_add": user_scope(request.user, "opportunity", Action.ADD) != Scope.NONE,
        **_filter_choices(),
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "sales/_opportunity_rows.html", context)
    return render(request, "sales/opportunity_list.html", context)


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_detail(user=request.user, pk=pk)
    if opp is None:
        raise Http404
    history = selectors.stage_history(opportunity=opp)
    from clientela.sales.panels import opportunity_panels

    context = {
        "panels": opportunity_panels.render_context(request, opp, {}),
        "nav": "opportunities",
        "opp": opp,
        "history": history,
        "stages": list(
            Stage.objects.filter(pipeline_id=opp.pipeline_id, is_active=True).order_by("position", "pk")
        ),
        "lost_reasons": list(LostReason.objects.filter(is_active=True)),
        "can_change": can_loaded(request.user, Action.CHANGE, opp),
        "can_delete": can_loaded(request.user, Action.DELETE, opp),
    }
    return render(request, "sales/opportunity_detail.html", context)


def _party_choice(user: Any, pk: int | None) -> Party | None:
    if pk is None:
        return None
    return Party.objects.restrict(user, Action.VIEW).filter(pk=pk).first()


def _render_form(
    request: HttpRequest, form: OpportunityForm, opp: Opportunity | None, status: int = 200
) -> HttpResponse:
    party_pk = form["party"].value()
    org_pk = form["organisation"].value()
    context = {
        "nav": "opportunities",
        "form": form,
        "opp": opp,
        "party": _party_choice(request.user, int(party_pk) if str(party_pk or "").isdigit() else None),
        "organisation": _party_choice(request.user, int(org_pk) if str(org_pk or "").isdigit() else None),
    }
    return render(request, "sales/opportunity_form.html", context, status=status)


@login_required
def opportunity_create(request: HttpRequest) -> HttpResponse:
    if user_scope(request.user, "opportunity", Action.ADD) == Scope.NONE:
        return _forbidden(request)
    if request.method == "POST":
        form = OpportunityForm(request.POST)
        if form.is_valid():
            try:
                opp = services.opportunity_create(actor=Actor.from_request(request), data=form.service_data())
            except NotPermitted as exc:
                return _forbidden(request, str(exc))
            except ValidationError as exc:
                attach(form, exc)
            else:
                messages.success(request, _("Opportunity “%(name)s” created.") % {"name": opp.name})
                return redirect("sales:opportunity", pk=opp.pk)
        return _render_form(request, form, None, status=422)
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "position").first()
    initial: dict[str, Any] = {"pipeline": pipeline, "currency": pipeline.currency if pipeline else "EUR"}
    if request.GET.get("party", "").isdigit():
        initial["party"] = int(request.GET["party"])
    return _render_form(request, OpportunityForm(initial=initial), None)


@login_required
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_detail(user=request.user, pk=pk)
    if opp is None:
        raise Http404
    if not can_loaded(request.user, Action.CHANGE, opp):
        return _forbidden(request)
    initial = {
        "name": opp.name,
        "party": opp.party_id,
        "organisation": opp.organisation_id,
        "pipeline": opp.pipeline,
        "stage": opp.stage,
        "amount": opp.amount,
        "currency": opp.currency,
        "probability": opp.probability if opp.probability_overridden else None,
        "forecast_category": opp.forecast_category,
        "expected_close_date": opp.expected_close_date,
        "next_step": opp.next_step,
        "description": opp.description,
        "lost_reason": opp.lost_reason,
        "lost_note": opp.lost_note,
    }
    if request.method == "POST":
        form = OpportunityForm(request.POST, initial=initial)
        if form.is_valid():
            try:
                version = (
                    int(request.POST.get("version", ""))
                    if request.POST.get("version", "").isdigit()
                    else None
                )
                services.opportunity_update(
                    actor=Actor.from_request(request),
                    opportunity=opp,
                    data=form.service_data(changed_only=True),
                    expected_version=version,
                )
            except NotPermitted as exc:
                return _forbidden(request, str(exc))
            except ConcurrencyConflict as exc:
                form.add_error(None, str(exc))
            except ValidationError as exc:
                attach(form, exc)
            else:
                messages.success(request, _("Opportunity saved."))
                return redirect("sales:opportunity", pk=opp.pk)
        return _render_form(request, form, opp, status=422)
    return _render_form(request, OpportunityForm(initial=initial), opp)


@login_required
@require_POST
def opportunity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    opp = selectors.opportunity_detail(user=request.user, pk=pk)
    if opp is None:
        raise Http404
    try:
        services.opportunity_delete(actor=Actor.from_request(request), opportunity=opp)
    except NotPermitted as exc:
        return _forbidden(request, str(exc))
    messages.success(request, _("Opportunity deleted."))
    return redirect("sales:opportunities")


@login_required
@require_GET
def party_options(request: HttpRequest) -> HttpResponse:
    """<option>s of the customers matching what is typed (the global search, restricted as always)."""
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    results = party_search(user=request.user, q=q, limit=15) if q else []
    cards = [card for card, _hit in results if not kind or card.kind == kind]
    return render(request, "sales/_party_options.html", {"cards": cards, "q": q})


@login_required
@require_GET
def party_opportunities(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer page's opportunities panel (loaded by htmx after the page, so the page itself stays at
    its few queries): open deals first, then the latest closed ones."""
    party = Party.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
    if party is None:
        raise Http404
    opps = (
        selectors.opportunities_for(request.user)
        .filter(Q(party_id=pk) | Q(organisation_id=pk))
        .select_related("stage")
        .order_by("status", "-stage_entered_at", "-id")[:10]
        if _may_view(request.user)
        else []
    )
    context = {
        "party": party,
        "opps": list(opps),
        "can_add": user_scope(request.user, "opportunity", Action.ADD) != Scope.NONE,
    }
    return render(request, "sales/_party_opportunities.html", context)
