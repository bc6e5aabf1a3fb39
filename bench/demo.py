"""Demo data benchmark: build a fresh database, run `clientela demo`, print throughput and peak memory.

    .venv/bin/python bench/demo.py                       # 70,000 people + 30,000 organisations on SQLite
    .venv/bin/python bench/demo.py --people 700000 --orgs 300000
    .venv/bin/python bench/demo.py --people 20000 --orgs 2000 --interactions 2000000
    .venv/bin/python bench/demo.py --database-url postgres://user:pw@host:5432/clientela_bench

SQLite runs in a new temporary directory (removed afterwards unless --keep). With --database-url the
named PostgreSQL database (it must contain "bench" in its name) is dropped and created again, so
never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_DATABASE = "clientela_bench"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark `clientela demo` on a fresh database.")
    parser.add_argument("--people", type=int, default=70_000)
    parser.add_argument("--orgs", type=int, default=30_000)
    parser.add_argument("--interactions", type=int, default=0)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL; the database is recreated")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite directory")
    args = parser.parse_args(argv)
    if min(args.people, args.orgs, args.users, args.interactions) < 0:
        parser.error("counts cannot be negative")
    return args


def fresh_postgres(url: str) -> str:
    """Drop and create the bench database named in ``url`` (default clientela_bench); return its URL."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or DEFAULT_PG_DATABASE
    if "bench" not in name:
        sys.exit(f"refusing to recreate database {name!r}: its name must contain 'bench'")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path="/" + name))


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="clientela-bench-"))
    os.environ["CLIENTELA_VAR_DIR"] = str(tmp)
    if args.database_url:
        os.environ["DATABASE_URL"] = fresh_postgres(args.database_url)
        backend = "PostgreSQL"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["CLIENTELA_SQLITE_PATH"] = str(tmp / "bench.sqlite3")
        backend = "SQLite"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    from clientela.core.models import ObjectChange
    from clientela.interactions.models import Interaction, PartyStats
    from clientela.parties.models import ContactPoint, Party, Relationship

    try:
        call_command("migrate", verbosity=0)
        rss_before = peak_rss_mb()
        options = ["--people", str(args.people), "--orgs", str(args.orgs), "--users", str(args.users)]
        options += ["--seed", str(args.seed), "--interactions", str(args.interactions)]
        if args.batch_size:
            options += ["--batch-size", str(args.batch_size)]
        started = time.perf_counter()
        call_command("demo", *options)
        elapsed = time.perf_counter() - started
        parties = Party.all_objects.count()
        contacts = ContactPoint.objects.count()
        relationships = Relationship.objects.count()
        changes = ObjectChange.objects.count()
        interactions = Interaction.objects.count()
        figures = PartyStats.objects.count()
        print()
        print(f"backend            {backend} ({os.cpu_count()} CPUs)")
        print(f"elapsed            {elapsed:,.1f} s")
        print(f"parties            {parties:,} ({parties / elapsed:,.0f}/s)")
        print(f"contact points     {contacts:,} ({contacts / elapsed:,.0f}/s)")
        print(f"relationships      {relationships:,}")
        print(f"history entries    {changes:,}")
        if interactions:
            print(f"interactions       {interactions:,} (see the command's own rate above)")
            print(f"customer figures   {figures:,}")
        print(f"peak RSS           {peak_rss_mb():,.0f} MB (after migrate: {rss_before:,.0f} MB)")
        if backend == "SQLite":
            size = sum(p.stat().st_size for p in tmp.glob("bench.sqlite3*"))
            print(f"database size      {size / 1024 / 1024:,.0f} MB")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
