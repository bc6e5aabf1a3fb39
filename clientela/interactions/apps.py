from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "clientela.interactions"
    label = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from clientela.interactions.panels import register

        register()
