"""The parties step of the demo generator: people and organisations with contact points, relationships,
tags and one "create" row each in the change log, inserted in batches that each commit on their own.

Memory stays flat whatever the size: only one batch of rows and a small window of recent organisations
(for people to work at) are kept, plus the new party ids (8 bytes each) for later steps.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.actor import Source
from clientela.core.bulk import TableWriter
from clientela.core.models import ChangeAction, ObjectChange
from clientela.core.text import fold
from clientela.demo.builders import Chunk, PartyBuilder
from clientela.demo.data import COUNTRIES, TAGS
from clientela.demo.generator import DemoContext, DemoStep, count_option
from clientela.demo.pools import build_pool
from clientela.parties.models import ContactPoint, Party, Relationship, Tag
from clientela.parties.services import PARTY_LOGGED

MAX_PARTIES = 10_000_000
DEMO_ACTOR = "demo"
DEMO_SOURCE = "demo"  # ContactPoint.source: where the value came from

# Party columns in the order of the rows that clientela.demo.builders makes.
PARTY_COLUMNS = (
    "kind",
    "status",
    "given_names",
    "family_name_1",
    "family_name_2",
    "legal_name",
    "trade_name",
    "display_name",
    "tax_id",
    "country",
    "birth_date",
    "language",
    "notes",
    "owner",
    "team",
    "name_folded",
    "created_at",
    "updated_at",
)
# The "create" history entry holds the same snapshot the services write: the fields they log, plus tags.
SNAPSHOT_FIELDS = tuple((name, PARTY_COLUMNS.index(name)) for name in PARTY_LOGGED if name in PARTY_COLUMNS)
CONTACT_COLUMNS = (
    "party",
    "kind",
    "label",
    "is_primary",
    "value",
    "normalized",
    "social_network",
    "street",
    "postal_code",
    "city",
    "region",
    "country",
    "created_at",
    "updated_at",
)
RELATIONSHIP_COLUMNS = (
    "person",
    "organisation",
    "role",
    "is_primary",
    "start_date",
    "end_date",
    "created_at",
    "updated_at",
)
CHANGE_COLUMNS = ("time", "object_id", "object_repr", "aggregate_id", "new_value")
_DISPLAY_NAME = PARTY_COLUMNS.index("display_name")


def tags_ensure(names: tuple[str, ...] = TAGS) -> dict[int, str]:
    """The demo tags by id, created when missing (keyed by folded name, as the services do)."""
    wanted = {fold(name): name for name in names}
    Tag.objects.bulk_create([Tag(key=key, name=name) for key, name in wanted.items()], ignore_conflicts=True)
    return {t.pk: t.name for t in Tag.objects.filter(key__in=wanted)}


class PartiesStep(DemoStep):
    """``--people N`` persons and ``--orgs M`` organisations, interleaved so people can work at them."""

    name = "parties"

    def __init__(self, *, people: int, orgs: int) -> None:
        self.people = people
        self.orgs = orgs

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--people", default="70", metavar="N", help=_("People to create; default 70."))
        parser.add_argument(
            "--orgs", default="30", metavar="M", help=_("Organisations to create; default 30.")
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> PartiesStep:
        people = count_option(options.get("people", 70), "--people", maximum=MAX_PARTIES)
        orgs = count_option(options.get("orgs", 30), "--orgs", maximum=MAX_PARTIES)
        return cls(people=people, orgs=orgs)

    def run(self, ctx: DemoContext) -> None:
        total = self.people + self.orgs
        if total == 0:
            return
        rng = ctx.rng(self.name)
        # Pools are drawn from Faker seeded by the run seed, one locale after the other (fixed order).
        pools = {c.code: build_pool(c.locale, ctx.seed) for c in COUNTRIES}
        parties = TableWriter(Party, PARTY_COLUMNS, prepared=("created_at", "updated_at"))
        contacts = TableWriter(
            ContactPoint,
            CONTACT_COLUMNS,
            prepared=("created_at", "updated_at"),
            fixed={"source": DEMO_SOURCE},
        )
        relationships = TableWriter(Relationship, RELATIONSHIP_COLUMNS, prepared=("created_at", "updated_at"))
        party_tags = TableWriter(Party.tags.through, ("party", "tag"))
        changes = TableWriter(
            ObjectChange,
            CHANGE_COLUMNS,
            prepared=("time",),
            fixed={
                "actor_label": DEMO_ACTOR,
                "source": Source.CLI,
                "request_id": ctx.run_id,
                "object_type": ContentType.objects.get_for_model(Party).pk,
                "aggregate_type": Party._meta.label_lower,
                "action": ChangeAction.CREATE,
                "field": "",
            },
        )
        builder = PartyBuilder(rng, pools, ctx.staff, tags_ensure(), ctx.now, parties.prepare_datetime, total)
        orgs, people = self.orgs, self.people
        for start in range(0, total, ctx.batch_size):
            chunk = Chunk()
            for i in range(start, min(total, start + ctx.batch_size)):
                # Organisations are spread evenly through the stream, so a batch's layout depends only on
                # the position, never on --batch-size: the same seed gives the same parties.
                if (i + 1) * orgs // total > i * orgs // total:
                    builder.organisation(chunk)
                else:
                    builder.person(chunk)
            with transaction.atomic():
                self._insert(ctx, chunk, parties, contacts, relationships, party_tags, changes)
            ctx.progress(_("parties"), len(ctx.party_ids), total, final=len(ctx.party_ids) == total)
        ctx.counts["people"] += people
        ctx.counts["organisations"] += orgs

    @staticmethod
    def _insert(
        ctx: DemoContext,
        chunk: Chunk,
        parties: TableWriter,
        contacts: TableWriter,
        relationships: TableWriter,
        party_tags: TableWriter,
        changes: TableWriter,
    ) -> None:
        ids = parties.insert(chunk.parties, returning=True)
        for ref in chunk.orgs:
            ref.id = ids[ref.pos]
        created = chunk.created
        contacts.insert([(ids[row[0]], *row[1:], created[row[0]], created[row[0]]) for row in chunk.contacts])
        relationships.insert(
            [
                (ids[pos], org.id, role, primary, start, end, created[pos], created[pos])
                for pos, org, role, primary, start, end in chunk.relationships
            ]
        )
        party_tags.insert([(ids[pos], tag_id) for pos, tag_id in chunk.tags])
        rows = []
        tag_names = chunk.tag_names
        for pos, row in enumerate(chunk.parties):
            snapshot = {name: row[i] for name, i in SNAPSHOT_FIELDS}
            birth = snapshot.get("birth_date")
            if birth is not None:
                snapshot["birth_date"] = birth.isoformat()
            snapshot["tags"] = tag_names.get(pos, [])
            rows.append((created[pos], ids[pos], row[_DISPLAY_NAME][:200], ids[pos], snapshot))
        changes.insert(rows)
        ctx.party_ids.extend(ids)
        counts = ctx.counts
        counts["parties"] += len(ids)
        counts["contact_points"] += len(chunk.contacts)
        counts["relationships"] += len(chunk.relationships)
        counts["party_tags"] += len(chunk.tags)
        counts["changes"] += len(rows)
