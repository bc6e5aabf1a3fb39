"""Lead pages (list, new, detail with history, edit, qualify, convert) and the public web form.

Views stay thin: reads through ``selectors_leads`` (restricted to the user's lead scope, 404 outside it),
changes through the services of ``clientela.sales.leads``.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from clientela.core.actor import Actor, Source
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action, Scope, can_loaded, user_scope
from clientela.parties.models import Party
from clientela.sales import leads as services
from clientela.sales import leads_webform as webform
from clientela.sales import selectors_leads as selectors
from clientela.sales.choices import LeadOrigin, LeadStatus
from clientela.sales.forms_leads import (
    NEW_CUSTOMER,
    ConvertForm,
    LeadForm,
    QualifyForm,
    WebLeadForm,
    attach_service_errors,
)
from clientela.sales.models import Lead, Pipeline

SORT_LABELS = {
    "-created": gettext_lazy("Newest"),
    "created": gettext_lazy("Oldest"),
    "-updated": gettext_lazy("Recently updated"),
    "name": gettext_lazy("Family name (A–Z)"),
    "company": gettext_lazy("Company (A–Z)"),
    "-score": gettext_lazy("Highest score"),
}
UTM_LABELS = (
    ("utm_source", gettext_lazy("Source")),
    ("utm_medium", gettext_lazy("Medium")),
    ("utm_campaign", gettext_lazy("Campaign")),
    ("utm_term", gettext_lazy("Term")),
    ("utm_content", gettext_lazy("Content")),
)


def _forbidden(request: HttpRequest, exc: NotPermitted | None = None) -> HttpResponse:
    return render(request, "web/403.html", {"message": str(exc or NotPermitted())}, status=403)


def opportunity_url(pk: int | None) -> str | None:
    """The opportunity's page when the opportunity pages are installed; None otherwise (callers then
    link to the customer, whose page lists its opportunities)."""
    if pk is None:
        return None
    for name in ("sales:opportunity", "sales:opportunity_detail"):
        try:
            return reverse(name, args=[pk])
        except NoReverseMatch:
            continue
    return None


# --- list and create --------------------------------------------------------------------------------------


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    """Leads: filters and sort in the query string, keyset pages, capped count, the web form snippet."""
    if user_scope(request.user, "lead", Action.VIEW) == Scope.NONE:
        return _forbidden(request)
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    try:
        filterset, page = selectors.lead_list(
            user=request.user, params=request.GET, cursor=request.GET.get("cursor") or None, sort=sort
        )
    except InvalidCursor:
        return redirect(reverse("sales:leads"))
    context: dict[str, Any] = {
        "filter": filterset,
        "page": page,
        "sort": sort if sort in SORT_LABELS else selectors.DEFAULT_SORT,
        "sort_labels": SORT_LABELS,
        "nav": "leads",
        "filtered": any(v for k, v in request.GET.items() if k not in ("cursor", "sort")),
        "can_add": user_scope(request.user, "lead", Action.ADD) != Scope.NONE,
        "can_import": user_scope(request.user, "lead", Action.ADD) == Scope.ALL,
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "sales/leads/_rows.html", context)
    count, more = selectors.lead_count(user=request.user, params=request.GET)
    context.update(count=count, count_more=more, first=1 if page.items else 0, last=len(page.items))
    if user_scope(request.user, "lead", Action.ADD) == Scope.ALL:
        # whoever may receive every lead may also publish the form that captures them
        context["snippets"] = webform.embed_snippets(
            request.build_absolute_uri(reverse("sales:lead_web_form")),
            request.build_absolute_uri(reverse("sales:lead_capture")),
        )
    return render(request, "sales/leads/list.html", context)


@login_required
def lead_create(request: HttpRequest) -> HttpResponse:
    if user_scope(request.user, "lead", Action.ADD) == Scope.NONE:
        return _forbidden(request)
    if request.method == "POST":
        form = LeadForm(request.POST)
        if form.is_valid():
            try:
                lead = services.lead_create(
                    actor=Actor.from_request(request),
                    data=form.service_data(creating=True),
                    origin=LeadOrigin.MANUAL,
                )
            except ValidationError as exc:
                attach_service_errors(form, exc.message_dict)
            except NotPermitted as exc:
                return _forbidden(request, exc)
            else:
                messages.success(request, _("Lead created."))
                return redirect("sales:lead_detail", pk=lead.pk)
    else:
        form = LeadForm(initial={"owner": request.user.pk})
    return render(request, "sales/leads/form.html", {"form": form, "lead": None, "nav": "leads"})


# --- one lead ---------------------------------------------------------------------------------------------


def render_detail(
    request: HttpRequest, lead: Lead, *, qualify: QualifyForm | None = None, status: int = 200
) -> HttpResponse:
    can_change = lead.status != LeadStatus.CONVERTED and can_loaded(request.user, Action.CHANGE, lead)
    if qualify is None:
        qualified = (LeadStatus.WORKING, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED)
        status_initial = lead.status if lead.status in qualified else ""
        qualify = QualifyForm(
            initial={
                "status": status_initial or LeadStatus.WORKING,
                "score": lead.score,
                "qualification_reason": lead.qualification_reason,
                "version": lead.version,
            }
        )
    context = {
        "lead": lead,
        "history": selectors.lead_history(lead=lead),
        "utm": [(label, getattr(lead, name)) for name, label in UTM_LABELS if getattr(lead, name)],
        "raw": json.dumps(lead.raw, indent=2, ensure_ascii=False, sort_keys=True) if lead.raw else "",
        "can_change": can_change,
        "qualify": qualify,
        "opportunity_url": opportunity_url(lead.converted_opportunity_id),
        "steps": _steps(lead),
        "nav": "leads",
    }
    return render(request, "sales/leads/detail.html", context, status=status)


def _steps(lead: Lead) -> list[tuple[str, str, str]]:
    """The stage bar: (label, state, aria-current) with state done, current or todo."""
    order = [LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED, LeadStatus.CONVERTED]
    if lead.status == LeadStatus.DISQUALIFIED:
        order = [LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.DISQUALIFIED]
    index = order.index(lead.status)
    return [
        (
            str(s.label),
            "done" if i < index else "current" if i == index else "todo",
            "step" if i == index else "",
        )
        for i, s in enumerate(order)
    ]


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, selectors.lead_get(user=request.user, pk=pk))


@login_required
@require_GET
def lead_history(request: HttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, pk=pk)
    try:
        history = selectors.lead_history(lead=lead, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        return HttpResponseBadRequest(_("The page cursor is not valid; start again from the first page."))
    return render(request, "sales/leads/_history.html", {"lead": lead, "history": history})


def _changeable(request: HttpRequest, pk: int) -> Lead | HttpResponse:
    """The lead if the user may change it; a 404 outside the view scope, a 403 page otherwise."""
    lead = selectors.lead_get(user=request.user, pk=pk)
    if not can_loaded(request.user, Action.CHANGE, lead):
        return _forbidden(request)
    if lead.status == LeadStatus.CONVERTED:
        return _forbidden(request, NotPermitted(_("This lead was converted; change the customer instead.")))
    return lead


def _stale(form_class: Any, form: Any, lead: Lead, exc: ConcurrencyConflict) -> Any:
    """The user's input again, now carrying the current version (saving again overwrites knowingly),
    with the conflict said on top."""
    data = form.data.copy()
    data["version"] = str(lead.version)
    fresh = form_class(data)
    fresh.is_valid()
    fresh.add_error(
        None, _("%(message)s Check the current values on the lead, then save again.") % {"message": exc}
    )
    return fresh


@login_required
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _changeable(request, pk)
    if isinstance(lead, HttpResponse):
        return lead
    status = 200
    if request.method == "POST":
        form = LeadForm(request.POST)
        if form.is_valid():
            try:
                services.lead_update(
                    actor=Actor.from_request(request),
                    lead=lead,
                    data=form.service_data(),
                    expected_version=form.cleaned_data.get("version"),
                )
            except ValidationError as exc:
                attach_service_errors(form, exc.message_dict)
            except ConcurrencyConflict as exc:
                lead = selectors.lead_get(user=request.user, pk=pk)
                form = _stale(LeadForm, form, lead, exc)
                status = 409
            except NotPermitted as exc:
                return _forbidden(request, exc)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("sales:lead_detail", pk=lead.pk)
    else:
        form = LeadForm(initial=LeadForm.initial_for(lead))
    return render(
        request, "sales/leads/form.html", {"form": form, "lead": lead, "nav": "leads"}, status=status
    )


@login_required
@require_POST
def lead_qualify(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _changeable(request, pk)
    if isinstance(lead, HttpResponse):
        return lead
    form = QualifyForm(request.POST)
    if form.is_valid():
        try:
            services.lead_update(
                actor=Actor.from_request(request),
                lead=lead,
                data=form.service_data(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ValidationError as exc:
            attach_service_errors(form, exc.message_dict)
        except ConcurrencyConflict as exc:
            lead = selectors.lead_get(user=request.user, pk=pk)
            return render_detail(request, lead, qualify=_stale(QualifyForm, form, lead, exc), status=409)
        except NotPermitted as exc:
            return _forbidden(request, exc)
        else:
            messages.success(request, _("Qualification saved."))
            return redirect("sales:lead_detail", pk=lead.pk)
    return render_detail(request, lead, qualify=form)


@login_required
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """One step: the likely existing customers (or a new one) and the optional opportunity."""
    lead = _changeable(request, pk)
    if isinstance(lead, HttpResponse):
        return lead
    matches = services.lead_matches(user=request.user, lead=lead)
    if request.method == "POST":
        form = ConvertForm(request.POST, matches=matches)
        if form.is_valid():
            response = _convert(request, lead, form)
            if response is not None:
                return response
    else:
        pipeline = Pipeline.objects.filter(is_default=True, is_active=True).first()
        form = ConvertForm(
            matches=matches,
            initial={
                "customer": "" if matches else NEW_CUSTOMER,
                "with_opportunity": True,
                "name": lead.interest,
                "currency": pipeline.currency if pipeline else "",
                "pipeline": pipeline.pk if pipeline else None,
            },
        )
    context = {"lead": lead, "form": form, "matches": matches, "nav": "leads"}
    return render(request, "sales/leads/convert.html", context)


def _convert(request: HttpRequest, lead: Lead, form: ConvertForm) -> HttpResponse | None:
    """Run the conversion; the response on success or refusal, None when the form shows errors."""
    party_id = form.party_id()
    party = None
    if party_id is not None:
        party = Party.objects.restrict(request.user, Action.VIEW).filter(pk=party_id).first()
        if party is None:
            form.add_error("customer", _("No customer with this id that you can see."))
            return None
    try:
        party, opp = services.lead_convert(
            actor=Actor.from_request(request),
            lead=lead,
            party=party,
            create_party=party is None,
            opportunity=form.opportunity_data(),
        )
    except ValidationError as exc:
        errors = exc.message_dict
        attach_service_errors(
            form, {k: v for k, v in errors.items() if k.startswith("opportunity")}, "opportunity."
        )
        for path, messages_ in errors.items():
            if not path.startswith("opportunity"):
                for message in messages_:
                    form.add_error(None, _("New customer: %(message)s") % {"message": message})
        return None
    except NotPermitted as exc:
        return _forbidden(request, exc)
    if opp is not None:
        messages.success(
            request,
            _("Lead converted: opportunity “%(name)s” opened for this customer.") % {"name": opp.name},
        )
        return redirect(opportunity_url(opp.pk) or reverse("parties:detail", args=[party.pk]))
    messages.success(request, _("Lead converted into this customer."))
    return redirect("parties:detail", pk=party.pk)


# --- the public web form ----------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _json(data: dict[str, Any], status: int) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )
    # any website may post the form and read the outcome; no cookies are involved
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _page(
    request: HttpRequest, state: str, form: WebLeadForm | None = None, status: int = 200
) -> HttpResponse:
    return render(request, "sales/leads/web_form.html", {"state": state, "form": form}, status=status)


def _thanks(request: HttpRequest, next_url: str | None) -> HttpResponse:
    if _wants_json(request):
        return _json({"status": "received"}, 200)
    if next_url:
        return redirect(next_url)
    return _page(request, "thanks")


@xframe_options_exempt
@require_GET
def lead_web_form(request: HttpRequest) -> HttpResponse:
    """The standalone form (no site chrome) for an iframe on any website: framing is allowed here only."""
    initial = {name: request.GET.get(name, "")[:100] for name in webform.UTM_FIELDS}
    initial.update(
        referrer=webform.external_referrer(
            request.GET.get("referrer") or request.headers.get("Referer", ""), request
        )[:2000],
        next=request.GET.get("next", ""),
        ts=webform.new_stamp(),
    )
    return _page(request, "form", WebLeadForm(initial=initial))


# CSRF protection is off for this view alone: the form is posted from other websites (or from our own
# form inside their iframe) by visitors who have no session with us, so there is no CSRF token to
# check and no signed-in user whose rights a forged request could borrow. Abuse is handled instead by
# the honeypot, the signed fill time and the rate limits. Framing is allowed because the answer (the
# thank-you page, or the form with its errors) is shown inside the embedding site's iframe.
@csrf_exempt
@xframe_options_exempt
@require_POST
def lead_capture(request: HttpRequest) -> HttpResponse:
    """Receive a web form submission: rate limits, honeypot, fill time, then ``lead_create``."""
    limited = webform.rate_limit(request)
    if limited is not None:
        message = _("Too many submissions from your connection. Please try again in a few minutes.")
        if _wants_json(request):
            response = _json({"status": 429, "detail": message, "retry_after": limited.retry_after}, 429)
        else:
            response = _page(request, "limited", status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    if webform.honeypot_filled(request.POST):
        webform.count_spam(request, "honeypot")
        return _thanks(request, None)
    form = WebLeadForm(request.POST)
    if webform.too_fast(request.POST.get(webform.STAMP, "")):
        webform.count_spam(request, "too_fast")
        # maybe a quick human with autofill: ask to send again (a fresh stamp comes with the page)
        form.is_valid()
        form.add_error(None, _("Please check your details and send the form again."))
    elif form.is_valid():
        try:
            services.lead_create(
                actor=Actor.system(
                    "web form", source=Source.UI, request_id=getattr(request, "request_id", None)
                ),
                data=webform.lead_data(form.cleaned_data, request),
                origin=LeadOrigin.WEB_FORM,
                raw=webform.raw_submission(request),
            )
        except ValidationError as exc:
            attach_service_errors(form, exc.message_dict)
        else:
            return _thanks(request, webform.safe_next(form.cleaned_data.get("next", ""), request))
    if _wants_json(request):
        errors = [{"field": name if name != "__all__" else None, "message": str(m)}
                  for name, msgs in form.errors.items() for m in msgs]  # fmt: skip
        return _json({"status": 422, "errors": errors}, 422)
    data = form.data.copy()
    data[webform.STAMP] = webform.new_stamp()
    form.data = data
    return _page(request, "form", form)
