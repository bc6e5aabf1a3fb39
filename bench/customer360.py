"""Customer 360 benchmark: global search, the customer page and the next timeline page at scale.

    .venv/bin/python bench/customer360.py                                  # SQLite, 1M parties, 20M interactions
    .venv/bin/python bench/customer360.py --database-url postgres://postgres@127.0.0.1:5432/clientela_bench360
    .venv/bin/python bench/customer360.py --parties 100000 --interactions 2000000 --iterations 100

The database is built once with `clientela demo` (70% people, 30% organisations, heavy-tailed
interactions) and reused by later runs while it holds the requested counts; --rebuild starts again.
SQLite lives in var/bench/customer360-<parties>-<interactions>.sqlite3; a PostgreSQL database must have
"bench" in its name (it is dropped and created when built).

Every request goes through Django's test client (middleware, view, template: server-side time without
the network), signed in as an administrator. For each operation it prints p50/p95 of the request and,
measured in the same run, p50/p95 of executing the very SQL statements that request ran (captured, then
replayed on the raw DB-API cursor): the difference is what Django and the templates cost.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark search and the customer page at scale.")
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per operation")
    parser.add_argument("--samples", type=int, default=100, help="distinct customers / queries per operation")
    parser.add_argument("--database-url", default="", help="PostgreSQL database (name must contain 'bench')")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it exists")
    parser.add_argument("--only", default="", help="run only the operations whose name contains this text")
    args = parser.parse_args(argv)
    if args.parties < 10 or args.interactions < 0 or args.iterations < 1 or args.samples < 1:
        parser.error("--parties must be at least 10; counts cannot be negative")
    return args


# --- database selection and build -------------------------------------------------------------------


def select_database(args: argparse.Namespace) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    if args.database_url:
        parts = urlsplit(args.database_url)
        name = parts.path.lstrip("/")
        if "bench" not in name:
            sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
        os.environ["DATABASE_URL"] = args.database_url
        return "PostgreSQL"
    os.environ.pop("DATABASE_URL", None)
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["CLIENTELA_SQLITE_PATH"] = str(
        folder / f"customer360-{args.parties}-{args.interactions}.sqlite3"
    )
    return "SQLite"


def recreate_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_data(args: argparse.Namespace, backend: str) -> None:
    """Build the data set unless the database already holds it."""
    if args.rebuild:
        if backend == "PostgreSQL":
            recreate_postgres(args.database_url)
        else:
            for path in Path(os.environ["CLIENTELA_SQLITE_PATH"]).parent.glob(
                Path(os.environ["CLIENTELA_SQLITE_PATH"]).name + "*"
            ):
                path.unlink()
    elif backend == "PostgreSQL":
        try:
            import psycopg

            psycopg.connect(args.database_url).close()
        except psycopg.OperationalError:  # the database is not there yet
            recreate_postgres(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from clientela.interactions.models import Interaction
    from clientela.parties.models import Party

    have_parties = Party.all_objects.count()
    have_interactions = Interaction.objects.count()
    if have_parties >= args.parties and have_interactions >= args.interactions:
        print(f"reusing {have_parties:,} parties and {have_interactions:,} interactions")
        return
    if have_parties:
        sys.exit(
            f"the database holds {have_parties:,} parties and {have_interactions:,} interactions, fewer than "
            "asked; run again with --rebuild"
        )
    people = round(args.parties * 0.7)
    started = time.perf_counter()
    call_command(
        "demo",
        "--people",
        str(people),
        "--orgs",
        str(args.parties - people),
        "--interactions",
        str(args.interactions),
        "--seed",
        str(args.seed),
    )
    print(f"built in {time.perf_counter() - started:,.0f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


# --- timing ----------------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Operation:
    """One benchmarked operation over a list of URLs, visited round-robin."""

    def __init__(self, name: str, urls: list[str]) -> None:
        self.name = name
        self.urls = urls
        self.request_ms: list[float] = []
        self.sql_ms: list[float] = []
        self.queries: list[int] = []


def run(operation: Operation, client: object, iterations: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    captured: dict[str, list[str]] = {}
    for url in operation.urls:  # warm-up pass, and the SQL each URL runs
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)  # type: ignore[attr-defined]
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
        captured[url] = [q["sql"] for q in ctx.captured_queries]
    raw = connection.connection
    for i in range(iterations):
        url = operation.urls[i % len(operation.urls)]
        started = time.perf_counter()
        client.get(url)  # type: ignore[attr-defined]
        operation.request_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        cursor = raw.cursor()
        for sql in captured[url]:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
        cursor.close()
        operation.sql_ms.append((time.perf_counter() - started) * 1000)
        operation.queries.append(len(captured[url]))


# --- what to ask ----------------------------------------------------------------------------------------


def typo(word: str, rng: random.Random) -> str:
    """One substitution inside the word (not the first letter), as a hurried typist would make."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    letters = "aeiourstlnmcd"
    replacement = rng.choice([c for c in letters if c != word[i]])
    return word[:i] + replacement + word[i + 1 :]


def national(e164: str) -> str:
    import phonenumbers

    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def build_operations(samples: int, seed: int) -> list[Operation]:
    from django.db.models import Max

    from clientela.core.text import fold
    from clientela.interactions.models import PartyStats
    from clientela.parties.choices import PHONE_KINDS, ContactKind, PartyKind
    from clientela.parties.models import ContactPoint, Party

    rng = random.Random(seed)
    top = Party.all_objects.aggregate(m=Max("id"))["m"]
    people: list[Party] = []
    tries = 0
    while len(people) < samples and tries < samples * 50:
        tries += 1
        party = (
            Party.objects.filter(pk__gte=rng.randint(1, top), kind=PartyKind.PERSON).order_by("pk").first()
        )
        if party and party.family_name_1 and len(fold(party.family_name_1)) >= 5:
            people.append(party)
    ids = [p.pk for p in people]
    emails: dict[int, str] = {}
    phones: dict[int, str] = {}
    for cp in ContactPoint.objects.filter(party_id__in=ids, deleted_at__isnull=True).order_by("id"):
        if cp.kind == ContactKind.EMAIL:
            emails.setdefault(cp.party_id, cp.normalized)
        elif cp.kind in PHONE_KINDS and cp.normalized.startswith("+"):
            phones.setdefault(cp.party_id, cp.normalized)

    def q(text: str) -> str:
        from urllib.parse import quote

        return f"/api/v1/search?q={quote(text)}&limit=20"

    partial = [q(f"{fold(p.given_names)[:3]} {fold(p.family_name_1)[:4]}") for p in people]
    email_fragments = [q(e.split("@")[0][:8] + "@" + e.split("@")[1][:3]) for e in emails.values()]
    phone_other = [q(national(v)) for v in phones.values()]
    typos = [q(f"{fold(p.given_names).split()[0]} {typo(fold(p.family_name_1), rng)}") for p in people]

    heavy = list(
        PartyStats.objects.order_by("-interaction_count").values_list("party_id", flat=True)[
            : max(10, samples // 10)
        ]
    )
    organisations = list(
        PartyStats.objects.filter(party__kind=PartyKind.ORGANISATION)
        .order_by("-interaction_count")
        .values_list("party_id", flat=True)[:10]
    )
    typical = ids
    return [
        Operation("search: partial name", partial),
        Operation("search: email fragment", email_fragments),
        Operation("search: phone, other format", phone_other),
        Operation("search: name with a typo", typos),
        Operation("customer page (random customers)", [f"/customers/{pk}/" for pk in typical]),
        Operation("customer page (busiest customers)", [f"/customers/{pk}/" for pk in heavy]),
        Operation("customer page (busiest organisations)", [f"/customers/{pk}/" for pk in organisations]),
        Operation("next timeline page (busiest)", heavy),  # URLs filled in once the first pages are read
    ]


def next_page_urls(client: object, party_ids: list[int]) -> list[str]:
    urls = []
    for pk in party_ids:
        html = client.get(f"/customers/{pk}/").content.decode()  # type: ignore[attr-defined]
        found = re.search(r"timeline/\?[^\"']*cursor=([^\"&']+)", html)
        if found:
            urls.append(f"/customers/{pk}/timeline/?cursor={unquote(found.group(1))}")
    return urls


def machine(backend: str) -> str:
    from django.db import connection

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if "MemTotal" in line
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except OSError:
        memory = "unknown memory"
    with connection.cursor() as cur:
        if backend == "PostgreSQL":
            cur.execute("SHOW server_version")
            version = "PostgreSQL " + cur.fetchone()[0]
            cur.execute("SELECT pg_database_size(current_database())")
            size = cur.fetchone()[0]
        else:
            cur.execute("SELECT sqlite_version()")
            version = "SQLite " + cur.fetchone()[0]
            path = Path(os.environ["CLIENTELA_SQLITE_PATH"])
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return (
        f"{platform.node()}: {cpu}, {os.cpu_count()} CPUs, {memory}; {version}, database {size / 2**30:.1f} GiB; "
        f"Python {platform.python_version()}"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    backend = select_database(args)
    ensure_data(args, backend)

    from django.conf import settings
    from django.test import Client

    from clientela.accounts.models import User
    from clientela.interactions.models import Interaction
    from clientela.parties.models import Party

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    admin = User.objects.filter(is_superuser=True).order_by("id").first()
    if admin is None:
        from clientela.accounts.services import user_create

        admin = user_create(
            username="bench-admin", password=None, role_slug="administrator", is_superuser=True
        )
    client = Client()
    client.force_login(admin)

    operations = build_operations(args.samples, args.seed)
    next_op = operations[-1]
    if not args.only or args.only in next_op.name:
        next_op.urls = next_page_urls(client, next_op.urls)  # type: ignore[arg-type]
    print(
        f"{backend}: {Party.all_objects.count():,} parties, {Interaction.objects.count():,} interactions; "
        f"{args.iterations} requests per operation"
    )
    print(machine(backend))
    header = f"{'operation':40} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for operation in operations:
        if args.only and args.only not in operation.name:
            continue
        if not operation.urls:
            print(f"{operation.name:40} (no data to ask for)")
            continue
        run(operation, client, args.iterations)
        queries = f"{min(operation.queries)}-{max(operation.queries)}"
        print(
            f"{operation.name:40} {statistics.median(operation.request_ms):8.2f} "
            f"{pct(operation.request_ms, 95):8.2f} {statistics.median(operation.sql_ms):8.2f} "
            f"{pct(operation.sql_ms, 95):8.2f} {queries:>8}",
            flush=True,
        )
    print("SQL = the same statements the request ran, replayed on the raw DB-API cursor in this run.")
    print("Queries include the session and the signed-in user (2 per request).")


if __name__ == "__main__":
    main()
