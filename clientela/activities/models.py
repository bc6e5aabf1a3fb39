"""Tasks (calls, meetings, to-dos with a due moment and a reminder), in-app notifications and calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clientela.activities.choices import NotificationKind, Priority, TaskKind, TaskStatus
from clientela.core.permissions import RestrictedModel, RestrictedQuerySet


class Task(RestrictedModel):
    """Something a user has to do by a moment: call a customer, hold a meeting, send an email, follow up.

    ``due_at`` is always set (UTC): for an all-day task it is ``ALL_DAY_HOUR`` of ``due_date`` in the
    server's time zone, so lists sort timed and all-day tasks together and reminders have a moment to
    count back from. ``remind_at`` is when to notify the assignee; ``reminded_at`` is set once the
    reminder has gone out (claimed with a conditional UPDATE, so concurrent runs never send it twice).
    The "own" scope of the ``task`` grants means tasks assigned to the user. ``version`` backs
    optimistic concurrency (If-Match, stale forms).
    """

    permission_object = "task"
    owner_path = "assignee"
    team_path = "team"

    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), max_length=10000, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind.choices, default=TaskKind.TODO)
    due_at = models.DateTimeField(_("due"))
    all_day = models.BooleanField(_("all day"), default=False)
    due_date = models.DateField(_("due date"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    party = models.ForeignKey(
        "parties.Party",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("opportunity"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("logged as"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [
            # "my day" and the task list of one assignee
            models.Index(fields=["assignee", "status", "due_at", "id"], name="ix_task_assignee"),
            models.Index(fields=["team", "status", "due_at", "id"], name="ix_task_team"),
            models.Index(fields=["due_at", "id"], name="ix_task_due"),
            # the customer page's open tasks
            models.Index(fields=["party", "status", "due_at"], name="ix_task_party"),
            # only reminders still to send: the reminder run reads this small index, not every task
            models.Index(
                fields=["remind_at"],
                name="ix_task_remind_pending",
                condition=Q(status="open", reminded_at__isnull=True, remind_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def etag(self) -> str:
        return f'W/"{self.pk}-{self.version}"'

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN


class Notification(models.Model):
    """An in-app message to one user (a task reminder, a task assigned to them), later mailed in a digest.

    ``title`` and ``body`` are stored as written when the notification was made (the task's own words);
    the page adds the translated kind. ``emailed_at`` marks it as included in a digest email.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=2000, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="ix_notif_recipient"),
            # the bell's unread count reads only unread rows
            models.Index(fields=["recipient"], name="ix_notif_unread", condition=Q(read_at__isnull=True)),
            # the digest reads only rows not mailed yet
            models.Index(
                fields=["recipient"], name="ix_notif_unmailed", condition=Q(emailed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CalendarFeed(models.Model):
    """A user's secret iCalendar feed URL. Only a SHA-256 hash of the token is stored (as for API tokens);
    regenerating replaces the hash, so the old URL stops working at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    prefix = models.CharField(_("prefix"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"


class Digest(models.Model):
    """The last digest email of a user on a day: today's tasks are mailed once a day, new notifications
    whenever there are some."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="ix_digest_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
