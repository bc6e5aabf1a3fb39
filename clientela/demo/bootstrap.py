"""First-run setup behind `clientela bootstrap` (run by `make run` after migrate).

Idempotent: roles and the admin user are ensured, never duplicated; the generated admin password is
written once to ``var/admin_password`` (mode 0600) and reused; demo data loads once per database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.accounts.models import Team, User
from clientela.accounts.services import roles_ensure_builtin, user_create
from clientela.core.models import ObjectChange
from clientela.demo.data import TEAMS
from clientela.demo.generator import DemoContext, count_option, generate
from clientela.demo.interactions import MAX_INTERACTIONS
from clientela.parties.models import Party

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD_ENV = "CLIENTELA_ADMIN_PASSWORD"  # noqa: S105 - the variable's name, not a password
PASSWORD_FILE = "admin_password"  # noqa: S105 - a file name
# The change-log request id of the bootstrap demo load: finding it means the demo was loaded before,
# even if its customers were deleted or purged since.
BOOTSTRAP_RUN_ID = "demo-bootstrap"
DEFAULT_DEMO_PEOPLE = 2000
DEFAULT_DEMO_ORGS = 500
# Interactions per customer on average (heavy-tailed: a few have thousands, many none), so that a new
# user finds full timelines; CLIENTELA_DEMO_INTERACTIONS sets the total instead.
DEFAULT_INTERACTIONS_PER_PARTY = 20
# Sales opportunities on the default pipeline, so the board and the forecast have something to show;
# CLIENTELA_DEMO_OPPORTUNITIES sets the number (0 skips them).
DEFAULT_OPPORTUNITIES_PER_PARTY = 1
DEMO_SEED = 42
# Customers of the three departmental sample files ("islands") imported on the first load, so a new
# user sees customers assembled from finance, sales and support; CLIENTELA_DEMO_ISLANDS=0 skips them.
DEFAULT_ISLAND_CUSTOMERS = 100


@dataclass(frozen=True)
class AdminPassword:
    """The admin password and where it came from ("env" or "file")."""

    value: str
    source: str


def password_file() -> Path:
    return Path(settings.VAR_DIR) / PASSWORD_FILE


def admin_password() -> AdminPassword:
    """CLIENTELA_ADMIN_PASSWORD when set; else the one in var/admin_password, generated on first use."""
    env = os.environ.get(ADMIN_PASSWORD_ENV, "")
    if env.strip():
        return AdminPassword(env, "env")
    path = password_file()
    if path.exists():
        stored = path.read_text().strip()
        if stored:
            return AdminPassword(stored, "file")
        path.unlink()  # an empty file is no password: make a new one
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    # O_EXCL + mode 0600 at creation: the secret is never readable by others, not even for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return AdminPassword(password, "file")


@dataclass(frozen=True)
class AdminState:
    """What ``admin_ensure`` found or did; ``password_works`` says whether the printed password signs in."""

    user: User
    created: bool
    password_works: bool


@transaction.atomic
def admin_ensure(password: AdminPassword) -> AdminState:
    """Create the superuser "admin" (administrator role, first demo team) when missing.

    An existing admin keeps its password unless CLIENTELA_ADMIN_PASSWORD says otherwise: a password
    changed in the application is not silently reset by the next `make run`.
    """
    roles_ensure_builtin()
    team, _created = Team.objects.get_or_create(name=TEAMS[0])
    user = User.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        user = user_create(
            username=ADMIN_USERNAME,
            password=password.value,
            role_slug="administrator",
            teams=[team],
            is_superuser=True,
        )
        return AdminState(user, created=True, password_works=True)
    works = user.check_password(password.value)
    if not works and password.source == "env":
        user.set_password(password.value)
        user.save(update_fields=["password"])
        works = True
    return AdminState(user, created=False, password_works=works)


def demo_size() -> tuple[int, int]:
    """(people, orgs) of the first demo load from CLIENTELA_DEMO_PEOPLE / CLIENTELA_DEMO_ORGS."""
    people = count_option(
        os.environ.get("CLIENTELA_DEMO_PEOPLE", DEFAULT_DEMO_PEOPLE), "CLIENTELA_DEMO_PEOPLE"
    )
    orgs = count_option(os.environ.get("CLIENTELA_DEMO_ORGS", DEFAULT_DEMO_ORGS), "CLIENTELA_DEMO_ORGS")
    return people, orgs


def demo_interactions(people: int, orgs: int) -> int:
    """Interactions of the first demo load: CLIENTELA_DEMO_INTERACTIONS, else 20 per customer."""
    default = DEFAULT_INTERACTIONS_PER_PARTY * (people + orgs)
    return count_option(
        os.environ.get("CLIENTELA_DEMO_INTERACTIONS", default),
        "CLIENTELA_DEMO_INTERACTIONS",
        maximum=MAX_INTERACTIONS,
    )


def demo_opportunities(people: int, orgs: int) -> int:
    """Opportunities of the first demo load: CLIENTELA_DEMO_OPPORTUNITIES, else one per customer."""
    from clientela.demo.opportunities import MAX_OPPORTUNITIES

    return count_option(
        os.environ.get("CLIENTELA_DEMO_OPPORTUNITIES", DEFAULT_OPPORTUNITIES_PER_PARTY * (people + orgs)),
        "CLIENTELA_DEMO_OPPORTUNITIES",
        maximum=MAX_OPPORTUNITIES,
    )


def demo_load_once(
    people: int,
    orgs: int,
    *,
    interactions: int | None = None,
    write: Callable[[str], None] | None = None,
) -> tuple[DemoContext | None, str]:
    """Load the demo unless disabled, already loaded, or the database already holds customers.

    ``interactions`` defaults to ``demo_interactions(people, orgs)``. Returns the run context (None when
    skipped) and a message saying what happened.
    """
    if people + orgs == 0:
        return None, _("Demo data disabled (CLIENTELA_DEMO_PEOPLE and CLIENTELA_DEMO_ORGS are 0).")
    # "request_id != ''" lets the database use core_change_request, which indexes only non-empty ids
    if ObjectChange.objects.exclude(request_id="").filter(request_id=BOOTSTRAP_RUN_ID).exists():
        return None, _("Demo data already loaded.")
    if Party.all_objects.exists():
        return None, _("The database already has customers: demo data not loaded.")
    if interactions is None:
        interactions = demo_interactions(people, orgs)
    ctx = generate(
        people=people,
        orgs=orgs,
        interactions=interactions,
        opportunities=demo_opportunities(people, orgs),
        seed=DEMO_SEED,
        run_id=BOOTSTRAP_RUN_ID,
        write=write,
    )
    islands = count_option(
        os.environ.get("CLIENTELA_DEMO_ISLANDS", DEFAULT_ISLAND_CUSTOMERS), "CLIENTELA_DEMO_ISLANDS"
    )
    if islands:
        islands_load(customers=islands, write=write)
    return ctx, ""


def islands_load(*, customers: int, write: Callable[[str], None] | None = None) -> list[str]:
    """Write the finance, sales and support sample files under var/islands and import them in order,
    through the same pipeline as ``clientela import``; returns one summary line per file."""
    from clientela.core.actor import Actor, Source
    from clientela.demo.islands import ISLAND_IMPORTS, write_islands
    from clientela.imports.jobs import job_create, source_for
    from clientela.imports.mapping import parse_mapping
    from clientela.imports.pipeline import job_run

    folder = Path(settings.VAR_DIR) / "islands"
    write_islands(folder, customers=customers, seed=DEMO_SEED)
    actor = Actor.system("demo islands", source=Source.IMPORT)
    lines = []
    for name, source_name, kind, entity, mapping_name in ISLAND_IMPORTS:
        mapping = parse_mapping((folder / mapping_name).read_bytes(), entity=entity)
        job = job_create(actor=actor, path=folder / name, source=source_for(source_name, kind), entity=entity,
                         mapping=mapping)  # fmt: skip
        job = job_run(job=job, actor=actor)
        line = _("Imported %(file)s from %(source)s: %(created)s new, %(matched)s matched, %(failed)s with errors.") % {
            "file": name, "source": source_name, "created": job.created, "matched": job.matched, "failed": job.failed,
        }  # fmt: skip
        lines.append(line)
        if write:
            write(line)
    return lines
