"""Integration pages (administrators): webhook subscriptions, the delivery log, a delivery with its attempts.

Views stay thin: reads through selectors, changes through services; every page needs the role's
"integration" grant (a refusal is a 403 page).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.actor import Actor
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action
from clientela.integrations import selectors, services
from clientela.integrations.forms import WebhookSubscriptionForm
from clientela.integrations.models import DeliveryStatus, WebhookSubscription

View = Callable[..., HttpResponse]


def admin_only(action: str = Action.VIEW) -> Callable[[View], View]:
    """Signed in, and the role grants "integration" for ``action``; otherwise the 403 page."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not services.may_manage(request.user, action):
                message = _("Only administrators manage integrations.")
                return render(request, "web/403.html", {"message": message}, status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def _subscription(pk: int) -> WebhookSubscription:
    sub = WebhookSubscription.objects.filter(pk=pk).first()
    if sub is None:
        raise Http404
    return sub


@require_GET
@admin_only()
def webhook_list(request: HttpRequest) -> HttpResponse:
    """Every subscription with its health (successes, failures in a row, last success)."""
    return render(
        request,
        "integrations/webhook_list.html",
        {"subscriptions": selectors.subscriptions(), "nav": "webhooks"},
    )


def _form_page(
    request: HttpRequest, form: WebhookSubscriptionForm, sub: WebhookSubscription | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "integrations/webhook_form.html",
        {"form": form, "sub": sub, "nav": "webhooks"},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@admin_only(Action.ADD)
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookSubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.webhook_subscription_create(
                actor=Actor.from_request(request), data=form.cleaned_data
            )
        except ValidationError as exc:
            form.attach(exc)
        else:
            messages.success(request, _("Subscription created. Give its signing secret to the receiver."))
            return redirect("integrations:webhook_detail", pk=sub.pk)
    return _form_page(request, form, None, 422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@admin_only(Action.CHANGE)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription(pk)
    initial = {
        "name": sub.name,
        "target_url": sub.target_url,
        "event_types": sub.event_types,
        "is_active": sub.is_active,
    }
    form = WebhookSubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_subscription_update(
                actor=Actor.from_request(request), subscription=sub, data=form.cleaned_data
            )
        except ValidationError as exc:
            form.attach(exc)
        else:
            messages.success(request, _("Subscription saved."))
            return redirect("integrations:webhook_detail", pk=sub.pk)
    return _form_page(request, form, sub, 422 if form.errors else 200)


@require_GET
@admin_only()
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sub = _subscription(pk)
    types = dict(selectors.event_types())
    context = {
        "sub": sub,
        "event_types": [(name, types.get(name, "")) for name in sub.event_types],
        "recent": selectors.subscription_recent(sub),
        "nav": "webhooks",
    }
    return render(request, "integrations/webhook_detail.html", context)


@require_POST
@admin_only(Action.CHANGE)
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (no new deliveries, no retries) or activate again."""
    sub = _subscription(pk)
    sub = services.webhook_subscription_update(
        actor=Actor.from_request(request), subscription=sub, data={"is_active": not sub.is_active}
    )
    messages.success(
        request, _("Subscription activated.") if sub.is_active else _("Subscription deactivated.")
    )
    return redirect("integrations:webhook_detail", pk=sub.pk)


@require_POST
@admin_only(Action.CHANGE)
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    sub = services.webhook_secret_rotate(actor=Actor.from_request(request), subscription=_subscription(pk))
    messages.success(request, _("New signing secret created. Update the receiver before the next event."))
    return redirect("integrations:webhook_detail", pk=sub.pk)


@require_POST
@admin_only(Action.CHANGE)
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    row = services.webhook_test_send(actor=Actor.from_request(request), subscription=_subscription(pk))
    messages.success(request, _("Test event queued; its result appears below in a few seconds."))
    return redirect("integrations:delivery_detail", pk=row.pk)


@require_GET
@admin_only()
def delivery_list(request: HttpRequest) -> HttpResponse:
    """The delivery log, newest first; filters (status, event type, subscription) in the query string."""
    filters = selectors.delivery_filters(request.GET)
    try:
        page = selectors.deliveries_page(
            filters=filters, cursor=request.GET.get("cursor") or None, size=settings.CLIENTELA_PAGE_SIZE
        )
    except InvalidCursor:
        return redirect(reverse("integrations:deliveries"))
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "page": page,
        "filters": filters,
        "statuses": DeliveryStatus.choices,
        "event_types": selectors.event_types(),
        "subscriptions": selectors.subscriptions(),
        "query": query.urlencode(),
        "filtered": bool(filters),
        "nav": "deliveries",
    }
    return render(request, "integrations/delivery_list.html", context)


@require_GET
@admin_only()
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.delivery_detail(pk)
    if row is None:
        raise Http404
    body = json.dumps(row.payload, indent=2, ensure_ascii=False)
    return render(
        request, "integrations/delivery_detail.html", {"delivery": row, "body": body, "nav": "deliveries"}
    )


@require_POST
@admin_only(Action.CHANGE)
def delivery_resend(request: HttpRequest, pk: int) -> HttpResponse:
    row = selectors.delivery_detail(pk)
    if row is None:
        raise Http404
    services.webhook_delivery_resend(actor=Actor.from_request(request), delivery=row)
    messages.success(request, _("Delivery queued to be sent again."))
    return redirect("integrations:delivery_detail", pk=pk)
