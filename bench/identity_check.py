"""Real-time duplicate check at scale: one new record against every existing customer, in the database.

    .venv/bin/python bench/identity_check.py                        # SQLite, 1M parties (demo data)
    .venv/bin/python bench/identity_check.py --parties 100000 --queries 500
    .venv/bin/python bench/identity_check.py --database-url postgres://postgres@127.0.0.1:5432/clientela_benchid

The database is built once with `clientela demo` (70% people, 30% organisations, no interactions) and
reused while it holds the requested count; --rebuild starts again. SQLite lives in
var/bench/identity-<parties>.sqlite3; a PostgreSQL database must have "bench" in its name.

It times, in one run:
* rebuilding every customer's blocking keys (`match_keys_rebuild`, what each resolution run does);
* `likely_matches` for single records as the customer form and the API call it, signed in as an
  administrator (permission filter included): half are existing customers re-typed with typos,
  nicknames, a dropped surname or a changed contact (their original should be found), half are new
  synthetic people (usually no match). Prints p50/p95/max and how many re-typed ones found their original;
* `matches_batch` over import-sized chunks of 2,000 different records (what an import adds per chunk),
  with the import's candidate cap and with the form's.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from customer360 import pct, recreate_postgres  # noqa: E402 (the sibling script, found through the path above)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark the real-time duplicate check.")
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000, help="single-record checks timed")
    parser.add_argument("--batches", type=int, default=2, help="import-sized batches of 2,000 timed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="", help="PostgreSQL database (name must contain 'bench')")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it exists")
    parser.add_argument("--skip-keys", action="store_true", help="do not time the rebuild of the keys")
    args = parser.parse_args()
    if args.parties < 100 or args.queries < 1:
        parser.error("--parties must be at least 100 and --queries at least 1")
    return args


def select_database(args: argparse.Namespace) -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("CLIENTELA_TASKS_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    sys.path.insert(0, str(ROOT))
    if args.database_url:
        name = urlsplit(args.database_url).path.lstrip("/")
        if "bench" not in name:
            sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
        os.environ["DATABASE_URL"] = args.database_url
        return "PostgreSQL"
    os.environ.pop("DATABASE_URL", None)
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"identity-{args.parties}.sqlite3"
    if args.rebuild:
        for old in folder.glob(path.name + "*"):
            old.unlink()
    os.environ["CLIENTELA_SQLITE_PATH"] = str(path)
    return "SQLite"


def ensure_data(args: argparse.Namespace, backend: str) -> None:
    if backend == "PostgreSQL":
        import psycopg

        try:
            psycopg.connect(args.database_url).close()
            if args.rebuild:
                recreate_postgres(args.database_url)
        except psycopg.OperationalError:
            recreate_postgres(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from clientela.parties.models import Party

    call_command("migrate", verbosity=0)
    have = Party.objects.count()
    if have >= args.parties:
        print(f"reusing {have:,} customers")
        return
    if have:
        sys.exit(f"the database holds {have:,} customers, fewer than asked; run again with --rebuild")
    people = round(args.parties * 0.7)
    started = time.perf_counter()
    call_command(
        "demo", "--people", str(people), "--orgs", str(args.parties - people), "--seed", str(args.seed)
    )
    print(f"built in {time.perf_counter() - started:,.0f} s")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def queries(args: argparse.Namespace) -> tuple[list, list]:
    """(re-typed existing customers with the id of their original, new synthetic people)."""
    from clientela.identity.matching import synthetic
    from clientela.identity.resolution import party_records
    from clientela.parties.models import Party

    rng = random.Random(args.seed)
    top = Party.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    wanted = sorted({rng.randrange(1, top + 1) for _ in range(args.queries)})
    originals = list(party_records(wanted))[: (args.queries + 1) // 2]
    retyped = []
    for n, record in enumerate(originals):
        copy = synthetic.corrupt(rng, record, n + 1)
        retyped.append((replace(copy, id=f"q{n}", external_ids=()), int(record.id)))
    fresh = [
        replace(r, id=f"new{n}", external_ids=())
        for n, r in enumerate(synthetic.generate(args.queries // 2, seed=args.seed + 99, duplicate_rate=0.0))
    ]
    return retyped, fresh


def main() -> None:
    args = parse_args()
    backend = select_database(args)
    ensure_data(args, backend)
    from django.db import connection

    from clientela.accounts.models import User
    from clientela.identity.check import current_matcher, likely_matches, matches_batch
    from clientela.identity.keys import match_keys_rebuild
    from clientela.identity.models import MatchKey
    from clientela.parties.models import Party

    parties = Party.objects.count()
    print(f"{backend}, {parties:,} customers; Python {platform.python_version()}, {os.cpu_count()} CPUs")
    if not args.skip_keys or not MatchKey.objects.exists():
        started = time.perf_counter()
        rows = match_keys_rebuild()
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE identity_matchkey")
        print(
            f"keys rebuilt: {rows:,} rows in {time.perf_counter() - started:,.1f} s (peak {peak_mb():,.0f} MB)"
        )
    user = (
        User.objects.filter(is_superuser=True).first()
        or User.objects.filter(role__slug="administrator").first()
    )
    current_matcher()  # loaded once per process, as in a server
    retyped, fresh = queries(args)
    timings: list[float] = []
    found = 0
    for record, original in retyped:
        started = time.perf_counter()
        matches = likely_matches(user=user, record=record)
        timings.append((time.perf_counter() - started) * 1000)
        found += any(m.party_id == original for m in matches)
    proposed = 0
    for record in fresh:
        started = time.perf_counter()
        matches = likely_matches(user=user, record=record)
        timings.append((time.perf_counter() - started) * 1000)
        proposed += bool(matches)
    print(
        f"one record (likely_matches, {len(timings):,} checks): p50 {statistics.median(timings):.1f} ms, "
        f"p95 {pct(timings, 95):.1f} ms, max {max(timings):.1f} ms"
    )
    print(
        f"  re-typed customers whose original was proposed: {found:,} of {len(retyped):,}; "
        f"new people with a proposal: {proposed:,} of {len(fresh):,}"
    )
    from clientela.imports.duplicates import MAX_CANDIDATES as IMPORT_CAP

    for b in range(args.batches):
        # what an import chunk does: 2,000 different records, half re-typed customers, half new people
        chunk_args = argparse.Namespace(**{**vars(args), "queries": 2000, "seed": args.seed + 1000 + b})
        retyped_b, fresh_b = queries(chunk_args)
        batch = [r for r, _ in retyped_b] + fresh_b
        for cap in (IMPORT_CAP, 300):
            started = time.perf_counter()
            found_b = matches_batch(batch, max_candidates=cap)
            per_record = (time.perf_counter() - started) / len(batch) * 1e6
            hits = sum(any(m.party_id == o for m in found_b[n]) for n, (_r, o) in enumerate(retyped_b))
            print(
                f"import chunk {b + 1} (matches_batch, {len(batch):,} records, up to {cap} candidates each): "
                f"{per_record:,.0f} µs per record; originals proposed {hits:,} of {len(retyped_b):,}"
            )
    print(f"peak {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
