"""On PostgreSQL the search index gets a full-text index of its name words: word-start and whole-word
searches look up the words instead of intersecting trigram lists (see core/search/backends.py)."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from clientela.core.search.backends import WORDS_INDEX_SQL
    from clientela.parties.search import PARTY_INDEX

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(WORDS_INDEX_SQL.format(t=PARTY_INDEX.table))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from clientela.parties.search import PARTY_INDEX

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {PARTY_INDEX.table}_name_words")


class Migration(migrations.Migration):
    dependencies = [("parties", "0006_fewer_contact_indexes")]
    operations = [migrations.RunPython(create, drop)]
