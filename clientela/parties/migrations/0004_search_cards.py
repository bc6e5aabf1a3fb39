"""The search index keeps each customer's result card beside its searchable text.

The index tables are derived data: they are dropped, created with the new column and filled again
from the parties (a bulk rebuild, as ``clientela search_rebuild`` does).
"""

from django.db import migrations


def recreate(apps, schema_editor):
    from clientela.parties.search import PARTY_INDEX, party_index_rebuild

    PARTY_INDEX.drop(schema_editor.connection)
    PARTY_INDEX.create(schema_editor.connection)
    party_index_rebuild(notify=False)


class Migration(migrations.Migration):
    dependencies = [("parties", "0003_source_links")]
    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
