from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "clientela.identity"
    label = "identity"
    verbose_name = _("Identity resolution")

    def ready(self) -> None:
        from django.core import checks

        from clientela.identity.references import check_references

        # A new app with a Party reference the generic re-pointing cannot handle safely fails `check`
        # (and the test run) instead of corrupting data at its first merge.
        checks.register(check_references)
