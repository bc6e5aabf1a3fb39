"""The search index keeps each whole value (email, phone digits, id) in a B-tree table beside the
trigram index, filled here from the documents already indexed (see core/search/backends.py)."""

from django.db import migrations

BATCH = 20_000


def create(apps, schema_editor):
    from clientela.core.search.backends import backend_for, value_rows
    from clientela.parties.search import PARTY_INDEX

    connection = schema_editor.connection
    backend = backend_for(PARTY_INDEX.table, connection.vendor)
    key = backend.KEY
    with connection.cursor() as cursor:
        for sql in backend.values_sql():
            cursor.execute(sql)
        last = -1
        while True:
            cursor.execute(
                f"SELECT {key}, contact, ids FROM {PARTY_INDEX.table} WHERE {key} > %s ORDER BY {key} LIMIT %s",
                [last, BATCH],
            )  # noqa: S608 - the index's own table name, not input
            rows = cursor.fetchall()
            if not rows:
                break
            backend.insert_values(cursor, value_rows([(pk, "", contact, ids, "") for pk, contact, ids in rows]))
            last = rows[-1][0]


def drop(apps, schema_editor):
    from clientela.parties.search import PARTY_INDEX

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PARTY_INDEX.table}_values")


class Migration(migrations.Migration):
    dependencies = [("parties", "0007_search_name_words")]
    operations = [migrations.RunPython(create, drop)]
