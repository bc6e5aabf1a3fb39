"""QuerySets of the parties app: soft-delete awareness and record-level restriction."""

from __future__ import annotations

from typing import Self

from django.db import models

from clientela.core.permissions import RestrictedQuerySet


class PartyQuerySet(RestrictedQuerySet):
    def alive(self) -> Self:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> Self:
        return self.filter(deleted_at__isnull=False)


class AlivePartyManager(models.Manager.from_queryset(PartyQuerySet)):  # type: ignore[misc]
    """Default manager: parties in the recycle bin are invisible unless asked for through ``all_objects``."""

    def get_queryset(self) -> PartyQuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class ContactPointQuerySet(RestrictedQuerySet):
    def alive(self) -> Self:
        return self.filter(deleted_at__isnull=True, party__deleted_at__isnull=True)


class RelationshipQuerySet(RestrictedQuerySet):
    def alive(self) -> Self:
        return self.filter(person__deleted_at__isnull=True, organisation__deleted_at__isnull=True)
