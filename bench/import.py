"""Import benchmark: generate a departmental export, import it end to end, print what it measured.

    .venv/bin/python bench/import.py                                   # 1,000,000 party rows, SQLite
    .venv/bin/python bench/import.py --rows 100000
    .venv/bin/python bench/import.py --database-url postgres://postgres@127.0.0.1:5432/clientela_bench_import
    .venv/bin/python bench/import.py --rows 200000 --interactions 1000000

Each run uses a fresh database (SQLite in a temporary directory; a PostgreSQL database whose name
must contain "bench", dropped and created again). The party file is a ";"-separated cp1252 CSV with
Spanish headers, as finance systems export it: names, tax ids, emails, phones in several formats and
addresses. "Until searchable" runs `clientela import` in a child process (parse, validate, normalise,
match against what exists, write, refresh the search index chunk by chunk) and stops the clock when
the last customer can be found by the global search. Beside it, the raw insert rate: the same rows'
customers and contact points written with the bulk writer alone, without reading, validating or
matching anything. Peak memory is the child process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
GIVEN = ["José", "María", "Ana", "Luis", "Carmen", "Javier", "Lucía", "Pedro", "Elena", "Pablo", "Marta",
         "Jorge", "Isabel", "Diego", "Laura", "Sergio", "Paula", "Raúl", "Cristina", "Andrés"]  # fmt: skip
FAMILY = ["García", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Moreno", "Muñoz",
          "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Molina"]  # fmt: skip
CITIES = [("Madrid", "28"), ("Sevilla", "41"), ("Cádiz", "11"), ("Valencia", "46"), ("Bilbao", "48"),
          ("Málaga", "29"), ("Zaragoza", "50"), ("Murcia", "30")]  # fmt: skip
NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark `clientela import` on a fresh database.")
    parser.add_argument("--rows", type=int, default=1_000_000, help="party rows in the file")
    parser.add_argument("--interactions", type=int, default=0, help="invoice rows imported after the parties")
    parser.add_argument("--database-url", default="", help="PostgreSQL database (name must contain 'bench')")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.interactions < 0:
        parser.error("--rows must be positive and --interactions not negative")
    return args


def write_parties(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w", newline="", encoding="cp1252") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(["Código cliente", "Nombre", "Apellidos", "NIF", "Correo electrónico", "Teléfono",
                      "Dirección", "C.P.", "Población"])  # fmt: skip
        for i in range(rows):
            number = 10_000_000 + i
            city, prefix = rng.choice(CITIES)
            phone = f"6{i:08d}"
            shown = rng.choice([phone, f"+34 {phone[:3]} {phone[3:6]} {phone[6:]}", f"0034-{phone}"])
            out.writerow([
                f"C-{i:07d}", rng.choice(GIVEN), f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}",
                f"{number}{NIF_LETTERS[number % 23]}", f"cliente{i}@ejemplo.es" if i % 10 else "", shown,
                f"Calle {rng.choice(FAMILY)} {rng.randint(1, 200)}", f"{prefix}{rng.randint(0, 999):03d}", city,
            ])  # fmt: skip


def write_invoices(path: Path, rows: int, parties: int) -> None:
    rng = random.Random(2)
    with path.open("w", newline="", encoding="cp1252") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(["Nº factura", "Fecha", "Código cliente", "Total", "Estado"])
        for i in range(rows):
            amount = f"{rng.randint(10, 99999) / 100:.2f}".replace(".", ",")
            out.writerow([f"F-{i:08d}", f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2025",
                          f"C-{rng.randrange(parties):07d}", amount, rng.choice(["Pagada", "Pendiente"])])  # fmt: skip


def environment(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CLIENTELA_SQLITE_PATH")}
    env["CLIENTELA_NO_WORKER"] = "1"
    if args.database_url:
        import psycopg

        parts = urlsplit(args.database_url)
        name = parts.path.lstrip("/")
        if "bench" not in name:
            sys.exit(f"refusing to use database {name!r}: its name must contain 'bench'")
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = args.database_url
    else:
        env["CLIENTELA_SQLITE_PATH"] = str(folder / "import.sqlite3")
    return env


def clientela(*args: str) -> list[str]:
    return [sys.executable, "-m", "clientela.cli", *args]


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command[3:])} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def raw_insert_rate(env: dict[str, str], rows: int) -> float:
    """Customers and two contact points per row through the bulk writer alone, in a scratch transaction."""
    script = f"""
import time, django, os
django.setup()
from django.db import transaction
from clientela.core.bulk import TableWriter
from clientela.parties.models import ContactPoint, Party
rows = {rows}
parties = TableWriter(Party, ("kind", "given_names", "family_name_1", "display_name", "name_folded", "tax_id"))
points = TableWriter(ContactPoint, ("party", "kind", "label", "is_primary", "value", "normalized"))
started = time.perf_counter()
with transaction.atomic():
    for start in range(0, rows, 5000):
        n = min(5000, rows - start)
        ids = parties.insert([("person", "Ana", "Ruiz", "Ana Ruiz", "ana ruiz", f"X{{start + i}}") for i in range(n)],
                             returning=True)
        points.insert([(pk, k, "work", True, v, v) for pk in ids for k, v in (("email", f"a{{pk}}@x.es"),
                                                                              ("mobile", f"+3460{{pk:07d}}"))])
    elapsed = time.perf_counter() - started
    transaction.set_rollback(True)
print(rows / elapsed)
"""
    done = subprocess.run([sys.executable, "-c", script], env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
                          capture_output=True, text=True, cwd=ROOT, check=True)  # fmt: skip
    return float(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="clientela-bench-import-"))
    try:
        env = environment(args, folder)
        backend = "PostgreSQL" if args.database_url else "SQLite"
        parties_file = folder / "clientes.csv"
        started = time.perf_counter()
        write_parties(parties_file, args.rows)
        print(f"{backend}: wrote {args.rows:,} party rows ({parties_file.stat().st_size / 2**20:,.0f} MiB) "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        timed(clientela("migrate", "-v", "0"), env)
        elapsed, summary = timed(clientela("import", str(parties_file), "--source", "Contabilidad"), env)
        probe = f"cliente{args.rows - 1}@ejemplo.es" if (args.rows - 1) % 10 else f"C-{args.rows - 1:07d}"
        check = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from clientela.parties.search import "
             f"PARTY_INDEX; print(len(PARTY_INDEX.search({probe!r})))"],
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"}, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        found = check.stdout.strip().splitlines()[-1:] or ["0"]
        searchable = found[0].isdigit() and int(found[0]) > 0
        print(f"  import: {summary}")
        print(f"  until searchable: {elapsed:,.1f} s · {args.rows / elapsed:,.0f} rows/s · last row found by "
              f"search: {'yes' if searchable else 'NO'} · peak memory {peak_child_mb():,.0f} MB")  # fmt: skip
        print(f"  raw insert of the same customers (+2 contact points each): "
              f"{raw_insert_rate(env, args.rows):,.0f} rows/s")  # fmt: skip
        if args.interactions:
            invoices = folder / "facturas.csv"
            write_invoices(invoices, args.interactions, args.rows)
            mapping = folder / "facturas.json"
            mapping.write_text(
                '{"columns": {"Nº factura": "external_id", "Fecha": "occurred_at", "Código cliente": '
                '"party_external_id", "Total": "amount", "Estado": "status"}, "options": {"delimiter": ";", '
                '"encoding": "cp1252", "decimal": ",", "date_format": "%d/%m/%Y", "kind": "invoice"}}',
                encoding="utf-8",
            )
            elapsed, summary = timed(
                clientela("import", str(invoices), "--source", "Contabilidad", "--entity", "interactions",
                          "--mapping", str(mapping)), env,
            )  # fmt: skip
            print(f"  interactions: {summary}")
            print(
                f"  {args.interactions:,} invoice rows in {elapsed:,.1f} s · {args.interactions / elapsed:,.0f} rows/s"
            )
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
