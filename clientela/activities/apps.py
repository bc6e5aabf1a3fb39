"""Tasks with due dates, reminders, notifications and calendar feeds."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Tasks and reminders")
