"""Pages of quotes and orders: lists, details with status actions, the quote form, print and PDF.

Thin: records are read through the selectors (restricted to the user's "quote" scope) and changed only
through the services; a refused action is a 403 page, a rule broken is a message on the detail page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.accounts.models import User
from clientela.core.actor import Actor
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action, Scope, can_loaded, user_scope
from clientela.orders import selectors, services
from clientela.orders.choices import ORDER_TRANSITIONS, OrderStatus, QuoteStatus
from clientela.orders.forms import LineFormSet, QuoteForm, SendForm, StatusForm
from clientela.orders.pdf import quote_html, quote_pdf
from clientela.orders.services.quotes import DEFAULT_VALIDITY
from clientela.orders.totals import plain
from clientela.parties.models import Party
from clientela.products.models import Product
from clientela.sales.models import Opportunity

BLANK_ROWS = 2


def _forbidden(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return render(request, "web/403.html", {"message": str(exc)}, status=403)


@login_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    """Current quote versions, newest first; filters status, owner and customer in the query string."""
    try:
        page = selectors.quote_list(user=request.user, params=request.GET, cursor=request.GET.get("cursor"))
    except InvalidCursor:
        return redirect("orders:quote_list")
    return render(
        request,
        "orders/quote_list.html",
        {
            "page": page,
            "statuses": QuoteStatus.choices,
            "owners": User.objects.filter(is_active=True).order_by("username").only("id", "username"),
            "filtered": any(request.GET.get(k) for k in ("status", "owner", "party", "opportunity")),
            "can_add": user_scope(request.user, "quote", Action.ADD) != Scope.NONE,
            "nav": "quotes",
        },
    )


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_detail(user=request.user, pk=pk)
    can_change = can_loaded(request.user, Action.CHANGE, quote)
    return render(
        request,
        "orders/quote_detail.html",
        {"quote": quote, "can_change": can_change, "send_form": SendForm(), "nav": "quotes"},
    )


def _line_formset(request: HttpRequest, initial: list[dict[str, Any]] | None = None) -> Any:
    products = Product.objects.filter(is_active=True).order_by("code")
    if request.method == "POST":
        return LineFormSet(request.POST, prefix="lines", products=Product.objects.all())
    rows = (initial or []) + [{"quantity": "1"}] * BLANK_ROWS
    return LineFormSet(initial=rows, prefix="lines", products=products)


def _with_blank_row(request: HttpRequest, formset: Any) -> Any:
    """The posted rows plus one blank row ("Add a line" without JavaScript)."""
    data = request.POST.copy()
    total = int(data.get("lines-TOTAL_FORMS", "0") or 0)
    data["lines-TOTAL_FORMS"] = str(min(total + 1, 500))
    data[f"lines-{total}-quantity"] = "1"
    return LineFormSet(data, prefix="lines", products=Product.objects.all())


def _header(form: QuoteForm, request: HttpRequest) -> dict[str, Any] | None:
    data = {
        k: form.cleaned_data[k]
        for k in ("currency", "price_list", "valid_until", "language", "terms", "notes")
    }
    party = Party.objects.restrict(request.user, Action.VIEW).filter(pk=form.cleaned_data["party"]).first()
    if party is None:
        form.add_error("party", _("Unknown customer."))
        return None
    data["party"] = party
    opportunity = form.cleaned_data.get("opportunity")
    data["opportunity"] = None
    if opportunity:
        visible = Opportunity.objects.restrict(request.user, Action.VIEW)
        data["opportunity"] = visible.filter(pk=opportunity).first()
        if data["opportunity"] is None:
            form.add_error("opportunity", _("Unknown opportunity."))
            return None
    return data


def _quote_form(request: HttpRequest, quote: Any) -> HttpResponse:
    if request.method == "POST":
        form = QuoteForm(request.POST)
        formset = _line_formset(request)
        if "add_line" in request.POST:
            form.is_valid()
            form.errors.clear()
            return _render_form(request, quote, form, _with_blank_row(request, formset))
        if form.is_valid() and formset.is_valid():
            data = _header(form, request)
            lines, rows = formset.lines()
            if data is not None:
                actor = Actor.from_request(request)
                try:
                    if quote is None:
                        saved = services.quote_create(actor=actor, data=data, lines=lines)
                    else:
                        saved = services.quote_update(
                            actor=actor,
                            quote=quote,
                            data=data,
                            lines=lines,
                            expected_version=int(request.POST.get("version") or 0) or None,
                        )
                except ValidationError as exc:
                    formset.attach(exc, rows, form)
                except NotPermitted as exc:
                    return _forbidden(request, exc)
                except ConcurrencyConflict as exc:
                    form.add_error(None, str(exc))
                else:
                    if quote is not None and saved.pk != quote.pk:
                        messages.success(request, _("The quote was sent already, so a new version was made."))
                    else:
                        messages.success(request, _("Quote saved."))
                    return redirect("orders:quote_detail", pk=saved.pk)
        return _render_form(request, quote, form, formset, status=422)
    if quote is None:
        form = QuoteForm(
            initial={
                "party": request.GET.get("party"),
                "opportunity": request.GET.get("opportunity"),
                "valid_until": timezone.localdate() + DEFAULT_VALIDITY,
                "currency": "EUR",
                "language": "es",
            }
        )
        formset = _line_formset(request, _opportunity_lines(request, form))
    else:
        form = QuoteForm(
            initial={
                "party": quote.party_id,
                "opportunity": quote.opportunity_id,
                "currency": quote.currency,
                "price_list": quote.price_list_id,
                "valid_until": quote.valid_until,
                "language": quote.language,
                "terms": quote.terms,
                "notes": quote.notes,
            }
        )
        formset = _line_formset(
            request,
            [
                {
                    "product": line.product_id,
                    "description": line.description,
                    "quantity": line.quantity.normalize(),
                    "unit_price": line.unit_price.normalize(),
                    "discount_percent": line.discount_percent.normalize(),
                    "tax_rate": line.tax_rate.normalize(),
                }
                for line in quote.lines.all()
            ],
        )
    return _render_form(request, quote, form, formset)


def _opportunity_lines(request: HttpRequest, form: QuoteForm) -> list[dict[str, Any]] | None:
    """The visible opportunity's product lines (and currency) as rows, for "New quote from these products"."""
    if request.GET.get("products") != "1" or not str(request.GET.get("opportunity") or "").isdigit():
        return None
    visible = Opportunity.objects.restrict(request.user, Action.VIEW)
    opp = visible.filter(pk=int(request.GET["opportunity"])).first()
    if opp is None:
        return None
    form.initial["currency"] = opp.currency
    return [
        {
            "product": line.product_id,
            "description": line.product.name,
            "quantity": plain(line.quantity),
            "unit_price": plain(line.unit_price),
            "discount_percent": plain(line.discount_percent),
            "tax_rate": plain(line.product.tax_rate),
        }
        for line in selectors.opportunity_products(opportunity=opp)
    ]


def _render_form(
    request: HttpRequest, quote: Any, form: Any, formset: Any, status: int = 200
) -> HttpResponse:
    """The quote form; names the chosen customer so a typed number can be checked at a glance."""
    raw = form["party"].value()
    customer = None
    if raw and str(raw).isdigit():
        customer = Party.objects.restrict(request.user, Action.VIEW).filter(pk=int(raw)).first()
    return render(
        request,
        "orders/quote_form.html",
        {"quote": quote, "form": form, "formset": formset, "customer": customer, "nav": "quotes"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    if user_scope(request.user, "quote", Action.ADD) == Scope.NONE:
        return _forbidden(request, NotPermitted())
    return _quote_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    if not can_loaded(request.user, Action.CHANGE, quote):
        return _forbidden(request, NotPermitted())
    if not quote.is_current or quote.status not in (QuoteStatus.DRAFT, QuoteStatus.SENT):
        messages.error(request, _("This quote can no longer change."))
        return redirect("orders:quote_detail", pk=pk)
    return _quote_form(request, quote)


def _act(request: HttpRequest, pk: int, run: Any, done: str) -> HttpResponse:
    """Run one status action on a quote the user may change; rule errors go back to the detail page."""
    quote = selectors.quote_get(user=request.user, pk=pk)
    try:
        result = run(Actor.from_request(request), quote)
    except NotPermitted as exc:
        return _forbidden(request, exc)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("orders:quote_detail", pk=pk)
    messages.success(request, done)
    if hasattr(result, "ordered_at"):
        return redirect("orders:order_detail", pk=result.pk)
    return redirect("orders:quote_detail", pk=result.pk)


@login_required
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    form = SendForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("orders:quote_detail", pk=pk)
    to = [form.cleaned_data["to"]] if form.cleaned_data["to"] else None
    return _act(
        request,
        pk,
        lambda actor, q: services.quote_send(
            actor=actor, quote=q, to=to, message=form.cleaned_data["message"]
        ),
        _("Quote sent."),
    )


@login_required
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, lambda actor, q: services.quote_accept(actor=actor, quote=q), _("Quote accepted.")
    )


@login_required
@require_POST
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, lambda actor, q: services.quote_reject(actor=actor, quote=q), _("Quote rejected.")
    )


@login_required
@require_POST
def quote_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda actor, q: services.quote_new_version(actor=actor, quote=q),
        _("New version created."),
    )


@login_required
@require_POST
def quote_make_order(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda actor, q: services.order_create_from_quote(actor=actor, quote=q),
        _("Order created."),
    )


@login_required
@require_GET
def quote_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable copy, in the quote's language."""
    quote = selectors.quote_get(user=request.user, pk=pk)
    return HttpResponse(quote_html(quote))


@login_required
@require_GET
def quote_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    quote = selectors.quote_get(user=request.user, pk=pk)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.label.replace(" ", "-")}.pdf"'
    return response


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.order_list(user=request.user, params=request.GET, cursor=request.GET.get("cursor"))
    except InvalidCursor:
        return redirect("orders:order_list")
    return render(
        request,
        "orders/order_list.html",
        {
            "page": page,
            "statuses": OrderStatus.choices,
            "filtered": any(request.GET.get(k) for k in ("status", "owner", "party", "source")),
            "nav": "orders",
        },
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_detail(user=request.user, pk=pk)
    can_change = can_loaded(request.user, Action.CHANGE, order)
    next_statuses = [
        (s, OrderStatus(s).label) for s in OrderStatus.values if s in ORDER_TRANSITIONS[order.status]
    ]
    return render(
        request,
        "orders/order_detail.html",
        {"order": order, "can_change": can_change, "next_statuses": next_statuses, "nav": "orders"},
    )


@login_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.order_get(user=request.user, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("orders:order_detail", pk=pk)
    try:
        services.order_change_status(
            actor=Actor.from_request(request), order=order, status=form.cleaned_data["status"]
        )
    except NotPermitted as exc:
        return _forbidden(request, exc)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Order status changed."))
    return redirect("orders:order_detail", pk=pk)
