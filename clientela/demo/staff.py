"""Demo teams and users: a fixed roster, the same names on every run whatever the seed.

Users that already exist (an earlier demo run) are reused, so several runs share one sales team.
Demo users get no usable password; an administrator sets one when someone needs to sign in as them.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from faker import Faker

from clientela.accounts.models import Team, User
from clientela.accounts.services import roles_ensure_builtin, user_create
from clientela.demo.data import OWNER_ROLES, STAFF_EXTRA, STAFF_PLAN, TEAMS
from clientela.demo.generator import DemoContext, DemoStep, StaffMember, count_option
from clientela.demo.pools import slug

_ROSTER_SEED = 20_250_101  # fixed: the roster does not follow --seed, so runs share their staff
STAFF_EMAIL_DOMAIN = "example.com"


def teams_ensure() -> dict[str, Team]:
    """The demo teams, created when missing."""
    return {name: Team.objects.get_or_create(name=name)[0] for name in TEAMS}


def roster(count: int) -> list[tuple[str, str, str, str, str]]:
    """(username, first name, last name, role slug, team name) of the first ``count`` demo users."""
    faker = Faker("es_ES")
    faker.seed_instance(_ROSTER_SEED)
    out: list[tuple[str, str, str, str, str]] = []
    used: set[str] = set()
    for i in range(count):
        role, team = (
            STAFF_PLAN[i] if i < len(STAFF_PLAN) else STAFF_EXTRA[(i - len(STAFF_PLAN)) % len(STAFF_EXTRA)]
        )
        first = faker.first_name_female() if i % 2 == 0 else faker.first_name_male()
        last = faker.last_name()
        base = f"{slug(first.split()[0])}.{slug(last)}"
        username, n = base, 1
        while username in used:
            n += 1
            username = f"{base}{n}"
        used.add(username)
        out.append((username, first, last, role, team))
    return out


@transaction.atomic
def staff_ensure(count: int) -> tuple[list[StaffMember], int]:
    """The first ``count`` roster users (created when missing) and how many were created."""
    roles_ensure_builtin()
    teams = teams_ensure()
    members: list[StaffMember] = []
    created = 0
    for index, (username, first, last, role, team_name) in enumerate(roster(count)):
        team = teams[team_name]
        user = User.objects.filter(username=username).select_related("role").first()
        if user is None:
            user = user_create(
                username=username,
                password=None,
                role_slug=role,
                email=f"{username}@{STAFF_EMAIL_DOMAIN}",
                first_name=first,
                last_name=last,
                teams=[team],
                language="en" if index == 6 else "es",
            )
            created += 1
        members.append(StaffMember(user_id=user.pk, team_id=team.pk, role=role))
    return members, created


class StaffStep(DemoStep):
    """Teams "Norte", "Sur", "Atención al cliente", "Marketing" and ``--users`` users of every built-in role."""

    name = "staff"

    def __init__(self, users: int) -> None:
        self.users = users

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--users", default="8", metavar="K", help=_("Demo users (sales reps, managers, ...); default 8.")
        )

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> StaffStep:
        return cls(count_option(options.get("users", 8), "--users", maximum=1000))

    def run(self, ctx: DemoContext) -> None:
        members, created = staff_ensure(self.users)
        ctx.staff = [m for m in members if m.role in OWNER_ROLES]
        ctx.members = members
        ctx.counts["users"] += created
        if created:
            ctx.say(
                ngettext("Created %(n)s demo user.", "Created %(n)s demo users.", created) % {"n": created}
            )
