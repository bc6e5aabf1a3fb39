"""An import killed with SIGKILL halfway through 100,000 rows, then run again, ends with every row
imported exactly once: no duplicated customer, no customer without its contact points, link or record.

The import runs as a real ``clientela import`` process against a database of its own (a file for
SQLite, a scratch database on the PostgreSQL server of DATABASE_URL), so the kill really interrupts
a process in the middle of its work, as a crash or an out-of-memory kill would.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROWS = 100_000
PHONES = 2  # every row has an email and a mobile


def _write_rows(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "first_name", "last_name", "email", "mobile"])
        for i in range(ROWS):
            out.writerow([f"K{i}", f"Nombre{i % 997}", f"Apellido{i % 1013} Segundo{i % 89}",
                          f"cliente{i}@ejemplo.es", f"+34 6{i:08d}"])  # fmt: skip


class Scratch:
    """A database for the child processes and a way to read counts from it."""

    def __init__(self, tmp_path: Path) -> None:
        self.url = os.environ.get("DATABASE_URL", "")
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CLIENTELA_SQLITE_PATH")}
        self.env["CLIENTELA_NO_WORKER"] = "1"
        if self.url:
            parts = urlsplit(self.url)
            self.name = f"clientela_kill_{uuid.uuid4().hex[:8]}"
            self.admin = urlunsplit(parts._replace(path="/postgres"))
            self.child_url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f'CREATE DATABASE "{self.name}"')
            self.env["DATABASE_URL"] = self.child_url
        else:
            self.path = tmp_path / "kill.sqlite3"
            self.env["CLIENTELA_SQLITE_PATH"] = str(self.path)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(statement)

    def one(self, sql: str) -> tuple:
        if self.url:
            import psycopg

            with psycopg.connect(self.child_url) as conn:
                row = conn.execute(sql).fetchone()
        else:
            with sqlite3.connect(self.path, timeout=30) as conn:
                row = conn.execute(sql).fetchone()
        return tuple(row) if row else ()

    def drop(self) -> None:
        if self.url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _survivors(path: str, within: float) -> list[int]:
    """Processes still running with ``path`` on their command line after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and path.encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def _clientela(*args: str) -> list[str]:
    return [sys.executable, "-m", "clientela.cli", *args]


@pytest.mark.slow
def test_kill_9_halfway_then_run_again_imports_every_row_once(tmp_path):
    data = tmp_path / "clientes.csv"
    _write_rows(data)
    db = Scratch(tmp_path)
    try:
        subprocess.run(_clientela("migrate", "-v", "0"), env=db.env, check=True, timeout=600)
        command = _clientela("import", str(data), "--source", "Tienda online")
        child = subprocess.Popen(command, env=db.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 600
        done = 0
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.2)
            try:
                row = db.one("SELECT cursor FROM imports_importjob ORDER BY id DESC LIMIT 1")
            except Exception:  # noqa: S112 - the table or the job may not exist yet
                continue
            done = row[0] if row else 0
            if done >= ROWS * 3 // 10:
                break
        assert child.poll() is None, "the import finished before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        # the process that was reading the file for it (large imports have one) goes too
        assert _survivors(str(data), within=15) == []
        killed_at = db.one("SELECT cursor, status FROM imports_importjob")
        assert killed_at[1] == "running" and 0 < killed_at[0] < ROWS
        # what the killed process committed is whole: every committed chunk has all its rows
        parties = db.one("SELECT count(*) FROM parties_party")[0]
        assert parties == killed_at[0]

        finished = subprocess.run(command, env=db.env, capture_output=True, text=True, timeout=900)
        assert finished.returncode == 0, finished.stderr
        assert "Resuming import" in finished.stdout
        assert db.one("SELECT count(*), max(cursor), min(status) FROM imports_importjob") == (1, ROWS, "done")
        assert db.one("SELECT count(*) FROM parties_party") == (ROWS,)
        assert db.one("SELECT count(*), count(DISTINCT external_id) FROM parties_sourcelink") == (ROWS, ROWS)
        assert db.one("SELECT count(*), count(DISTINCT external_id) FROM imports_sourcerecord") == (
            ROWS,
            ROWS,
        )
        assert db.one("SELECT count(*), count(DISTINCT normalized) FROM parties_contactpoint") == (
            ROWS * PHONES, ROWS * PHONES,
        )  # fmt: skip
        orphans = db.one(
            "SELECT count(*) FROM parties_party p WHERE NOT EXISTS "
            "(SELECT 1 FROM parties_sourcelink l WHERE l.party_id = p.id)"
        )
        assert orphans == (0,)
    finally:
        db.drop()
