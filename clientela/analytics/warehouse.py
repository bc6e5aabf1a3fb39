"""Warehouse export: the customers, their ledger, value scores and segments as Parquet or CSV files for BI tools.

One folder per export: ``parties``, ``interactions``, ``scores``, ``model_fits``, ``segments``,
``segment_memberships`` and ``segment_changes``, plus ``manifest.json`` (format, generation time, row counts,
files and column types). Parquet tables are folders of part files (``interactions/part-00000.parquet``...,
read as one dataset by DuckDB, Spark, pandas, polars, Power BI's folder source); CSV tables are one file each
(UTF-8 without BOM, comma, header row). Column names and types are stable (``TABLES``, documented in
``docs/analytics-export.md``); ids are the database ids, so exports of different days join.

Memory stays bounded whatever the size: every table is read in keyset-ordered chunks of ``CHUNK_ROWS`` rows
(``values_list``, the next chunk starts after the last id); each chunk becomes a polars frame (compact
columns) and its Python rows are dropped before the next chunk is read. CSV frames are appended to the file
at once; Parquet frames are buffered up to ``PART_ROWS`` rows and written as one part file. Related data a
chunk needs (addresses, employers) is read by id range, one query per chunk and table.

Nothing half-written is ever left behind: the files go to a hidden temporary folder next to the destination,
renamed to its final name only when every table and the manifest are complete. All tables are read inside
one transaction (REPEATABLE READ on PostgreSQL, SQLite's read snapshot), so they agree with each other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import polars as pl
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import Team, User
from clientela.analytics.models import CustomerScore, ModelFit
from clientela.analytics.warehouse_schema import SCHEMA_VERSION, TABLES, type_name
from clientela.core.models import SourceSystem
from clientela.core.permissions import Action, Scope, scope_q, user_scope
from clientela.identity.models import Merge
from clientela.interactions.models import Interaction
from clientela.parties.choices import ContactKind, PartyKind
from clientela.parties.models import ContactPoint, Party, Relationship
from clientela.segments.models import MembershipChange, Segment, SegmentMembership

FORMATS = ("parquet", "csv")
CHUNK_ROWS = 50_000  # rows read (as Python objects) at a time: about 60 MB of interactions
PART_ROWS = 250_000  # rows per Parquet part file, buffered as compact polars frames (about 50 MB)
CSV_DATETIME = "%Y-%m-%dT%H:%M:%S%.6fZ"  # every time is UTC: ISO 8601 with a Z

Chunk = list[tuple[Any, ...]]


class WarehouseError(Exception):
    """The export cannot be written; the message is translated and fit to show to the user."""


# ------------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True, slots=True)
class ExportScope:
    """What one export may contain: querysets over the customers and segments, already restricted."""

    parties: QuerySet[Party]  # live customers, and merged ones (to map their old ids)
    live: QuerySet[Party]  # live customers only: the owners of the exported rows
    interactions: QuerySet[Interaction]
    segments: QuerySet[Segment]


def export_scope(user: User | None) -> ExportScope:
    """Everything when ``user`` is None (the command line runs as an administrator), else what the user may
    view and export: customers (party grant), their interactions (interaction grant), segments (segment
    grant). Raises ``WarehouseError`` when the user may not export analytics at all."""
    merged = Merge.objects.filter(undone_at=None).values("merged_pk")
    parties = Party.all_objects.filter(Q(deleted_at__isnull=True) | Q(pk__in=merged))
    live = Party.objects.all()
    interactions = Interaction.objects.filter(is_current=True)
    segments = Segment.objects.all()
    if user is None:
        return ExportScope(parties, live, interactions.filter(party__deleted_at__isnull=True), segments)
    if user_scope(user, "analytics", Action.EXPORT) == Scope.NONE:
        raise WarehouseError(
            _("User %(username)s may not export analytics.") % {"username": user.get_username()}
        )
    parties = parties.restrict(user, Action.VIEW).restrict(user, Action.EXPORT)
    live = live.restrict(user, Action.VIEW).restrict(user, Action.EXPORT)
    interactions = interactions.filter(party_id__in=live.values("pk"))
    q = scope_q(
        user,
        user_scope(user, "interaction", Action.EXPORT),
        owner_path="party__owner",
        team_path="party__team",
    )
    interactions = interactions.none() if q is None else interactions.filter(q)
    segments = segments.restrict(user, Action.VIEW).restrict(user, Action.EXPORT)
    return ExportScope(parties, live, interactions, segments)


# ---------------------------------------------------------------------------------------------- readers


def _keyset(base: QuerySet, key: str, size: int) -> Iterator[Chunk]:
    """Chunks of ``base`` (a ``values_list`` whose first value is ``key``) in ``key`` order, by keyset."""
    last: Any = None
    page_base = base.order_by(key)
    while True:
        page = page_base if last is None else page_base.filter(**{f"{key}__gt": last})
        chunk = list(page[:size])
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        last = chunk[-1][0]
        del chunk  # not two chunks of Python objects alive at once while the next one is read


def _merge_targets() -> dict[int, int]:
    """Merged customer id -> the live customer it now belongs to (chains of merges followed to the end)."""
    direct = dict(Merge.objects.filter(undone_at=None).values_list("merged_pk", "survivor_pk"))
    resolved: dict[int, int] = {}
    for merged in direct:
        target, hops = direct[merged], 0
        while target in direct and hops < 100:  # a cycle cannot happen; the bound only guards the loop
            target, hops = direct[target], hops + 1
        resolved[merged] = target
    return resolved


def _fields(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Fields read per table, in the order the readers unpack them.
_PARTY = _fields("pk kind display_name tax_id country language status owner_id team_id created_at updated_at")
_INTERACTION = _fields(
    "pk party_id organisation_id kind occurred_at channel direction source_id external_id amount currency "
    "status summary user_id created_at"
)
_SCORE = list(TABLES["scores"])
_FIT = _fields(
    "pk currency as_of fitted_at status is_current customers purchases horizon_days discount_rate bgnbd "
    "gamma_gamma message rfm stats"
)
_SEGMENT = _fields(
    "pk name description current_version__number current_version__description current_version__definition "
    "owner_id team_id member_count is_active evaluated_at created_at updated_at"
)


def _party_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    merged_into = _merge_targets()
    usernames = dict(User.objects.values_list("pk", "username"))
    teams = dict(Team.objects.values_list("pk", "name"))
    today = timezone.localdate()
    for chunk in _keyset(scope.parties.values_list(*_PARTY), "pk", size):
        lo, hi = chunk[0][0], chunk[-1][0]
        # Kind filtered here: SQLite would otherwise walk the (kind, normalized) index of every contact.
        contacts = ContactPoint.objects.filter(
            party_id__gte=lo, party_id__lte=hi, is_primary=True, deleted_at__isnull=True
        ).order_by()
        addresses = {
            party_id: (city, region, postal_code, country)
            for party_id, kind, city, region, postal_code, country in contacts.values_list(
                "party_id", "kind", "city", "region", "postal_code", "country"
            )
            if kind == ContactKind.ADDRESS
        }
        employers: dict[int, int] = {}  # a person's current employer, the main one first
        jobs = (
            Relationship.objects.filter(person_id__gte=lo, person_id__lte=hi, organisation__deleted_at=None)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .filter(Q(start_date__isnull=True) | Q(start_date__lte=today))
            .order_by("person_id", "-is_primary", "id")
            .values_list("person_id", "organisation_id")
        )
        for person_id, org_id in jobs:
            employers.setdefault(person_id, org_id)
        rows = []
        for pk, kind, name, tax_id, country, language, status, owner, team, created, updated in chunk:
            city, region, postal, where = addresses.get(pk, ("", "", "", ""))
            org = employers.get(pk) if kind == PartyKind.PERSON else None
            head = (pk, kind, name, org, tax_id, city, region, postal, where or country, language, status)
            tail = (owner, usernames.get(owner), team, teams.get(team), created, updated, merged_into.get(pk))
            rows.append((*head, *tail))
        yield rows
        del chunk, rows


def _interaction_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    sources = dict(SourceSystem.objects.values_list("pk", "slug"))
    for chunk in _keyset(scope.interactions.values_list(*_INTERACTION), "pk", size):
        for i, row in enumerate(chunk):  # in place: one list of rows, not two
            chunk[i] = (*row[:7], sources.get(row[7], ""), *row[8:])
        yield chunk
        del chunk  # the loop variable would keep it alive while the next chunk is read


def _score_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    scores = CustomerScore.objects.filter(party_id__in=scope.live.values("pk"))
    yield from _keyset(scores.values_list(*_SCORE), "party_id", size)


def _number(params: Any, key: str) -> float | None:
    value = params.get(key) if isinstance(params, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fit_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    for chunk in _keyset(ModelFit.objects.values_list(*_FIT), "pk", size):
        rows = []
        for *head, bgnbd, gg, message, rfm, stats in chunk:
            bgnbd_params = tuple(_number(bgnbd, k) for k in ("r", "alpha", "a", "b"))
            gg_params = tuple(_number(gg, k) for k in ("p", "q", "v"))
            texts = (
                json.dumps(rfm, sort_keys=True, default=str),
                json.dumps(stats, sort_keys=True, default=str),
            )
            rows.append((*head, *bgnbd_params, *gg_params, message, *texts))
        yield rows


def _segment_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    for chunk in _keyset(scope.segments.values_list(*_SEGMENT), "pk", size):
        yield [
            (*row[:5], None if row[5] is None else json.dumps(row[5], sort_keys=True), *row[6:])
            for row in chunk
        ]


def _membership_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    members = SegmentMembership.objects.filter(
        segment_id__in=scope.segments.values("pk"), party_id__in=scope.live.values("pk")
    )
    for chunk in _keyset(
        members.values_list("pk", "segment_id", "party_id", "since", "version__number"), "pk", size
    ):
        yield [row[1:] for row in chunk]


def _change_chunks(scope: ExportScope, size: int) -> Iterator[Chunk]:
    changes = MembershipChange.objects.filter(
        segment_id__in=scope.segments.values("pk"), party_id__in=scope.live.values("pk")
    )
    fields = ("pk", "segment_id", "party_id", "change", "at", "version__number", "reason")
    yield from _keyset(changes.values_list(*fields), "pk", size)


READERS: dict[str, Callable[[ExportScope, int], Iterator[Chunk]]] = {
    "parties": _party_chunks,
    "interactions": _interaction_chunks,
    "scores": _score_chunks,
    "model_fits": _fit_chunks,
    "segments": _segment_chunks,
    "segment_memberships": _membership_chunks,
    "segment_changes": _change_chunks,
}


# ---------------------------------------------------------------------------------------------- writers


@dataclass(slots=True)
class _TableFile:
    """One table being written: Parquet part files in a folder, or one CSV file appended chunk by chunk.

    Parquet chunks are kept as polars frames (compact columns, about a tenth of the Python rows) until
    ``part_rows`` rows are pending, then written as one part file.
    """

    root: Path
    name: str
    fmt: str
    schema: dict[str, Any]
    part_rows: int
    rows: int = 0
    files: list[str] = field(default_factory=list)
    pending: list[pl.DataFrame] = field(default_factory=list)
    pending_rows: int = 0
    _csv: IO[bytes] | None = None

    def add(self, chunk: Chunk) -> None:
        df = pl.DataFrame(chunk, schema=self.schema, orient="row")
        self.rows += df.height
        if self.fmt == "csv":
            self._write_csv(df)
            return
        self.pending.append(df)
        self.pending_rows += df.height
        if self.pending_rows >= self.part_rows:
            self._flush()

    def _flush(self) -> None:
        relative = f"{self.name}/part-{len(self.files):05d}.parquet"
        (self.root / self.name).mkdir(exist_ok=True)
        df = pl.concat(self.pending, rechunk=False) if self.pending else pl.DataFrame(schema=self.schema)
        self.pending, self.pending_rows = [], 0
        df.write_parquet(self.root / relative, compression="zstd", statistics=True)
        self.files.append(relative)

    def _write_csv(self, df: pl.DataFrame) -> None:
        header = self._csv is None
        if self._csv is None:
            self.files.append(f"{self.name}.csv")
            self._csv = open(self.root / self.files[0], "wb")  # noqa: SIM115 (closed in close())
        df.write_csv(self._csv, include_header=header, datetime_format=CSV_DATETIME)

    def close(self) -> None:
        if self.fmt == "parquet" and (self.pending or not self.files):
            self._flush()  # an empty table still gets its file, with the columns and their types
        elif self.fmt == "csv" and self._csv is None:
            self._write_csv(pl.DataFrame(schema=self.schema))
        if self._csv is not None:
            self._csv.close()
            self._csv = None


def _repeatable_read(outermost: bool) -> None:
    """Make the export's transaction one snapshot on PostgreSQL, so the tables agree with each other (a
    customer's score and its purchases). SQLite's read transaction is a snapshot already; inside an outer
    transaction (tests) the isolation level can no longer change and the outer one decides."""
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def default_out_dir(now: dt.datetime | None = None) -> Path:
    """``var/exports/analytics-<UTC time>/`` (under ``CLIENTELA_VAR_DIR``)."""
    from django.conf import settings

    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "exports" / f"analytics-{stamp}"


def _prepare_destination(out: Path) -> Path:
    """Check ``out`` can be created and return the temporary folder to write into (next to it)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise WarehouseError(
            _("%(path)s already exists and is not an empty folder: choose a new folder.") % {"path": out}
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    except OSError as exc:
        raise WarehouseError(_cannot_write(out, exc)) from exc


def _cannot_write(out: Path, exc: OSError) -> str:
    return _("Cannot write %(path)s: %(reason)s.") % {"path": out, "reason": exc.strerror or exc}


def warehouse_export(
    *,
    out: Path,
    fmt: str,
    user: User | None = None,
    chunk_rows: int = CHUNK_ROWS,
    part_rows: int = PART_ROWS,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, Any]:
    """Write every table of ``TABLES`` for ``user`` (everything when None) into the new folder ``out``, in
    ``fmt`` (``FORMATS``); returns the manifest (also written as ``out/manifest.json``).

    ``out`` must not exist or be an empty folder. Raises ``WarehouseError`` (and leaves nothing at ``out``)
    for a bad format, a user who may not export analytics, or a folder that cannot be written.
    """
    if fmt not in FORMATS:
        raise WarehouseError(
            _("Unknown format %(format)s: choose %(choices)s.")
            % {"format": fmt, "choices": " or ".join(FORMATS)}
        )
    scope = export_scope(user)
    out = Path(out).absolute()
    tmp = _prepare_destination(out)
    done = False
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            _repeatable_read(outermost)
            manifest = _write_tables(tmp, fmt, scope, user, chunk_rows, part_rows, progress)
        os.rename(tmp, out)  # an empty folder at ``out`` is replaced; see _prepare_destination
        done = True
        return manifest
    except OSError as exc:
        raise WarehouseError(_cannot_write(out, exc)) from exc
    finally:
        if not done:
            shutil.rmtree(tmp, ignore_errors=True)


def _write_tables(
    tmp: Path,
    fmt: str,
    scope: ExportScope,
    user: User | None,
    chunk_rows: int,
    part_rows: int,
    progress: Callable[[str, int], None] | None,
) -> dict[str, Any]:
    generated_at = timezone.now()
    tables: dict[str, Any] = {}
    for name, schema in TABLES.items():
        table = _TableFile(tmp, name, fmt, schema, part_rows)
        try:
            for chunk in READERS[name](scope, chunk_rows):
                table.add(chunk)
                del chunk  # free the Python rows before the next chunk is read
                if progress is not None:
                    progress(name, table.rows)
        finally:
            table.close()
        tables[name] = {
            "rows": table.rows,
            "files": table.files,
            "columns": [{"name": col, "type": type_name(dtype)} for col, dtype in schema.items()],
        }
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "format": fmt,
        "generated_at": generated_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "user": user.get_username() if user is not None else None,
        "tables": tables,
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
