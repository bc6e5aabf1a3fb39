"""Who is acting, through which channel: passed explicitly to every service and stored on change rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from clientela.accounts.models import User


class Source(models.TextChoices):
    """The channel a change came through."""

    UI = "ui", _("Web interface")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    CLI = "cli", _("Command line")
    JOB = "job", _("Background job")


@dataclass(frozen=True)
class Actor:
    """The acting principal of a service call.

    ``user`` is None only for system jobs. ``token_id`` is set when the call came with an API token.
    ``request_id`` ties together every change row written by one request or job run.
    """

    user: User | None
    source: str = Source.UI
    token_id: int | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    label: str = ""

    @classmethod
    def system(cls, label: str, *, source: str = Source.JOB, request_id: str | None = None) -> Actor:
        return cls(user=None, source=source, label=label, request_id=request_id or uuid.uuid4().hex)

    @classmethod
    def from_request(cls, request: Any, *, source: str = Source.UI) -> Actor:
        user = request.user if getattr(request, "user", None) and request.user.is_authenticated else None
        return cls(
            user=user,
            source=source,
            token_id=getattr(request, "api_token_id", None),
            request_id=getattr(request, "request_id", "") or uuid.uuid4().hex,
        )

    @property
    def display(self) -> str:
        if self.user is not None:
            name = self.user.get_username()
            return f"{name} (token #{self.token_id})" if self.token_id else name
        return self.label or "system"
