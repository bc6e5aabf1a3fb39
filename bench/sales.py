"""Sales benchmark: the pipeline board with filters and the forecast report at a million opportunities.

    .venv/bin/python bench/sales.py                                   # SQLite, 1M opportunities
    .venv/bin/python bench/sales.py --database-url postgres://postgres@127.0.0.1:5432/clientela_benchsales
    .venv/bin/python bench/sales.py --opportunities 100000 --parties 20000 --iterations 50

The database is built once with `clientela demo --opportunities N` (deals walking the default pipeline
with their stage history, owned by --users demo salespeople) and reused while it holds the requested
counts; --rebuild starts again. SQLite lives in var/bench/sales-<parties>-<opportunities>.sqlite3; a
PostgreSQL database must have "bench" in its name.

Every request goes through Django's test client (middleware, view, template), signed in as an
administrator (sees everything) or as a sales representative (team scope). For each operation it prints
p50/p95 of the request and, in the same run, of replaying the very SQL statements that request ran on the
raw DB-API cursor. It also prints the time of summing the same board columns straight from the
opportunities table (what the running stage totals avoid).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import customer360 as c360

ROOT = Path(__file__).resolve().parent.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the pipeline board and the forecast at scale.")
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--parties", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=40, help="demo salespeople who own the deals")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=100, help="timed requests per operation")
    parser.add_argument("--samples", type=int, default=20, help="distinct filter values per operation")
    parser.add_argument("--database-url", default="", help="PostgreSQL database (name must contain 'bench')")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", default="", help="run only the operations whose name contains this text")
    args = parser.parse_args(argv)
    if args.parties < 10 or args.opportunities < 1 or args.iterations < 1:
        parser.error("--parties must be at least 10 and --opportunities at least 1")
    return args


def select_database(args: argparse.Namespace) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    if args.database_url:
        name = args.database_url.rsplit("/", 1)[-1]
        if "bench" not in name:
            sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
        os.environ["DATABASE_URL"] = args.database_url
        return "PostgreSQL"
    os.environ.pop("DATABASE_URL", None)
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["CLIENTELA_SQLITE_PATH"] = str(folder / f"sales-{args.parties}-{args.opportunities}.sqlite3")
    return "SQLite"


def ensure_data(args: argparse.Namespace, backend: str) -> None:
    path = os.environ.get("CLIENTELA_SQLITE_PATH", "")
    if args.rebuild:
        if backend == "PostgreSQL":
            c360.recreate_postgres(args.database_url)
        else:
            for file in Path(path).parent.glob(Path(path).name + "*"):
                file.unlink()
    elif backend == "PostgreSQL":
        import psycopg

        try:
            psycopg.connect(args.database_url).close()
        except psycopg.OperationalError:
            c360.recreate_postgres(args.database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from clientela.parties.models import Party
    from clientela.sales.models import Opportunity

    have_parties, have_opps = Party.all_objects.count(), Opportunity.objects.count()
    if have_parties >= args.parties and have_opps >= args.opportunities:
        print(f"reusing {have_parties:,} parties and {have_opps:,} opportunities")
        refresh_rates()
        return
    if have_parties:
        sys.exit(
            f"the database holds {have_parties:,} parties and {have_opps:,} opportunities; use --rebuild"
        )
    people = round(args.parties * 0.7)
    started = time.perf_counter()
    call_command(
        "demo",
        "--people",
        str(people),
        "--orgs",
        str(args.parties - people),
        "--users",
        str(args.users),
        "--opportunities",
        str(args.opportunities),
        "--seed",
        str(args.seed),
    )
    print(f"built in {time.perf_counter() - started:,.0f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    refresh_rates()


def refresh_rates() -> None:
    """The historical conversion rates the forecast reads (a nightly job in production), once per database."""
    from clientela.sales.forecast import forecast_rates_refresh
    from clientela.sales.models import ConversionRate

    if ConversionRate.objects.exists():
        return
    started = time.perf_counter()
    forecast_rates_refresh()
    print(f"conversion rates refreshed in {time.perf_counter() - started:,.1f} s")


def direct_column_sums(pipeline_id: int, iterations: int) -> tuple[float, float]:
    """p50/p95 ms of summing every column of the board from the opportunities table itself."""
    from django.db import connection

    sql = (
        "SELECT stage_id, currency, COUNT(*), SUM(amount), SUM(amount * probability) "
        "FROM sales_opportunity WHERE pipeline_id = %s GROUP BY stage_id, currency"
    )
    times = []
    with connection.cursor() as cur:
        for _ in range(max(3, iterations // 10)):
            started = time.perf_counter()
            cur.execute(sql, [pipeline_id])
            cur.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), c360.pct(times, 95)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    backend = select_database(args)
    ensure_data(args, backend)

    from django.conf import settings
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from clientela.accounts.models import Team, User
    from clientela.sales.models import Opportunity, Pipeline

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    admin = User.objects.filter(is_superuser=True).order_by("id").first()
    if admin is None:
        from clientela.accounts.services import user_create

        admin = user_create(
            username="bench-admin", password=None, role_slug="administrator", is_superuser=True
        )
    rep = User.objects.filter(role__slug="sales_rep", is_active=True).order_by("id").first()
    if rep is None:
        sys.exit("the demo data has no sales representative")
    admin_client, rep_client = Client(), Client()
    admin_client.force_login(admin)
    rep_client.force_login(rep)

    pipeline = Pipeline.objects.get(is_default=True)
    board = reverse("sales:board", args=[pipeline.pk])
    rng = random.Random(args.seed)
    owners = list(Opportunity.objects.values_list("owner_id", flat=True).distinct()[:200])
    teams = list(Team.objects.values_list("pk", flat=True))
    owner_urls = [f"{board}?owner={rng.choice(owners)}" for _ in range(args.samples)]
    team_urls = [f"{board}?team={rng.choice(teams)}" for _ in range(args.samples)] if teams else []
    ranges = []
    for _ in range(args.samples):
        month = rng.randint(1, 12)
        ranges.append(
            f"{board}?owner={rng.choice(owners)}&close_from=2026-{month:02d}-10&close_to=2026-{month:02d}-25"
        )
    operations = [
        (c360.Operation("board, no filter (admin)", [board]), admin_client),
        (c360.Operation("board, owner filter", owner_urls), admin_client),
        (c360.Operation("board, team filter", team_urls), admin_client),
        (c360.Operation("board, this quarter", [f"{board}?period=this_quarter"]), admin_client),
        (c360.Operation("board, owner + custom dates", ranges), admin_client),
        (c360.Operation("board as a sales rep (team scope)", [board]), rep_client),
    ]
    try:
        forecast = reverse("sales:forecast")
        operations.append((c360.Operation("forecast report (all open)", [forecast]), admin_client))
    except NoReverseMatch:
        print("(no forecast page in this build)")

    total = Opportunity.objects.count()
    open_count = Opportunity.objects.filter(status="open").count()
    print(
        f"{backend}: {total:,} opportunities ({open_count:,} open); {args.iterations} requests per operation"
    )
    print(c360.machine(backend))
    header = f"{'operation':40} {'p50 ms':>8} {'p95 ms':>8} {'SQL p50':>8} {'SQL p95':>8} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for operation, client in operations:
        if args.only and args.only not in operation.name:
            continue
        if not operation.urls:
            print(f"{operation.name:40} (no data to ask for)")
            continue
        c360.run(operation, client, args.iterations)
        queries = f"{min(operation.queries)}-{max(operation.queries)}"
        print(
            f"{operation.name:40} {statistics.median(operation.request_ms):8.2f} "
            f"{c360.pct(operation.request_ms, 95):8.2f} {statistics.median(operation.sql_ms):8.2f} "
            f"{c360.pct(operation.sql_ms, 95):8.2f} {queries:>8}",
            flush=True,
        )
    p50, p95 = direct_column_sums(pipeline.pk, args.iterations)
    print(f"{'column sums straight from the table':40} {'':>8} {'':>8} {p50:8.2f} {p95:8.2f} {'1':>8}")
    print("SQL = the same statements the request ran, replayed on the raw DB-API cursor in this run.")
    print("Queries include the session and the signed-in user (2 per request).")


if __name__ == "__main__":
    main()
