"""The page that edits an opportunity's products: line rows, "Add a line" without JavaScript, errors per line.

Thin: the opportunity is read through the selectors (404 out of scope, 403 when it may be seen but not
changed) and the lines are saved only through ``opportunity_products_set``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clientela.core.actor import Actor
from clientela.core.exceptions import NotPermitted
from clientela.core.permissions import Action, can_loaded
from clientela.orders import selectors
from clientela.orders.forms import OpportunityProductFormSet, OpportunityProductsForm
from clientela.orders.services import opportunity_products_set
from clientela.orders.totals import plain
from clientela.products.models import Product

PREFIX = "lines"
MAX_ROWS = 200


def _posted(request: HttpRequest, *, extra_row: bool = False) -> Any:
    data = request.POST.copy()
    if extra_row:
        # "Add a line" without JavaScript: the posted rows plus one blank row
        total = int(data.get(f"{PREFIX}-TOTAL_FORMS", "0") or 0)
        data[f"{PREFIX}-TOTAL_FORMS"] = str(min(total + 1, MAX_ROWS))
        data[f"{PREFIX}-{total}-quantity"] = "1"
    return OpportunityProductFormSet(data, prefix=PREFIX, products=Product.objects.all())


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_products_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the opportunity's product lines (GET shows them plus a blank row; POST replaces them)."""
    opp = selectors.opportunity_for_products(user=request.user, pk=pk)
    if not can_loaded(request.user, Action.CHANGE, opp):
        return render(request, "web/403.html", {"message": str(NotPermitted())}, status=403)
    status = 200
    if request.method == "POST":
        form = OpportunityProductsForm(request.POST)
        form.is_valid()
        if "add_line" in request.POST:
            formset = _posted(request, extra_row=True)
            formset.is_valid()
            return _render(request, opp, form, formset)
        formset = _posted(request)
        if formset.is_valid():
            lines, rows = formset.lines()
            try:
                opportunity_products_set(
                    actor=Actor.from_request(request),
                    opportunity=opp,
                    lines=lines,
                    update_amount=bool(form.cleaned_data.get("update_amount")),
                )
            except ValidationError as exc:
                formset.attach(exc, rows, form)
            except NotPermitted as exc:
                return render(request, "web/403.html", {"message": str(exc)}, status=403)
            else:
                messages.success(request, _("The opportunity's products were saved."))
                return redirect("sales:opportunity", pk=opp.pk)
        status = 422
    else:
        current = selectors.opportunity_products(opportunity=opp)
        rows = [
            {
                "product": line.product_id,
                "quantity": plain(line.quantity),
                "unit_price": plain(line.unit_price),
                "discount_percent": plain(line.discount_percent),
            }
            for line in current
        ] + [{"quantity": "1"}]
        products = Product.objects.filter(Q(is_active=True) | Q(pk__in=[r.product_id for r in current]))
        formset = OpportunityProductFormSet(initial=rows, prefix=PREFIX, products=products.order_by("code"))
        form = OpportunityProductsForm()
    return _render(request, opp, form, formset, status=status)


def _render(request: HttpRequest, opp: Any, form: Any, formset: Any, status: int = 200) -> HttpResponse:
    return render(
        request,
        "orders/opportunity_products_form.html",
        {"opp": opp, "form": form, "formset": formset, "nav": "opportunities"},
        status=status,
    )
