"""Tasks with due dates, reminders, notifications and calendar feeds."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "clientela.activities"
    label = "activities"
    verbose_name = _("Tasks and reminders")

    def ready(self) -> None:
        from clientela.activities.panels import register
        from clientela.core.events import register_event_type

        register_event_type("task.created", "A task was created (id and its fields).")
        register_event_type("task.completed", "A task was marked done (id and its fields, with the outcome).")
        register()
