"""Task pages: my day, the task list, the task form, complete/reopen/cancel in place (htmx), the customer
panel, notifications with the bell, and the calendar feed (its settings page and the public .ics URL).

Views stay thin: selectors read (restricted to the user's scope), services change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from clientela.activities import selectors, services
from clientela.activities.choices import TaskKind, TaskStatus
from clientela.activities.forms import QuickAddForm, TaskForm, assignable_users, initial_for
from clientela.activities.ical import build_calendar
from clientela.activities.models import CalendarFeed, Notification, Task
from clientela.core.actor import Actor
from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.pagination import InvalidCursor
from clientela.core.permissions import Action, Scope, can_loaded, user_scope
from clientela.parties.models import Party

PAGE = 50


def _forbidden(request: HttpRequest, exc: NotPermitted | None = None) -> HttpResponse:
    return render(request, "web/403.html", {"message": str(exc or NotPermitted())}, status=403)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _mark(user: Any, tasks: Iterable[Task], now: Any = None) -> list[Task]:
    """Set what each row shows beyond its fields: late or not, and whether the user may act on it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    out = list(tasks)
    for task in out:
        task.is_late = selectors.is_overdue(task, now, today)  # type: ignore[attr-defined]
        task.may_change = can_loaded(user, Action.CHANGE, task)  # type: ignore[attr-defined]
    return out


def _may_add(user: Any) -> bool:
    return user_scope(user, "task", Action.ADD) != Scope.NONE


@login_required
@require_GET
def my_day(request: HttpRequest) -> HttpResponse:
    """Overdue, today and the next 7 days for the signed-in user, with a quick-add line."""
    return _render_my_day(request, QuickAddForm())


def _render_my_day(request: HttpRequest, form: QuickAddForm, status: int = 200) -> HttpResponse:
    day = selectors.my_day(user=request.user)
    for section in (day.overdue, day.today, day.upcoming):
        _mark(request.user, section, day.now)
    context = {"day": day, "form": form, "can_add": _may_add(request.user), "nav": "tasks"}
    return render(request, "activities/my_day.html", context, status=status)


@login_required
@require_POST
def quick_add(request: HttpRequest) -> HttpResponse:
    form = QuickAddForm(request.POST)
    if form.is_valid():
        try:
            task = services.task_create(actor=Actor.from_request(request), data=form.service_data())
        except NotPermitted as exc:
            return _forbidden(request, exc)
        except ValidationError as exc:
            for name, msgs in exc.message_dict.items():
                for message in msgs:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
            return redirect("activities:my_day")
    return _render_my_day(request, form, status=422)


@login_required
@require_GET
def task_list(request: HttpRequest) -> HttpResponse:
    """Every task the user may see, filtered in the query string, soonest due first, keyset pages."""
    filters = selectors.TaskFilter.from_params(request.GET, request.user)
    try:
        page = selectors.task_list(
            user=request.user, filters=filters, cursor=request.GET.get("cursor") or None, size=PAGE
        )
    except InvalidCursor:
        return redirect(reverse("activities:list"))
    page.items = _mark(request.user, page.items)
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "statuses": [*TaskStatus.choices, ("all", _("All"))],
        "kinds": TaskKind.choices,
        "assignees": assignable_users(request.user),
        "party": _visible_party(request.user, filters.party),
        "filtered": any(v for k, v in request.GET.items() if k != "cursor"),
        "can_add": _may_add(request.user),
        "nav": "tasks",
    }
    if request.htmx and request.GET.get("cursor"):
        return render(request, "activities/_rows.html", context)
    return render(request, "activities/list.html", context)


def _visible_party(user: Any, pk: Any) -> Party | None:
    if pk in (None, ""):
        return None
    try:
        return Party.objects.restrict(user, Action.VIEW).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest) -> HttpResponse:
    """The full task form; ``?party=<id>`` files the task under a customer (from the customer page)."""
    if not _may_add(request.user):
        return _forbidden(request)
    party = _visible_party(request.user, request.POST.get("party") or request.GET.get("party"))
    if request.method == "GET":
        form = TaskForm(user=request.user, initial={"party": party.pk if party else None})
        return render(request, "activities/form.html", {"form": form, "party": party, "nav": "tasks"})
    form = TaskForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            task = services.task_create(
                actor=Actor.from_request(request), data=form.service_data(creating=True)
            )
        except NotPermitted as exc:
            return _forbidden(request, exc)
        except ValidationError as exc:
            form.attach(exc.message_dict)
        else:
            messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
            default = reverse("parties:detail", args=[party.pk]) if party else reverse("activities:my_day")
            return redirect(_next(request, default))
    context = {"form": form, "party": party, "nav": "tasks"}
    return render(request, "activities/form.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A task's page: its edit form (for those who may change it) and complete / reopen / cancel."""
    task = selectors.task_detail(user=request.user, pk=pk)
    may_change = can_loaded(request.user, Action.CHANGE, task)
    status = 200
    if request.method == "POST":
        if not may_change:
            return _forbidden(request)
        form = TaskForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.task_update(
                    actor=Actor.from_request(request),
                    task=task,
                    data=form.service_data(creating=False),
                    expected_version=form.cleaned_data.get("version"),
                )
            except NotPermitted as exc:
                return _forbidden(request, exc)
            except ConcurrencyConflict as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                form.attach(exc.message_dict)
                status = 422
            else:
                messages.success(request, _("Task saved."))
                return redirect("activities:detail", pk=task.pk)
        else:
            status = 422
    else:
        form = TaskForm(user=request.user, initial=initial_for(task))
    _mark(request.user, [task])
    context = {"task": task, "form": form, "may_change": may_change, "party": task.party, "nav": "tasks"}
    return render(request, "activities/detail.html", context, status=status)


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = selectors.task_detail(user=request.user, pk=pk)
    actor = Actor.from_request(request)
    try:
        if action == "complete":
            task = services.task_complete(actor=actor, task=task, outcome=request.POST.get("outcome", ""))
        elif action == "reopen":
            task = services.task_reopen(actor=actor, task=task)
        else:
            task = services.task_cancel(actor=actor, task=task)
    except NotPermitted as exc:
        return _forbidden(request, exc)
    except ValidationError as exc:
        message = " ".join(str(m) for msgs in exc.message_dict.values() for m in msgs)
        if request.htmx:
            return HttpResponse(message, status=422)
        messages.error(request, message)
        return redirect(_next(request, reverse("activities:detail", args=[pk])))
    if request.htmx:
        task = selectors.task_detail(user=request.user, pk=pk)
        _mark(request.user, [task])
        # the row's forms keep pointing back at the page the user is on, not at this POST
        context = {"task": task, "swapped": True, "next_url": request.htmx.current_url_abs_path or ""}
        return render(request, "activities/_task_item.html", context)
    return redirect(_next(request, reverse("activities:detail", args=[pk])))


@login_required
@require_POST
def task_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark done (htmx swaps the row in place); an outcome is logged on the customer's timeline."""
    return _transition(request, pk, "complete")


@login_required
@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "reopen")


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "cancel")


@login_required
@require_GET
def customer_tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer page's "Open tasks" card, loaded by htmx."""
    party = Party.objects.restrict(request.user, Action.VIEW).filter(pk=pk).first()
    if party is None:
        raise Http404
    tasks = _mark(request.user, selectors.customer_open_tasks(user=request.user, party_id=party.pk))
    context = {"party": party, "tasks": tasks, "can_add": _may_add(request.user)}
    return render(request, "activities/_customer_tasks.html", context)


# --- notifications ------------------------------------------------------------------------------------------


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.notification_list(user=request.user, cursor=request.GET.get("cursor") or None)
    except InvalidCursor:
        return redirect(reverse("activities:notifications"))
    context = {"page": page, "nav": "notifications"}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "activities/_notification_rows.html", context)
    return render(request, "activities/notifications.html", context)


@login_required
@require_GET
def notifications_count(request: HttpRequest) -> HttpResponse:
    """The bell's badge (polled by htmx, so ordinary pages never pay for the count)."""
    count = selectors.unread_count(user=request.user)
    return render(request, "activities/_bell_count.html", {"count": count})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read, then follow its link (or go back to the list)."""
    notification = Notification.objects.filter(pk=pk, recipient=request.user).first()
    if notification is None:
        raise Http404
    services.notification_mark_read(actor=Actor.from_request(request), notification=notification)
    if request.POST.get("open") and notification.link.startswith("/"):
        return redirect(notification.link)
    return redirect(_next(request, reverse("activities:notifications")))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(actor=Actor.from_request(request))
    messages.success(
        request,
        ngettext("%(count)s notification marked read.", "%(count)s notifications marked read.", count)
        % {"count": count},
    )
    return redirect("activities:notifications")


# --- calendar feed ------------------------------------------------------------------------------------------


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "activities/calendar.html", {"feed": feed, "url": None, "nav": "tasks"})


@login_required
@require_POST
def calendar_regenerate(request: HttpRequest) -> HttpResponse:
    """Issue a new feed URL (shown once; the previous one stops working)."""
    feed, secret = services.calendar_feed_regenerate(actor=Actor.from_request(request))
    url = request.build_absolute_uri(reverse("activities:calendar_feed", args=[secret]))
    response = render(request, "activities/calendar.html", {"feed": feed, "url": url, "nav": "tasks"})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    services.calendar_feed_revoke(actor=Actor.from_request(request))
    messages.success(request, _("Your calendar feed was turned off."))
    return redirect("activities:calendar")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The public iCalendar feed: the token in the URL is the only credential; anything wrong is a bare 404."""
    feed = selectors.feed_for_token(token)
    if feed is None:
        return HttpResponse(status=404, content_type="text/plain")
    user = feed.user
    tasks = selectors.feed_tasks(user=user)
    party_ids = {t.party_id for t in tasks if t.party_id}
    visible = (
        set(Party.objects.restrict(user, Action.VIEW).filter(pk__in=party_ids).values_list("pk", flat=True))
        if party_ids
        else set()
    )
    body = build_calendar(
        tasks,
        host=request.get_host().split(":")[0] or "clientela",
        name=_("Clientela tasks"),
        absolute=request.build_absolute_uri,
        visible_party_ids=visible,
    )
    now = timezone.now()
    if feed.last_used_at is None or (now - feed.last_used_at).total_seconds() > 3600:
        type(feed).objects.filter(pk=feed.pk).update(last_used_at=now)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="clientela.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
