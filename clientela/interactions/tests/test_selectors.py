"""Lookups of the ledger that imports and the API run for every record they receive."""

from __future__ import annotations

import pytest
from django.db import connection

from clientela.core.models import SourceSystem
from clientela.interactions.models import Interaction
from clientela.interactions.selectors import current_records

pytestmark = pytest.mark.django_db

UNIQUE = "ix_unique_source_record"


def test_records_are_found_by_source_id_through_the_unique_index():
    # Without the index's condition in the query, the databases cannot use this partial index and read
    # every record of the source: each chunk of a large import then took longer as the ledger grew.
    source = SourceSystem.objects.create(slug="erp", name="ERP")
    ids = [f"F-{n:05d}" for n in range(150)]  # more than PostgreSQL works through when proving conditions
    query = current_records(source=source, external_ids=ids).values_list("external_id", flat=True)
    table = Interaction._meta.db_table
    with connection.cursor() as cursor:
        # On empty tables any plan costs nothing, so the planner's choice says little: leave it only this
        # index or a scan of the whole table (dropped in the test's transaction, which rolls back).
        constraints = connection.introspection.get_constraints(cursor, table)
        for name, info in constraints.items():
            if (
                info["index"]
                and not info["primary_key"]
                and name != UNIQUE
                and not name.startswith("sqlite_")
            ):
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert UNIQUE in plan
