"""Lookups of the ledger that imports and the API run for every record they receive."""

from __future__ import annotations

import pytest
from django.db import connection

from clientela.core.models import SourceSystem
from clientela.interactions.selectors import current_records

pytestmark = pytest.mark.django_db


def test_records_are_found_by_source_id_through_the_unique_index():
    # without the index's condition in the query, the databases read every record of the source:
    # each chunk of a large import then took longer as the ledger grew
    source = SourceSystem.objects.create(slug="erp", name="ERP")
    ids = [f"F-{n:05d}" for n in range(150)]  # more than PostgreSQL works through when proving conditions
    query = current_records(source=source, external_ids=ids).values_list("external_id", flat=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table is otherwise read whole
        sql, params = query.query.sql_with_params()
        prefix = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(prefix + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "ix_unique_source_record" in plan
