"""Warehouse export: ``clientela export analytics --format parquet|csv``: tables, types, ids, scope, atomicity."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.analytics import warehouse
from clientela.analytics.models import CustomerScore, ModelFit
from clientela.analytics.warehouse import TABLES, WarehouseError, warehouse_export
from clientela.identity.models import Merge
from clientela.interactions.services import interaction_correct, interaction_log, source_get_or_create
from clientela.parties.models import Relationship
from clientela.segments.models import MembershipChange, Segment, SegmentMembership, SegmentVersion
from clientela.testing.factories import actor_for, make_organisation, make_person

pytestmark = pytest.mark.django_db

UTC = dt.UTC
WHEN = dt.datetime(2025, 3, 4, 10, 30, 15, 250000, tzinfo=UTC)


def run_export(*args: str) -> str:
    out = StringIO()
    call_command("export", "analytics", *args, stdout=out)
    return out.getvalue()


def purchase(user, party, amount: str, when: dt.datetime, external_id: str = ""):
    return interaction_log(
        actor=actor_for(user),
        party=party,
        kind="purchase",
        occurred_at=when,
        payload={"document_number": external_id or "T-1", "total": amount, "currency": "EUR", "lines": []},
        source=source_get_or_create("shop", name="Tienda"),
        external_id=external_id,
    ).interaction


def score(party, fit: ModelFit | None = None, **extra) -> CustomerScore:
    fields = {
        "currency": "EUR",
        "as_of": WHEN,
        "first_purchase_at": WHEN - dt.timedelta(days=100),
        "last_purchase_at": WHEN - dt.timedelta(days=3, hours=4),
        "purchases": 3,
        "frequency": 2,
        "recency_days": 3.1666,
        "t_x_days": 96.5,
        "age_days": 100.0,
        "monetary": Decimal("1234.56"),
        "returns_total": Decimal("10.00"),
        "average_order_value": Decimal("411.52"),
        "r_score": 5,
        "f_score": 4,
        "m_score": 3,
        "rfm_segment": "loyal",
        "p_alive": 0.93,
        "expected_purchases": 1.75,
        "expected_order_value": Decimal("400.10"),
        "clv": Decimal("700.25"),
        "churn_risk": "low",
        "fit": fit,
        **extra,
    }
    return CustomerScore.objects.create(party=party, **fields)


def segment_with(owner, members, name: str = "Madrid") -> Segment:
    segment = Segment.objects.create(name=name, owner=owner)
    version = SegmentVersion.objects.create(
        segment=segment,
        number=1,
        definition={"all": [{"field": "city", "eq": "Madrid"}]},
        description="In Madrid",
    )
    segment.current_version = version
    segment.member_count = len(members)
    segment.save(update_fields=["current_version", "member_count"])
    for party in members:
        SegmentMembership.objects.create(segment=segment, party=party, since=WHEN, version=version)
        MembershipChange.objects.create(
            segment=segment, party=party, change="entered", at=WHEN, version=version, reason="city is Madrid"
        )
    return segment


@pytest.fixture
def world(admin_user):
    """Two people (one employed by an organisation, one merged away), purchases with a correction, a fit,
    scores and a segment."""
    org = make_organisation(admin_user, legal_name="Acme S.L.")
    ana = make_person(
        admin_user,
        given_names="Ana",
        tax_id="12345678Z",
        contact_points=[{"kind": "address", "street": "Gran Vía 1", "city": "Madrid", "region": "Madrid"}],
    )
    Relationship.objects.create(person=ana, organisation=org, is_primary=True)
    luis = make_person(admin_user, given_names="Luis", family_name_1="Ñúñez")
    dup = make_person(admin_user, given_names="Luis", family_name_1="Nunez")
    first = purchase(admin_user, ana, "100.10", WHEN, "ORD-1")
    corrected = interaction_correct(
        actor=actor_for(admin_user),
        interaction=first,
        payload={"document_number": "ORD-1", "total": "120.35", "currency": "EUR", "lines": []},
    )
    purchase(admin_user, luis, "9.99", WHEN + dt.timedelta(days=1))
    # What ``party_merge`` leaves (written directly: the merge refreshes other apps' derived data).
    dup.deleted_at = WHEN
    dup.save(update_fields=["deleted_at"])
    Merge.objects.create(survivor=luis, merged=dup, survivor_pk=luis.pk, merged_pk=dup.pk)
    fit = ModelFit.objects.create(
        currency="EUR",
        as_of=WHEN,
        customers=2,
        purchases=2,
        bgnbd={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        gamma_gamma={"p": 6.25, "q": 3.74, "v": 15.44},
        rfm={"recency": [1, 2, 3, 4]},
        stats={"log_likelihood": -9582.4},
    )
    score(ana, fit)
    score(luis, fit, p_alive=None, clv=None, excluded_reason="net value not positive")
    segment = segment_with(admin_user, [ana])
    return {
        "org": org,
        "ana": ana,
        "luis": luis,
        "dup": dup,
        "current": corrected,
        "fit": fit,
        "seg": segment,
    }


def read_parquet(root: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(root / table / "*.parquet")


def read_csv(root: Path, table: str) -> pl.DataFrame:
    raw = (root / f"{table}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "warehouse CSV has no BOM (loaders read it as data)"
    return pl.read_csv(root / f"{table}.csv", schema=TABLES[table])


def test_parquet_export_writes_every_table_with_the_documented_types(world, tmp_path):
    out = tmp_path / "wh"
    text = run_export("--format", "parquet", "--out", str(out))
    assert "interactions: 2 rows" in text and str(out) in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "parquet" and manifest["schema_version"] == 1 and manifest["user"] is None
    assert set(manifest["tables"]) == set(TABLES)
    for name, schema in TABLES.items():
        df = read_parquet(out, name)
        assert dict(df.schema) == schema, name
        assert manifest["tables"][name]["rows"] == df.height
        assert [c["name"] for c in manifest["tables"][name]["columns"]] == list(schema)
    assert manifest["tables"]["interactions"]["columns"][9] == {"name": "amount", "type": "decimal(18,2)"}

    parties = read_parquet(out, "parties").sort("party_id")
    ana = parties.row(by_predicate=pl.col("party_id") == world["ana"].pk, named=True)
    assert ana["organisation_id"] == world["org"].pk
    assert (ana["city"], ana["region"], ana["tax_id"], ana["owner_username"]) == (
        "Madrid",
        "Madrid",
        "12345678Z",
        "admin",
    )
    dup = parties.row(by_predicate=pl.col("party_id") == world["dup"].pk, named=True)
    assert dup["merged_into_id"] == world["luis"].pk
    assert parties.filter(pl.col("merged_into_id").is_null()).height == 3

    # Only the current version of a corrected purchase, with its exact amount and sub-second UTC time.
    interactions = read_parquet(out, "interactions").sort("interaction_id")
    row = interactions.row(by_predicate=pl.col("party_id") == world["ana"].pk, named=True)
    assert row["interaction_id"] == world["current"].pk
    assert row["amount"] == Decimal("120.35") and row["currency"] == "EUR"
    assert row["occurred_at"] == WHEN and row["source"] == "shop" and row["external_id"] == "ORD-1"

    scores = read_parquet(out, "scores").sort("party_id")
    assert scores["clv"].to_list() == [Decimal("700.25"), None]
    assert scores["p_alive"].to_list() == [0.93, None]
    assert scores["fit_id"].to_list() == [world["fit"].pk] * 2
    fits = read_parquet(out, "model_fits")
    assert fits.select("bgnbd_r", "gamma_gamma_v").row(0) == (0.243, 15.44)
    assert json.loads(fits["stats_json"][0]) == {"log_likelihood": -9582.4}
    segments = read_parquet(out, "segments")
    assert segments.select("segment_id", "version", "definition_text").row(0) == (
        world["seg"].pk,
        1,
        "In Madrid",
    )
    members = read_parquet(out, "segment_memberships")
    assert members.rows() == [(world["seg"].pk, world["ana"].pk, WHEN, 1)]
    assert read_parquet(out, "segment_changes")["reason"].to_list() == ["city is Madrid"]


def test_csv_round_trips_to_the_same_frames_as_parquet_and_ids_are_stable(world, tmp_path):
    run_export("--format", "parquet", "--out", str(tmp_path / "p"))
    run_export("--format", "csv", "--out", str(tmp_path / "c"))
    run_export("--format", "parquet", "--out", str(tmp_path / "p2"))
    for name in TABLES:
        parquet = read_parquet(tmp_path / "p", name)
        again = read_parquet(tmp_path / "p2", name)
        csv = read_csv(tmp_path / "c", name)
        assert csv.equals(parquet, null_equal=True), name
        assert again.equals(parquet, null_equal=True), name  # same ids, same order, run after run
    text = (tmp_path / "c" / "interactions.csv").read_text(encoding="utf-8")
    assert "2025-03-04T10:30:15.250000Z" in text and ",120.35," in text
    assert "Ñúñez" in (tmp_path / "c" / "parties.csv").read_text(encoding="utf-8")


def test_chunks_become_part_files_with_the_same_rows(world, tmp_path):
    whole = warehouse_export(out=tmp_path / "whole", fmt="parquet")
    parts = warehouse_export(out=tmp_path / "parts", fmt="parquet", chunk_rows=1, part_rows=1)
    assert parts["tables"]["parties"]["files"] == [f"parties/part-{i:05d}.parquet" for i in range(4)]
    assert whole["tables"]["parties"]["files"] == ["parties/part-00000.parquet"]
    buffered = warehouse_export(out=tmp_path / "buffered", fmt="parquet", chunk_rows=1, part_rows=3)
    assert buffered["tables"]["parties"]["files"] == [
        "parties/part-00000.parquet",
        "parties/part-00001.parquet",
    ]
    for name in TABLES:
        assert read_parquet(tmp_path / "parts", name).equals(
            read_parquet(tmp_path / "whole", name), null_equal=True
        )


def test_queries_do_not_grow_with_the_rows(admin_user, tmp_path):
    def queries(out: Path) -> int:
        with CaptureQueriesContext(connection) as ctx:
            warehouse_export(out=out, fmt="parquet")
        return len(ctx.captured_queries)

    ana = make_person(admin_user)
    purchase(admin_user, ana, "1.00", WHEN)
    few = queries(tmp_path / "a")
    for i in range(15):
        party = make_person(admin_user, given_names=f"P{i}")
        purchase(admin_user, party, "2.00", WHEN)
        score(party)
    assert queries(tmp_path / "b") == few


def test_empty_database_writes_empty_tables_with_their_columns(db, tmp_path):
    manifest = warehouse_export(out=tmp_path / "p", fmt="parquet")
    warehouse_export(out=tmp_path / "c", fmt="csv")
    assert all(t["rows"] == 0 for t in manifest["tables"].values())
    assert dict(read_parquet(tmp_path / "p", "scores").schema) == TABLES["scores"]
    assert (tmp_path / "c" / "scores.csv").read_text().strip() == ",".join(TABLES["scores"])


def test_user_export_is_restricted_to_what_the_user_may_view_and_export(users, team_a, tmp_path):
    manager, rep_b = users["manager"], users["sales_rep_b"]  # manager: team A; party export "team"
    ours = make_person(users["sales_rep"], given_names="Ours", team=team_a.pk)
    theirs = make_person(rep_b, given_names="Theirs")
    for party in (ours, theirs):
        purchase(rep_b if party is theirs else users["sales_rep"], party, "10.00", WHEN)
        score(party)
    segment_with(manager, [ours, theirs])
    run_export("--format", "parquet", "--out", str(tmp_path / "m"), "--user", "manager")
    for table in ("parties", "interactions", "scores", "segment_memberships", "segment_changes"):
        assert read_parquet(tmp_path / "m", table)["party_id"].to_list() == [ours.pk], table
    assert json.loads((tmp_path / "m" / "manifest.json").read_text())["user"] == "manager"
    run_export("--format", "csv", "--out", str(tmp_path / "all"))
    assert sorted(read_csv(tmp_path / "all", "parties")["party_id"]) == sorted([ours.pk, theirs.pk])


def test_user_without_the_analytics_export_grant_is_refused(users, tmp_path):
    with pytest.raises(CommandError, match="may not export analytics"):
        run_export("--out", str(tmp_path / "x"), "--user", "sales_rep")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "Unknown format xlsx: choose parquet or csv"),
        (["--user", "nobody"], "Unknown user: nobody"),
    ],
)
def test_bad_arguments_are_command_errors(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        run_export("--out", str(tmp_path / "x"), *args)
    assert not (tmp_path / "x").exists()


def test_format_is_only_for_analytics(db, tmp_path):
    with pytest.raises(CommandError, match="--format is for analytics"):
        call_command("export", "parties", "--out", str(tmp_path / "x.csv"), "--format", "csv")


def test_existing_folder_with_files_is_refused_and_left_alone(admin_user, tmp_path):
    out = tmp_path / "wh"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="already exists"):
        run_export("--out", str(out))
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    run_export("--out", str(empty))  # an empty folder is fine: it is replaced by the export
    assert (empty / "manifest.json").exists()


def test_unwritable_destination_is_a_command_error(admin_user, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match="Cannot write"):
        run_export("--out", str(blocker / "wh"))


def test_a_failure_half_way_leaves_nothing_behind(world, tmp_path, monkeypatch):
    def broken(scope, size):
        yield [(1, 2, WHEN, 1)]  # a chunk is written, then the read fails
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(warehouse.READERS, "segment_memberships", broken)
    with pytest.raises(CommandError, match="No space left on device"):
        run_export("--out", str(tmp_path / "wh"))
    assert list(tmp_path.iterdir()) == []


def test_default_folder_is_under_var_exports(admin_user, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    text = run_export("--format", "csv")
    (folder,) = (tmp_path / "exports").iterdir()
    assert folder.name.startswith("analytics-") and str(folder) in text
    assert (folder / "parties.csv").exists()


def test_bad_format_from_the_service(db, tmp_path):
    with pytest.raises(WarehouseError, match="choose parquet or csv"):
        warehouse_export(out=tmp_path / "x", fmt="json")


def test_every_column_is_documented_in_both_languages():
    root = Path(__file__).resolve().parents[3] / "docs"
    english = (root / "analytics-export.md").read_text(encoding="utf-8")
    spanish = (root / "es" / "exportacion-analitica.md").read_text(encoding="utf-8")
    for name, schema in TABLES.items():
        assert f"### {name}" in english and f"**{name}**" in spanish, name
        for column in schema:
            assert column in english and f"`{column}`" in spanish, (name, column)
