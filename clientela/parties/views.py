"""Customer pages: list, detail with history, create/edit with inline contact points, delete and restore.

Views stay thin: read through selectors (which restrict to the user's scope), change through services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clientela.core.actor import Actor
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action, Scope, can, can_loaded, user_scope
from clientela.parties import selectors, services
from clientela.parties.filters import extra_filter_choices, extra_filter_names
from clientela.parties.forms import ContactPointFormSet, PartyForm, attach_errors, contact_items
from clientela.parties.models import Party
from clientela.parties.moved import moved_to
from clientela.parties.panels import customer_panels, form_panels

SORT_LABELS = selectors.SORT_LABELS

DATE_FILTERS = ("created_after", "created_before", "updated_after", "updated_before")


def _forbidden(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return render(request, "web/403.html", {"message": str(exc)}, status=403)


def _extra_filters(request: HttpRequest, filterset: Any) -> list[dict[str, Any]]:
    """The filters other apps registered (RFM segment, churn risk, saved segment...), ready to draw."""
    out = []
    for name in extra_filter_names():
        field = filterset.form.fields[name]
        choices = extra_filter_choices(name, request.user)
        if choices is None and hasattr(field, "choices"):
            choices = [(str(value), str(label)) for value, label in field.choices if value != ""]
        out.append(
            {
                "name": name,
                "label": field.label,
                "choices": choices,
                "multiple": isinstance(field, forms.MultipleChoiceField),
                "selected": request.GET.getlist(name),
                "value": request.GET.get(name, ""),
            }
        )
    return out


@login_required
@require_GET
def party_list(request: HttpRequest) -> HttpResponse:
    """The customer list: filters in the query string, keyset pages, capped count."""
    sort = request.GET.get("sort", "name")
    try:
        filterset, page = selectors.party_list(
            user=request.user, params=request.GET, cursor=request.GET.get("cursor") or None, sort=sort
        )
    except InvalidCursor:
        return redirect(reverse("parties:list"))
    context: dict[str, Any] = {
        "filter": filterset,
        "page": page,
        "sort": sort if sort in SORT_LABELS else "name",
        "sort_labels": SORT_LABELS,
        "date_filters": [filterset.form[name] for name in DATE_FILTERS],
        "extra_filters": _extra_filters(request, filterset),
        "nav": "customers",
        "filtered": any(v for k, v in request.GET.items() if k not in ("cursor", "sort")),
        "can_add": user_scope(request.user, "party", Action.ADD) != "none",
        "can_export": user_scope(request.user, "party", Action.EXPORT) != "none",
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "parties/_rows.html", context)
    count, more = selectors.party_count(user=request.user, params=request.GET)
    context.update(count=count, count_more=more, first=1 if page.items else 0, last=len(page.items))
    return render(request, "parties/list.html", context)


def render_detail(
    request: HttpRequest, pk: int, *, state: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The customer page; panels of the apps built on parties add figures, the timeline and more."""
    party = selectors.party_detail(user=request.user, pk=pk)
    panels = customer_panels.render_context(request, party, state or {})
    # With a timeline on the page the history is folded and loads when opened (one query less per view).
    history = None if panels.get("activity") else selectors.party_history(party=party, size=20)
    return render(
        request,
        "parties/detail.html",
        {
            "party": party,
            "history": history,
            "panels": panels,
            "can_change": can_loaded(request.user, Action.CHANGE, party),
            "can_delete": can_loaded(request.user, Action.DELETE, party),
            "nav": "customers",
        },
        status=status,
    )


@login_required
@require_GET
def party_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        return render_detail(request, pk)
    except Http404:
        # a merged customer's old address leads to the customer it was merged into (whose page checks access)
        target = moved_to(pk)
        if target is None:
            raise
        return redirect("parties:detail", pk=target)


@login_required
@require_GET
def party_history(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_get(user=request.user, pk=pk)
    try:
        history = selectors.party_history(party=party, cursor=request.GET.get("cursor") or None, size=20)
    except InvalidCursor:
        return HttpResponseBadRequest(_("The page cursor is not valid; start again from the first page."))
    return render(request, "parties/_history.html", {"party": party, "history": history})


def _initial_contacts() -> list[dict[str, Any]]:
    return [{"kind": "email", "label": "work"}, {"kind": "mobile", "label": "work"}]


def _render_form(
    request: HttpRequest, form: PartyForm, formset: Any, party: Party | None, status: int = 200, **extra: Any
) -> HttpResponse:
    empty = ContactPointFormSet(prefix="cp").empty_form
    context = {
        "form": form,
        "formset": formset,
        "empty_form": empty,
        "party": party,
        "nav": "customers",
        "form_panels": form_panels.render_context(request, party, {}),
        **extra,
    }
    return render(request, "parties/form.html", context, status=status)


@login_required
def party_create(request: HttpRequest) -> HttpResponse:
    if user_scope(request.user, "party", Action.ADD) == Scope.NONE:
        return _forbidden(request, NotPermitted())
    if request.method == "POST":
        form = PartyForm(request.POST)
        formset = ContactPointFormSet(request.POST, prefix="cp")
        if form.is_valid() and formset.is_valid():
            items, origin = contact_items(formset)
            try:
                party = services.party_create(
                    actor=Actor.from_request(request), data=form.service_data(), contact_points=items
                )
            except ValidationError as exc:
                attach_errors(form, formset, origin, exc.message_dict)
            except NotPermitted as exc:
                return _forbidden(request, exc)
            else:
                messages.success(request, _("Customer created."))
                return redirect("parties:detail", pk=party.pk)
        return _render_form(request, form, formset, None)
    form = PartyForm(
        initial={"kind": request.GET.get("kind", "person"), "status": "lead", "owner": request.user.pk}
    )
    formset = ContactPointFormSet(prefix="cp", initial=_initial_contacts())
    return _render_form(request, form, formset, None)


@login_required
def party_edit(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_detail(user=request.user, pk=pk)
    if not can(request.user, Action.CHANGE, party):
        return _forbidden(request, NotPermitted())
    if request.method == "POST":
        form = PartyForm(request.POST)
        formset = ContactPointFormSet(request.POST, prefix="cp")
        if form.is_valid() and formset.is_valid():
            items, origin = contact_items(formset)
            try:
                services.party_update(
                    actor=Actor.from_request(request),
                    party=party,
                    data=form.service_data(),
                    expected_version=form.cleaned_data.get("version"),
                    contact_points=items,
                )
            except ValidationError as exc:
                attach_errors(form, formset, origin, exc.message_dict)
            except ConcurrencyConflict:
                return _conflict(request, form, formset, pk)
            except NotPermitted as exc:
                return _forbidden(request, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("parties:detail", pk=party.pk)
        return _render_form(request, form, formset, party)
    form = PartyForm(initial=PartyForm.initial_for(party))
    contacts = [
        {
            "id": cp.pk,
            **{
                f: getattr(cp, f)
                for f in (
                    "kind",
                    "label",
                    "value",
                    "is_primary",
                    "social_network",
                    "street",
                    "postal_code",
                    "city",
                    "region",
                    "country",
                )
            },
        }
        for cp in party.live_contacts
    ]
    formset = ContactPointFormSet(prefix="cp", initial=contacts)
    return _render_form(request, form, formset, party)


def _conflict(request: HttpRequest, form: PartyForm, formset: Any, pk: int) -> HttpResponse:
    """Someone saved first: keep what this user typed, show the current values that differ, allow re-submit."""
    current = selectors.party_detail(user=request.user, pk=pk)
    now = PartyForm.initial_for(current)
    theirs = []
    for name, value in now.items():
        if name in ("version", "owner", "team"):
            continue
        mine = form.data.get(name, "")
        if str(mine or "") != str(value or ""):
            theirs.append((form.fields[name].label, value, mine))
    data = form.data.copy()
    data["version"] = str(current.version)
    form = PartyForm(data)
    form.is_valid()
    formset = ContactPointFormSet(formset.data, prefix="cp")
    return _render_form(request, form, formset, current, status=409, conflict=theirs)


@login_required
@require_POST
def party_validate(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Instant validation: run the real service on the form in a transaction that is always rolled back,
    then return the messages for the field that changed (out-of-band swaps into its error slot)."""
    field = request.headers.get("X-Field", "")
    party = selectors.party_get(user=request.user, pk=pk) if pk is not None else None
    if party is not None and not can(request.user, Action.CHANGE, party):
        return _forbidden(request, NotPermitted())
    form = PartyForm(request.POST)
    formset = ContactPointFormSet(request.POST, prefix="cp")
    errors: dict[str, list[str]] = {}
    if form.is_valid() and formset.is_valid():
        items, origin = contact_items(formset)
        try:
            with transaction.atomic():
                if party is None:
                    services.party_create(
                        actor=Actor.from_request(request), data=form.service_data(), contact_points=items
                    )
                else:
                    services.party_update(
                        actor=Actor.from_request(request),
                        party=party,
                        data=form.service_data(),
                        contact_points=items,
                    )
                transaction.set_rollback(True)
        except ValidationError as exc:
            attach_errors(form, formset, origin, exc.message_dict)
        except (NotPermitted, ConcurrencyConflict):
            pass  # validation only: saving will report these properly
    for name, messages_ in form.errors.items():
        errors[name] = list(messages_)
    for f in formset.forms:
        for name, messages_ in f.errors.items():
            errors[f.add_prefix(name)] = list(messages_)
    fields = [field] if field else sorted(errors)
    return render(request, "parties/_field_errors.html", {"fields": [(f, errors.get(f, [])) for f in fields]})


@login_required
@require_POST
def party_delete(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_get(user=request.user, pk=pk)
    try:
        services.party_delete(actor=Actor.from_request(request), party=party)
    except NotPermitted as exc:
        return _forbidden(request, exc)
    messages.success(
        request,
        _("“%(name)s” moved to the recycle bin.") % {"name": party.display_name},
        extra_tags="undo:" + reverse("parties:restore", args=[party.pk]),
    )
    return redirect("parties:list")


@login_required
@require_POST
def party_restore(request: HttpRequest, pk: int) -> HttpResponse:
    party = selectors.party_get(user=request.user, pk=pk, action=Action.DELETE, include_deleted=True)
    try:
        services.party_restore(actor=Actor.from_request(request), party=party)
    except NotPermitted as exc:
        return _forbidden(request, exc)
    messages.success(request, _("“%(name)s” restored.") % {"name": party.display_name})
    return redirect("parties:detail", pk=party.pk)


@login_required
@require_GET
def recycle_bin(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.recycle_bin(user=request.user, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        return redirect("parties:bin")
    return render(
        request,
        "parties/bin.html",
        {"page": page, "nav": "bin", "retention_days": settings.CLIENTELA_RECYCLE_DAYS},
    )


@login_required
@require_POST
def relationship_add(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.party_get(user=request.user, pk=pk)
    if not can(request.user, Action.CHANGE, person):
        return _forbidden(request, NotPermitted())
    org_id = request.POST.get("organisation", "")
    if not org_id.isdigit():
        messages.error(request, _("Choose an organisation."))
        return redirect("parties:detail", pk=pk)
    organisation = selectors.party_get(user=request.user, pk=int(org_id))
    data = {k: request.POST.get(k, "") for k in ("role", "start_date", "end_date") if request.POST.get(k)}
    try:
        services.relationship_add(
            actor=Actor.from_request(request), person=person, organisation=organisation, data=data
        )
    except ValidationError as exc:
        for messages_ in exc.message_dict.values():
            for message in messages_:
                messages.error(request, message)
    except NotPermitted as exc:
        return _forbidden(request, exc)
    else:
        messages.success(request, _("Relationship added."))
    return redirect("parties:detail", pk=pk)


@login_required
@require_POST
def relationship_remove(request: HttpRequest, pk: int) -> HttpResponse:
    rel = selectors.relationship_get(user=request.user, pk=pk)
    try:
        services.relationship_remove(actor=Actor.from_request(request), relationship=rel)
    except NotPermitted as exc:
        return _forbidden(request, exc)
    messages.success(request, _("Relationship removed."))
    return redirect("parties:detail", pk=rel.person_id)


@login_required
@require_GET
def organisation_options(request: HttpRequest) -> HttpResponse:
    orgs = selectors.organisations_for_choice(user=request.user, q=request.GET.get("q", ""))
    return render(request, "parties/_organisation_options.html", {"organisations": orgs})
