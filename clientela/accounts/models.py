"""Users, teams, roles and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.permissions import Scope


class Team(models.Model):
    """A group of users; records owned by a team are visible to its members under a "team" scope."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A named set of grants: {object_type: {action: scope}}. Built-in roles are seeded by a migration."""

    slug = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    grants = models.JSONField(_("grants"), default=dict)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        from clientela.accounts.roles import BUILTIN_ROLES

        builtin = BUILTIN_ROLES.get(self.slug)
        return str(builtin["name"]) if builtin else self.name

    def scope(self, object_type: str, action: str) -> str:
        value = self.grants.get(object_type, {}).get(action, Scope.NONE)
        return value if value in Scope.values else Scope.NONE


class User(AbstractUser):
    """A person who signs in to Clientela. Their role decides what they may do; teams decide "team" scope."""

    role = models.ForeignKey(Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT)
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="members")
    language = models.CharField(
        _("language"), max_length=8, blank=True, help_text=_("Interface language; empty follows the browser.")
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def grant(self, object_type: str, action: str) -> str:
        if self.role_id is None:
            return Scope.NONE
        return self.role.scope(object_type, action)  # type: ignore[union-attr]


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash is stored; the secret is shown once at creation."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
