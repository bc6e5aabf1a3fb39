from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "clientela.identity"
    label = "identity"
    verbose_name = _("Identity resolution")

    def ready(self) -> None:
        from django.core import checks

        from clientela.identity.keys import on_parties_changed
        from clientela.identity.references import check_references
        from clientela.identity.services import merged_into
        from clientela.identity.views_check import form_panel_context
        from clientela.parties.changed import register_listener
        from clientela.parties.moved import register_finder
        from clientela.parties.panels import Panel, form_panels

        # A new app with a Party reference the generic re-pointing cannot handle safely fails `check`
        # (and the test run) instead of corrupting data at its first merge.
        checks.register(check_references)
        # old links to a merged customer's page lead to the customer it was merged into
        register_finder(merged_into)
        # blocking keys of the real-time duplicate check follow every change to customers
        register_listener(on_parties_changed)
        form_panels.register(Panel("duplicates", "identity/_form_check.html", "form", form_panel_context))
