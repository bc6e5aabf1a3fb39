"""Catalogue pages: products (list, new, edit) and price lists (list, new, edit, detail with prices)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.actor import Actor
from clientela.core.pagination import InvalidCursor
from clientela.products import selectors, services
from clientela.products.forms import PriceItemForm, PriceListForm, ProductForm, attach
from clientela.products.models import PriceListItem, Product
from clientela.products.permissions import may_catalog, require_catalog_view
from clientela.products.services import PRICE_LIST_FIELDS, PRODUCT_FIELDS


@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    """Products by code: search by code or name, filter by the active flag, keyset pages."""
    require_catalog_view(request.user, "view")
    q = request.GET.get("q", "").strip()
    active = {"1": True, "0": False}.get(request.GET.get("active", ""))
    try:
        page = selectors.product_list(user=request.user, q=q, active=active, cursor=request.GET.get("cursor"))
    except InvalidCursor:
        return redirect("products:list")
    return render(
        request,
        "products/product_list.html",
        {
            "page": page,
            "q": q,
            "active": request.GET.get("active", ""),
            "filtered": bool(q or active is not None),
            "can_add": may_catalog(request.user, "add"),
            "can_change": may_catalog(request.user, "change"),
            "nav": "products",
        },
    )


def _product_form(request: HttpRequest, product: Product | None) -> HttpResponse:
    action = "change" if product else "add"
    require_catalog_view(request.user, action)
    if request.method == "POST":
        form = ProductForm(request.POST)
        if form.is_valid():
            actor = Actor.from_request(request)
            data = {k: form.cleaned_data[k] for k in PRODUCT_FIELDS}
            try:
                if product is None:
                    product = services.product_create(actor=actor, data=data)
                else:
                    services.product_update(actor=actor, product=product, data=data)
            except ValidationError as exc:
                attach(form, exc)
            else:
                messages.success(request, _("Product saved."))
                return redirect("products:list")
    else:
        initial = {k: getattr(product, k) for k in PRODUCT_FIELDS} if product else None
        form = ProductForm(initial=initial)
    status = 422 if form.errors else 200
    return render(
        request,
        "products/product_form.html",
        {"form": form, "product": product, "nav": "products"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    return _product_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_catalog_view(request.user, "change")
    return _product_form(request, selectors.product_get(user=request.user, pk=pk))


@login_required
@require_GET
def price_list_list(request: HttpRequest) -> HttpResponse:
    require_catalog_view(request.user, "view")
    lists = list(selectors.price_list_queryset(request.user))
    return render(
        request,
        "products/price_list_list.html",
        {"price_lists": lists, "can_add": may_catalog(request.user, "add"), "nav": "price_lists"},
    )


def _price_list_form(request: HttpRequest, price_list: Any) -> HttpResponse:
    require_catalog_view(request.user, "change" if price_list else "add")
    if request.method == "POST":
        form = PriceListForm(request.POST)
        if form.is_valid():
            actor = Actor.from_request(request)
            data = {k: form.cleaned_data[k] for k in PRICE_LIST_FIELDS}
            try:
                if price_list is None:
                    price_list = services.price_list_create(actor=actor, data=data)
                else:
                    services.price_list_update(actor=actor, price_list=price_list, data=data)
            except ValidationError as exc:
                attach(form, exc)
            else:
                messages.success(request, _("Price list saved."))
                return redirect("products:price_list_detail", pk=price_list.pk)
    else:
        initial = {k: getattr(price_list, k) for k in PRICE_LIST_FIELDS} if price_list else None
        form = PriceListForm(initial=initial)
    return render(
        request,
        "products/price_list_form.html",
        {"form": form, "price_list": price_list, "nav": "price_lists"},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def price_list_create(request: HttpRequest) -> HttpResponse:
    return _price_list_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def price_list_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_catalog_view(request.user, "change")
    return _price_list_form(request, selectors.price_list_get(user=request.user, pk=pk))


def _detail(request: HttpRequest, pk: int, item_form: PriceItemForm | None = None) -> HttpResponse:
    price_list = selectors.price_list_get(user=request.user, pk=pk)
    can_change = may_catalog(request.user, "change")
    if item_form is None and can_change:
        item_form = PriceItemForm(products=Product.objects.filter(is_active=True))
    return render(
        request,
        "products/price_list_detail.html",
        {"price_list": price_list, "item_form": item_form, "can_change": can_change, "nav": "price_lists"},
        status=422 if item_form is not None and item_form.errors else 200,
    )


@login_required
@require_GET
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_catalog_view(request.user, "view")
    return _detail(request, pk)


@login_required
@require_POST
def price_list_item_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a product's price to the list, or change it when the product already has one."""
    require_catalog_view(request.user, "change")
    price_list = selectors.price_list_get(user=request.user, pk=pk)
    form = PriceItemForm(request.POST, products=Product.objects.all())
    if form.is_valid():
        try:
            services.price_list_item_set(
                actor=Actor.from_request(request),
                price_list=price_list,
                product=form.cleaned_data["product"],
                unit_price=form.cleaned_data["unit_price"],
            )
        except ValidationError as exc:
            attach(form, exc)
        else:
            messages.success(request, _("Price saved."))
            return redirect("products:price_list_detail", pk=pk)
    return _detail(request, pk, form)


@login_required
@require_POST
def price_list_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    require_catalog_view(request.user, "change")
    item = PriceListItem.objects.select_related("price_list").filter(pk=item_pk, price_list_id=pk).first()
    if item is None:
        raise Http404
    services.price_list_item_remove(actor=Actor.from_request(request), item=item)
    messages.success(request, _("Price removed."))
    return redirect("products:price_list_detail", pk=pk)
