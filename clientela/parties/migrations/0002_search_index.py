from django.db import migrations


def create(apps, schema_editor):
    from clientela.parties.search import PARTY_INDEX

    PARTY_INDEX.create(schema_editor.connection)


def drop(apps, schema_editor):
    from clientela.parties.search import PARTY_INDEX

    PARTY_INDEX.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("parties", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
